"""Builders shared by the tournament tests: entrants, results, and playing a whole event."""

from __future__ import annotations

import random

from quiz.engine.rules import Side
from quiz.tournament import MatchResult, Tournament

#: Enough moves to finish any event the tests build (at most 64 entrants round robin).
MAX_MOVES = 5_000


def entrants(n: int) -> list[tuple[str, str]]:
    return [(f"e{i}", f"选手{i}") for i in range(1, n + 1)]


def result(winner: Side, rng: random.Random | None = None) -> MatchResult:
    """A plausible best-of-five result for ``winner``."""
    rng = rng or random.Random(0)
    loser_games = rng.randrange(3)
    games = (3, loser_games) if winner is Side.RED else (loser_games, 3)
    return MatchResult(winner, *games, rng.randrange(3), rng.randrange(3))


def play_out(t: Tournament, rng: random.Random) -> int:
    """Record a random result for every playable match until none is left; returns the
    number of matches recorded."""
    for played in range(MAX_MOVES):
        match_id = t.next_match()
        if match_id is None:
            return played
        t.record(match_id, result(rng.choice([Side.RED, Side.BLUE]), rng))
    raise AssertionError("the event did not finish")

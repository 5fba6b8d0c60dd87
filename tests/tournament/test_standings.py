"""The round-robin table: wins first, then head-to-head, games won, fewer 违规, seed.

One hand-written case per tie-break level, each played through a real ``Tournament``, and a
property over random results.
"""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine.rules import Side
from quiz.tournament import Format, MatchResult, TieBreak, Tournament
from tests.tournament.helpers import entrants, play_out


def play(t: Tournament, scores: dict[frozenset[str], tuple[str, int, int, int, int]]) -> None:
    """``scores[{a, b}] = (winner, winner games, loser games, winner 违规, loser 违规)``."""
    for slot in t.matches:
        red, blue = t.pairing(slot.id)
        assert red is not None and blue is not None
        winner, wg, lg, wv, lv = scores[frozenset((red, blue))]
        side = Side.RED if winner == red else Side.BLUE
        games = (wg, lg) if side is Side.RED else (lg, wg)
        fouls = (wv, lv) if side is Side.RED else (lv, wv)
        t.record(slot.id, MatchResult(side, *games, *fouls))


def table(t: Tournament) -> list[tuple[str, TieBreak | None]]:
    return [(row.entrant, row.decided_by) for row in t.standings()]


def pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def test_wins_come_first() -> None:
    t = Tournament.create(Format.ROUND_ROBIN, entrants(3))
    play(
        t,
        {
            pair("e1", "e2"): ("e2", 3, 0, 0, 0),
            pair("e1", "e3"): ("e3", 3, 0, 0, 0),
            pair("e2", "e3"): ("e3", 3, 0, 0, 0),
        },
    )
    assert table(t) == [("e3", None), ("e2", TieBreak.WINS), ("e1", TieBreak.WINS)]
    assert [r.wins for r in t.standings()] == [2, 1, 0]
    assert t.champion() == "e3"


def test_head_to_head_separates_two_level_on_wins() -> None:
    # e2 and e3 both win twice; e3 beat e2, although e2 won more games overall.
    t = Tournament.create(Format.ROUND_ROBIN, entrants(4))
    play(
        t,
        {
            pair("e2", "e3"): ("e3", 3, 2, 0, 0),
            pair("e1", "e2"): ("e2", 3, 0, 0, 0),
            pair("e2", "e4"): ("e2", 3, 0, 0, 0),
            pair("e1", "e3"): ("e1", 3, 0, 0, 0),
            pair("e3", "e4"): ("e3", 3, 2, 0, 0),
            pair("e1", "e4"): ("e4", 3, 2, 0, 0),
        },
    )
    rows = {r.entrant: r for r in t.standings()}
    assert rows["e2"].wins == rows["e3"].wins == 2
    assert rows["e2"].games_won > rows["e3"].games_won
    assert table(t)[:2] == [("e3", None), ("e2", TieBreak.HEAD_TO_HEAD)]


def test_head_to_head_applies_again_inside_what_is_still_level() -> None:
    # e1..e4 all win 3. Among themselves e1 and e2 win 2, e3 and e4 win 1: two parts, each
    # still level, so head-to-head is applied again inside each part. e1 beat e2 (although
    # e2 won more games) and e4 beat e3 (although e3 is the better seed).
    t = Tournament.create(Format.ROUND_ROBIN, entrants(6))
    win = {pair("e1", "e2"): ("e1", 3, 2, 0, 0)}
    for w, lost in [
        ("e1", "e4"),
        ("e1", "e6"),
        ("e3", "e1"),
        ("e5", "e1"),
        ("e2", "e3"),
        ("e2", "e4"),
        ("e2", "e5"),
        ("e6", "e2"),
        ("e3", "e5"),
        ("e3", "e6"),
        ("e4", "e3"),
        ("e4", "e5"),
        ("e4", "e6"),
        ("e5", "e6"),
    ]:
        win[pair(w, lost)] = (w, 3, 0, 0, 0)
    play(t, win)
    rows = {r.entrant: r for r in t.standings()}
    assert [rows[e].wins for e in ("e1", "e2", "e3", "e4", "e5", "e6")] == [3, 3, 3, 3, 2, 1]
    assert rows["e2"].games_won > rows["e1"].games_won
    assert rows["e3"].games_won == rows["e4"].games_won
    assert table(t) == [
        ("e1", None),
        ("e2", TieBreak.HEAD_TO_HEAD),
        ("e4", TieBreak.HEAD_TO_HEAD),
        ("e3", TieBreak.HEAD_TO_HEAD),
        ("e5", TieBreak.WINS),
        ("e6", TieBreak.WINS),
    ]


def test_games_won_settles_a_circular_tie() -> None:
    # A beats B, B beats C, C beats A: head-to-head is 1-1-1, games decide.
    t = Tournament.create(Format.ROUND_ROBIN, entrants(3))
    play(
        t,
        {
            pair("e1", "e2"): ("e1", 3, 0, 0, 0),
            pair("e2", "e3"): ("e2", 3, 1, 0, 0),
            pair("e3", "e1"): ("e3", 3, 2, 0, 0),
        },
    )
    # games won: e1 3+2=5, e2 0+3=3, e3 1+3=4
    assert table(t) == [("e1", None), ("e3", TieBreak.GAMES_WON), ("e2", TieBreak.GAMES_WON)]


def test_fewer_violations_settle_equal_games() -> None:
    t = Tournament.create(Format.ROUND_ROBIN, entrants(3))
    play(
        t,
        {
            pair("e1", "e2"): ("e1", 3, 1, 2, 0),
            pair("e2", "e3"): ("e2", 3, 1, 0, 3),
            pair("e3", "e1"): ("e3", 3, 1, 0, 0),
        },
    )
    # games won: 4 each; 违规: e1 2, e2 0, e3 3
    assert [r.games_won for r in t.standings()] == [4, 4, 4]
    assert table(t) == [("e2", None), ("e1", TieBreak.VIOLATIONS), ("e3", TieBreak.VIOLATIONS)]


def test_seed_order_is_the_last_resort() -> None:
    t = Tournament.create(Format.ROUND_ROBIN, [("x", "X"), ("y", "Y"), ("z", "Z")])
    play(
        t,
        {
            pair("x", "y"): ("y", 3, 1, 1, 1),
            pair("y", "z"): ("z", 3, 1, 1, 1),
            pair("z", "x"): ("x", 3, 1, 1, 1),
        },
    )
    assert table(t) == [("x", None), ("y", TieBreak.SEED), ("z", TieBreak.SEED)]
    # With a seeded draw the seeding order, and so the last resort, is the drawn order.
    drawn = Tournament.create(Format.ROUND_ROBIN, [("x", "X"), ("y", "Y"), ("z", "Z")], seed="7")
    play(
        drawn,
        {
            pair("x", "y"): ("y", 3, 1, 1, 1),
            pair("y", "z"): ("z", 3, 1, 1, 1),
            pair("z", "x"): ("x", 3, 1, 1, 1),
        },
    )
    assert [e for e, _ in table(drawn)] == [e.id for e in drawn.entrants]


def test_a_table_before_any_match_is_the_seeding_order() -> None:
    t = Tournament.create(Format.ROUND_ROBIN, entrants(4))
    assert [r.entrant for r in t.standings()] == ["e1", "e2", "e3", "e4"]
    assert t.champion() is None


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 12), seed=st.integers(0, 10_000))
def test_table_properties(n: int, seed: int) -> None:
    t = Tournament.create(Format.ROUND_ROBIN, entrants(n))
    play_out(t, random.Random(seed))
    rows = t.standings()
    assert [r.rank for r in rows] == list(range(1, n + 1))
    assert sorted(r.entrant for r in rows) == sorted(e.id for e in t.entrants)
    assert all(a.wins >= b.wins for a, b in itertools.pairwise(rows))
    assert rows[0].decided_by is None and all(r.decided_by is not None for r in rows[1:])
    for a, b in itertools.pairwise(rows):
        assert (b.decided_by is TieBreak.WINS) == (a.wins != b.wins)
        if b.decided_by in (TieBreak.GAMES_WON, TieBreak.VIOLATIONS, TieBreak.SEED):
            assert (a.games_won, -a.violations, -a.seed) > (b.games_won, -b.violations, -b.seed)
    assert sum(r.wins for r in rows) == sum(r.losses for r in rows) == n * (n - 1) // 2
    assert t.champion() == rows[0].entrant

"""The standings table of a round robin (or manually paired event) and its tie rule.

Entrants are ordered by matches won. Entrants level on wins are separated by, in turn:

1. head-to-head: wins in the matches played among the entrants still level. If that splits
   the group, the rule starts again inside each part that is still level (so a two-way tie
   left over from a three-way tie is settled by the match between those two);
2. games won, over all matches;
3. fewer early buzzes (违规), over all matches;
4. seeding order (the host's order, or the seeded draw): it always separates, so every
   entrant gets its own rank and the table never depends on dictionary order.

``decided_by`` says which step put an entrant below the one above it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from quiz.engine.rules import Side
from quiz.tournament.results import Played


class TieBreak(StrEnum):
    WINS = "wins"
    HEAD_TO_HEAD = "head_to_head"
    GAMES_WON = "games_won"
    VIOLATIONS = "violations"
    SEED = "seed"


@dataclass(slots=True)
class Standing:
    entrant: str
    seed: int  # 1-based position in the seeding order
    rank: int = 0
    played: int = 0
    wins: int = 0
    losses: int = 0
    games_won: int = 0
    games_lost: int = 0
    violations: int = 0
    decided_by: TieBreak | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "rank": self.rank,
            "entrant": self.entrant,
            "seed": self.seed,
            "played": self.played,
            "wins": self.wins,
            "losses": self.losses,
            "games_won": self.games_won,
            "games_lost": self.games_lost,
            "violations": self.violations,
            "decided_by": self.decided_by.value if self.decided_by else None,
        }


def standings(seed_order: Sequence[str], results: Iterable[Played]) -> list[Standing]:
    """The table for ``seed_order`` (best seed first) after ``results``, best first."""
    rows = {e: Standing(e, i + 1) for i, e in enumerate(seed_order)}
    beat: dict[str, list[str]] = {e: [] for e in seed_order}
    for played in results:
        for side in (Side.RED, Side.BLUE):
            row = rows[played.entrant(side)]
            row.played += 1
            row.games_won += played.result.games(side)
            row.games_lost += played.result.games(side.other)
            row.violations += played.result.violations(side)
            if played.result.winner is side:
                row.wins += 1
                beat[row.entrant].append(played.entrant(side.other))
            else:
                row.losses += 1
    ordered: list[tuple[Standing, TieBreak | None]] = []
    for wins in sorted({r.wins for r in rows.values()}, reverse=True):
        level = [r for r in rows.values() if r.wins == wins]
        part = _separate(level, beat)
        part[0] = (part[0][0], TieBreak.WINS if ordered else None)
        ordered += part
    for rank, (row, reason) in enumerate(ordered, start=1):
        row.rank, row.decided_by = rank, reason
    return [row for row, _ in ordered]


def _separate(
    level: list[Standing], beat: dict[str, list[str]]
) -> list[tuple[Standing, TieBreak | None]]:
    """Order entrants level on wins; each gets the step that put it below its predecessor."""
    if len(level) == 1:
        return [(level[0], None)]
    members = {r.entrant for r in level}
    h2h = {r.entrant: sum(1 for e in beat[r.entrant] if e in members) for r in level}
    groups = sorted({h2h[r.entrant] for r in level}, reverse=True)
    if len(groups) > 1:
        out: list[tuple[Standing, TieBreak | None]] = []
        for value in groups:
            part = _separate([r for r in level if h2h[r.entrant] == value], beat)
            part[0] = (part[0][0], TieBreak.HEAD_TO_HEAD)
            out += part
        out[0] = (out[0][0], None)
        return out
    rows = sorted(level, key=lambda r: (-r.games_won, r.violations, r.seed))
    out = [(rows[0], None)]
    for above, row in itertools.pairwise(rows):
        if row.games_won != above.games_won:
            out.append((row, TieBreak.GAMES_WON))
        elif row.violations != above.violations:
            out.append((row, TieBreak.VIOLATIONS))
        else:
            out.append((row, TieBreak.SEED))
    return out

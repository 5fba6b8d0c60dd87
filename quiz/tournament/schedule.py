"""Schedule generation: who meets whom, and where a match's two sides come from.

Pure functions from an ordered list of entrant ids (best seed first) to a list of ``Slot``
in playing order. A slot's side is fed by a ``Source``: a fixed entrant, the winner or the
loser of an earlier slot, or nobody (a bye). Results live in ``quiz.tournament.tournament``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from quiz.tournament.errors import TournamentError

THIRD_PLACE_ID = "3P"


class Feed(StrEnum):
    ENTRANT = "entrant"  # a fixed entrant id
    WINNER = "winner"  # the winner of an earlier slot
    LOSER = "loser"  # the loser of an earlier slot (the third-place match)


@dataclass(frozen=True, slots=True)
class Source:
    feed: Feed
    ref: str  # an entrant id or a slot id, according to ``feed``

    def to_dict(self) -> dict[str, str]:
        return {self.feed.value: self.ref}


@dataclass(frozen=True, slots=True)
class Slot:
    """One scheduled match. ``None`` as a source is a bye: the other side goes through."""

    id: str
    round: int
    red: Source | None
    blue: Source | None

    @property
    def is_bye(self) -> bool:
        return self.red is None or self.blue is None


def seeded_order(entrant_ids: Sequence[str], seed: str | None) -> list[str]:
    """The seeding order: the host's order as given, or a shuffle reproducible from ``seed``."""
    order = list(entrant_ids)
    if seed is not None:
        random.Random(seed).shuffle(order)
    return order


def bracket_positions(size: int) -> list[int]:
    """1-based seeds in bracket order for a power-of-two ``size``: ``[1, 8, 4, 5, 2, 7, 3, 6]``.

    Neighbouring pairs meet in round 1 and each pair's seeds add up to ``size + 1``; the
    construction keeps seeds 1 and 2 in opposite halves, 1-4 in different quarters, and so on,
    so the top seeds can only meet late.
    """
    if size < 1 or size & (size - 1):
        raise ValueError("bracket size must be a power of two")
    order = [1]
    while len(order) < size:
        total = 2 * len(order) + 1
        order = [s for seed in order for s in (seed, total - seed)]
    return order


def single_elimination(entrant_ids: Sequence[str], third_place: bool = False) -> list[Slot]:
    """Slots for a knockout between ``entrant_ids`` (best seed first).

    The bracket has the next power of two of places; the missing seeds are byes, so byes fall
    to the top seeds and only in round 1 (more than half of the places are filled, so no
    round-1 pair is two byes). The optional third-place match (``3P``) between the semi-final
    losers is scheduled just before the final and needs at least 4 entrants.
    """
    n = len(entrant_ids)
    if n < 2:
        raise TournamentError("too_few", "a knockout needs at least 2 entrants")
    if third_place and n < 4:
        raise TournamentError("too_few", "a third-place match needs at least 4 entrants")
    size = 1 << (n - 1).bit_length()
    seeds = bracket_positions(size)
    slots: list[Slot] = []
    previous: list[str] = []
    for i in range(size // 2):
        red, blue = (
            Source(Feed.ENTRANT, entrant_ids[s - 1]) if s <= n else None
            for s in seeds[2 * i : 2 * i + 2]
        )
        slots.append(Slot(f"R1M{i + 1}", 1, red, blue))
        previous.append(slots[-1].id)
    round_no = 1
    while len(previous) > 1:
        round_no += 1
        if third_place and len(previous) == 2:
            semis = (Source(Feed.LOSER, previous[0]), Source(Feed.LOSER, previous[1]))
            slots.append(Slot(THIRD_PLACE_ID, round_no, *semis))
        current = []
        for i in range(len(previous) // 2):
            red = Source(Feed.WINNER, previous[2 * i])
            blue = Source(Feed.WINNER, previous[2 * i + 1])
            slots.append(Slot(f"R{round_no}M{i + 1}", round_no, red, blue))
            current.append(slots[-1].id)
        previous = current
    return slots


def round_robin(entrant_ids: Sequence[str]) -> list[Slot]:
    """Every pair exactly once, by the circle method: entrant 1 stays put, the rest rotate.

    ``n - 1`` rounds for even ``n``; for odd ``n`` a phantom entrant makes ``n`` rounds and
    whoever meets it rests that round. The fixed entrant changes colour every round, so red
    and blue are shared out evenly.
    """
    if len(entrant_ids) < 2:
        raise TournamentError("too_few", "a round robin needs at least 2 entrants")
    ring: list[str | None] = list(entrant_ids)
    if len(ring) % 2:
        ring.append(None)
    n = len(ring)
    slots: list[Slot] = []
    for r in range(1, n):
        index = 0
        for i in range(n // 2):
            a, b = ring[i], ring[n - 1 - i]
            if a is None or b is None:
                continue
            if i == 0 and r % 2 == 0:
                a, b = b, a
            index += 1
            slots.append(Slot(f"R{r}M{index}", r, Source(Feed.ENTRANT, a), Source(Feed.ENTRANT, b)))
        ring = [ring[0], ring[-1], *ring[1:-1]]
    return slots

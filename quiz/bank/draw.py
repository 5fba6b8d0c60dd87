"""Drawing the next questions of an event: filtered, reproducible from a seed, never repeated.

An event's seed fixes one shuffled order of the whole bank (sorted by id first, so the order
never depends on how the questions were loaded). The next question is the first one in that
order that matches the round's filter and is new to the event: its id is not used yet, and it
shares no fact and no ``group`` with a used question (:func:`apart_keys`), so one fact is
asked once per event. The result is a pure function of (questions, filter, seed, used ids,
used keys): a restarted server draws the same.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol, TypeVar


class Drawable(Protocol):
    """What drawing needs of a question (the bank's question models have it)."""

    @property
    def id(self) -> str: ...

    @property
    def category(self) -> str: ...

    @property
    def type(self) -> str: ...

    @property
    def difficulty(self) -> int: ...


Q = TypeVar("Q", bound=Drawable)


def apart_keys(question: object) -> frozenset[str]:
    """What a question shares with the questions it must not meet in one event: its fact and
    its group (``"fact:F012"``, ``"group:hotline-12381"``). Questions without them (plain
    test items) share nothing."""
    fact = getattr(question, "fact", None)
    group = getattr(question, "group", None)
    return frozenset(
        f"{name}:{value}" for name, value in (("fact", fact), ("group", group)) if value
    )


def used_keys(questions: Iterable[Drawable], used: Collection[str]) -> frozenset[str]:
    """The :func:`apart_keys` of the questions in ``questions`` whose id is in ``used``."""
    return frozenset(
        key for question in questions if question.id in used for key in apart_keys(question)
    )


@dataclass(frozen=True)
class DrawFilter:
    """Which questions a round may use; an empty set means "any"."""

    categories: frozenset[str] = frozenset()
    difficulties: frozenset[int] = frozenset()
    types: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls,
        categories: Iterable[str] = (),
        difficulties: Iterable[int] = (),
        types: Iterable[str] = (),
    ) -> DrawFilter:
        return cls(frozenset(categories), frozenset(difficulties), frozenset(types))

    def matches(self, question: Drawable) -> bool:
        return (
            (not self.categories or question.category in self.categories)
            and (not self.difficulties or question.difficulty in self.difficulties)
            and (not self.types or question.type in self.types)
        )

    def __str__(self) -> str:
        def show(values: Collection[object]) -> str:
            return ",".join(sorted(str(value) for value in values)) or "any"

        return (
            f"categories={show(self.categories)}; difficulties={show(self.difficulties)}; "
            f"types={show(self.types)}"
        )


class PoolExhausted(LookupError):
    """Fewer unused questions match the filter than were asked for."""

    def __init__(self, *, matched: int, used: int, requested: int, filter: DrawFilter) -> None:
        self.matched = matched
        self.used = used
        self.requested = requested
        self.remaining = matched - used
        self.filter = filter
        super().__init__(
            f"not enough questions left: {requested} requested, but only {self.remaining} of the "
            f"{matched} questions matching the filter ({filter}) are unused; {used} of them "
            "were already used in this event (or share a fact or group with one that was)"
        )


def event_order(questions: Iterable[Q], seed: int | str) -> list[Q]:
    """The whole bank in the event's order."""
    order = sorted(questions, key=lambda question: question.id)
    for before, after in pairwise(order):
        if before.id == after.id:
            raise ValueError(f"question id {after.id} appears twice")
    random.Random(seed).shuffle(order)
    return order


def matching(questions: Iterable[Q], filter: DrawFilter) -> list[Q]:
    return [question for question in questions if filter.matches(question)]


def _fresh(question: Drawable, used: Collection[str], blocked: Collection[str]) -> bool:
    return question.id not in used and apart_keys(question).isdisjoint(blocked)


def remaining(
    questions: Sequence[Q],
    used: Collection[str],
    filter: DrawFilter | None = None,
    *,
    keys: Collection[str] = (),
) -> int:
    """How many questions matching ``filter`` are still new to the event (see :func:`draw`)."""
    blocked = used_keys(questions, used) | frozenset(keys)
    candidates = matching(questions, filter or DrawFilter())
    return sum(1 for question in candidates if _fresh(question, used, blocked))


def draw(
    questions: Sequence[Q],
    *,
    seed: int | str,
    used: Collection[str],
    filter: DrawFilter | None = None,
    count: int = 1,
    keys: Collection[str] = (),
) -> list[Q]:
    """The next ``count`` questions of the event that match ``filter``: none in ``used``, none
    sharing a fact or group with a used question, nor with another of the ``count``.

    ``keys`` adds the :func:`apart_keys` of used questions that are not in ``questions`` (a
    question retired since it was shown). Raises :class:`PoolExhausted` (and draws nothing)
    when fewer than ``count`` are left.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    chosen_filter = filter or DrawFilter()
    candidates = matching(event_order(questions, seed), chosen_filter)
    blocked = set(used_keys(questions, used) | frozenset(keys))
    fresh: list[Q] = []
    for question in candidates:
        if _fresh(question, used, blocked):
            fresh.append(question)
            if len(fresh) == count:
                break
            blocked |= apart_keys(question)
    if len(fresh) < count:
        raise PoolExhausted(
            matched=len(candidates),
            used=len(candidates) - len(fresh),
            requested=count,
            filter=chosen_filter,
        )
    return fresh[:count]

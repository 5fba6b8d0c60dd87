"""Where live matches get their questions: a small interface over the question bank.

The match log stores only the id a question was shown under; the text shown on screens is
looked up here by that id, so a replay after a restart shows exactly the same wording. A
drawn question's options are shuffled (:mod:`quiz.bank.shuffle`) and its shown id carries the
order (``"123~CADB"``), so every reader of the log (match views, receipts, report, exports,
audience rounds) gets the same letters from :meth:`QuestionSource.get`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from quiz.bank.shuffle import (
    LETTERS,
    is_order,
    option_order,
    shown_answer,
    shown_id,
    shown_options,
    split_id,
)

KINDS = ("single", "multiple", "truefalse", "open")


@dataclass(frozen=True)
class QuestionView:
    """One question version as the live screens need it."""

    id: str
    code: str
    kind: str
    prompt: dict[str, str]
    options: tuple[dict[str, str], ...] = ()
    answer: tuple[str, ...] = ()
    explanation: dict[str, str] = field(default_factory=dict)
    category: str = ""
    difficulty: int = 1
    answer_time_ms: int | None = None
    # Accepted answers of an open question, for the host to judge against.
    accepted: tuple[dict[str, str], ...] = ()
    # What the draw keeps apart in one event (quiz.bank.draw.apart_keys); never sent out.
    fact: str = ""
    group: str | None = None
    # Whether the options are shuffled when drawn (choice questions not pinned by the bank).
    shuffle: bool = False

    def in_order(self, order: str) -> QuestionView:
        """This question with its options in ``order`` (the original letters, shown position
        by position), relettered, the key following its options, under its shown id."""
        options = tuple(
            {**option, "key": LETTERS[index]}
            for index, option in enumerate(shown_options(self.options, order))
        )
        return replace(
            self,
            id=shown_id(self.id, order),
            options=options,
            answer=shown_answer(self.answer, order),
        )

    def drawn(self, seed: str) -> QuestionView:
        """The question as drawn with ``seed``: shuffled (reproducibly: the order comes from
        the seed and the code) unless pinned."""
        if not self.shuffle or len(self.options) < 2:
            return self
        return self.in_order(option_order(seed, self.code, len(self.options)))

    @property
    def engine_kind(self) -> str:
        # The engine auto-judges anything with options (true/false is a two-option choice).
        return "choice" if self.options else "open"

    def public(self) -> dict[str, Any]:
        """The full view (answer included): redaction happens later, per role."""
        return {
            "id": self.id,
            "code": self.code,
            "kind": self.kind,
            "category": self.category,
            "difficulty": self.difficulty,
            "prompt": dict(self.prompt),
            "options": [dict(o) for o in self.options],
            "answer": list(self.answer),
            "accepted": [dict(a) for a in self.accepted],
            "explanation": dict(self.explanation),
        }


class QuestionSource(Protocol):
    def get(self, question_id: str) -> QuestionView | None:
        """Any question version ever shown, by id (old and retired versions included)."""

    def draw(
        self, question_filter: dict[str, Any], seed: str, used_codes: Iterable[str]
    ) -> QuestionView | None:
        """The next question for a match: matches the filter, reproducible from ``seed`` and
        the used codes, never a code in ``used_codes``; None when none is left."""

    def stats(self) -> dict[str, Any]: ...


def resolve_shown(
    question_id: str, base: Callable[[str], QuestionView | None]
) -> QuestionView | None:
    """The question shown under ``question_id``: the version ``base`` finds, in the order the
    id carries. An order that is not a permutation of the options, or on a question that is
    never shuffled, finds nothing."""
    base_id, order = split_id(question_id)
    found = base(base_id)
    if order is None or found is None:
        return found
    if not found.shuffle or not is_order(order, len(found.options)):
        return None
    return found.in_order(order)


def validate_filter(raw: Any) -> dict[str, Any]:
    """Normalise a match's question filter; raises ``ValueError`` with a clear message."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError("filter must be an object")
    unknown = set(raw) - {"categories", "difficulty", "kinds", "tags"}
    if unknown:
        raise ValueError(f"unknown filter key(s): {', '.join(sorted(map(str, unknown)))}")
    out: dict[str, Any] = {}
    for key in ("categories", "kinds", "tags"):
        if key in raw and raw[key] is not None:
            values = raw[key]
            if not isinstance(values, list) or not all(
                isinstance(v, str) and 0 < len(v) <= 64 for v in values
            ):
                raise ValueError(f"filter.{key} must be a list of short strings")
            if len(values) > 50:
                raise ValueError(f"filter.{key} has too many entries")
            out[key] = list(values)
    if "kinds" in out and not set(out["kinds"]) <= set(KINDS):
        raise ValueError(f"filter.kinds must be among: {', '.join(KINDS)}")
    if raw.get("difficulty") is not None:
        d = raw["difficulty"]
        if (
            not isinstance(d, list)
            or len(d) != 2
            or not all(type(v) is int and 1 <= v <= 5 for v in d)
            or d[0] > d[1]
        ):
            raise ValueError("filter.difficulty must be [min, max] with 1 <= min <= max <= 5")
        out["difficulty"] = list(d)
    return out


def matches_filter(q: QuestionView, question_filter: dict[str, Any]) -> bool:
    cats = question_filter.get("categories")
    kinds = question_filter.get("kinds")
    diff = question_filter.get("difficulty")
    return (
        (not cats or q.category in cats)
        and (not kinds or q.kind in kinds)
        and (not diff or diff[0] <= q.difficulty <= diff[1])
    )


def seeded_pick(
    pool: Iterable[QuestionView], seed: str, used_codes: Iterable[str]
) -> QuestionView | None:
    """A reproducible pick among ``pool`` minus the used codes (order-independent)."""
    used = set(used_codes)
    candidates = sorted((q for q in pool if q.code not in used), key=lambda q: q.code)
    if not candidates:
        return None
    digest = hashlib.sha256(f"{seed}\x00{len(used)}".encode()).digest()
    return random.Random(digest).choice(candidates)


class MemoryQuestionSource:
    """A question source held in memory (tests, and a bank given as plain data)."""

    def __init__(self, questions: Iterable[QuestionView]) -> None:
        self._by_id = {q.id: q for q in questions}

    def get(self, question_id: str) -> QuestionView | None:
        return self._by_id.get(question_id)

    def draw(
        self, question_filter: dict[str, Any], seed: str, used_codes: Iterable[str]
    ) -> QuestionView | None:
        pool = [q for q in self._by_id.values() if matches_filter(q, question_filter)]
        return seeded_pick(pool, seed, used_codes)

    def stats(self) -> dict[str, Any]:
        return {
            "questions": len(self._by_id),
            "categories": sorted({q.category for q in self._by_id.values() if q.category}),
        }

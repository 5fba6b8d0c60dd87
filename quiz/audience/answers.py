"""Audience play-along for one choice or true/false question: taking answers, closing, scoring.

``Tally.answer`` is O(1) and never raises for a phone's bad luck: it returns a
``Verdict`` the phone is told (accepted, or refused with a reason). ``close`` is one pass
over the answers and builds everything the LED and the phones need.

Scoring (``Scoring``):

- ``count``: 1 point per correct answer.
- ``speed``: a correct answer given ``t`` ms after the question opened, with an audience timer
  of ``T`` ms, earns ``points = 500 + floor(500 * (T - t) / T)`` (``t`` clamped to
  ``0..T``): 1000 for an instant answer, 500 at the buzzer. Without a timer ``T`` is how long
  the question was actually open. Wrong answers earn 0 either way. Integer arithmetic, so
  every phone and every replay gets exactly the same number.

The time of a changed answer is the time of the change: changing late costs speed.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from quiz.audience.errors import AudienceError, check_phone

SPEED_BASE = 500
SPEED_BONUS = 500
MAX_OPTIONS = 26
FASTEST_DEFAULT = 10


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    CHANGED = "changed"  # replaced this phone's earlier answer (changing is allowed)
    UNCHANGED = "unchanged"  # the same answer again, e.g. a resend after a lost ack
    DUPLICATE = "duplicate"  # refused: already answered and changing is not allowed
    LATE = "late"  # refused: the audience timer has run out
    CLOSED = "closed"  # refused: the question has been judged
    INVALID = "invalid"  # refused: not a valid choice for this question

    @property
    def on_record(self) -> bool:
        """True when the phone's answer (this one or an identical earlier one) counts."""
        return self in (Verdict.ACCEPTED, Verdict.CHANGED, Verdict.UNCHANGED)


class Scoring(StrEnum):
    COUNT = "count"
    SPEED = "speed"


def speed_points(t_ms: int, limit_ms: int) -> int:
    """Points for a correct answer at ``t_ms`` of ``limit_ms`` (formula in the module doc)."""
    t = min(max(t_ms, 0), limit_ms)
    return SPEED_BASE + SPEED_BONUS * (limit_ms - t) // limit_ms


@dataclass(frozen=True, slots=True)
class Answer:
    choices: frozenset[str]
    t_ms: int  # since the question opened
    seq: int  # arrival order, to rank answers given in the same millisecond


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one phone is told after judging."""

    choices: tuple[str, ...]
    correct: bool
    points: int
    t_ms: int


@dataclass(frozen=True, slots=True)
class RoundResult:
    round_id: str
    key: tuple[str, ...]
    scoring: Scoring
    limit_ms: int  # ``T`` of the speed formula
    answered: int
    correct: int
    distribution: dict[str, int]  # option -> phones that chose it, in option order
    fastest: tuple[tuple[str, int], ...]  # (phone, t_ms) of the fastest correct answers
    outcomes: dict[str, Outcome]

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0

    def summary(self) -> dict[str, Any]:
        """The LED's figures. ``fastest`` holds phone ids: the server swaps in nicknames."""
        return {
            "round": self.round_id,
            "key": list(self.key),
            "answered": self.answered,
            "correct": self.correct,
            "share_correct": round(self.share_correct, 4),
            "distribution": dict(self.distribution),
            "fastest": [{"phone": p, "t_ms": t} for p, t in self.fastest],
        }


class Tally:
    """The audience's answers to one question, from opening until judged.

    ``options`` are the choice letters shown (e.g. ``("A", "B", "C", "D")``; a true/false
    question is two options), ``key`` the correct ones. A single-answer question takes one
    choice per phone; a multiple-answer one (``multiple``, by default when ``key`` has more
    than one option) takes a non-empty set and is correct only if it equals ``key``.
    Answers are taken up to ``opened_at_ms + duration_ms`` inclusive (no limit if
    ``duration_ms`` is None) and until ``close``. Not thread-safe: the caller serialises.
    """

    def __init__(
        self,
        round_id: str,
        options: Sequence[str],
        key: Iterable[str],
        opened_at_ms: int,
        duration_ms: int | None = None,
        *,
        allow_change: bool = False,
        multiple: bool | None = None,
        scoring: Scoring = Scoring.COUNT,
    ) -> None:
        if not isinstance(round_id, str) or not 0 < len(round_id) <= 64:
            raise AudienceError("bad_round", "a round id is 1 to 64 characters")
        opts = tuple(options)
        if not 2 <= len(opts) <= MAX_OPTIONS or len(set(opts)) != len(opts):
            raise AudienceError("bad_options", f"2 to {MAX_OPTIONS} distinct options")
        if not all(isinstance(o, str) and 0 < len(o) <= 8 for o in opts):
            raise AudienceError("bad_options", "options are short non-empty strings")
        answer_key = frozenset(key)
        if not answer_key or not answer_key <= set(opts):
            raise AudienceError("bad_key", "the key must be one or more of the options")
        if multiple is None:
            multiple = len(answer_key) > 1
        if not multiple and len(answer_key) > 1:
            raise AudienceError("bad_key", "a single-answer question has one correct option")
        if type(opened_at_ms) is not int:
            raise AudienceError("bad_time", "opened_at_ms must be an integer")
        if duration_ms is not None and (type(duration_ms) is not int or duration_ms <= 0):
            raise AudienceError("bad_time", "duration_ms must be a positive integer or None")
        self.round_id = round_id
        self.options = opts
        self.key = answer_key
        self.opened_at_ms = opened_at_ms
        self.duration_ms = duration_ms
        self.allow_change = bool(allow_change)
        self.multiple = multiple
        self.scoring = Scoring(scoring)
        self._option_set = frozenset(opts)
        self._answers: dict[str, Answer] = {}
        self._seq = 0
        self.refused: dict[Verdict, int] = {}
        self.result: RoundResult | None = None

    def start_timer(self, duration_ms: int) -> None:
        """Give an untimed, open question its time: answers are taken up to ``opened_at_ms +
        duration_ms`` from now on (those already on record stay)."""
        if type(duration_ms) is not int or duration_ms <= 0:
            raise AudienceError("bad_time", "duration_ms must be a positive integer")
        if self.duration_ms is not None or self.result is not None:
            raise AudienceError("bad_time", "the question is already timed or closed")
        self.duration_ms = duration_ms

    @property
    def deadline_ms(self) -> int | None:
        return None if self.duration_ms is None else self.opened_at_ms + self.duration_ms

    @property
    def answered(self) -> int:
        """Phones with an answer on record."""
        return len(self._answers)

    def has_answered(self, phone: str) -> bool:
        return phone in self._answers

    def answer(self, phone: str, choices: Sequence[str] | str, at_ms: int) -> Verdict:
        """Take one phone's answer at server time ``at_ms``; O(1)."""
        check_phone(phone)
        verdict = self._judge_arrival(phone, choices, at_ms)
        if not verdict.on_record:
            self.refused[verdict] = self.refused.get(verdict, 0) + 1
        return verdict

    def _judge_arrival(self, phone: str, choices: Sequence[str] | str, at_ms: int) -> Verdict:
        if self.result is not None:
            return Verdict.CLOSED
        if type(at_ms) is not int:
            raise AudienceError("bad_time", "at_ms must be an integer")
        deadline = self.deadline_ms
        if deadline is not None and at_ms > deadline:
            return Verdict.LATE
        picked = self._choices(choices)
        if picked is None:
            return Verdict.INVALID
        earlier = self._answers.get(phone)
        if earlier is not None:
            if earlier.choices == picked:
                return Verdict.UNCHANGED
            if not self.allow_change:
                return Verdict.DUPLICATE
        self._seq += 1
        # A clock a little behind the opening (the server's own clock never is) counts as 0.
        self._answers[phone] = Answer(picked, max(0, at_ms - self.opened_at_ms), self._seq)
        return Verdict.ACCEPTED if earlier is None else Verdict.CHANGED

    def _choices(self, choices: Sequence[str] | str) -> frozenset[str] | None:
        items = (choices,) if isinstance(choices, str) else choices
        if not isinstance(items, Sequence) or not 0 < len(items) <= len(self.options):
            return None
        picked = frozenset(items)
        if not picked <= self._option_set or (not self.multiple and len(picked) != 1):
            return None
        return picked

    def close(self, at_ms: int, fastest: int = FASTEST_DEFAULT) -> RoundResult:
        """Judge: no answer is taken after this. Closing again returns the same result."""
        if self.result is not None:
            return self.result
        if type(at_ms) is not int or type(fastest) is not int or fastest < 0:
            raise AudienceError("bad_close", "at_ms and fastest must be integers, fastest >= 0")
        limit = self.duration_ms or max(1, at_ms - self.opened_at_ms)
        distribution = dict.fromkeys(self.options, 0)
        outcomes: dict[str, Outcome] = {}
        correct: list[tuple[int, int, str]] = []
        speed = self.scoring is Scoring.SPEED
        for phone, ans in self._answers.items():
            for choice in ans.choices:
                distribution[choice] += 1
            right = ans.choices == self.key
            points = (speed_points(ans.t_ms, limit) if speed else 1) if right else 0
            outcomes[phone] = Outcome(tuple(sorted(ans.choices)), right, points, ans.t_ms)
            if right:
                correct.append((ans.t_ms, ans.seq, phone))
        top = heapq.nsmallest(fastest, correct)
        self.result = RoundResult(
            round_id=self.round_id,
            key=tuple(o for o in self.options if o in self.key),
            scoring=self.scoring,
            limit_ms=limit,
            answered=len(self._answers),
            correct=len(correct),
            distribution=distribution,
            fastest=tuple((phone, t) for t, _seq, phone in top),
            outcomes=outcomes,
        )
        return self.result

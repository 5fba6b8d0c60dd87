"""The event's audience scores: totals per phone, the leaderboard and prize eligibility.

Each judged question (a ``RoundResult``) is added once, under a *stage*: the part of the event
it belongs to (a match, an audience-only round), so eligibility can ask for "at least K
correct in this stage". Phones that never answered are not in the ledger.

Leaderboard: by points, highest first. Equal points share a rank (1, 2, 2, 4); within a
tie, phones appear in the order they first answered in the event, so the order is stable
from one question to the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from quiz.audience.answers import RoundResult
from quiz.audience.errors import AudienceError, check_phone
from quiz.audience.jsonshape import Shape, checked_int, checked_str, version

FORMAT_VERSION = 1
STAGE_MAX = 64
LEADERBOARD_TOP = 10
_MAX_COUNT = 10**9


@dataclass(slots=True)
class PhoneScore:
    joined: int  # order of first answer in the event
    points: int = 0
    correct: int = 0
    answered: int = 0
    stages: dict[str, int] = field(default_factory=dict)  # stage -> correct answers


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    phone: str
    points: int
    correct: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "phone": self.phone,
            "points": self.points,
            "correct": self.correct,
        }


class Ledger:
    """Not thread-safe: the caller serialises access (as for ``Tally``)."""

    def __init__(self) -> None:
        self._scores: dict[str, PhoneScore] = {}
        self._rounds: dict[str, str] = {}  # round id -> stage
        self._table: list[Row] | None = None
        self._by_phone: dict[str, Row] = {}

    def __contains__(self, phone: object) -> bool:
        return phone in self._scores

    def __len__(self) -> int:
        return len(self._scores)

    @property
    def rounds(self) -> dict[str, str]:
        return dict(self._rounds)

    def add(self, result: RoundResult, stage: str) -> None:
        """Count a judged question once; adding the same round id again is refused."""
        checked_stage = _stage(stage)
        if result.round_id in self._rounds:
            raise AudienceError("already_counted", f"round {result.round_id} is already counted")
        self._rounds[result.round_id] = checked_stage
        for phone, outcome in result.outcomes.items():
            score = self._scores.get(phone)
            if score is None:
                score = self._scores[phone] = PhoneScore(len(self._scores))
            score.answered += 1
            score.points += outcome.points
            if outcome.correct:
                score.correct += 1
                score.stages[checked_stage] = score.stages.get(checked_stage, 0) + 1
        self._table = None

    def score(self, phone: str) -> PhoneScore | None:
        return self._scores.get(phone)

    def correct(self, phone: str, stage: str | None = None) -> int:
        """Correct answers of a phone in the event, or in one stage."""
        score = self._scores.get(phone)
        if score is None:
            return 0
        return score.correct if stage is None else score.stages.get(stage, 0)

    def phones(self) -> list[str]:
        return list(self._scores)

    def table(self) -> list[Row]:
        """Every phone, ranked (rule in the module doc)."""
        if self._table is None:
            ordered = sorted(self._scores.items(), key=lambda kv: (-kv[1].points, kv[1].joined))
            rows: list[Row] = []
            for i, (phone, s) in enumerate(ordered):
                rank = rows[-1].rank if rows and rows[-1].points == s.points else i + 1
                rows.append(Row(rank, phone, s.points, s.correct))
            self._table = rows
            self._by_phone = {r.phone: r for r in rows}
        return self._table

    def leaderboard(self, top: int = LEADERBOARD_TOP) -> list[Row]:
        return self.table()[:top]

    def rank_of(self, phone: str) -> Row | None:
        """A phone's own row (its rank even outside the top ten), None if it never answered."""
        self.table()
        return self._by_phone.get(phone)

    # --- persistence ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "rounds": dict(self._rounds),
            "phones": [
                {
                    "phone": p,
                    "points": s.points,
                    "correct": s.correct,
                    "answered": s.answered,
                    "stages": dict(s.stages),
                }
                for p, s in self._scores.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: object) -> Ledger:
        version(data, "ledger", FORMAT_VERSION)
        shape = Shape(data, "ledger", ("v", "rounds", "phones"))
        ledger = cls()
        for round_id, stage in shape.obj("rounds").items():
            ledger._rounds[checked_str(round_id, "ledger.rounds", 64)] = checked_str(
                stage, f"ledger.rounds.{round_id}", STAGE_MAX
            )
        stages = set(ledger._rounds.values())
        for where, item in shape.items("phones"):
            row = Shape(item, where, ("phone", "points", "correct", "answered", "stages"))
            phone = check_phone(row.raw("phone"), row.at("phone"))
            if phone in ledger._scores:
                raise ValueError(f"{where}: phone repeated")
            score = PhoneScore(
                len(ledger._scores),
                row.integer("points", 0, _MAX_COUNT),
                row.integer("correct", 0, _MAX_COUNT),
                row.integer("answered", 1, len(ledger._rounds)),
            )
            for stage, count in row.obj("stages").items():
                if stage not in stages:
                    raise ValueError(f"{where}.stages: unknown stage {stage!r}")
                score.stages[stage] = checked_int(count, f"{where}.stages", 1, score.correct)
            if score.correct > score.answered or sum(score.stages.values()) != score.correct:
                raise ValueError(f"{where}: counts do not add up")
            ledger._scores[phone] = score
        return ledger


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may win a prize: at least ``min_correct`` correct answers in the event, or in
    ``stage`` if given. ``min_correct = 0`` admits every phone that answered at least once."""

    min_correct: int = 1
    stage: str | None = None

    def __post_init__(self) -> None:
        checked_int(self.min_correct, "min_correct", 0, _MAX_COUNT)
        if self.stage is not None:
            _stage(self.stage)

    def admits(self, ledger: Ledger, phone: str) -> bool:
        return phone in ledger and ledger.correct(phone, self.stage) >= self.min_correct

    def to_dict(self) -> dict[str, Any]:
        return {"min_correct": self.min_correct, "stage": self.stage}

    @classmethod
    def from_dict(cls, data: object, where: str = "eligibility") -> Eligibility:
        shape = Shape(data, where, ("min_correct", "stage"))
        return cls(shape.integer("min_correct", 0, _MAX_COUNT), shape.opt_text("stage", STAGE_MAX))


def eligible(ledger: Ledger, rule: Eligibility, exclude: Iterable[str] = ()) -> list[str]:
    """The phones ``rule`` admits, minus ``exclude`` (e.g. earlier winners), sorted."""
    skip = set(exclude)
    return sorted(p for p in ledger.phones() if p not in skip and rule.admits(ledger, p))


def _stage(stage: object) -> str:
    if not isinstance(stage, str) or not 0 < len(stage) <= STAGE_MAX:
        raise AudienceError("bad_stage", f"a stage is 1 to {STAGE_MAX} characters")
    return stage


__all__ = ["Eligibility", "Ledger", "PhoneScore", "Row", "eligible"]

"""What the live server holds about one event's audience: the settings, the audience-only
quiz in progress, the question put to the audience now and the last one published, the
phones, the ledger and the prize draws.

Plain data, shared by reference between the pieces of the audience desk
(``quiz.live.audience``): the desk replaces the whole :class:`EventAudience` on an event
switch, and every piece reads and changes it under the desk's lock. Vocabulary:
``docs/glossary.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quiz.audience import ClaimCodes, Draw, Ledger, Nicknames, Scoring, Tally
from quiz.live.questions import QuestionView

DEFAULT_TIMER_MS = 20_000


@dataclass(frozen=True)
class Settings:
    """How the audience plays; changes apply to the questions put afterwards."""

    scoring: Scoring = Scoring.COUNT
    allow_change: bool = False
    timer_ms: int | None = DEFAULT_TIMER_MS

    def to_dict(self) -> dict[str, Any]:
        return {
            "scoring": self.scoring.value,
            "allow_change": self.allow_change,
            "timer_ms": self.timer_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        base = cls()
        timer = data.get("timer_ms", base.timer_ms)
        return cls(
            scoring=Scoring(data.get("scoring", base.scoring.value)),
            allow_change=bool(data.get("allow_change", base.allow_change)),
            timer_ms=int(timer) if timer is not None else None,
        )


@dataclass(frozen=True)
class AudienceQuiz:
    """An audience-only quiz (有奖问答 segment): questions from the bank, no contestants."""

    number: int
    filter: dict[str, Any]
    seed: str
    timer_ms: int

    @property
    def stage(self) -> str:
        return f"quiz-{self.number}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "filter": self.filter,
            "seed": self.seed,
            "timer_ms": self.timer_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AudienceQuiz:
        return cls(
            int(data["number"]), dict(data["filter"]), str(data["seed"]), int(data["timer_ms"])
        )


@dataclass
class LiveQuestion:
    """The question put to the audience now (or the last one, once published)."""

    row_id: int
    stage: str
    match_id: int | None
    question: QuestionView
    tally: Tally
    seq: int = 0
    mine: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phone -> its answer
    expired: bool = False  # the timer ran out and the phones were told
    summary: dict[str, Any] | None = None  # the published result
    phones_told: bool = True  # published to the phones too (False between the two halves)
    # A match question's audience timer, started when buzzing opens (QuestionFlow.start_timer).
    timer_ms: int | None = None

    @property
    def name(self) -> str:
        """The name pages know it by (``round`` in protocol v1)."""
        return self.tally.round_id

    @property
    def published(self) -> bool:
        return self.summary is not None


@dataclass
class EventAudience:
    """One event's audience (see the module docstring); ``event_id`` None: no event yet."""

    event_id: int | None = None
    settings: Settings = field(default_factory=Settings)
    quiz: AudienceQuiz | None = None
    nicknames: Nicknames = field(default_factory=Nicknames)
    members: dict[str, int] = field(default_factory=dict)  # phone -> member row id
    phones: dict[int, str] = field(default_factory=dict)  # member row id -> phone
    ledger: Ledger = field(default_factory=Ledger)
    quiz_numbers: set[int] = field(default_factory=set)
    match_numbers: dict[int, int] = field(default_factory=dict)  # match id -> its number
    current: LiveQuestion | None = None  # taking answers (or waiting to be published)
    last: LiveQuestion | None = None  # the last published question
    draws: dict[str, Draw] = field(default_factory=dict)
    codes: ClaimCodes = field(default_factory=ClaimCodes)
    screen: str = "match"
    screen_after_ms: int = 0
    shown_draw: str | None = None
    sids: dict[str, set[str]] = field(default_factory=dict)  # phone -> its connected sockets
    phone_by_sid: dict[str, str] = field(default_factory=dict)
    # phone -> the label of the address it joined from (quiz/live/addresses.py; "" exempt),
    # kept in memory only: it groups one machine's phones for the draws, then is forgotten.
    addresses: dict[str, str] = field(default_factory=dict)
    excluded_addresses: set[str] = field(default_factory=set)  # left out of draws by the host

"""Events: what happened, as the engine tells it. The transport broadcasts them (as "moments"
for sounds and animations) and persistence stores them next to the command that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.engine.rules import Side


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every event; ``at`` is the server time it happened (ms)."""

    at: int


@dataclass(frozen=True, slots=True)
class QuestionShown(Event):
    question_id: str
    game: int
    number: int


@dataclass(frozen=True, slots=True)
class CountdownStarted(Event):
    opens_at: int


@dataclass(frozen=True, slots=True)
class BuzzingOpened(Event):
    deadline: int
    sides: tuple[Side, ...]
    rebound: bool


@dataclass(frozen=True, slots=True)
class BuzzAccepted(Event):
    """A valid buzz entered the commit window (arbitration pending)."""

    side: Side
    device_id: str
    press_at: int


@dataclass(frozen=True, slots=True)
class BuzzRejected(Event):
    """A buzz or choice that does not count: ``reason`` says why (never an exception)."""

    device_id: str
    reason: str
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class EarlyBuzz(Event):
    """违规: a press before buzzing opened. ``early_ms`` is None if the opening was not yet
    scheduled (the host had not pressed 开始)."""

    side: Side
    device_id: str
    early_ms: int | None
    penalty: str


@dataclass(frozen=True, slots=True)
class ArbitrationStarted(Event):
    until: int


@dataclass(frozen=True, slots=True)
class BuzzWon(Event):
    side: Side
    device_id: str
    press_at: int
    margin_ms: int | None
    runner_up: Side | None


@dataclass(frozen=True, slots=True)
class TieDeclared(Event):
    sides: tuple[Side, ...]
    gap_ms: int
    rule: str


@dataclass(frozen=True, slots=True)
class AnswerStarted(Event):
    side: Side
    deadline: int
    rebound: bool


@dataclass(frozen=True, slots=True)
class AnswerBegun(Event):
    side: Side


@dataclass(frozen=True, slots=True)
class ChoiceSubmitted(Event):
    side: Side
    device_id: str
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnswerJudged(Event):
    """``by`` is ``host``, ``phone`` (auto-judged choice) or ``timeout``."""

    side: Side
    correct: bool
    by: str
    rebound: bool


@dataclass(frozen=True, slots=True)
class ReboundOffered(Event):
    side: Side
    mode: str


@dataclass(frozen=True, slots=True)
class QuestionVoided(Event):
    reason: str


@dataclass(frozen=True, slots=True)
class GameWon(Event):
    side: Side
    game: int
    red: int
    blue: int


@dataclass(frozen=True, slots=True)
class MatchPoint(Event):
    sides: tuple[Side, ...]


@dataclass(frozen=True, slots=True)
class MatchWon(Event):
    side: Side
    red: int
    blue: int


@dataclass(frozen=True, slots=True)
class MatchEnded(Event):
    reason: str
    winner: Side | None


@dataclass(frozen=True, slots=True)
class Paused(Event):
    pass


@dataclass(frozen=True, slots=True)
class Resumed(Event):
    paused_ms: int


@dataclass(frozen=True, slots=True)
class Undone(Event):
    command: str
    remaining: int


@dataclass(frozen=True, slots=True)
class GamesAdjusted(Event):
    side: Side
    delta: int
    red: int
    blue: int


@dataclass(frozen=True, slots=True)
class Overridden(Event):
    old_winner: Side | None
    new_winner: Side | None


@dataclass(frozen=True, slots=True)
class DeviceBound(Event):
    side: Side
    device_id: str


@dataclass(frozen=True, slots=True)
class DeviceUnbound(Event):
    side: Side
    device_id: str

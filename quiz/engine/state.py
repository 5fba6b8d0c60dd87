"""The state of a match as immutable values, and its outcome.

A :class:`MatchState` is the whole truth about a match at one ``seq``: phase, games, the
question in play with every buzz and verdict, the devices of each side and the undo history.
Every field is a frozen value, so a state can be kept as an undo point or compared after a
replay without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from quiz.engine.rules import MatchRules, Side


class Phase(StrEnum):
    READY = "ready"  # before the first question
    QUESTION = "question"  # question shown, host reading, buzzers closed
    COUNTDOWN = "countdown"  # 3-2-1 (or the synchronised-opening lead) before buzzing opens
    BUZZING = "buzzing"  # 开始: buzzers open
    ARBITRATING = "arbitrating"  # first buzz in; waiting the commit window for closer presses
    TIE = "tie"  # too close to call; the host decides
    ANSWERING = "answering"  # one side is answering
    RESULT = "result"  # question concluded (correct, void); 解析 on screen
    FINISHED = "finished"  # the match is over


class Termination(StrEnum):
    GAMES = "games"  # a side won games_to_win games
    FORFEIT = "forfeit"  # ended by the host with a winner (弃权)
    ABANDONED = "abandoned"  # ended by the host without a winner


@dataclass(frozen=True, slots=True)
class Outcome:
    winner: Side | None
    termination: Termination
    red: int
    blue: int
    reason: str = ""


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    question_id: str
    kind: str
    answer: tuple[str, ...]
    option_count: int
    answer_time_ms: int | None
    #: A multiple-choice question (see :class:`quiz.engine.commands.ShowQuestion`).
    multiple: bool = False


@dataclass(frozen=True, slots=True)
class BuzzRecord:
    """A buzz that counted for a race: ``order`` breaks exact ties by arrival."""

    side: Side
    device_id: str
    arrived_at: int
    press_at: int
    uncertainty_ms: int
    order: int
    claim_at: int | None = None  # a clamped claim still honestly explainable (see Buzz)


@dataclass(frozen=True, slots=True)
class Violation:
    side: Side
    device_id: str
    at: int
    early_ms: int | None


@dataclass(frozen=True, slots=True)
class Attempt:
    """One answer: who, whether it was a rebound, the verdict and who gave it."""

    side: Side
    rebound: bool
    correct: bool
    by: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Play:
    """The question in play (from 显示题目 until the next question)."""

    spec: QuestionSpec
    number: int
    shown_at: int
    eligible: frozenset[Side] = frozenset({Side.RED, Side.BLUE})
    opens_at: int | None = None
    buzz_deadline: int | None = None
    rebound: bool = False
    lockouts: frozenset[Side] = frozenset()
    candidates: tuple[BuzzRecord, ...] = ()
    arbitration_until: int | None = None
    buzzes: tuple[BuzzRecord, ...] = ()
    violations: tuple[Violation, ...] = ()
    tied: tuple[Side, ...] = ()
    answering: Side | None = None
    answer_deadline: int | None = None
    begin_deadline: int | None = None
    begun: bool = False
    attempts: tuple[Attempt, ...] = ()
    winner: Side | None = None
    void_reason: str | None = None
    arrivals: int = 0


@dataclass(frozen=True, slots=True)
class QuestionRecord:
    question_id: str
    number: int
    winner: Side | None
    void_reason: str | None
    attempts: tuple[Attempt, ...]
    buzzes: tuple[BuzzRecord, ...]
    violations: tuple[Violation, ...]


@dataclass(frozen=True, slots=True)
class GameRecord:
    number: int
    winner: Side | None = None
    questions: tuple[QuestionRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class UndoPoint:
    """The state just before an undoable host command, and when that command came."""

    state: MatchState
    at: int
    command: str


@dataclass(frozen=True, slots=True)
class MatchState:
    rules: MatchRules
    phase: Phase = Phase.READY
    seq: int = 0
    games: tuple[GameRecord, ...] = ()
    adjust_red: int = 0
    adjust_blue: int = 0
    play: Play | None = None
    paused_at: int | None = None
    outcome: Outcome | None = None
    devices: tuple[tuple[str, Side], ...] = ()
    undo: tuple[UndoPoint, ...] = field(default=(), repr=False)

    # --- derived values --------------------------------------------------------------------

    def score(self, side: Side) -> int:
        won = sum(1 for g in self.games if g.winner is side)
        return won + (self.adjust_red if side is Side.RED else self.adjust_blue)

    @property
    def game_no(self) -> int:
        return len(self.games)

    @property
    def game_over(self) -> bool:
        """The current game has been decided (the next question starts a new game)."""
        return not self.games or self.games[-1].winner is not None

    def side_of(self, device_id: str) -> Side | None:
        for dev, side in self.devices:
            if dev == device_id:
                return side
        return None

    @property
    def match_point(self) -> tuple[Side, ...]:
        if self.phase is Phase.FINISHED:
            return ()
        target = self.rules.games_to_win - 1
        return tuple(s for s in (Side.RED, Side.BLUE) if self.score(s) == target)

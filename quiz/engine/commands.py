"""Commands: everything that can be asked of a match. Host commands may raise
:class:`~quiz.engine.errors.IllegalCommand`; player commands and ``Tick`` never do (an early,
late or duplicate buzz is an event, not an exception).

Every command is a frozen dataclass; its time is not part of it but passed to
:meth:`quiz.engine.Match.apply`, so the log stores ``(command, now_ms)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.engine.rules import Side


@dataclass(frozen=True, slots=True)
class Command:
    """Base class of every command."""

    #: Host commands are the ones an undo can take back.
    undoable = False
    host = True


# --- host commands -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShowQuestion(Command):
    """Show the next question (buzzers stay closed while the host reads it).

    ``kind`` is ``"choice"`` (auto-judged against ``answer`` letters when answered on the phone)
    or ``"open"`` (judged by the host). ``answer_time_ms`` overrides the rules for this question.
    ``multiple`` marks a choice question whose key is a set of letters: the phone sends the
    whole set at once and it is judged as a set. It defaults to False so that logs written
    before it existed replay unchanged.
    """

    question_id: str
    kind: str = "open"
    answer: tuple[str, ...] = ()
    option_count: int = 0
    answer_time_ms: int | None = None
    multiple: bool = False
    undoable = True


@dataclass(frozen=True, slots=True)
class OpenBuzzing(Command):
    """开始: open buzzing now, or after the pre-countdown / synchronised-opening lead."""

    undoable = True


@dataclass(frozen=True, slots=True)
class BeginAnswer(Command):
    """The answering side has started to answer (for the optional "must begin within" rule)."""

    undoable = True


@dataclass(frozen=True, slots=True)
class Judge(Command):
    """The host's verdict on the current answer."""

    correct: bool
    undoable = True


@dataclass(frozen=True, slots=True)
class Void(Command):
    """本题作废: the current question does not count."""

    undoable = True


@dataclass(frozen=True, slots=True)
class Override(Command):
    """Change the outcome of the question just concluded: ``winner`` takes it, or None voids it."""

    winner: Side | None
    undoable = True


@dataclass(frozen=True, slots=True)
class AdjustGames(Command):
    """Correct a side's games won by ``delta`` (between questions)."""

    side: Side
    delta: int
    undoable = True


@dataclass(frozen=True, slots=True)
class ResolveTie(Command):
    """The host awards a too-close-to-call buzz race to ``side``."""

    side: Side
    undoable = True


@dataclass(frozen=True, slots=True)
class EndMatch(Command):
    """End the match early: abandoned (no winner) or forfeited to ``winner``."""

    reason: str
    winner: Side | None = None
    undoable = True


@dataclass(frozen=True, slots=True)
class Pause(Command):
    """暂停: freeze every running deadline."""


@dataclass(frozen=True, slots=True)
class Resume(Command):
    """继续: resume with the time that was left."""


@dataclass(frozen=True, slots=True)
class Undo(Command):
    """撤销: take back the most recent undoable host command."""


@dataclass(frozen=True, slots=True)
class BindDevice(Command):
    """Give ``side`` a buzzer device (a side may have several; rebinding moves a device)."""

    side: Side
    device_id: str


@dataclass(frozen=True, slots=True)
class UnbindDevice(Command):
    """Cut a device off its side."""

    device_id: str


# --- player commands and time ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Buzz(Command):
    """A contestant pressed the buzzer.

    ``press_at`` is the press time on the server clock if the transport could estimate it
    (fair buzzing), else None and the arrival time counts. ``uncertainty_ms`` is how far that
    estimate may be off; races closer than that are declared ties. ``claim_at`` is the press
    time the device claimed when the transport moved it (a clamp) and the claim is still
    honestly explainable: a race that ranking by it would not give to the same side by more
    than the uncertainty is too close to call, and the host decides.
    """

    device_id: str
    press_at: int | None = None
    uncertainty_ms: int = 0
    claim_at: int | None = None
    host = False


@dataclass(frozen=True, slots=True)
class SubmitChoice(Command):
    """The answering contestant picked option letter(s) on the phone."""

    device_id: str
    choices: tuple[str, ...]
    host = False


@dataclass(frozen=True, slots=True)
class Tick(Command):
    """Let time pass: expire the deadlines due by ``now``."""

    host = False


ALL_COMMANDS: tuple[type[Command], ...] = (
    ShowQuestion,
    OpenBuzzing,
    BeginAnswer,
    Judge,
    Void,
    Override,
    AdjustGames,
    ResolveTie,
    EndMatch,
    Pause,
    Resume,
    Undo,
    BindDevice,
    UnbindDevice,
    Buzz,
    SubmitChoice,
    Tick,
)

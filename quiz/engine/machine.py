"""The match state machine: ``Match.apply(command, now) -> events``.

Pure: no clock reads, no I/O, no threads. Time comes in with every command and deadlines are
stored as absolute server times; :class:`~quiz.engine.commands.Tick` (or any later command)
expires them. Because an expiry takes effect at the deadline itself, not at the moment of the
tick that noticed it, replaying the logged ``(command, now)`` pairs reproduces the exact state
however often the transport ticked.

Which host command is legal in which phase is one table, :data:`ALLOWED` (in the spirit of
h11's transition table). An illegal host command raises
:class:`~quiz.engine.errors.IllegalCommand` and changes nothing: every transition builds a new
immutable :class:`~quiz.engine.state.MatchState` and only a fully successful one replaces the
current state.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from quiz.engine import commands as C
from quiz.engine import events as E
from quiz.engine.errors import IllegalCommand
from quiz.engine.rules import EarlyPenalty, MatchRules, OpenMode, Rebound, Side, TieRule
from quiz.engine.state import (
    Attempt,
    BuzzRecord,
    GameRecord,
    MatchState,
    Outcome,
    Phase,
    Play,
    QuestionRecord,
    QuestionSpec,
    Termination,
    UndoPoint,
    Violation,
)

_LIVE = frozenset(
    {
        Phase.QUESTION,
        Phase.COUNTDOWN,
        Phase.BUZZING,
        Phase.ARBITRATING,
        Phase.TIE,
        Phase.ANSWERING,
    }
)
_ALL = frozenset(Phase)
_NOT_FINISHED = _ALL - {Phase.FINISHED}

#: Host command -> phases in which it is legal. Player commands and Tick are legal everywhere
#: (they answer with events instead of raising).
ALLOWED: dict[type[C.Command], frozenset[Phase]] = {
    C.ShowQuestion: frozenset({Phase.READY, Phase.RESULT}),
    C.OpenBuzzing: frozenset({Phase.QUESTION}),
    C.BeginAnswer: frozenset({Phase.ANSWERING}),
    C.Judge: frozenset({Phase.ANSWERING}),
    C.Void: _LIVE,
    C.Override: frozenset({Phase.RESULT, Phase.FINISHED}),
    C.AdjustGames: frozenset({Phase.READY, Phase.RESULT}),
    C.ResolveTie: frozenset({Phase.TIE}),
    C.EndMatch: _NOT_FINISHED,
    C.Pause: _LIVE,
    C.Resume: _LIVE,
    C.Undo: _ALL,
    C.BindDevice: _ALL,
    C.UnbindDevice: _ALL,
    C.Buzz: _ALL,
    C.SubmitChoice: _ALL,
    C.Tick: _ALL,
}

#: Commands still accepted while the match is paused.
ALLOWED_WHILE_PAUSED: frozenset[type[C.Command]] = frozenset(
    {
        C.Resume,
        C.Undo,
        C.Void,
        C.EndMatch,
        C.BindDevice,
        C.UnbindDevice,
        C.Buzz,
        C.SubmitChoice,
        C.Tick,
    }
)

_MAX_ID = 100
_MAX_EXPIRIES = 32  # more deadlines than a state can hold; guards against a logic loop
_LETTERS = string.ascii_uppercase

Result = tuple[MatchState, list[E.Event]]


def _illegal(code: str, message: str) -> IllegalCommand:
    return IllegalCommand(code, message)


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX_ID and value.isprintable()


def _sides(sides: Iterable[Side]) -> tuple[Side, ...]:
    return tuple(s for s in (Side.RED, Side.BLUE) if s in set(sides))


def _play(state: MatchState) -> Play:
    if state.play is None:  # the phase table makes this unreachable; keep mypy and us honest
        raise _illegal("no_question", "no question is in play")
    return state.play


class Match:
    """One head-to-head match. Not thread-safe: the transport serialises commands."""

    def __init__(self, rules: MatchRules | None = None) -> None:
        self._state = MatchState(rules=rules or MatchRules())
        self._log: list[tuple[C.Command, int]] = []
        self._clock = 0

    # --- reading -------------------------------------------------------------------------

    @property
    def state(self) -> MatchState:
        return self._state

    @property
    def rules(self) -> MatchRules:
        return self._state.rules

    @property
    def phase(self) -> Phase:
        return self._state.phase

    @property
    def seq(self) -> int:
        return self._state.seq

    @property
    def outcome(self) -> Outcome | None:
        return self._state.outcome

    @property
    def paused(self) -> bool:
        return self._state.paused_at is not None

    @property
    def log(self) -> list[tuple[C.Command, int]]:
        """Every accepted command with its time, in order (a copy)."""
        return list(self._log)

    def next_deadline(self) -> int | None:
        """When ``Tick`` would next change something, or None if nothing is running."""
        if self._state.paused_at is not None:
            return None
        due = _due(self._state)
        return None if due is None else due[0]

    def snapshot(self) -> dict[str, Any]:
        from quiz.engine.snapshot import snapshot

        return snapshot(self._state, self._clock)

    # --- changing --------------------------------------------------------------------------

    def apply(self, command: C.Command, now: int) -> list[E.Event]:
        """Apply ``command`` at server time ``now`` (ms) and return what happened.

        Raises :class:`IllegalCommand` for a host command the rules forbid now; the match is
        then unchanged. Time never runs backwards: an earlier ``now`` counts as the latest seen.
        """
        if not isinstance(command, C.Command) or type(command) not in ALLOWED:
            raise TypeError(f"not a command: {command!r}")
        if type(now) is not int:
            raise TypeError("now must be an int (milliseconds)")
        now = max(now, self._clock)
        before = self._state
        state, events = _advance(before, now)
        state, more = _handle(state, command, now)
        events.extend(more)
        if not events:
            return []
        if command.undoable:
            point = UndoPoint(state=_advanced_base(before, now), at=now, command=_name(command))
            state = replace(state, undo=(*before.undo, point))
        self._state = replace(state, seq=before.seq + 1)
        self._clock = now
        self._log.append((command, now))
        return events

    @classmethod
    def replay(cls, rules: MatchRules, log: Iterable[tuple[C.Command, int]]) -> Match:
        """Rebuild a match from its log; a command that no longer applies raises."""
        match = cls(rules)
        for command, now in log:
            match.apply(command, now)
        return match


def _name(command: C.Command) -> str:
    from quiz.engine.serde import type_name

    return type_name(type(command))


def _advanced_base(state: MatchState, now: int) -> MatchState:
    """The state an undo returns to: the one the command saw, after deadlines due by ``now``."""
    return _advance(state, now)[0]


# --- time ---------------------------------------------------------------------------------


def _due(state: MatchState) -> tuple[int, str] | None:
    play = state.play
    if play is None:
        return None
    phase = state.phase
    if phase is Phase.QUESTION and play.opens_at is not None:
        return play.opens_at, "open"
    if phase is Phase.COUNTDOWN and play.opens_at is not None:
        return play.opens_at, "open"
    if phase is Phase.BUZZING and play.buzz_deadline is not None:
        return play.buzz_deadline, "buzz_timeout"
    if phase is Phase.ARBITRATING and play.arbitration_until is not None:
        return play.arbitration_until, "arbitrate"
    if phase is Phase.ANSWERING:
        options = []
        if play.begin_deadline is not None:
            options.append((play.begin_deadline, "no_start"))
        if play.answer_deadline is not None:
            options.append((play.answer_deadline, "answer_timeout"))
        return min(options) if options else None
    return None


def _advance(state: MatchState, now: int) -> Result:
    events: list[E.Event] = []
    for _ in range(_MAX_EXPIRIES):
        if state.paused_at is not None:
            break
        due = _due(state)
        if due is None or due[0] > now:
            break
        at, kind = due
        if kind == "open":
            state, evs = _open(state, at)
        elif kind == "buzz_timeout":
            reason = "rebound_no_buzz" if _play(state).rebound else "no_buzz"
            state, evs = _conclude(state, at, None, reason)
        elif kind == "arbitrate":
            state, evs = _decide(state, at)
        else:
            state, evs = _judged(state, at, correct=False, by="timeout")
        events.extend(evs)
    return state, events


def _shift(state: MatchState, delta: int) -> MatchState:
    """Move every running deadline by ``delta`` ms (pause/resume, undo); history stays put."""
    if delta == 0:
        return state
    play = state.play

    def moved(t: int | None) -> int | None:
        return None if t is None else t + delta

    if play is not None:
        play = replace(
            play,
            opens_at=moved(play.opens_at)
            if state.phase in (Phase.QUESTION, Phase.COUNTDOWN)
            else play.opens_at,
            buzz_deadline=moved(play.buzz_deadline),
            arbitration_until=moved(play.arbitration_until),
            answer_deadline=moved(play.answer_deadline),
            begin_deadline=moved(play.begin_deadline),
        )
    return replace(state, play=play, paused_at=moved(state.paused_at))


# --- dispatch -------------------------------------------------------------------------------


def _handle(state: MatchState, cmd: C.Command, now: int) -> Result:
    kind = type(cmd)
    if state.paused_at is not None and kind not in ALLOWED_WHILE_PAUSED:
        raise _illegal("paused", f"{_name(cmd)} is not allowed while the match is paused")
    if state.phase not in ALLOWED[kind]:
        raise _illegal("wrong_phase", f"{_name(cmd)} is not allowed in phase {state.phase.value}")
    if isinstance(cmd, C.Buzz):
        return _buzz(state, cmd, now)
    if isinstance(cmd, C.SubmitChoice):
        return _choice(state, cmd, now)
    if isinstance(cmd, C.Tick):
        return state, []
    if isinstance(cmd, C.ShowQuestion):
        return _show(state, cmd, now)
    if isinstance(cmd, C.OpenBuzzing):
        return _open_command(state, now)
    if isinstance(cmd, C.BeginAnswer):
        return _begin(state, now)
    if isinstance(cmd, C.Judge):
        if type(cmd.correct) is not bool:
            raise _illegal("bad_command", "correct must be true or false")
        return _judged(state, now, correct=cmd.correct, by="host")
    if isinstance(cmd, C.Void):
        state, events = _conclude(state, now, None, "host")
        return replace(state, paused_at=None), events
    if isinstance(cmd, C.Override):
        return _override(state, cmd, now)
    if isinstance(cmd, C.AdjustGames):
        return _adjust(state, cmd, now)
    if isinstance(cmd, C.ResolveTie):
        return _resolve_tie(state, cmd, now)
    if isinstance(cmd, C.EndMatch):
        return _end(state, cmd, now)
    if isinstance(cmd, C.Pause):
        if state.paused_at is not None:
            raise _illegal("already_paused", "the match is already paused")
        return replace(state, paused_at=now), [E.Paused(at=now)]
    if isinstance(cmd, C.Resume):
        if state.paused_at is None:
            raise _illegal("not_paused", "the match is not paused")
        paused_ms = now - state.paused_at
        state = replace(_shift(state, paused_ms), paused_at=None)
        return state, [E.Resumed(at=now, paused_ms=paused_ms)]
    if isinstance(cmd, C.Undo):
        return _undo(state, now)
    if isinstance(cmd, C.BindDevice):
        return _bind(state, cmd, now)
    if isinstance(cmd, C.UnbindDevice):
        return _unbind(state, cmd, now)
    raise TypeError(f"unhandled command {cmd!r}")  # pragma: no cover - ALLOWED is exhaustive


# --- questions and buzzing ----------------------------------------------------------------


def _check_spec(cmd: C.ShowQuestion) -> QuestionSpec:
    if not _valid_id(cmd.question_id):
        raise _illegal("bad_question", "question_id must be a short printable string")
    if cmd.kind not in ("choice", "open"):
        raise _illegal("bad_question", "kind must be 'choice' or 'open'")
    answer = tuple(cmd.answer)
    if cmd.kind == "choice":
        if type(cmd.option_count) is not int or not 2 <= cmd.option_count <= len(_LETTERS):
            raise _illegal("bad_question", "a choice question needs 2 to 26 options")
        letters = _LETTERS[: cmd.option_count]
        if not answer or len(set(answer)) != len(answer) or any(a not in letters for a in answer):
            raise _illegal("bad_question", "the answer must be distinct letters of the options")
    elif not all(isinstance(a, str) for a in answer):
        raise _illegal("bad_question", "accepted answers must be strings")
    if type(cmd.multiple) is not bool or (cmd.multiple and cmd.kind != "choice"):
        raise _illegal("bad_question", "only a choice question can be multiple")
    limit = cmd.answer_time_ms
    if limit is not None and (type(limit) is not int or not 1_000 <= limit <= 600_000):
        raise _illegal("bad_question", "answer_time_ms must be from 1000 to 600000")
    return QuestionSpec(cmd.question_id, cmd.kind, answer, cmd.option_count, limit, cmd.multiple)


def _show(state: MatchState, cmd: C.ShowQuestion, now: int) -> Result:
    spec = _check_spec(cmd)
    games = state.games
    if state.game_over:
        games = (*games, GameRecord(number=len(games) + 1))
    number = len(games[-1].questions) + 1
    play = Play(spec=spec, number=number, shown_at=now)
    if state.rules.open_mode is OpenMode.AUTO:
        play = replace(play, opens_at=now + state.rules.reading_time_ms)
    state = replace(state, games=games, play=play, phase=Phase.QUESTION)
    return state, [
        E.QuestionShown(at=now, question_id=spec.question_id, game=len(games), number=number)
    ]


def _open_command(state: MatchState, now: int) -> Result:
    delay = state.rules.open_delay_ms
    if delay == 0:
        return _open(state, now)
    play = replace(_play(state), opens_at=now + delay)
    state = replace(state, play=play, phase=Phase.COUNTDOWN)
    return state, [E.CountdownStarted(at=now, opens_at=now + delay)]


def _open(state: MatchState, at: int) -> Result:
    play = _play(state)
    deadline = at + state.rules.buzz_window_ms
    play = replace(play, opens_at=at, buzz_deadline=deadline)
    state = replace(state, play=play, phase=Phase.BUZZING)
    return state, [
        E.BuzzingOpened(at=at, deadline=deadline, sides=_sides(play.eligible), rebound=False)
    ]


def _buzz(state: MatchState, cmd: C.Buzz, now: int) -> Result:
    device = cmd.device_id
    side = state.side_of(device) if isinstance(device, str) else None
    if side is None:
        return state, [
            E.BuzzRejected(at=now, device_id=str(device)[:_MAX_ID], reason="unknown_device")
        ]
    if state.paused_at is not None:
        return state, [E.BuzzRejected(at=now, device_id=device, reason="paused", side=side)]
    press = cmd.press_at if type(cmd.press_at) is int else now
    press = min(press, now)  # a press cannot happen after it arrived
    phase = state.phase
    play = state.play
    if phase in (Phase.QUESTION, Phase.COUNTDOWN) and play is not None:
        early = None if play.opens_at is None else play.opens_at - press
        return _early(state, side, device, early, now)
    if phase not in (Phase.BUZZING, Phase.ARBITRATING) or play is None:
        reason = "late" if phase in (Phase.ANSWERING, Phase.TIE) else "closed"
        return state, [E.BuzzRejected(at=now, device_id=device, reason=reason, side=side)]
    opens_at = play.opens_at if play.opens_at is not None else now
    if press < opens_at:
        return _early(state, side, device, opens_at - press, now)
    if side not in play.eligible:
        return state, [E.BuzzRejected(at=now, device_id=device, reason="not_eligible", side=side)]
    if any(c.side is side for c in play.candidates):
        return state, [E.BuzzRejected(at=now, device_id=device, reason="duplicate", side=side)]
    if side in play.lockouts and press < opens_at + state.rules.lockout_ms:
        return state, [E.BuzzRejected(at=now, device_id=device, reason="locked_out", side=side)]
    uncertainty = cmd.uncertainty_ms if type(cmd.uncertainty_ms) is int else 0
    claim = cmd.claim_at if type(cmd.claim_at) is int else None
    record = BuzzRecord(side, device, now, press, max(0, uncertainty), play.arrivals, claim)
    play = replace(play, arrivals=play.arrivals + 1, candidates=(*play.candidates, record))
    state = replace(state, play=play)
    window = state.rules.commit_window_ms
    if window == 0:
        return _decide(state, now)
    events: list[E.Event] = [E.BuzzAccepted(at=now, side=side, device_id=device, press_at=press)]
    if phase is Phase.BUZZING:
        play = replace(play, arbitration_until=now + window)
        state = replace(state, play=play, phase=Phase.ARBITRATING)
        events.append(E.ArbitrationStarted(at=now, until=now + window))
    if {c.side for c in play.candidates} >= play.eligible:
        # Every side that may still buzz has buzzed: nothing in flight can change the ranking.
        state, more = _decide(state, now)
        events.extend(more)
    return state, events


def _early(state: MatchState, side: Side, device: str, early_ms: int | None, now: int) -> Result:
    play = _play(state)
    if side not in play.eligible:
        return state, [E.BuzzRejected(at=now, device_id=device, reason="not_eligible", side=side)]
    penalty = state.rules.early_penalty
    play = replace(play, violations=(*play.violations, Violation(side, device, now, early_ms)))
    state = replace(state, play=play)
    events: list[E.Event] = [
        E.EarlyBuzz(at=now, side=side, device_id=device, early_ms=early_ms, penalty=penalty.value)
    ]
    if penalty is EarlyPenalty.LOSE_GAME:
        state, more = _conclude(state, now, side.other, "early_buzz")
        return state, events + more
    if penalty is EarlyPenalty.LOCKOUT:
        return replace(state, play=replace(play, lockouts=play.lockouts | {side})), events
    play = replace(play, eligible=play.eligible - {side})
    state = replace(state, play=play)
    if not play.eligible:
        state, more = _conclude(state, now, None, "both_early")
        events.extend(more)
    elif state.phase is Phase.ARBITRATING and {c.side for c in play.candidates} >= play.eligible:
        state, more = _decide(state, now)
        events.extend(more)
    return state, events


def _decide(state: MatchState, at: int) -> Result:
    """Rank the buzzes of the race by press time; arrival order breaks exact ties."""
    play = _play(state)
    ranked = sorted(play.candidates, key=lambda c: (c.press_at, c.order))
    first = ranked[0]
    runner = next((c for c in ranked[1:] if c.side is not first.side), None)
    play = replace(play, buzzes=(*play.buzzes, *ranked), arbitration_until=None)
    state = replace(state, play=play)
    if runner is None:
        return _award(state, first, at, None, None)
    gap = runner.press_at - first.press_at
    uncertainty = max(first.uncertainty_ms, runner.uncertainty_ms)
    if gap < uncertainty:
        return _tie(state, first, runner, gap, at)
    if _claimed(runner) - _claimed(first) < uncertainty or (
        _claimed(runner) == _claimed(first) and uncertainty == 0 and runner.order < first.order
    ):
        # A clamp alone put the first press ahead: the phones' own (honestly explainable)
        # claims do not. The clamp never decides a race by itself; the host does, whatever
        # the tie rule (a draw would hand a forger half of these).
        return _tie(state, first, runner, gap, at, TieRule.HOST)
    return _award(state, first, at, gap, runner.side)


def _claimed(record: BuzzRecord) -> int:
    return record.press_at if record.claim_at is None else record.claim_at


def _tie(
    state: MatchState,
    first: BuzzRecord,
    runner: BuzzRecord,
    gap: int,
    at: int,
    rule: TieRule | None = None,
) -> Result:
    rule = state.rules.tie_rule if rule is None else rule
    sides = _sides((first.side, runner.side))
    events: list[E.Event] = [E.TieDeclared(at=at, sides=sides, gap_ms=gap, rule=rule.value)]
    play = _play(state)
    if rule is TieRule.HOST:
        play = replace(play, tied=sides, candidates=(first, runner))
        return replace(state, play=play, phase=Phase.TIE), events
    if rule is TieRule.RANDOM:
        seed = f"{state.rules.seed}|{state.game_no}|{play.number}|{len(play.buzzes)}"
        pick = random.Random(seed).choice(sides)
        chosen = first if first.side is pick else runner
        state, more = _award(state, chosen, at, gap, chosen.side.other)
        return state, events + more
    # REPLAY: the same question again from the top; earlier penalties still stand.
    fresh = Play(
        spec=play.spec,
        number=play.number,
        shown_at=at,
        eligible=play.eligible,
        lockouts=play.lockouts,
        violations=play.violations,
        buzzes=play.buzzes,
        arrivals=play.arrivals,
    )
    if state.rules.open_mode is OpenMode.AUTO:
        fresh = replace(fresh, opens_at=at + state.rules.reading_time_ms)
    state = replace(state, play=fresh, phase=Phase.QUESTION)
    events.append(
        E.QuestionShown(
            at=at, question_id=play.spec.question_id, game=state.game_no, number=play.number
        )
    )
    return state, events


def _award(
    state: MatchState, record: BuzzRecord, at: int, margin: int | None, runner: Side | None
) -> Result:
    play = replace(_play(state), candidates=(), tied=())
    state = replace(state, play=play)
    won = E.BuzzWon(
        at=at,
        side=record.side,
        device_id=record.device_id,
        press_at=record.press_at,
        margin_ms=margin,
        runner_up=runner,
    )
    # A buzz in the rebound window (rebound 'buzz') starts the rebound answer.
    state, events = _start_answer(state, record.side, at, rebound=play.rebound)
    return state, [won, *events]


def _resolve_tie(state: MatchState, cmd: C.ResolveTie, now: int) -> Result:
    play = _play(state)
    if cmd.side not in play.tied:
        raise _illegal("not_tied", "that side is not in the tie")
    chosen = next(c for c in play.candidates if c.side is cmd.side)
    other = next(c for c in play.candidates if c.side is not cmd.side)
    return _award(state, chosen, now, abs(other.press_at - chosen.press_at), other.side)


# --- answering ------------------------------------------------------------------------------


def _start_answer(state: MatchState, side: Side, at: int, rebound: bool) -> Result:
    rules = state.rules
    play = _play(state)
    if rebound:
        limit = rules.rebound_answer_time_ms
    else:
        limit = play.spec.answer_time_ms or rules.answer_time_ms
    begin = None if rules.answer_begin_ms is None else at + rules.answer_begin_ms
    play = replace(
        play,
        answering=side,
        rebound=rebound,
        answer_deadline=at + limit,
        begin_deadline=begin,
        begun=False,
        buzz_deadline=None,
    )
    state = replace(state, play=play, phase=Phase.ANSWERING)
    return state, [E.AnswerStarted(at=at, side=side, deadline=at + limit, rebound=rebound)]


def _begin(state: MatchState, now: int) -> Result:
    play = _play(state)
    if play.begun:
        raise _illegal("already_begun", "the answer has already begun")
    side = play.answering
    assert side is not None
    play = replace(play, begun=True, begin_deadline=None)
    return replace(state, play=play), [E.AnswerBegun(at=now, side=side)]


def _choice(state: MatchState, cmd: C.SubmitChoice, now: int) -> Result:
    device = cmd.device_id
    side = state.side_of(device) if isinstance(device, str) else None

    def rejected(reason: str) -> Result:
        return state, [
            E.BuzzRejected(at=now, device_id=str(device)[:_MAX_ID], reason=reason, side=side)
        ]

    if side is None:
        return rejected("unknown_device")
    if state.paused_at is not None:
        return rejected("paused")
    play = state.play
    if state.phase is not Phase.ANSWERING or play is None:
        return rejected("not_answering")
    if play.answering is not side:
        return rejected("not_your_turn")
    if play.spec.kind != "choice":
        return rejected("open_question")
    letters = _LETTERS[: play.spec.option_count]
    choices = cmd.choices
    if (
        not isinstance(choices, tuple)
        or not choices
        or len(set(choices)) != len(choices)
        or any(not isinstance(c, str) or c not in letters for c in choices)
    ):
        return rejected("bad_choice")
    correct = sorted(choices) == sorted(play.spec.answer)
    submitted = E.ChoiceSubmitted(at=now, side=side, device_id=device, choices=choices)
    state, events = _judged(state, now, correct=correct, by="phone", choices=choices)
    return state, [submitted, *events]


def _judged(
    state: MatchState, at: int, correct: bool, by: str, choices: tuple[str, ...] = ()
) -> Result:
    play = _play(state)
    side = play.answering
    assert side is not None
    play = replace(
        play, attempts=(*play.attempts, Attempt(side, play.rebound, correct, by, choices))
    )
    state = replace(state, play=play)
    events: list[E.Event] = [
        E.AnswerJudged(at=at, side=side, correct=correct, by=by, rebound=play.rebound)
    ]
    if correct:
        state, more = _conclude(state, at, side, "correct")
        return state, events + more
    rule = state.rules.rebound
    other = side.other
    if play.rebound:
        state, more = _conclude(state, at, None, "both_wrong")
    elif rule is Rebound.AWARD:
        state, more = _conclude(state, at, other, "wrong_awarded")
    elif rule is Rebound.NONE or other not in play.eligible:
        state, more = _conclude(state, at, None, "wrong_no_rebound")
    elif rule is Rebound.DIRECT:
        state, more = _start_answer(state, other, at, rebound=True)
        more = [E.ReboundOffered(at=at, side=other, mode=rule.value), *more]
    else:  # Rebound.BUZZ: only the opponent may buzz, within the rebound window
        deadline = at + state.rules.rebound_buzz_window_ms
        play = replace(
            play,
            eligible=frozenset({other}),
            lockouts=frozenset(),
            rebound=True,
            answering=None,
            answer_deadline=None,
            begin_deadline=None,
            opens_at=at,
            buzz_deadline=deadline,
        )
        state = replace(state, play=play, phase=Phase.BUZZING)
        more = [
            E.ReboundOffered(at=at, side=other, mode=rule.value),
            E.BuzzingOpened(at=at, deadline=deadline, sides=(other,), rebound=True),
        ]
    return state, events + more


# --- concluding -----------------------------------------------------------------------------


def _record(play: Play) -> QuestionRecord:
    return QuestionRecord(
        question_id=play.spec.question_id,
        number=play.number,
        winner=play.winner,
        void_reason=play.void_reason,
        attempts=play.attempts,
        buzzes=play.buzzes,
        violations=play.violations,
    )


def _conclude(state: MatchState, at: int, winner: Side | None, reason: str) -> Result:
    """The question is over: ``winner`` wins the game, or (None) the question is void."""
    play = replace(
        _play(state),
        winner=winner,
        void_reason=None if winner else reason,
        answering=None,
        candidates=(),
        tied=(),
        buzz_deadline=None,
        arbitration_until=None,
        answer_deadline=None,
        begin_deadline=None,
    )
    game = state.games[-1]
    game = replace(game, winner=winner, questions=(*game.questions, _record(play)))
    state = replace(state, play=play, games=(*state.games[:-1], game))
    if winner is None:
        return replace(state, phase=Phase.RESULT), [E.QuestionVoided(at=at, reason=reason)]
    return _after_score(state, at, [_game_won(state, winner, at)])


def _game_won(state: MatchState, side: Side, at: int) -> E.GameWon:
    return E.GameWon(
        at=at,
        side=side,
        game=state.game_no,
        red=state.score(Side.RED),
        blue=state.score(Side.BLUE),
    )


def _after_score(state: MatchState, at: int, events: list[E.Event]) -> Result:
    """Finish the match if a side reached games_to_win, else announce any match point."""
    red, blue = state.score(Side.RED), state.score(Side.BLUE)
    target = state.rules.games_to_win
    for side, score in ((Side.RED, red), (Side.BLUE, blue)):
        if score >= target:
            outcome = Outcome(side, Termination.GAMES, red, blue)
            state = replace(state, phase=Phase.FINISHED, outcome=outcome, paused_at=None)
            return state, [*events, E.MatchWon(at=at, side=side, red=red, blue=blue)]
    state = replace(state, phase=Phase.RESULT if state.play else Phase.READY, outcome=None)
    if state.match_point:
        events.append(E.MatchPoint(at=at, sides=state.match_point))
    return state, events


def _override(state: MatchState, cmd: C.Override, now: int) -> Result:
    if cmd.winner is not None and not isinstance(cmd.winner, Side):
        raise _illegal("bad_command", "winner must be red, blue or null")
    if state.outcome is not None and state.outcome.termination is not Termination.GAMES:
        raise _illegal("not_overridable", "the match was ended by the host; use undo")
    if not state.games or not state.games[-1].questions or state.play is None:
        raise _illegal("nothing_to_override", "no question has been concluded yet")
    game = state.games[-1]
    last = game.questions[-1]
    old = last.winner
    if old is cmd.winner:
        raise _illegal("no_change", "the question already has that outcome")
    reason = None if cmd.winner else "override"
    last = replace(last, winner=cmd.winner, void_reason=reason)
    game = replace(game, winner=cmd.winner, questions=(*game.questions[:-1], last))
    play = replace(state.play, winner=cmd.winner, void_reason=reason)
    state = replace(state, games=(*state.games[:-1], game), play=play, outcome=None)
    events: list[E.Event] = [E.Overridden(at=now, old_winner=old, new_winner=cmd.winner)]
    if cmd.winner is None:
        state = replace(state, phase=Phase.RESULT)
        return state, [*events, E.QuestionVoided(at=now, reason="override")]
    return _after_score(state, now, [*events, _game_won(state, cmd.winner, now)])


def _adjust(state: MatchState, cmd: C.AdjustGames, now: int) -> Result:
    if not isinstance(cmd.side, Side) or type(cmd.delta) is not int or cmd.delta == 0:
        raise _illegal("bad_adjust", "adjust needs a side and a non-zero whole number")
    new = state.score(cmd.side) + cmd.delta
    if not 0 <= new <= state.rules.games_to_win:
        raise _illegal("bad_adjust", f"games must stay between 0 and {state.rules.games_to_win}")
    if cmd.side is Side.RED:
        state = replace(state, adjust_red=state.adjust_red + cmd.delta)
    else:
        state = replace(state, adjust_blue=state.adjust_blue + cmd.delta)
    adjusted = E.GamesAdjusted(
        at=now,
        side=cmd.side,
        delta=cmd.delta,
        red=state.score(Side.RED),
        blue=state.score(Side.BLUE),
    )
    return _after_score(state, now, [adjusted])


def _end(state: MatchState, cmd: C.EndMatch, now: int) -> Result:
    if not isinstance(cmd.reason, str) or len(cmd.reason) > 200:
        raise _illegal("bad_command", "reason must be a string of at most 200 characters")
    if cmd.winner is not None and not isinstance(cmd.winner, Side):
        raise _illegal("bad_command", "winner must be red, blue or null")
    termination = Termination.FORFEIT if cmd.winner else Termination.ABANDONED
    outcome = Outcome(
        cmd.winner, termination, state.score(Side.RED), state.score(Side.BLUE), cmd.reason
    )
    play = state.play
    if play is not None:
        play = replace(
            play,
            buzz_deadline=None,
            arbitration_until=None,
            answer_deadline=None,
            begin_deadline=None,
            opens_at=play.opens_at
            if state.phase not in (Phase.QUESTION, Phase.COUNTDOWN)
            else None,
        )
    state = replace(state, phase=Phase.FINISHED, outcome=outcome, play=play, paused_at=None)
    return state, [E.MatchEnded(at=now, reason=cmd.reason, winner=cmd.winner)]


def _undo(state: MatchState, now: int) -> Result:
    if not state.undo:
        raise _illegal("nothing_to_undo", "there is nothing to undo")
    point = state.undo[-1]
    restored = _shift(point.state, now - point.at)
    # Devices are not game state: an undo must not cut off a phone bound since.
    restored = replace(restored, devices=state.devices, seq=state.seq)
    return restored, [E.Undone(at=now, command=point.command, remaining=len(restored.undo))]


def _bind(state: MatchState, cmd: C.BindDevice, now: int) -> Result:
    if not isinstance(cmd.side, Side) or not _valid_id(cmd.device_id):
        raise _illegal("bad_command", "bind needs a side and a short printable device id")
    if state.side_of(cmd.device_id) is cmd.side:
        raise _illegal("already_bound", "that device already belongs to that side")
    devices = tuple(d for d in state.devices if d[0] != cmd.device_id)
    state = replace(state, devices=(*devices, (cmd.device_id, cmd.side)))
    return state, [E.DeviceBound(at=now, side=cmd.side, device_id=cmd.device_id)]


def _unbind(state: MatchState, cmd: C.UnbindDevice, now: int) -> Result:
    side = state.side_of(cmd.device_id) if isinstance(cmd.device_id, str) else None
    if side is None:
        raise _illegal("unknown_device", "that device is not bound to a side")
    devices = tuple(d for d in state.devices if d[0] != cmd.device_id)
    state = replace(state, devices=devices)
    return state, [E.DeviceUnbound(at=now, side=side, device_id=cmd.device_id)]

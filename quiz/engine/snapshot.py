"""The snapshot: one JSON-able dict that describes the whole match for any view.

The answer key sits in one place, ``snapshot["question"]["answer"]``, so that the transport's
per-role redaction is a single deletion. Deadlines are absolute server times; while paused,
``remaining_ms`` says how much each running deadline has left.
"""

from __future__ import annotations

from typing import Any

from quiz.engine.rules import Side
from quiz.engine.state import (
    Attempt,
    BuzzRecord,
    MatchState,
    Phase,
    Play,
    QuestionRecord,
    Violation,
)


def _buzz(b: BuzzRecord) -> dict[str, Any]:
    return {
        "side": b.side.value,
        "device": b.device_id,
        "arrived_at": b.arrived_at,
        "press_at": b.press_at,
        "uncertainty_ms": b.uncertainty_ms,
        "order": b.order,
    }


def _violation(v: Violation) -> dict[str, Any]:
    return {"side": v.side.value, "device": v.device_id, "at": v.at, "early_ms": v.early_ms}


def _attempt(a: Attempt) -> dict[str, Any]:
    return {
        "side": a.side.value,
        "rebound": a.rebound,
        "correct": a.correct,
        "by": a.by,
        "choices": list(a.choices),
    }


def _record(q: QuestionRecord) -> dict[str, Any]:
    return {
        "question_id": q.question_id,
        "number": q.number,
        "winner": q.winner.value if q.winner else None,
        "void_reason": q.void_reason,
        "attempts": [_attempt(a) for a in q.attempts],
        "buzzes": [_buzz(b) for b in q.buzzes],
        "violations": [_violation(v) for v in q.violations],
    }


def _deadlines(state: MatchState, play: Play) -> dict[str, int | None]:
    phase = state.phase
    return {
        "opens_at": play.opens_at,
        "buzz_deadline": play.buzz_deadline if phase is Phase.BUZZING else None,
        "arbitration_until": play.arbitration_until if phase is Phase.ARBITRATING else None,
        "answer_deadline": play.answer_deadline if phase is Phase.ANSWERING else None,
        "begin_deadline": play.begin_deadline if phase is Phase.ANSWERING else None,
    }


def _question(state: MatchState, play: Play) -> dict[str, Any]:
    deadlines = _deadlines(state, play)
    remaining = None
    if state.paused_at is not None:
        remaining = {
            k: v - state.paused_at
            for k, v in deadlines.items()
            if v is not None and v >= state.paused_at
        }
    return {
        "id": play.spec.question_id,
        "kind": play.spec.kind,
        "option_count": play.spec.option_count,
        "multiple": play.spec.multiple,
        "answer": list(play.spec.answer),
        "answer_time_ms": play.spec.answer_time_ms,
        "number": play.number,
        "shown_at": play.shown_at,
        **deadlines,
        "remaining_ms": remaining,
        "eligible": [s.value for s in (Side.RED, Side.BLUE) if s in play.eligible],
        "lockouts": [s.value for s in (Side.RED, Side.BLUE) if s in play.lockouts],
        "rebound": play.rebound,
        "answering": play.answering.value if play.answering else None,
        "begun": play.begun,
        "tied": [s.value for s in play.tied],
        "candidates": [_buzz(b) for b in play.candidates],
        "buzzes": [_buzz(b) for b in play.buzzes],
        "violations": [_violation(v) for v in play.violations],
        "attempts": [_attempt(a) for a in play.attempts],
        "winner": play.winner.value if play.winner else None,
        "void_reason": play.void_reason,
    }


def snapshot(state: MatchState, clock: int) -> dict[str, Any]:
    outcome = state.outcome
    return {
        "seq": state.seq,
        "clock": clock,
        "phase": state.phase.value,
        "paused": state.paused_at is not None,
        "paused_at": state.paused_at,
        "rules": state.rules.to_dict(),
        "score": {"red": state.score(Side.RED), "blue": state.score(Side.BLUE)},
        "games_to_win": state.rules.games_to_win,
        "game": state.game_no,
        "game_over": state.game_over,
        "match_point": [s.value for s in state.match_point],
        "devices": {device: side.value for device, side in state.devices},
        "question": _question(state, state.play) if state.play else None,
        "games": [
            {
                "number": g.number,
                "winner": g.winner.value if g.winner else None,
                "questions": [_record(q) for q in g.questions],
            }
            for g in state.games
        ],
        "outcome": None
        if outcome is None
        else {
            "winner": outcome.winner.value if outcome.winner else None,
            "termination": outcome.termination.value,
            "red": outcome.red,
            "blue": outcome.blue,
            "reason": outcome.reason,
        },
        "undo": {
            "depth": len(state.undo),
            "next": state.undo[-1].command if state.undo else None,
        },
    }

"""Shared helpers for the engine tests: build matches in each phase, compare states."""

from __future__ import annotations

from typing import Any

from quiz.engine import Match, MatchRules, Phase, Side
from quiz.engine import commands as C

RED_DEV = "r1"
BLUE_DEV = "b1"


def new_match(**rules: Any) -> Match:
    match = Match(MatchRules(**rules))
    match.apply(C.BindDevice(Side.RED, RED_DEV), 0)
    match.apply(C.BindDevice(Side.BLUE, BLUE_DEV), 0)
    return match


def open_question(qid: str = "Q1") -> C.ShowQuestion:
    return C.ShowQuestion(question_id=qid, kind="open")


def choice_question(qid: str = "Q1", answer: tuple[str, ...] = ("B",)) -> C.ShowQuestion:
    return C.ShowQuestion(question_id=qid, kind="choice", answer=answer, option_count=4)


def match_in(phase: Phase, paused: bool = False) -> Match:
    """A match that has just reached ``phase`` (optionally paused there)."""
    rules: dict[str, Any] = {}
    if phase is Phase.COUNTDOWN:
        rules["pre_countdown_ms"] = 3000
    if phase in (Phase.ARBITRATING, Phase.TIE):
        rules["commit_window_ms"] = 300
    m = new_match(**rules)
    t = 1000
    if phase is Phase.READY:
        return m
    if phase is Phase.FINISHED:
        m.apply(C.EndMatch(reason="test"), t)
        return m
    m.apply(open_question(), t)
    if phase is Phase.QUESTION:
        return _pause(m, paused, t)
    m.apply(C.OpenBuzzing(), t + 10)
    if phase in (Phase.COUNTDOWN, Phase.BUZZING):
        return _pause(m, paused, t + 10)
    if phase is Phase.ARBITRATING:
        m.apply(C.Buzz(RED_DEV), t + 20)
        return _pause(m, paused, t + 20)
    if phase is Phase.TIE:
        m.apply(C.Buzz(RED_DEV, press_at=t + 15, uncertainty_ms=20), t + 20)
        m.apply(C.Buzz(BLUE_DEV, press_at=t + 16, uncertainty_ms=20), t + 21)
        return _pause(m, paused, t + 21)
    m.apply(C.Buzz(RED_DEV), t + 20)
    if phase is Phase.ANSWERING:
        return _pause(m, paused, t + 20)
    m.apply(C.Judge(correct=False), t + 30)
    m.apply(C.Judge(correct=False), t + 40)
    assert phase is Phase.RESULT
    return m


def _pause(m: Match, paused: bool, t: int) -> Match:
    if paused:
        m.apply(C.Pause(), t)
    return m


def normalised(snapshot: dict[str, Any], reference: int) -> dict[str, Any]:
    """A snapshot with running deadlines made relative to ``reference`` and seq/clock dropped,
    so that states taken at different times can be compared (undo shifts deadlines)."""
    snap = dict(snapshot)
    for key in ("seq", "clock", "undo", "devices"):
        snap.pop(key, None)
    if snap.get("paused_at") is not None:
        snap["paused_at"] -= reference
    q = snap.get("question")
    if q:
        q = dict(q)
        for key in (
            "opens_at",
            "buzz_deadline",
            "arbitration_until",
            "answer_deadline",
            "begin_deadline",
        ):
            if (
                q.get(key) is not None
                and snap["phase"]
                in ("question", "countdown", "buzzing", "arbitrating", "answering")
                and not (key == "opens_at" and snap["phase"] not in ("question", "countdown"))
            ):
                q[key] -= reference
        snap["question"] = q
    return snap

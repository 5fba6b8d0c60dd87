"""Fixtures for the audience play-along tests in the live server.

In-process tests reuse the server fixtures of ``tests/server/conftest.py`` (an app on a
temporary SQLite file, a hand-moved clock, Flask-SocketIO test clients) with a question set
that has every kind the audience plays: single and multiple choice, true/false and one open
question (which the audience does not answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from quiz.live.questions import MemoryQuestionSource, QuestionView
from tests.server.conftest import (  # noqa: F401  (fixtures used by the tests here)
    TC,
    TOKEN,
    Live,
    app,
    clock,
    connect,
    hub,
    live,
    make_app,
)

OPTIONS = "ABCD"


def choice(n: int, answer: str, kind: str = "single") -> QuestionView:
    return QuestionView(
        id=str(500 + n),
        code=f"AF-{n:03}",
        kind=kind,
        prompt={"zh": f"第{n}题：<script>alert(1)</script>", "en": f"Question {n}"},
        options=tuple({"key": k, "zh": f"选项{k}", "en": f"Option {k}"} for k in OPTIONS),
        answer=tuple(answer),
        explanation={"zh": f"解析{n}", "en": f"Because {n}"},
        category="anti-fraud",
        difficulty=1,
    )


def audience_questions() -> list[QuestionView]:
    out = [choice(n, OPTIONS[n % 4]) for n in range(1, 9)]
    out.append(choice(20, "AC", kind="multiple"))
    out.append(
        QuestionView(
            id="530",
            code="RU-001",
            kind="truefalse",
            prompt={"zh": "“转发得红包”是真的吗？", "en": "Share to win a red packet: true?"},
            options=(
                {"key": "A", "zh": "正确", "en": "True"},
                {"key": "B", "zh": "错误", "en": "False"},
            ),
            answer=("B",),
            explanation={"zh": "这是谣言。", "en": "It is a rumour."},
            category="rumours",
            difficulty=1,
        )
    )
    out.append(
        QuestionView(
            id="900",
            code="RP-001",
            kind="open",
            prompt={"zh": "举报电话是多少？", "en": "Which number reports illegal content?"},
            accepted=({"zh": "12377", "en": "12377"},),
            explanation={"zh": "12377", "en": "12377"},
            category="reporting",
            difficulty=1,
        )
    )
    return out


@pytest.fixture
def questions() -> MemoryQuestionSource:
    return MemoryQuestionSource(audience_questions())


def phones(make: Callable[..., TC], n: int, prefix: str = "aud") -> list[TC]:
    """``n`` audience phones with stable device ids (``prefix-0000``...)."""
    out = [make("player", device=f"{prefix}-{i:04}") for i in range(n)]
    assert all(p.connected for p in out)
    return out


def open_round(client: TC) -> dict[str, Any]:
    """The newest ``audience_round`` a client holds, which must be open."""
    view = client.last("audience_round")
    assert view is not None and view["status"] == "open", view
    return view


def answer(phone: TC, choices: list[str], round_id: str | None = None) -> dict[str, Any]:
    ref = round_id or open_round(phone)["round"]
    return phone.command("answer", round=ref, choices=choices)


def show(match: Live, question_id: str) -> dict[str, Any]:
    ack = match.host.host("show_question", question_id=question_id)
    assert ack["ok"], ack
    return ack


def open_buzzing(match: Live) -> None:
    """The host opens buzzing: the audience timer of a match question starts now."""
    assert match.host.host("open_buzzing")["ok"]


def judge_by_red(match: Live, choices: list[str], opened: bool = False) -> None:
    """Red buzzes and answers on the phone: the engine judges, the question is concluded.
    ``opened``: buzzing is open already."""
    if not opened:
        open_buzzing(match)
    assert match.red.command("buzz", press_at=None)["ok"]
    ack = match.red.command("choice", choices=choices)
    assert ack["ok"], ack


def leaks(message: Any, question: QuestionView) -> list[str]:
    """What of ``question``'s answer a message gives away: its explanation's text, or an
    answer-bearing field (the audience round's ``key``, the match's ``answer``/``accepted``)."""
    text = json.dumps(message, ensure_ascii=False)
    found = [t for t in question.explanation.values() if t in text]
    found += find_key(message, {"explanation", "accepted", "correct_choices"})
    if isinstance(message, dict):
        found += [k for k in ("key",) if k in message]
        found += [k for k in ("key", "explanation") if k in (message.get("result") or {})]
    return found


def find_key(value: Any, keys: set[str]) -> list[str]:
    """Every path in ``value`` whose key is one of ``keys`` (to prove nothing leaked)."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and v not in (None, [], {}):
                found.append(str(k))
            found += find_key(v, keys)
    elif isinstance(value, list):
        for v in value:
            found += find_key(v, keys)
    return found

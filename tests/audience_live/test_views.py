"""``quiz.live.audience_views``: the audience payloads, built from plain data with no server.

The live tests see these payloads on real sockets; here each builder is checked alone, above
all for what must not leave the server before a question is published."""

from __future__ import annotations

import json

from quiz.audience import Tally
from quiz.live.audience import AudienceDesk
from quiz.live.audience_state import AudienceQuiz, EventAudience, LiveQuestion
from quiz.live.audience_views import (
    admin_view,
    count_view,
    question_view,
    quiz_view,
    summary,
    you_view,
)
from quiz.live.questions import QuestionView
from quiz.live.routes import ROUTES, audience_answer, audience_nickname

QUESTION = QuestionView(
    id="501",
    code="AF-001",
    kind="single",
    prompt={"zh": "哪个是诈骗？", "en": "Which is a scam?"},
    options=({"key": "A", "zh": "甲", "en": "a"}, {"key": "B", "zh": "乙", "en": "b"}),
    answer=("B",),
    explanation={"zh": "因为……", "en": "Because…"},
    category="anti-fraud",
)


def _audience(*answers: tuple[str, str, int]) -> tuple[EventAudience, LiveQuestion]:
    audience = EventAudience(event_id=1)
    tally = Tally("r7", ("A", "B"), {"B"}, 1_000, 10_000)
    live = LiveQuestion(7, "match-3", 3, QUESTION, tally)
    for phone, choice, at in answers:
        audience.nicknames.issue(phone)
        audience.members[phone] = len(audience.members) + 1
        tally.answer(phone, choice, at)
        live.mine[phone] = (choice,)
    audience.current = live
    return audience, live


def test_an_open_question_carries_neither_key_nor_explanation() -> None:
    audience, live = _audience(("p1", "B", 1_500), ("p2", "A", 1_600))
    views = [question_view(live), count_view(audience, 2_000), you_view(audience, "p2")]
    text = json.dumps(views, ensure_ascii=False)
    assert "因为" not in text and "Because" not in text
    assert all("key" not in v for v in views) and views[0]["result"] is None
    view = question_view(live)
    assert (view["round"], view["status"], view["deadline"]) == ("r7", "open", 11_000)


def test_the_count_is_open_until_the_deadline() -> None:
    audience, _live = _audience(("p1", "B", 1_500))
    assert count_view(audience, 11_000)["open"] is True
    late = count_view(audience, 11_001)
    assert (late["open"], late["count"], late["tally"]) == (False, 1, None)


def test_a_published_question_shows_its_result_to_everyone() -> None:
    audience, live = _audience(("p1", "B", 1_500), ("p2", "A", 1_600), ("p3", "B", 2_000))
    result = live.tally.close(3_000, 10)
    live.summary = summary(QUESTION, result, audience.nicknames)
    audience.current, audience.last = None, live
    audience.ledger.add(result, live.stage)
    view = question_view(live)
    assert view["status"] == "closed" and view["result"]["key"] == ["B"]
    assert view["result"]["explanation"] == QUESTION.explanation
    assert (view["result"]["answered"], view["result"]["correct"]) == (3, 2)
    count = count_view(audience, 3_000)
    assert (count["open"], count["tally"]) == (False, {"A": 1, "B": 2})
    you = you_view(audience, "p2")
    assert you["outcome"] == {"round": "r7", "choices": ["A"], "correct": False, "points": 0}
    assert you["score"]["answered"] == 1 and you["answer"] is None


def test_the_host_panel_has_the_key_and_named_stages() -> None:
    audience, _live = _audience(("p1", "B", 1_500))
    panel = admin_view(audience, lambda stage: {"stage": stage, "named": True})
    assert panel["round"]["key"] == ["B"] and panel["members"] == 1
    assert panel["stages"] == []  # nothing counted yet


def test_the_quiz_view_counts_its_questions() -> None:
    audience, live = _audience()
    quiz = AudienceQuiz(2, {}, "seed", 20_000)
    assert quiz_view(None, audience.ledger) is None
    assert quiz_view(quiz, audience.ledger) == {"stage": "quiz-2", "number": 2, "asked": 0}
    audience.ledger.add(live.tally.close(2_000, 10), "quiz-2")
    assert quiz_view(quiz, audience.ledger)["asked"] == 1  # type: ignore[index]


def test_every_audience_command_has_one_public_handler() -> None:
    rows = {name: r for name, r in ROUTES.items() if r.desk is AudienceDesk}
    host = {name: r for name, r in rows.items() if r.roles == {"host"}}
    assert sorted(host) == sorted(
        [
            "audience_settings",
            "approve_nickname",
            "audience_start",
            "audience_next",
            "audience_close",
            "audience_stop",
            "audience_screen",
            "prepare_draw",
            "run_draw",
            "exclude_address",
            "export_draws",
        ]
    )
    for name, route in host.items():
        assert route.handler is getattr(AudienceDesk, name)
        assert route.model is not None
    phones = {name: r.handler for name, r in rows.items() if r.roles == {"audience"}}
    assert phones == {
        "answer": audience_answer,
        "guess": audience_answer,
        "nickname": audience_nickname,
    }

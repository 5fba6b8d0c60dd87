"""The answer key reaches the host only, until the question is concluded; device ids and the
seed never leave the host's view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from quiz.live.redact import ANSWER_KEYS, PRIVATE_KEYS, REVEAL_PHASES, redact
from tests.server.conftest import TC, Live, start_match


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _check_everyone(live: Live, phases_seen: set[str]) -> None:
    host_state = live.host.last()
    phase = host_state["match"]["phase"]
    phases_seen.add(phase)
    if host_state["match"]["question"] is not None:
        assert "answer" in host_state["match"]["question"]
        assert "explanation" in host_state["match"]["question"]
    for name, client in live.viewers().items():
        for state in client.all():
            keys = _keys(state)
            assert not keys & (PRIVATE_KEYS - {"seat"}), (name, keys & PRIVATE_KEYS)
            match = state["match"]
            if match is None:
                continue
            assert "seed" not in match["rules"]
            if match["phase"] in REVEAL_PHASES:
                if match["question"] is not None:
                    assert match["question"]["answer"], (name, match["phase"])
            else:
                assert not keys & ANSWER_KEYS, (name, match["phase"], keys & ANSWER_KEYS)
        client.clear()


def test_every_phase_hides_the_answer_until_the_result(
    connect: Callable[..., TC], hub: LiveHub, clock: ManualClock
) -> None:
    rules = {
        "pre_countdown_ms": 3000,
        "commit_window_ms": 200,
        "tie_rule": "host",
        "rebound": "direct",
        "games_to_win": 1,
    }
    live = start_match(connect, hub, clock, rules=rules)
    seen: set[str] = set()
    _check_everyone(live, seen)  # ready
    live.host.host("show_question")
    _check_everyone(live, seen)  # question
    live.host.host("open_buzzing")
    _check_everyone(live, seen)  # countdown
    live.tick(3000)
    _check_everyone(live, seen)  # buzzing
    live.red.command("buzz", press_at=None)
    _check_everyone(live, seen)  # arbitrating
    live.clock.advance(10)
    live.blue.command("buzz", press_at=None)
    live.tick(300)
    _check_everyone(live, seen)  # tie (10 ms apart, inside the commit window... or decided)
    if live.host.last()["match"]["phase"] == "tie":
        live.host.host("resolve_tie", side="blue")
    _check_everyone(live, seen)  # answering
    q = live.host.last()["match"]["question"]
    wrong = next(k for k in "ABCD" if k not in q["answer"])
    answering = live.host.last()["match"]["engine"]["answering"]
    phone = live.red if answering == "red" else live.blue
    other = live.blue if phone is live.red else live.red
    phone.command("choice", choices=[wrong])
    _check_everyone(live, seen)  # answering again: the rebound
    other.command("choice", choices=q["answer"])
    _check_everyone(live, seen)  # finished (games_to_win 1)
    assert {
        "ready",
        "question",
        "countdown",
        "buzzing",
        "arbitrating",
        "answering",
        "finished",
    } <= seen, seen


def test_result_phase_reveals_then_next_question_hides_again(live: Live) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    q = live.host.last()["match"]["question"]
    live.red.command("choice", choices=q["answer"])
    for client in live.viewers().values():
        state = client.last()
        assert state["match"]["phase"] == "result"
        assert state["match"]["question"]["answer"] == q["answer"]
        assert state["match"]["question"]["explanation"] == q["explanation"]
    live.host.host("show_question")
    for client in live.viewers().values():
        assert "answer" not in client.last()["match"]["question"]


def test_open_questions_hide_the_accepted_answers(
    connect: Callable[..., TC], hub: LiveHub, clock: ManualClock
) -> None:
    live = start_match(connect, hub, clock, filter={"kinds": ["open"]})
    live.host.host("show_question")
    assert live.host.last()["match"]["question"]["accepted"] == [{"zh": "12377", "en": "12377"}]
    for client in live.viewers().values():
        assert "accepted" not in client.last()["match"]["question"]
    live.host.host("open_buzzing")
    live.blue.command("buzz", press_at=None)
    live.host.host("judge", correct=True)
    for client in live.viewers().values():
        assert client.last()["match"]["question"]["accepted"][0]["zh"] == "12377"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "answer",
                    "explanation",
                    "accepted",
                    "device",
                    "devices",
                    "seed",
                    "prompt",
                    "x",
                    "side",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(
    match=st.dictionaries(st.sampled_from(["question", "engine", "answer", "rules"]), _json),
    moment=_json,
    phase=st.sampled_from(["ready", "question", "buzzing", "answering", "result", "finished"]),
    role=st.sampled_from(["display", "player", "audience"]),
)
def test_redact_removes_secrets_wherever_they_are(
    match: dict[str, Any], moment: Any, phase: str, role: str
) -> None:
    state = {"v": 1, "match": {**match, "phase": phase}, "moment": moment, "you": {"seat": "X"}}
    out = redact(state, role)
    hidden = PRIVATE_KEYS if phase in REVEAL_PHASES else PRIVATE_KEYS | ANSWER_KEYS
    assert not _keys({k: v for k, v in out.items() if k != "you"}) & hidden
    assert out["you"] == {"seat": "X"} and out["role"] == role
    assert redact(state, "host")["match"] == state["match"]


@given(
    phase=st.sampled_from(["ready", "question", "buzzing", "answering", "result", "finished"]),
    role=st.sampled_from(["display", "player", "audience"]),
)
def test_only_the_host_gets_the_bank_code(phase: str, role: str) -> None:
    question = {"id": "123~CADB", "code": "AF-062", "prompt": {"zh": "题干"}}
    state = {
        "v": 1,
        "match": {"phase": phase, "question": question, "notice": {"code": "paused"}},
        "moment": {"error": {"code": "wrong_phase"}},
        "you": {"prizes": [{"code": "K7QX2"}]},
    }
    out = redact(state, role)
    assert "code" not in out["match"]["question"]
    assert out["match"]["question"]["id"] == "123~CADB"
    # Other things named "code" (notices, errors, a phone's own prize codes) stay.
    assert out["match"]["notice"] == {"code": "paused"}
    assert out["moment"] == {"error": {"code": "wrong_phase"}}
    assert out["you"] == {"prizes": [{"code": "K7QX2"}]}
    assert redact(state, "host")["match"]["question"]["code"] == "AF-062"

"""Shuffled options over real sockets: ``quiz serve`` with the bundled bank, a match whose
questions are drawn (single and multiple choice), the host, the LED wall, both contestant
phones and an audience phone.

Every screen shows the same shuffled letters, the key follows its option, a contestant's
choice is judged by the shown letter, a ``kill -9`` and restart shows the same order again,
and only the host ever receives a question's bank code (in every phase of the match and in
the audience round). The export and the per-question statistics read the same order and
still count the question by its version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from quiz.bank.shuffle import LETTERS, option_order, shown_answer, shown_options, split_id
from quiz.bank.validate import load_bank
from quiz.db import make_engine
from quiz.ops.export import collect
from quiz.report.collect import question_stats
from tests.conftest import LiveServer, Peer
from tests.reliability.harness import RECONNECT, Cast, crash, start_cast

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SEED = "shuffle-live"
RULES = {
    "pre_countdown_ms": 500,
    "commit_window_ms": 200,
    "rebound": "direct",
    "games_to_win": 2,
}


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def expected(code: str, seed: str = SEED) -> tuple[list[str], list[str], str]:
    """(option texts in zh, key letters, order) the bank and the seed give for ``code``."""
    question = load_bank().by_id()[code]
    count = question.option_count
    order = option_order(seed, code, count) if question.shuffled else LETTERS[:count]
    texts = [option.zh for option in shown_options(question.choices, order)]
    return texts, list(shown_answer(question.answer_letters, order)), order


def question_of(state: dict[str, Any]) -> dict[str, Any] | None:
    match = state.get("match")
    return match.get("question") if isinstance(match, dict) else None


def check_same_letters(cast: Cast, audience: Peer, host_q: dict[str, Any]) -> dict[str, Any]:
    """The LED, both phones and the audience round show the host's options and id; returns the
    audience round."""
    seq = cast.settled()["seq"]
    for name, peer in (("display", cast.display), ("red", cast.red), ("blue", cast.blue)):
        shown = question_of(peer.wait_latest(lambda s: s["seq"] >= seq))
        assert shown is not None, name
        assert (shown["id"], shown["options"]) == (host_q["id"], host_q["options"]), name
    audience_round: dict[str, Any] = audience.wait_latest(
        lambda r: r["question"]["id"] == host_q["id"], "audience_round", timeout=15
    )
    assert audience_round["question"]["options"] == host_q["options"]
    return audience_round


def answer_on_phone(cast: Cast, phone: Peer, choices: list[str]) -> None:
    cast.play(phone, "choice", choices=choices)


def test_everyone_sees_the_same_shuffled_letters_and_only_the_host_the_code(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    cast = start_cast(
        live_server_factory(),
        sio_peer,
        rules=RULES,
        filter={"kinds": ["single", "multiple"]},
        seed=SEED,
    )
    audience = sio_peer(cast.server, "player", client_options=RECONNECT)
    shown_ids: list[str] = []
    moved = 0  # questions whose key letters the shuffle changed
    for number in (1, 2, 3):
        cast.do("show_question")
        q = cast.phase("question")["match"]["question"]
        texts, key, order = expected(q["code"])
        # The order is the one the seed and the code give; the key follows its options.
        assert [o["zh"] for o in q["options"]] == texts
        assert [o["key"] for o in q["options"]] == list(LETTERS[: len(texts)])
        assert q["answer"] == key
        assert split_id(q["id"])[1] == (None if order == LETTERS[: len(order)] else order)
        shown_ids.append(q["id"])
        audience_round = check_same_letters(cast, audience, q)
        if number == 1:
            # kill -9 and restart: the same question in the same order on every screen.
            connects = len(audience.all("connect"))
            restored = crash(cast, live_server_factory, "question").restored
            again = restored["match"]["question"]
            assert (again["id"], again["options"], again["answer"]) == (
                q["id"],
                q["options"],
                q["answer"],
            )
            # The audience phone reconnects by itself and is sent the round again (only a round
            # received after its disconnection counts: one just before the kill does not).
            _wait(lambda n=connects: len(audience.all("connect")) > n, 20, "audience reconnected")
            _wait(
                lambda: len(audience.all("audience_round")) > audience.all("disconnect")[-1],
                20,
                "the round sent again",
            )
            audience_round = check_same_letters(cast, audience, again)
            if restored["match"]["paused"]:
                cast.do("resume")
        verdict = audience.command("answer", round=audience_round["round"], choices=key)
        assert verdict["ok"], verdict
        cast.phase("question")
        cast.do("open_buzzing")
        cast.phase("buzzing")
        cast.play(cast.red, "buzz", press_at=None)
        cast.phase("answering")
        score = cast.host.last()["match"]["engine"]["score"]
        written = list(load_bank().by_id()[q["code"]].answer_letters)
        if number == 2 and written != key:
            # The letters of the written order are wrong once shuffled; the shown ones win.
            moved += 1
            answer_on_phone(cast, cast.red, written)
            assert cast.phase("answering")["match"]["engine"]["answering"] == "blue"
            answer_on_phone(cast, cast.blue, key)
            after = cast.host.last()["match"]["engine"]["score"]
            assert after["blue"] == score["blue"] + 1 and after["red"] == score["red"]
        else:
            moved += written != key
            answer_on_phone(cast, cast.red, key)
            after = cast.host.last()["match"]["engine"]["score"]
            assert after["red"] == score["red"] + 1
        outcome = audience.wait_for(
            lambda y, ref=audience_round["round"]: (y.get("outcome") or {}).get("round") == ref,
            "audience_you",
            timeout=15,
        )
        assert outcome["outcome"]["correct"] is True
        if cast.host.last()["match"]["phase"] == "finished":
            break
    assert moved >= 1, "no drawn question had its key letters moved by the shuffle"
    cast.settled()

    # Only the host has the code, in every phase; nobody else ever received it.
    host_phases = {s["match"]["phase"] for s in cast.host.all() if s.get("match")}
    assert {"ready", "question", "countdown", "buzzing", "answering", "result"} <= host_phases
    host_questions = [question_of(s) for s in cast.host.all()]
    assert all("code" in q for q in host_questions if q is not None)
    for name, peer in (
        ("display", cast.display),
        ("red", cast.red),
        ("blue", cast.blue),
        ("audience", audience),
    ):
        phases: set[str] = set()
        for state in peer.all():
            if state.get("match"):
                phases.add(state["match"]["phase"])
            q = question_of(state)
            assert q is None or "code" not in q, (name, state["match"]["phase"])
        for audience_round in peer.all("audience_round"):
            assert "code" not in audience_round["question"], name
        assert {"question", "countdown", "buzzing", "answering"} <= phases, (name, phases)

    # The export shows the options and key as shown; the statistics count the version.
    engine = make_engine(cast.server.database_url)
    try:
        with Session(engine) as session:
            shown = collect(session)["questions_shown"]
            stats = question_stats(session)
    finally:
        engine.dispose()
    assert [row["version_id"] for row in shown] == [split_id(i)[0] for i in shown_ids]
    for row, shown_id in zip(shown, shown_ids, strict=True):
        texts, key, order = expected(row["code"])
        assert [o["zh"] for o in row["options"]] == texts
        assert sorted(row["answer"] if isinstance(row["answer"], list) else [row["answer"]]) == key
        assert row["option_order"] == split_id(shown_id)[1]
    assert {r.question.version_id for r in stats} == {split_id(i)[0] for i in shown_ids}
    assert all("~" not in r.question.code for r in stats)

"""End to end, the campaign figures: 105 audience phones against a live ``quiz serve`` over
real sockets (python-socketio), an audience quiz of three questions on the 12377 hotline; 100
phones answer (10 of them leave before the last question), 5 only watch. The event report and
the event archive give exactly the reach and the awareness per key message that was sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from quiz.bank.shuffle import split_id
from quiz.commands import cli
from quiz.db import make_engine, make_session_factory
from quiz.models import AudienceQuestion, QuestionVersion
from quiz.report.collect import collect, resolve_event
from quiz.report.merge import merge_archives
from tests.conftest import LiveServer, Peer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ANSWERING, WATCHING, LEAVING = 100, 5, 10
QUESTIONS = 3
WAIT_S = 20


def in_parallel(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=25) as pool:
        return list(pool.map(fn, items))


def tagged_questions(url: str) -> list[str]:
    """Three single-choice questions of the bank on the 12377 hotline, the first two tagged
    with one more key message where the bank has such questions (their version ids)."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        rows = session.scalars(select(QuestionVersion).order_by(QuestionVersion.id)).all()
        found = [
            (len(r.content.get("messages") or ()), str(r.id))
            for r in rows
            if r.content.get("type") == "single"
            and "knows-12377" in (r.content.get("messages") or ())
        ]
    engine.dispose()
    assert len(found) >= QUESTIONS
    return [version for _n, version in sorted(found, key=lambda f: -f[0])[:QUESTIONS]]


def test_reach_and_awareness_equal_what_was_sent(
    live_server: LiveServer, sio_peer: Callable[..., Peer], tmp_path: Path
) -> None:
    host = sio_peer(live_server, "host", token=live_server.token)
    phones = in_parallel(lambda _i: sio_peer(live_server, "player"), list(range(ANSWERING)))
    watchers = in_parallel(lambda _i: sio_peer(live_server, "player"), list(range(WATCHING)))
    for p in phones + watchers:
        p.wait_for(lambda y: True, "audience_you", timeout=WAIT_S)
    picked = tagged_questions(live_server.database_url)
    started = host.command("audience_start", timer_ms=60_000, filter={"kinds": ["single"]})
    assert started["ok"], started

    sent: list[dict[int, str]] = []  # per question: phone -> the option it chose
    keys: list[set[str]] = []
    refs: list[str] = []
    leaving = phones[ANSWERING - LEAVING :]
    for q in range(QUESTIONS):
        if q == QUESTIONS - 1:
            in_parallel(lambda p: p.disconnect(), leaving)  # gone before the last question
        present = phones if q < QUESTIONS - 1 else phones[: ANSWERING - LEAVING]
        nxt = host.command("audience_next", question_id=picked[q])
        assert nxt["ok"], nxt
        views = in_parallel(
            lambda p: p.wait_for(
                lambda r: r["status"] == "open" and r["round"] not in refs,
                "audience_round",
                timeout=WAIT_S,
            ),
            present,
        )
        ref = views[0]["round"]
        assert all(v["round"] == ref for v in views)
        options = [o["key"] for o in views[0]["question"]["options"]]
        chosen = {i: options[(i + q) % len(options)] for i in range(len(present))}

        def send(
            i: int, ref: str = ref, chosen: dict[int, str] = chosen, present: list[Peer] = present
        ) -> Any:
            return present[i].command("answer", round=ref, choices=[chosen[i]])

        acks = in_parallel(send, list(range(len(present))))
        assert [a.get("verdict") for a in acks] == ["accepted"] * len(present), acks
        assert host.command("audience_close")["ok"]
        closed = present[0].wait_for(
            lambda r, ref=ref: r["round"] == ref and r["status"] == "closed",
            "audience_round",
            timeout=WAIT_S,
        )
        refs.append(ref)
        sent.append(chosen)
        keys.append(set(closed["result"]["key"]))
    time.sleep(2.5)  # presence edges are written by the answer writer about once a second

    engine = make_engine(live_server.database_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        event_id = resolve_event(session, "latest")
        data = collect(session, event_id)
        asked = session.scalars(
            select(AudienceQuestion.question_id)
            .where(AudienceQuestion.event_id == event_id)
            .order_by(AudienceQuestion.id)
        ).all()
        messages = []
        for shown in asked:
            row = session.get(QuestionVersion, int(split_id(shown)[0]))
            assert row is not None
            messages.append(set(row.content.get("messages") or ()))
    engine.dispose()
    assert len(asked) == QUESTIONS

    right = [{i for i, c in sent[q].items() if c in keys[q]} for q in range(QUESTIONS)]
    reach = data.reach
    assert reach is not None
    assert reach.joined == ANSWERING + WATCHING
    assert reach.answered == ANSWERING
    assert reach.stayed == ANSWERING - LEAVING + WATCHING
    assert reach.peak == ANSWERING + WATCHING
    assert reach.surveyed == 0  # the survey was never started: no phone took it
    assert sum(n for _at, n in reach.joins) == ANSWERING + WATCHING
    assert data.audience is not None
    assert data.audience.answers.total == sum(len(s) for s in sent)
    assert data.audience.answers.correct == sum(len(r) for r in right)

    expected = {}
    for message in sorted(set().union(*messages)):
        tagged = [q for q in range(QUESTIONS) if message in messages[q]]
        answering = {i for q in tagged for i in sent[q]}
        knew = {i for i in answering if all(i in right[q] for q in tagged if i in sent[q])}
        answers = sum(len(sent[q]) for q in tagged)
        expected[message] = (len(answering), len(knew), answers, len(tagged))
    assert expected["knows-12377"][3] == QUESTIONS
    got = {m.message: (m.phones, m.knew, m.answers, m.questions) for m in data.awareness}
    assert got == expected

    # The event archive tells the same through a report across venues.
    archive = tmp_path / "venue.zip"
    result = CliRunner().invoke(
        cli,
        ["export", "--archive", "-o", str(archive), "--database-url", live_server.database_url],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    merged = merge_archives([archive, archive])
    assert merged.reach == type(reach)(
        reach.joined, reach.answered, reach.stayed, reach.surveyed, reach.peak
    )
    assert {m.message: (m.phones, m.knew, m.answers, m.questions) for m in merged.awareness} == got

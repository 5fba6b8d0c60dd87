"""Audience-only rounds (有奖问答 between matches), and everything the audience did surviving a
server restart: nicknames, scores, the open round with its answers, draws and claim codes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from quiz.app import hub_of
from quiz.live.clock import ManualClock
from tests.audience_live.conftest import TC, TOKEN, Live, answer, judge_by_red, phones, show


def test_an_audience_only_round_runs_without_contestants(
    live: Live, connect: Callable[..., TC]
) -> None:
    host = live.host
    crowd = phones(connect, 3, "quiz")
    ack = host.command("audience_start", timer_ms=10_000)
    assert ack["error"]["code"] == "match_live"
    assert host.command("abort_match", match_id=live.match_id)["ok"]
    assert host.command("audience_next")["error"]["code"] == "no_quiz"
    assert host.command("audience_start", filter={"kinds": ["open"]})["error"]["code"] == (
        "invalid"
    )
    started = host.command("audience_start", timer_ms=10_000, filter={"categories": ["anti-fraud"]})
    assert started["ok"] and started["stage"] == "quiz-1"
    assert live.display.last("audience_screen")["screen"] == "question"

    asked = []
    for n in range(2):
        nxt = host.command("audience_next")
        assert nxt["ok"], nxt
        view = live.display.last("audience_round")
        assert view["status"] == "open" and view["match_id"] is None
        assert view["question"]["kind"] in ("single", "multiple", "truefalse")
        assert view["question"]["category"] == "anti-fraud"
        assert host.command("audience_next")["error"]["code"] == "round_open"  # one at a time
        key = live.hub.audience.audience.current.tally.key
        pick = sorted(key)
        for phone in crowd[: n + 2]:
            assert answer(phone, pick)["ok"]
        assert "code" not in view["question"]  # the bank code is the host's alone
        asked.append(view["question"]["id"])
        if n == 0:
            live.tick(10_001)  # the timer closes an audience-only question by itself
        else:
            assert host.command("audience_close")["ok"]
        result = live.display.last("audience_round")["result"]
        assert result["answered"] == n + 2 and result["correct"] == n + 2
        screen = live.display.last("audience_screen")
        assert screen["screen"] == "result" and screen["show_after_ms"] == 0
    assert len(set(asked)) == 2  # never the same question twice in an event
    assert host.command("audience_close")["error"]["code"] == "no_round"
    assert host.command("audience_stop")["ok"]
    assert live.display.last("audience_screen")["screen"] == "leaderboard"
    assert [s["stage"] for s in host.last("audience_admin")["stages"]] == ["quiz-1"]
    ranks = [p.last("audience_you")["score"] for p in crowd]
    assert [(r["correct"], r["rank"]) for r in ranks] == [(2, 1), (2, 1), (1, 3)]


def test_a_match_question_is_never_one_the_audience_already_had(
    live: Live, connect: Callable[..., TC]
) -> None:
    host = live.host
    assert host.command("abort_match", match_id=live.match_id)["ok"]
    assert host.command("audience_start", filter={"kinds": ["single"]})["ok"]
    for _ in range(7):
        live.clock.advance(300)  # the host's commands stay under the rate limit
        assert host.command("audience_next")["ok"]
        assert host.command("audience_close")["ok"]
    codes = set(live.hub.matches.question_codes_used(live.hub.event["id"]))
    assert len(codes) == 7
    assert host.command("audience_stop")["ok"]
    ids = [c["id"] for c in host.last("console")["contestants"]]
    made = host.command("create_match", red=ids[0], blue=ids[1], filter={"kinds": ["single"]})
    assert host.command("start_match", match_id=made["match_id"])["ok"]
    shown = host.host("show_question")
    assert shown["ok"], shown
    code = host.last()["match"]["question"]["code"]
    assert code not in codes and code.startswith("AF-")
    assert host.host("void")["ok"]
    assert host.host("show_question")["error"]["code"] == "bank_empty"


def test_everything_survives_a_restart(
    live: Live, connect: Callable[..., TC], make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    crowd = phones(connect, 3, "keep")
    assert crowd[0].command("nickname", name="老王")["ok"]
    member = live.host.last("audience_admin")["pending"][0]["member"]
    live.host.command("approve_nickname", member=member, approve=True, name="老王")
    assert crowd[1].command("nickname", name="小李")["ok"]  # still waiting at the restart
    show(live, "501")
    for phone in crowd:
        assert answer(phone, ["B"])["ok"]
    judge_by_red(live, ["B"])
    draw = live.host.command("prepare_draw", prize="纪念U盘", count=1, min_correct=1)
    won = live.host.command("run_draw", draw=draw["draw"])["winners"][0]
    live.host.command("prepare_draw", prize="帆布袋", count=1, min_correct=1)
    show(live, "502")
    assert answer(crowd[0], ["C"])["ok"]
    before = {p: crowd[i].last("audience_you") for i, p in enumerate("abc")}
    old = live.hub
    old.stop()

    app = make_app()  # the same database, a fresh process
    hub = hub_of(app)
    assert hub is not old
    desk = hub.audience
    assert desk.audience.current is not None and desk.audience.current.tally.answered == 1
    assert set(desk.audience.ledger.rounds.values()) == {f"match-{live.match_id}"}
    assert [d.drawn for d in desk.audience.draws.values()] == [True, False]
    again = [TC(app, {"v": 1, "role": "player", "device": f"keep-{i:04}"}) for i in range(3)]
    for i, key in enumerate("abc"):
        you = again[i].last("audience_you")
        assert you["nickname"] == before[key]["nickname"]
        assert you["shown"] == before[key]["shown"]
        assert you["score"] == before[key]["score"]
        assert you["prizes"] == before[key]["prizes"]
    assert again[0].last("audience_you")["answer"]["choices"] == ["C"]
    assert again[0].last("audience_you")["shown"]["zh"] == "老王"
    assert again[1].last("audience_you")["pending"] == "小李"
    assert [p["requested"] for p in desk.outbox.admin_view()["pending"]] == ["小李"]
    assert won["claim_code"] in desk.audience.codes
    # The open round goes on: another phone answers it, a repeat is still refused.
    view = again[1].last("audience_round")
    assert view["status"] == "open"
    assert again[1].command("answer", round=view["round"], choices=["C"])["ok"]
    assert again[0].command("answer", round=view["round"], choices=["A"])["error"]["code"] == (
        "duplicate"
    )
    host = TC(app, {"v": 1, "role": "host", "token": TOKEN})
    assert host.last("audience_admin")["draws"][1]["winners"] is None


def test_phones_start_afresh_in_a_new_event(live: Live, connect: Callable[..., TC]) -> None:
    (phone,) = phones(connect, 1, "event")
    show(live, "501")
    assert answer(phone, ["B"])["ok"]
    judge_by_red(live, ["B"])
    assert phone.last("audience_you")["score"]["correct"] == 1
    assert live.host.command("abort_match", match_id=live.match_id)["ok"]
    assert live.host.command("create_event", title="第二场活动")["ok"]
    you = phone.last("audience_you")
    assert you["score"] is None and you["outcome"] is None
    assert live.hub.audience.audience.ledger.rounds == {}


def test_verdicts_a_stop_left_unwritten_are_written_on_start(
    live: Live, connect: Callable[..., TC], make_app: Callable[..., Flask]
) -> None:
    from sqlalchemy import select

    from quiz.models.audience import AudienceAnswer

    right, wrong = phones(connect, 2, "tail")
    show(live, "501")  # key B
    assert answer(right, ["B"])["ok"] and answer(wrong, ["A"])["ok"]
    desk = live.hub.audience
    assert desk.audience.current is not None
    with desk.lock:  # the server stops after the LED's half of publishing
        desk.flow.publish_to_wall(desk.audience.current, live.clock.value)
    live.hub.stop()

    def verdicts() -> list[tuple[list[str], bool | None, int | None]]:
        with live.hub.sessions() as session:
            rows = session.scalars(select(AudienceAnswer).order_by(AudienceAnswer.seq))
            return [(r.choices, r.correct, r.points) for r in rows]

    assert verdicts() == [(["B"], None, None), (["A"], None, None)]
    restarted = hub_of(make_app())
    assert verdicts() == [(["B"], True, 1), (["A"], False, 0)]
    assert len(restarted.audience.audience.ledger) == 2


def test_the_report_reads_rounds_and_draws(live: Live, connect: Callable[..., TC]) -> None:
    from quiz import records
    from quiz.live.audience_store import phone_of

    crowd = phones(connect, 3, "report")
    for qid, key in (("501", "B"), ("502", "C")):
        show(live, qid)
        for i, phone in enumerate(crowd):
            assert answer(phone, [key if i else "A"])["ok"]
        judge_by_red(live, [key])
    show(live, "503")  # open: not a recorded round yet
    prepared = live.host.command("prepare_draw", prize="奖", count=1, min_correct=2)
    live.host.command("run_draw", draw=prepared["draw"])
    desk = live.hub.audience
    with live.hub.sessions() as session:
        rounds = records.judged_questions(session, live.hub.event["id"])
        draws = records.draws(session, live.hub.event["id"])
    assert [(r.stage, r.match_id, r.question_id) for r in rounds] == [
        (f"match-{live.match_id}", live.match_id, "501"),
        (f"match-{live.match_id}", live.match_id, "502"),
    ]
    assert [(r.answered, r.correct) for r in rounds] == [(3, 2), (3, 2)]
    crowd_phones = {phone_of(live.hub.event["id"], f"report-{i:04}") for i in range(3)}
    for r in rounds:
        assert set(r.verdicts) == crowd_phones  # every phone that answered, only those
    assert [d.to_dict() for d in draws] == [d.to_dict() for d in desk.audience.draws.values()]
    assert draws[0].drawn and draws[0].verify() == []

"""Nickname changes wait for the host; prize draws over the eligible phones only, one win per
phone per draw, claim codes on the winners' phones only, and records that verify and export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from quiz.audience import verify_public
from tests.audience_live.conftest import TC, Live, answer, judge_by_red, phones, show


def test_a_new_nickname_shows_on_the_led_only_after_approval(
    live: Live, connect: Callable[..., TC]
) -> None:
    (phone,) = phones(connect, 1, "nick")
    generated = phone.last("audience_you")["shown"]
    ack = phone.command("nickname", name="  小明\u202e同学 ")
    assert ack["ok"] and ack["nickname"] == "小明同学" and ack["pending"] is True
    you = phone.last("audience_you")
    assert you["nickname"]["zh"] == "小明同学" and you["pending"] == "小明同学"
    assert you["shown"] == generated
    pending = live.host.last("audience_admin")["pending"]
    assert [p["requested"] for p in pending] == ["小明同学"]

    show(live, "501")
    assert answer(phone, ["B"])["ok"]
    judge_by_red(live, ["B"])
    fastest = live.display.last("audience_round")["result"]["fastest"]
    assert fastest[0]["name"] == generated  # pending names never reach the LED
    # The LED moves on only when the host says so (docs/audience.md): the host shows the board.
    assert live.host.command("audience_screen", screen="leaderboard")["ok"]
    assert live.display.last("audience_screen")["leaderboard"]["rows"][0]["name"] == generated

    member = pending[0]["member"]
    assert live.host.command("approve_nickname", member=member, approve=True, name="小明同学")["ok"]
    assert phone.last("audience_you")["notice"] == "name_approved"
    assert phone.last("audience_you")["shown"] == {"zh": "小明同学", "en": "小明同学"}
    board = live.display.last("audience_screen")["leaderboard"]["rows"]
    assert board[0]["name"]["zh"] == "小明同学"
    assert live.host.last("audience_admin")["pending"] == []


def test_a_rejected_name_is_gone_and_bad_names_are_refused(
    live: Live, connect: Callable[..., TC]
) -> None:
    first, second = phones(connect, 2, "names")
    assert first.command("nickname", name="Alice")["ok"]
    assert second.command("nickname", name="alice")["error"]["code"] == "name_taken"
    assert second.command("nickname", name=" \u200b ")["error"]["code"] == "name_empty"
    assert second.command("nickname", name="x" * 17)["error"]["code"] == "name_too_long"
    assert second.command("nickname", name="x" * 65)["error"]["code"] == "invalid"
    assert second.command("nickname", name=12)["error"]["code"] == "invalid"
    taken = first.last("audience_you")["shown"]["zh"]
    assert second.command("nickname", name=taken)["error"]["code"] == "name_taken"
    member = live.host.last("audience_admin")["pending"][0]["member"]
    assert live.host.command("approve_nickname", member=member, approve=False)["ok"]
    you = first.last("audience_you")
    assert you["notice"] == "name_rejected" and you["pending"] is None
    assert second.command("nickname", name="alice")["ok"]  # free again
    ack = live.host.command("approve_nickname", member=member, approve=True, name="Alice")
    assert ack["error"]["code"] == "not_found"  # nothing is waiting for that phone now
    assert live.host.command("approve_nickname", member=99999, approve=True, name="x")["error"][
        "code"
    ] == ("not_found")


def play_three_questions(live: Live, crowd: list[TC]) -> None:
    """Phone i answers the first i questions correctly (0, 1, 2 or 3 of 3) and the rest
    wrongly; phone 4 never answers."""
    for n, (qid, key) in enumerate((("501", "B"), ("502", "C"), ("503", "D"))):
        show(live, qid)
        for i, phone in enumerate(crowd[:4]):
            assert answer(phone, [key if i > n else "A"])["ok"]
        judge_by_red(live, [key])


def test_a_draw_is_over_the_eligible_phones_only(live: Live, connect: Callable[..., TC]) -> None:
    crowd = phones(connect, 5, "draw")
    play_three_questions(live, crowd)
    assert [p.last("audience_you")["score"]["correct"] for p in crowd[:4]] == [0, 1, 2, 3]
    assert crowd[4].last("audience_you")["score"] is None

    ack = live.host.command("prepare_draw", prize="纪念U盘", count=5, min_correct=2)
    assert ack["ok"] and ack["eligible"] == 2, ack
    led = live.display.last("audience_screen")
    assert led["screen"] == "draw" and led["draw"]["commitment"] == ack["commitment"]
    assert led["draw"]["drawn"] is False and led["draw"]["winners"] is None

    ran = live.host.command("run_draw", draw=ack["draw"], public_input="4821")
    assert ran["ok"], ran
    # Five prizes, two eligible phones: each wins once, nobody else wins.
    assert len(ran["winners"]) == 2
    codes = {w["claim_code"] for w in ran["winners"]}
    assert len(codes) == 2
    for i, phone in enumerate(crowd):
        prizes = phone.last("audience_you")["prizes"]
        if i >= 2 and i < 4:
            assert len(prizes) == 1 and prizes[0]["code"] in codes
            assert phone.last("audience_you")["notice"] == "won"
        else:
            assert prizes == []
    led = live.display.last("audience_screen")["draw"]
    assert led["drawn"] and len(led["winners"]) == 2
    assert not {"claim_code", "phone", "eligible"} & set(json.dumps(led).split('"'))

    again = live.host.command("run_draw", draw=ack["draw"])
    assert again["error"]["code"] == "already_drawn"
    none = live.host.command("prepare_draw", prize="奖", count=1, min_correct=4)
    assert none["error"]["code"] == "no_eligible"


def test_earlier_winners_are_left_out_unless_the_host_says_so(
    live: Live, connect: Callable[..., TC]
) -> None:
    crowd = phones(connect, 4, "again")
    play_three_questions(live, crowd)
    first = live.host.command("prepare_draw", prize="一等奖", count=1, min_correct=1)
    won = live.host.command("run_draw", draw=first["draw"])["winners"][0]["nickname"]
    second = live.host.command("prepare_draw", prize="二等奖", count=3, min_correct=1)
    assert second["eligible"] == 2
    names = [w["nickname"] for w in live.host.command("run_draw", draw=second["draw"])["winners"]]
    assert won not in names and len(set(names)) == 2
    third = live.host.command(
        "prepare_draw", prize="三等奖", count=3, min_correct=1, exclude_winners=False
    )
    assert third["eligible"] == 3


def test_eligibility_can_name_one_match(live: Live, connect: Callable[..., TC]) -> None:
    crowd = phones(connect, 4, "stage")
    play_three_questions(live, crowd)
    stage = f"match-{live.match_id}"
    stages = live.host.last("audience_admin")["stages"]
    assert stages == [{"stage": stage, "kind": "match", "number": 1}]  # 第1场
    ack = live.host.command("prepare_draw", prize="奖", count=1, min_correct=3, stage=stage)
    assert ack["eligible"] == 1
    missing = live.host.command("prepare_draw", prize="奖", count=1, stage="quiz-9")
    assert missing["error"]["code"] == "not_found"


def test_draw_records_export_and_verify(live: Live, connect: Callable[..., TC]) -> None:
    crowd = phones(connect, 4, "export")
    play_three_questions(live, crowd)
    prepared = live.host.command("prepare_draw", prize="=SUM(A1)", count=2, min_correct=1)
    live.host.command("run_draw", draw=prepared["draw"], public_input="77")
    live.host.command("prepare_draw", prize="未开奖", count=1, min_correct=0)

    public = live.host.command("export_draws", format="json", include_codes=False)
    records = json.loads(public["content"])
    assert public["filename"].endswith("-public.json")
    assert [r["draw"] for r in records] == ["d1", "d2"]
    assert verify_public(records[0]) == [] and verify_public(records[1]) == []
    assert records[0]["seed_material"] and records[1]["seed_material"] is None
    assert all("claim_code" not in w for w in records[0]["winners"])
    for phone in live.hub.audience.audience.members:  # no phone id, even hashed, is published
        assert phone not in public["content"]

    table = live.host.command("export_draws", format="csv")["content"]
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [r["draw"] for r in rows] == ["d1", "d1", "d2"]
    assert rows[0]["prize"] == "'=SUM(A1)"  # not a formula in a spreadsheet
    assert len({r["claim_code"] for r in rows[:2]}) == 2
    bad = live.host.command("export_draws", format="xml")
    assert bad["error"]["code"] == "invalid"


def test_bad_draw_commands_are_refused(live: Live) -> None:
    host = live.host
    for args in (
        {"prize": "奖", "count": 0},
        {"prize": "奖", "count": 1001},
        {"prize": "奖", "count": "3"},
        {"prize": "", "count": 1, "min_correct": 0},
        {"prize": "奖", "count": 1, "min_correct": -1},
        {"prize": "奖", "count": 1, "extra": True},
    ):
        ack = host.command("prepare_draw", **args)
        assert ack["error"]["code"] in ("invalid", "no_eligible"), (args, ack)
    assert host.command("prepare_draw", prize="", count=1)["error"]["code"] == "invalid"
    assert host.command("run_draw", draw="d9")["error"]["code"] == "not_found"
    assert host.command("audience_screen", screen="draw")["error"]["code"] == "no_draw"
    assert host.command("audience_screen", screen="nope")["error"]["code"] == "invalid"
    assert live.hub.audience.audience.draws == {}

"""End to end against a live ``quiz serve`` (gevent, 127.0.0.1) with python-socketio clients: a
match with 50 audience phones answering every question, exact counts, verdicts, leaderboard
and ranks, then prize draws over the eligible phones only, one win per phone per draw; and
over real sockets, bad input and repeated answers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from quiz.audience import verify_public
from tests.conftest import LiveServer, Peer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONES = 50
QUESTIONS = 3
WAIT_S = 15


def right_on(i: int, q: int) -> bool:
    """Phone ``i`` answers question ``q`` correctly iff ``i % 4 > q``: 0, 1, 2 or 3 right."""
    return i % 4 > q


def start_match(server: LiveServer, connect: Callable[..., Peer]) -> tuple[Peer, Peer, Peer]:
    host = connect(server, "host", token=server.token)
    ids = [host.command("add_contestant", name=n)["contestant_id"] for n in ("红方", "蓝方")]
    made = host.command(
        "create_match",
        red=ids[0],
        blue=ids[1],
        rules={"pre_countdown_ms": 0, "games_to_win": 3},
        filter={"kinds": ["single"]},
    )
    assert made["ok"], made
    console = host.wait_for(
        lambda c: any(s["match_id"] == made["match_id"] for s in c["seats"]), "console"
    )
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == made["match_id"]}
    red = connect(server, "player", seat=codes["red"])
    connect(server, "player", seat=codes["blue"])
    assert host.command("start_match", match_id=made["match_id"])["ok"]
    host.wait_latest(lambda s: s["match"] is not None and s["match"]["id"] == made["match_id"])
    return host, red, made["match_id"]


def in_parallel(fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=25) as pool:
        return list(pool.map(fn, items))


def test_a_match_with_fifty_audience_phones(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host, red, _match = start_match(live_server, sio_peer)
    display = sio_peer(live_server, "display")
    phones = in_parallel(lambda _i: sio_peer(live_server, "player"), list(range(PHONES)))
    names = [p.wait_for(lambda y: True, "audience_you")["shown"] for p in phones]
    assert len({n["zh"] for n in names}) == PHONES  # every phone its own nickname

    for q in range(QUESTIONS):
        host.host_command("show_question")
        state = host.wait_latest(lambda s: s["match"]["phase"] == "question")
        question = state["match"]["question"]
        key = question["answer"][0]
        wrong = next(o["key"] for o in question["options"] if o["key"] != key)
        views = in_parallel(
            lambda p, qid=question["id"]: p.wait_for(
                lambda r: r["question"]["id"] == qid and r["status"] == "open", "audience_round"
            ),
            phones,
        )
        ref = views[0]["round"]
        assert "result" in views[0] and views[0]["result"] is None

        def send(i: int, ref: str = ref, key: str = key, wrong: str = wrong, q: int = q) -> Any:
            return phones[i].command(
                "answer", round=ref, choices=[key if right_on(i, q) else wrong]
            )

        acks = in_parallel(send, list(range(PHONES)))
        assert [a.get("verdict") for a in acks] == ["accepted"] * PHONES, acks
        again = phones[0].command("answer", round=ref, choices=[wrong if right_on(0, q) else key])
        assert again["error"]["code"] == "duplicate"
        # The LED's count is exact, and arrives without one message per answer.
        display.wait_for(lambda c, ref=ref: c["round"] == ref and c["count"] == PHONES, "audience")

        assert host.host_command("open_buzzing")["ok"]
        red.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
        assert red.command("buzz", press_at=None)["ok"]
        red.wait_latest(lambda s: s["match"]["phase"] == "answering")
        assert red.command("choice", choices=[key])["ok"]

        closed = display.wait_for(
            lambda r, ref=ref: r["round"] == ref and r["status"] == "closed",
            "audience_round",
            timeout=WAIT_S,
        )
        result = closed["result"]
        correct = sum(right_on(i, q) for i in range(PHONES))
        assert (result["answered"], result["correct"]) == (PHONES, correct)
        assert result["key"] == [key]
        distribution = {o["key"]: 0 for o in question["options"]}
        distribution[key] = correct
        distribution[wrong] = PHONES - correct
        assert result["distribution"] == distribution
        fastest = {n["name"]["zh"] for n in result["fastest"]}
        assert fastest <= {names[i]["zh"] for i in range(PHONES) if right_on(i, q)}
        assert len(result["fastest"]) == min(10, correct)

        def verdict(i: int, ref: str = ref, q: int = q) -> bool:
            you = phones[i].wait_for(
                lambda y: (y.get("outcome") or {}).get("round") == ref,
                "audience_you",
                timeout=WAIT_S,
            )
            return bool(you["outcome"]["correct"]) is right_on(i, q)

        assert all(in_parallel(verdict, list(range(PHONES))))
        # Red wins the third question and with it the match (3:0).
        host.wait_latest(lambda s: s["match"]["phase"] in ("result", "finished"))

    # Ranks: count scoring, equal points share a rank.
    totals = [sum(right_on(i, q) for q in range(QUESTIONS)) for i in range(PHONES)]
    for i, phone in enumerate(phones):
        you = phone.last("audience_you")
        better = sum(1 for t in totals if t > totals[i])
        assert you["score"]["correct"] == you["score"]["points"] == totals[i]
        assert you["score"]["rank"] == better + 1 and you["score"]["of"] == PHONES
    # The LED moves on only when the host says so (docs/audience.md): the host shows the board.
    assert host.command("audience_screen", screen="leaderboard")["ok"]
    board = display.wait_for(
        lambda s: s["screen"] == "leaderboard" and s["leaderboard"]["phones"] == PHONES,
        "audience_screen",
    )
    rows = display.last("audience_screen")["leaderboard"]["rows"]
    assert board["leaderboard"]["phones"] == PHONES
    assert len(rows) == 10 and all(r["points"] == 3 and r["rank"] == 1 for r in rows)
    top = {names[i]["zh"] for i in range(PHONES) if totals[i] == 3}
    assert {r["name"]["zh"] for r in rows} <= top

    # A draw over the phones with all three right: 12 of them, every one wins exactly once.
    eligible = {i for i in range(PHONES) if totals[i] >= 3}
    prepared = host.command("prepare_draw", prize="纪念U盘", count=20, min_correct=3)
    assert prepared["eligible"] == len(eligible) == 12
    led = display.wait_for(
        lambda s: (s.get("draw") or {}).get("id") == prepared["draw"], "audience_screen"
    )
    assert led["draw"]["commitment"] == prepared["commitment"] and not led["draw"]["drawn"]
    ran = host.command("run_draw", draw=prepared["draw"], public_input="2024")
    assert len(ran["winners"]) == 12
    winners = {w["nickname"] for w in ran["winners"]}
    assert winners == {names[i]["zh"] for i in eligible}
    for i, phone in enumerate(phones):
        if i in eligible:
            you = phone.wait_for(lambda y: y["prizes"], "audience_you", timeout=WAIT_S)
            assert len(you["prizes"]) == 1
        else:
            assert phone.last("audience_you")["prizes"] == []

    # Five of the phones with at least two right, earlier winners allowed: five phones.
    second = host.command(
        "prepare_draw", prize="帆布袋", count=5, min_correct=2, exclude_winners=False
    )
    assert second["eligible"] == sum(1 for t in totals if t >= 2)
    picked = [w["nickname"] for w in host.command("run_draw", draw=second["draw"])["winners"]]
    assert len(picked) == len(set(picked)) == 5
    assert set(picked) <= {names[i]["zh"] for i in range(PHONES) if totals[i] >= 2}

    export = host.command("export_draws", format="json", include_codes=False)
    records = json.loads(export["content"])
    assert [verify_public(r) for r in records] == [[], []]
    assert [r["eligible_count"] for r in records] == [12, second["eligible"]]


def test_bad_input_and_repeats_over_real_sockets(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host, red, _match = start_match(live_server, sio_peer)
    phone = sio_peer(live_server, "player")
    other = sio_peer(live_server, "player")
    host.host_command("show_question")
    view = phone.wait_for(lambda r: r["status"] == "open", "audience_round")
    ref = view["round"]
    key = host.last()["match"]["question"]["answer"][0]

    for payload in (
        "answer",
        {"type": "answer", "round": ref, "choices": [key]},  # no id
        {"id": "x1", "type": "answer", "round": ref, "choices": key},
        {"id": "x2", "type": "answer", "round": ref, "choices": [key], "extra": 1},
        {"id": "x3", "type": "answer", "round": [ref], "choices": [key]},
        {"id": "x4", "type": "nickname", "name": None},
        {"id": "x5", "type": "answer", "round": ref, "choices": ["A"] * 100},
    ):
        ack = phone.client.call("command", payload, timeout=10)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", (payload, ack)
    assert (
        phone.client.call("command", {"id": "x6", "type": "answer", "pad": "x" * 5000}, timeout=10)[
            "error"
        ]["code"]
        == "too_large"
    )

    first = phone.client.call(
        "command", {"id": "same-id", "type": "answer", "round": ref, "choices": [key]}, timeout=10
    )
    assert first["ok"] and first["verdict"] == "accepted"
    # The same command again (a resend after a lost ack): the same ack, nothing counted twice.
    resent = phone.client.call(
        "command", {"id": "same-id", "type": "answer", "round": ref, "choices": [key]}, timeout=10
    )
    assert resent == first
    assert phone.command("answer", round=ref, choices=[key])["verdict"] == "unchanged"
    other_choice = "A" if key != "A" else "B"
    assert phone.command("answer", round=ref, choices=[other_choice])["error"]["code"] == (
        "duplicate"
    )
    assert red.command("answer", round=ref, choices=[key])["error"]["code"] == "forbidden"
    assert phone.command("nickname", name="\u0000\u200b")["error"]["code"] == "name_empty"
    assert phone.command("nickname", name="名" * 17)["error"]["code"] == "name_too_long"
    assert phone.command("nickname", name="<b>粗体</b>")["ok"]
    assert other.command("nickname", name="<B>粗体</B>")["error"]["code"] == "name_taken"
    pending = host.wait_for(lambda a: a["pending"], "audience_admin")["pending"]
    assert pending[0]["requested"] == "<b>粗体</b>"  # kept as text; pages escape it

    display = sio_peer(live_server, "display")
    deadline = time.monotonic() + WAIT_S
    while display.last("audience") is None or display.last("audience")["count"] != 1:
        assert time.monotonic() < deadline, display.last("audience")
        time.sleep(0.05)
    assert host.host_command("void")["ok"]
    closed = phone.wait_for(lambda r: r["status"] == "closed", "audience_round")
    assert closed["result"]["answered"] == 1
    late = other.command("answer", round=ref, choices=[key])
    assert late["error"]["code"] == "closed"

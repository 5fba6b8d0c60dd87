"""Commands over Socket.IO: who may send what, payload validation, errors to the sender only,
duplicate ids, stale host commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.server.conftest import TC, Live


def _quiet(*clients: TC) -> None:
    for c in clients:
        c.clear()


def test_players_cannot_run_the_match(live: Live) -> None:
    live.host.host("show_question")
    for phone in (live.red, live.blue, live.audience):
        for type, args in [
            ("judge", {"correct": True}),
            ("open_buzzing", {}),
            ("void", {}),
            ("start_match", {"match_id": live.match_id}),
        ]:
            ack = phone.command(type, seq=live.host.last()["seq"], **args)
            assert ack["error"]["code"] == "forbidden", (type, ack)
    assert live.host.last()["match"]["phase"] == "question"


def test_the_display_is_read_only(live: Live) -> None:
    for type, args in [
        ("buzz", {"press_at": None}),
        ("judge", {"correct": True}),
        ("guess", {"choices": ["A"]}),
        ("add_contestant", {"name": "x"}),
    ]:
        assert live.display.command(type, **args)["error"]["code"] == "forbidden"


def test_audience_phones_cannot_buzz_and_contestants_cannot_guess(live: Live) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    assert live.audience.command("buzz", press_at=None)["error"]["code"] == "forbidden"
    assert live.red.command("guess", choices=["A"])["error"]["code"] == "forbidden"
    assert live.host.last()["match"]["phase"] == "buzzing"


def test_a_player_buzzes_only_for_their_own_seat(live: Live) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    # There is no way to name a side: the seat decides it.
    ack = live.red.command("buzz", press_at=None, side="blue")
    assert ack["error"]["code"] == "invalid"
    ack = live.red.command("buzz", press_at=None, device_id="blue-phone-1")
    assert ack["error"]["code"] == "invalid"
    assert live.host.last()["match"]["phase"] == "buzzing"
    buzzed = live.red.command("buzz", press_at=None)
    assert buzzed["ok"] and buzzed["applied"] is True
    assert live.host.last()["match"]["engine"]["answering"] == "red"
    # Blue's own phone cannot answer for red either: acknowledged (v1) but, as the ack says,
    # not applied.
    answer = live.host.last()["match"]["question"]["answer"]
    ack = live.blue.command("choice", choices=answer)
    assert ack["ok"] and ack["events"] == ["buzz_rejected"]
    assert ack["applied"] is False and ack["reason"] == "buzz_rejected"
    assert live.host.last()["match"]["phase"] == "answering"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (None, "invalid"),
        ("buzz", "invalid"),
        ([1, 2], "invalid"),
        ({"type": "pause", "seq": 0}, "invalid"),
        ({"id": "", "type": "pause", "seq": 0}, "invalid"),
        ({"id": 7, "type": "pause", "seq": 0}, "invalid"),
        ({"id": "x" * 65, "type": "pause", "seq": 0}, "invalid"),
        ({"id": "a", "type": "explode"}, "unknown_command"),
        ({"id": "a", "type": "tick", "seq": 0}, "unknown_command"),
        ({"id": "a", "type": "bind_device", "seq": 0}, "unknown_command"),
        ({"id": "a", "type": "pause"}, "invalid"),
        ({"id": "a", "type": "pause", "seq": "3"}, "invalid"),
        ({"id": "a", "type": "pause", "seq": -1}, "invalid"),
        ({"id": "a", "type": "judge", "seq": 0, "correct": "yes"}, "invalid"),
        ({"id": "a", "type": "judge", "seq": 0}, "invalid"),
        ({"id": "a", "type": "override", "seq": 0, "winner": "green"}, "invalid"),
        ({"id": "a", "type": "add_contestant", "name": 5}, "invalid"),
        ({"id": "a", "type": "add_contestant", "name": "x", "extra": 1}, "invalid"),
        ({"id": "a", "type": "add_contestant", "name": " \x00\u200b "}, "invalid"),
        ({"id": "a", "type": "add_contestant", "name": "长" * 41}, "invalid"),
        ({"id": "a", "type": "create_match", "red": 1, "blue": 1}, "invalid"),
        ({"id": "a", "type": "create_match", "red": 1, "blue": 2, "rules": {"x": 1}}, "invalid"),
        (
            {"id": "a", "type": "create_match", "red": 1, "blue": 2, "rules": {"games_to_win": 99}},
            "invalid",
        ),
        (
            {
                "id": "a",
                "type": "create_match",
                "red": 1,
                "blue": 2,
                "filter": {"difficulty": [3, 1]},
            },
            "invalid",
        ),
        ({"id": "a", "type": "create_match", "red": 998, "blue": 999}, "not_found"),
        ({"id": "a", "type": "start_match", "match_id": 999}, "not_found"),
        ({"id": "a", "type": "issue_seat", "match_id": 1, "side": "green"}, "invalid"),
        ({"id": "a", "type": "add_contestant", "name": "x" * 5000}, "too_large"),
    ],
)
def test_bad_payloads_are_refused_to_the_sender_only(live: Live, payload: Any, code: str) -> None:
    before = live.host.last()
    _quiet(*live.viewers().values(), live.host)
    ack = live.host.send(payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code, ack
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    for client in live.viewers().values():
        assert client.drain() == [], "an error must reach the sender only"
    assert live.host.drain() == []
    assert live.hub.current is not None and live.hub.current.seq == before["seq"]


def test_illegal_engine_commands_come_back_with_the_engine_code(live: Live) -> None:
    ack = live.host.host("judge", correct=True)
    assert ack["error"]["code"] == "wrong_phase"
    live.host.host("show_question")
    live.host.host("pause")
    assert live.host.host("open_buzzing")["error"]["code"] == "paused"


def test_stale_host_commands_are_refused(live: Live) -> None:
    live.host.host("show_question")
    seen = live.host.last()["seq"]
    live.host.host("open_buzzing")
    assert live.red.command("buzz", press_at=None)["ok"]
    ack = live.host.command("void", seq=seen)
    assert ack["error"]["code"] == "stale"
    assert live.host.last()["match"]["phase"] == "answering"
    assert live.host.host("void")["ok"]


def test_a_repeated_command_id_applies_once(live: Live) -> None:
    payload = {"id": "click-1", "type": "show_question", "seq": live.host.last()["seq"]}
    first = live.host.send(payload)
    second = live.host.send(payload)
    assert first["ok"] and second == first
    assert live.hub.current is not None and live.hub.current.seq == first["seq"]
    live.host.host("open_buzzing")
    buzz = {"id": "b-1", "type": "buzz", "press_at": None}
    one = live.red.send(buzz)
    assert live.red.send(buzz) == one
    assert one["events"] == ["buzz_won", "answer_started"]
    # Errors are remembered too: the same id never runs twice.
    bad = {"id": "b-2", "type": "judge", "seq": 0, "correct": True}
    assert live.host.send(bad)["error"]["code"] == "stale"
    assert live.host.send(bad)["error"]["code"] == "stale"


def test_admin_flow_and_console(connect: Callable[..., TC]) -> None:
    from tests.server.conftest import TOKEN

    host = connect("host", token=TOKEN)
    ack = host.command("add_contestant", name="  王\x07小\u200b明\n ")
    assert ack["ok"]
    console = host.last("console")
    assert console["contestants"] == [{"id": ack["contestant_id"], "name": "王小明"}]
    ev = host.command("create_event", title="<b>反诈</b> 宣传周", lang="en", slogan="全民反诈")
    assert ev["ok"]
    console = host.last("console")
    assert console["event"] == {
        "id": ev["event_id"],
        "title": "<b>反诈</b> 宣传周",
        "lang": "en",
        "slogan": "全民反诈",
    }
    assert console["contestants"] == []
    assert host.last()["event"]["id"] == ev["event_id"]


def test_only_one_live_match_at_a_time(live: Live) -> None:
    other = live.host.command(
        "create_match",
        red=live.host.last("console")["contestants"][0]["id"],
        blue=live.host.last("console")["contestants"][1]["id"],
    )
    assert other["ok"]
    ack = live.host.command("start_match", match_id=other["match_id"])
    assert ack["error"]["code"] == "conflict"
    assert live.host.command("create_event", title="x")["error"]["code"] == "conflict"
    assert live.host.command("abort_match", match_id=live.match_id)["ok"]
    assert live.display.last()["match"] is None
    assert live.host.command("start_match", match_id=other["match_id"])["ok"]
    assert live.display.last()["match"]["id"] == other["match_id"]
    # The first match's phones are spectators now.
    assert live.red.last()["role"] == "audience"


def test_bank_empty_is_reported(connect: Callable[..., TC], live: Live) -> None:
    live.host.command("abort_match", match_id=live.match_id)
    ids = [c["id"] for c in live.host.last("console")["contestants"]]
    ack = live.host.command(
        "create_match", red=ids[0], blue=ids[1], filter={"categories": ["rumours"]}
    )
    live.host.command("start_match", match_id=ack["match_id"])
    assert live.host.host("show_question")["error"]["code"] == "bank_empty"


def test_sync_reports_server_times(live: Live) -> None:
    live.clock.advance(5)
    ack = live.red.client.emit("sync", {"t0": 123.5, "rtt": 40}, callback=True)
    assert ack == {"t0": 123.5, "t1": live.clock.value, "t2": live.clock.value}
    live.red.client.emit("sync", {"t0": 1, "rtt": 60}, callback=True)
    bad = live.display.client.emit("sync", {"t0": "soon"}, callback=True)
    assert bad["error"]["code"] == "invalid"
    live.host.command("issue_seat", match_id=live.match_id, side="blue")  # refreshes console
    seat = next(s for s in live.host.last("console")["seats"] if s["side"] == "red")
    assert seat["latency_ms"] == 50.0


def test_audience_guesses_are_tallied_after_the_result(live: Live) -> None:
    live.host.host("show_question")
    q = live.host.last()["match"]["question"]
    assert live.audience.command("guess", choices=["A"])["ok"]
    assert live.audience.command("guess", choices=["Z"])["error"]["code"] == "invalid"
    live.tick(600)
    update = live.display.last("audience")
    assert update["count"] == 1 and update["tally"] is None
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    live.red.command("choice", choices=q["answer"])
    live.tick(600)
    assert live.display.last("audience")["tally"] == {"A": 1}
    # The audience round closed with the contestants' question (docs/protocol.md §14).
    assert live.audience.command("guess", choices=["B"])["error"]["code"] == "closed"


def test_a_flood_of_buzzes_is_rate_limited(live: Live) -> None:
    live.host.host("show_question")
    acks = [live.blue.command("buzz", press_at=None) for _ in range(25)]
    codes = [a.get("error", {}).get("code") for a in acks]
    assert codes[:20] == [None] * 20 and set(codes[20:]) == {"rate_limited"}
    seq = live.hub.current.seq if live.hub.current else 0
    live.clock.advance(1000)  # refilled: ten more a second later
    assert live.blue.command("buzz", press_at=None)["ok"]
    assert live.host.command("pause", seq=seq + 1)["ok"]  # the host has its own budget

"""Seats survive phones: the same phone always comes back to its seat with no duplicate, a
second phone with the same code waits for the host (approve: the old one is cut off; deny:
refused), the host can move a seat to a spare phone mid-match, and two host tabs see the same
state with their commands ordered by ``seq``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from quiz.live.hub import LiveHub
from quiz.live.protocol import ProtocolError
from tests.server.conftest import TC, TOKEN, Live, start_match

THIEF = "second-phone-1"


def _bindings(live: Live) -> list[dict[str, Any]]:
    """The bind/unbind commands in the match log, in order."""
    return [
        r.command
        for r in live.hub.matches.log_entries(live.match_id)
        if r.command["type"] in ("bind_device", "unbind_device")
    ]


def _refusal(hub: LiveHub, auth: dict[str, Any]) -> str:
    with pytest.raises(ProtocolError) as info:
        hub.connect("sid-refused", {"v": 1, "role": "player", **auth})
    assert "sid-refused" not in hub.connections.clients
    return info.value.code


def _notices(client: TC) -> list[str]:
    """Codes of the ``notice`` messages a (now disconnected) test client was sent; its
    queue outlives the connection, ``get_received`` does not."""
    return [m["args"][0]["code"] for m in client.client.queue if m["name"] == "notice"]


def _answering(live: Live, phone: TC) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    assert phone.command("buzz", press_at=None)["ok"]
    live.tick(1000)  # past any commit window
    assert live.host.last()["match"]["phase"] == "answering"


def test_the_same_phone_comes_back_to_its_seat_without_a_duplicate(
    live: Live, connect: Callable[..., TC]
) -> None:
    code = live.codes["red"]
    for seat in (code, code.lower(), f" {code} "):  # reload, sleep, network change
        live.red.client.disconnect()
        live.red = connect("player", seat=seat, device="red-phone-1")
        assert live.red.connected
        assert live.red.last()["you"] == {"side": "red", "seat": code, "match_id": live.match_id}
    # A second tab of the same phone is the same buzzer, not a second one.
    tab = connect("player", seat=code, device="red-phone-1")
    assert tab.connected
    devices = live.host.last()["match"]["engine"]["devices"]
    assert devices == {"red-phone-1": "red", "blue-phone-1": "blue"}
    assert [b["device_id"] for b in _bindings(live)] == ["red-phone-1", "blue-phone-1"]
    seats = [s for s in live.host.last("console")["seats"] if s["match_id"] == live.match_id]
    assert sorted((s["side"], s["device"]) for s in seats) == [
        ("blue", "blue-phone-1"),
        ("red", "red-phone-1"),
    ]
    live.host.host("show_question")
    live.host.host("open_buzzing")
    assert live.red.command("buzz", press_at=None)["ok"]
    assert tab.command("buzz", press_at=None)["events"] == ["buzz_rejected"]
    live.tick(1000)
    buzzes = live.host.last()["match"]["engine"]["buzzes"]
    assert [b["side"] for b in buzzes] == ["red"]


def test_a_second_phone_waits_for_the_host(live: Live, hub: LiveHub) -> None:
    code = live.codes["red"]
    assert _refusal(hub, {"seat": code, "device": THIEF}) == "takeover_pending"
    consoles = len(live.host.all("console"))
    for _ in range(3):  # the phone retries: one request, one console update
        assert _refusal(hub, {"seat": code, "device": THIEF}) == "takeover_pending"
    assert len(live.host.all("console")) == consoles
    takeovers = live.host.last("console")["takeovers"]
    assert [(t["match_id"], t["side"], t["device"], t["code"]) for t in takeovers] == [
        (live.match_id, "red", THIEF, code)
    ]
    # Meanwhile the seat is untouched: the first phone still buzzes for red.
    assert live.red.connected
    assert live.host.last()["match"]["engine"]["devices"]["red-phone-1"] == "red"
    _answering(live, live.red)
    assert live.host.last()["match"]["engine"]["answering"] == "red"
    for viewer in (live.display, live.audience, live.blue):
        assert "takeovers" not in str(viewer.all("console"))


def test_approving_a_takeover_moves_the_seat_mid_match(
    live: Live, hub: LiveHub, connect: Callable[..., TC]
) -> None:
    code = live.codes["red"]
    _answering(live, live.red)
    assert _refusal(hub, {"seat": code, "device": THIEF}) == "takeover_pending"
    old = live.red
    ack = live.host.command("approve_takeover", match_id=live.match_id, side="red", device=THIEF)
    assert ack["ok"] and ack["code"] == code
    assert not old.connected and _notices(old) == ["seat_moved"]
    engine = live.host.last()["match"]["engine"]
    assert engine["devices"] == {THIEF: "red", "blue-phone-1": "blue"}
    assert engine["answering"] == "red" and engine["phase"] == "answering"
    assert _bindings(live)[-2:] == [
        {"type": "unbind_device", "device_id": "red-phone-1"},
        {"type": "bind_device", "side": "red", "device_id": THIEF},
    ]
    assert live.host.last("console")["takeovers"] == []
    # The new phone is red now and finishes the answer; the old one would have to ask back.
    new = connect("player", seat=code, device=THIEF)
    assert new.connected and new.last()["you"]["side"] == "red"
    answer = live.host.last()["match"]["question"]["answer"]
    assert new.command("choice", choices=answer)["ok"]
    assert live.host.last()["match"]["engine"]["score"] == {"red": 1, "blue": 0}
    assert _refusal(hub, {"seat": code, "device": "red-phone-1"}) == "takeover_pending"


def test_denying_a_takeover_refuses_that_phone(live: Live, hub: LiveHub) -> None:
    code = live.codes["blue"]
    assert _refusal(hub, {"seat": code, "device": THIEF}) == "takeover_pending"
    ack = live.host.command("deny_takeover", match_id=live.match_id, side="blue", device=THIEF)
    assert ack["ok"]
    assert live.host.last("console")["takeovers"] == []
    consoles = len(live.host.all("console"))
    assert _refusal(hub, {"seat": code, "device": THIEF}) == "seat_taken"
    assert len(live.host.all("console")) == consoles  # no new request to bother the host
    assert live.blue.connected
    assert live.host.last()["match"]["engine"]["devices"]["blue-phone-1"] == "blue"
    stale = live.host.command("approve_takeover", match_id=live.match_id, side="blue", device=THIEF)
    assert stale["error"]["code"] == "not_found"


def test_reissuing_a_seat_mid_answer_cuts_the_old_phone_off(
    live: Live, hub: LiveHub, connect: Callable[..., TC]
) -> None:
    _answering(live, live.red)
    old_code = live.codes["red"]
    ack = live.host.command("issue_seat", match_id=live.match_id, side="red")
    assert ack["ok"]
    old = live.red
    assert not old.connected
    assert _notices(old) == ["seat_reissued"]
    engine = live.host.last()["match"]["engine"]
    assert "red-phone-1" not in engine["devices"] and engine["phase"] == "answering"
    assert _refusal(hub, {"seat": old_code, "device": "red-phone-1"}) == "unknown_seat"
    spare = connect("player", seat=ack["code"], device="red-spare-1")
    assert spare.connected
    assert live.host.last()["match"]["engine"]["devices"]["red-spare-1"] == "red"
    answer = live.host.last()["match"]["question"]["answer"]
    assert spare.command("choice", choices=answer)["ok"]
    assert live.host.last()["match"]["engine"]["score"] == {"red": 1, "blue": 0}


def test_two_host_tabs_see_one_state_and_commands_are_ordered(
    live: Live, connect: Callable[..., TC]
) -> None:
    second = connect("host", token=TOKEN, device="host-device-2")
    assert second.connected
    assert second.last()["seq"] == live.host.last()["seq"]
    seen = live.host.last()["seq"]
    assert live.host.command("show_question", seq=seen)["ok"]
    # The other tab acted on the same state a moment later: refused, not applied twice.
    ack = second.command("show_question", seq=seen)
    assert ack["error"]["code"] == "stale" and "seq" in ack["error"]["message"]
    assert second.last() == live.host.last()  # both tabs got the same state
    assert second.host("open_buzzing")["ok"]
    assert live.host.last()["match"]["phase"] == second.last()["match"]["phase"]
    # A refreshed tab gets everything back at once.
    second.client.disconnect()
    again = connect("host", token=TOKEN, device="host-device-2")
    assert again.last()["seq"] == live.host.last()["seq"]
    assert again.last("console")["matches"] == live.host.last("console")["matches"]


def test_rotating_the_host_token(live: Live, connect: Callable[..., TC], hub: LiveHub) -> None:
    other = connect("host", token=TOKEN, device="host-device-2")
    ack = live.host.command("rotate_token")
    assert ack["ok"] and ack["token"] != TOKEN and ack["token"] in ack["host_url"]
    assert not other.connected
    assert _notices(other) == ["token_rotated"]
    with pytest.raises(ProtocolError) as info:
        hub.connect("sid-old-token", {"v": 1, "role": "host", "token": TOKEN})
    assert info.value.code == "unauthorized"
    fresh = connect("host", token=ack["token"])
    assert fresh.connected and fresh.last()["seq"] == live.host.last()["seq"]
    assert live.host.connected and live.host.host("show_question")["ok"]
    # The token is in that one ack only, never in a broadcast.
    for client in (fresh, live.display, live.red, live.audience):
        assert ack["token"] not in str(client.drain())
    assert live.red.command("rotate_token")["error"]["code"] == "forbidden"


def test_refused_and_forbidden_attempts_are_logged(
    live: Live, connect: Callable[..., TC], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING")
    live.host.host("show_question")
    live.red.command("buzz", press_at=None)
    assert caplog.records == []  # valid play leaves the log alone
    assert not connect("host", token="guessed-token").connected
    assert not connect("player", seat=live.codes["blue"], device=THIEF).connected
    assert live.audience.command("judge", correct=True, seq=0)["error"]["code"] == "forbidden"
    cross = live.red.command("buzz", press_at=None, side="blue")  # naming the other seat
    assert cross["error"]["code"] == "invalid"
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "refused 'host' connect" in text and "unauthorized" in text
    assert "takeover_pending" in text
    assert "forbidden judge from audience:audience-phone-1" in text
    assert "invalid buzz from player:red-phone-1" in text


def test_a_finished_match_is_back_on_the_display_after_a_restart(
    connect: Callable[..., TC], hub: LiveHub, make_app: Callable[..., Any]
) -> None:
    live = start_match(connect, hub, hub.clock, rules={"games_to_win": 1})  # type: ignore[arg-type]
    _answering(live, live.red)
    answer = live.host.last()["match"]["question"]["answer"]
    live.red.command("choice", choices=answer)
    assert live.host.last()["match"]["phase"] == "finished"
    hub.stop()
    from quiz.app import hub_of

    restarted = hub_of(make_app())
    assert restarted.current is not None and restarted.current.match_id == live.match_id
    assert restarted.current.status == "finished"
    assert restarted.broadcaster.full_state()["match"]["engine"]["outcome"]["winner"] == "red"


def test_rejected_buzzes_do_not_make_the_host_stale(
    live: Live, make_app: Callable[..., Any]
) -> None:
    _answering(live, live.red)
    seen = live.host.last()["seq"]
    for _ in range(3):  # blue cannot buzz now: each one is logged as buzz_rejected
        assert live.blue.command("buzz", press_at=None)["events"] == ["buzz_rejected"]
    assert live.host.last()["seq"] == seen + 3
    assert live.host.command("pause", seq=seen)["ok"]  # nothing that matters changed
    paused = live.host.last()["seq"]
    assert live.host.command("resume", seq=seen)["error"]["code"] == "stale"  # the pause did
    assert live.blue.command("buzz", press_at=None)["events"] == ["buzz_rejected"]
    live.hub.stop()
    from quiz.app import hub_of

    restarted = hub_of(make_app())  # the rule survives a restart (recomputed from the log)
    assert restarted.current is not None and restarted.current.material_seq == paused

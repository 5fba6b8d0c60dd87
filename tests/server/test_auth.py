"""Who may connect as what: host token, seat codes bound to one phone, everyone else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quiz.live.hub import LiveHub
from quiz.live.protocol import ProtocolError
from tests.server.conftest import TC, TOKEN, Live


def test_host_needs_the_right_token(connect: Callable[..., TC]) -> None:
    assert not connect("host").connected
    assert not connect("host", token="wrong").connected
    assert not connect("host", token=TOKEN[:-1]).connected
    host = connect("host", token=TOKEN)
    assert host.connected
    assert host.last("state")["role"] == "host"
    assert host.last("console")["event"]["id"] is not None


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "bad_auth"),
        ("host", "bad_auth"),
        ({"role": "host", "token": TOKEN}, "bad_auth"),
        ({"v": 2, "role": "host", "token": TOKEN}, "bad_auth"),
        ({"v": 1, "role": "admin"}, "bad_auth"),
        ({"v": 1, "role": "player"}, "bad_auth"),
        ({"v": 1, "role": "player", "device": "short"}, "bad_auth"),
        ({"v": 1, "role": "player", "device": "bad device id!"}, "bad_auth"),
        ({"v": 1, "role": "host", "token": 12345}, "bad_auth"),
        ({"v": 1, "role": "host"}, "unauthorized"),
        ({"v": 1, "role": "host", "token": "nope"}, "unauthorized"),
        ({"v": 1, "role": "player", "device": "device-abc", "seat": "ZZZZZ"}, "unknown_seat"),
        ({"v": 1, "role": "player", "device": "device-abc", "seat": "0O1IL"}, "unknown_seat"),
    ],
)
def test_refusals_carry_a_code(hub: LiveHub, auth: object, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        hub.connect("sid-x", auth)
    assert info.value.code == code
    assert "sid-x" not in hub.connections.clients


def test_display_and_audience_need_no_secret(connect: Callable[..., TC]) -> None:
    display = connect("display")
    phone = connect("player")
    assert display.connected and phone.connected
    assert display.last()["role"] == "display"
    assert phone.last()["role"] == "audience"
    assert phone.last()["you"] == {"side": None, "seat": None, "match_id": None}
    assert display.last("console") is None and phone.last("console") is None


def test_a_seat_belongs_to_the_first_phone(live: Live, connect: Callable[..., TC]) -> None:
    thief = connect("player", seat=live.codes["red"], device="another-phone")
    assert not thief.connected
    again = connect("player", seat=live.codes["red"].lower(), device="red-phone-1")
    assert again.connected
    assert again.last()["you"] == {
        "side": "red",
        "seat": live.codes["red"],
        "match_id": live.match_id,
    }
    devices = live.host.last()["match"]["engine"]["devices"]
    assert devices == {"red-phone-1": "red", "blue-phone-1": "blue"}


def test_reissuing_a_seat_revokes_the_old_code(live: Live, connect: Callable[..., TC]) -> None:
    ack = live.host.command("issue_seat", match_id=live.match_id, side="red")
    assert ack["ok"] and ack["code"] != live.codes["red"]
    assert not live.red.connected  # the old phone was cut off
    assert not connect("player", seat=live.codes["red"], device="red-phone-1").connected
    assert "red-phone-1" not in live.host.last()["match"]["engine"]["devices"]
    fresh = connect("player", seat=ack["code"], device="red-phone-2")
    assert fresh.connected
    assert live.host.last()["match"]["engine"]["devices"]["red-phone-2"] == "red"
    seats = live.host.last("console")["seats"]
    assert {s["code"] for s in seats} == {ack["code"], live.codes["blue"]}
    assert next(s for s in seats if s["side"] == "red")["online"] is True

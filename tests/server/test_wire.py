"""The Socket.IO packet codec of quiz/sockets/wire.py."""

from __future__ import annotations

import json

import pytest
from socketio import packet

from quiz.sockets.wire import UNREADABLE, WirePacket


def test_a_json_state_is_encoded_as_a_plain_event_without_walking_it() -> None:
    state = {"match": {"games": [{"questions": [{"buzzes": [{"side": "red"}] * 50}] * 40}]}}
    encoded = WirePacket(packet.EVENT, data=["state", state]).encode()
    assert isinstance(encoded, str) and encoded.startswith("2[")
    assert json.loads(encoded[1:]) == ["state", state]


def test_bytes_fail_loudly_instead_of_becoming_an_attachment() -> None:
    with pytest.raises(TypeError):
        WirePacket(packet.EVENT, data=["state", {"blob": b"\x00"}]).encode()


def test_unreadable_json_decodes_to_the_unreadable_event() -> None:
    pkt = WirePacket(encoded_packet='2["command", {"id": ')
    assert pkt.data[0] == UNREADABLE

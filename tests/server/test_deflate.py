"""Shared permessage-deflate (quiz/server/deflate.py): a broadcast is compressed once, and
real WebSocket clients still read every message."""

from __future__ import annotations

import asyncio
import json
import zlib
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from wsproto.frame_protocol import Opcode, RsvBits

from quiz.server import deflate
from tests.asyncrun import run_async

SERVER = SimpleNamespace(client=False)
NO_RSV = RsvBits(False, False, False)


def inflate(payload: bytes, bits: int = 15) -> bytes:
    return zlib.decompressobj(-bits).decompress(payload + b"\x00\x00\xff\xff")


def test_the_same_message_compresses_once_to_the_same_bytes_for_every_socket() -> None:
    message = json.dumps({"state": ["第1题：网络举报", *range(400)]}).encode()
    assert len(message) >= deflate.SHARE_FROM_BYTES
    before = dict(deflate.stats)
    sockets = [deflate.SharedDeflate() for _ in range(3)]
    frames = [s.frame_outbound(SERVER, Opcode.TEXT, NO_RSV, message, True) for s in sockets]
    assert all(rsv.rsv1 for rsv, _ in frames)
    assert len({payload for _, payload in frames}) == 1
    assert inflate(frames[0][1]) == message
    assert deflate.stats["compressed"] == before["compressed"] + 1
    assert deflate.stats["shared"] == before["shared"] + 2


def test_short_messages_and_other_window_bits_are_compressed_per_socket() -> None:
    short = b'42["ack"]'
    small_window = deflate.SharedDeflate(server_max_window_bits=10)
    rsv, payload = small_window.frame_outbound(SERVER, Opcode.TEXT, NO_RSV, short, True)
    assert rsv.rsv1 and inflate(payload, 10) == short
    big = b"x" * 5000 + b"y" * 5000
    _, payload = small_window.frame_outbound(SERVER, Opcode.TEXT, NO_RSV, big, True)
    assert inflate(payload, 10) == big
    # Without context takeover a second message does not lean on the first one.
    _, again = small_window.frame_outbound(SERVER, Opcode.TEXT, NO_RSV, short, True)
    assert inflate(again, 10) == short


def test_the_offer_is_answered_without_server_context_takeover() -> None:
    ext = deflate.SharedDeflate()
    answer = ext.accept("permessage-deflate; client_max_window_bits")
    assert isinstance(answer, str) and "server_no_context_takeover" in answer


@pytest.mark.e2e
def test_a_compressing_client_reads_the_states_of_a_live_server(live_server: Any) -> None:
    async def session() -> tuple[str, list[Any]]:
        url = live_server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with aiohttp.ClientSession() as http, http.ws_connect(url, compress=15) as ws:
            extensions = ws._response.headers.get("Sec-WebSocket-Extensions", "")
            opened = await ws.receive_str(timeout=10)
            assert opened.startswith("0")
            auth = {"v": 1, "role": "player", "device": "deflate-phone-1"}
            await ws.send_str("40" + json.dumps(auth))
            events: list[Any] = []
            while not any(e[0] == "state" for e in events):
                text = await ws.receive_str(timeout=10)
                if text.startswith("42"):
                    events.append(json.loads(text[2:]))
            return extensions, events

    extensions, events = run_async(asyncio.wait_for(session(), 30))
    assert "permessage-deflate" in extensions and "server_no_context_takeover" in extensions
    state = next(e[1] for e in events if e[0] == "state")
    assert state["v"] == 1 and state["role"] == "audience"

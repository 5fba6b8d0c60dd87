"""Abuse over real sockets: a phone flooding buzzes at 100 a second is throttled while the
other phone plays on and the match stays as it was; oversized HTTP bodies and WebSocket
messages are refused at the limits set in quiz.config, and the server stays up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from quiz.config import Config
from quiz.live.gate import RATE_BURST, RATE_PER_S
from tests.conftest import LiveServer, Peer
from tests.reliability.harness import save_figures, start_cast

pytestmark = pytest.mark.e2e

SPAM_PER_S = 100
SPAM_S = 2.0


def _spam(phone: Peer, acks: list[dict[str, Any]], stop: threading.Event) -> None:
    """Buzz at SPAM_PER_S without waiting for acks (a script, not a finger)."""
    lock = threading.Lock()

    def keep(ack: Any) -> None:
        with lock:
            acks.append(ack)

    start = time.monotonic()
    for i in range(int(SPAM_PER_S * SPAM_S)):
        if stop.is_set():
            break
        phone.client.emit("command", {"id": f"spam-{i}", "type": "buzz"}, callback=keep)
        time.sleep(max(0.0, start + (i + 1) / SPAM_PER_S - time.monotonic()))


def test_buzz_spam_is_throttled_and_the_other_phone_plays_on(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    cast = start_cast(live_server, sio_peer)
    cast.do("show_question")
    question = cast.phase("question")["match"]["question"]
    acks: list[dict[str, Any]] = []
    stop = threading.Event()
    spammer = threading.Thread(target=_spam, args=(cast.blue, acks, stop), daemon=True)
    spammer.start()
    time.sleep(0.3)  # blue hammers the button before buzzing opens (违规 on the first press)
    cast.do("open_buzzing")  # the host has its own budget
    cast.phase("buzzing")
    started = time.monotonic()
    red_buzz = cast.red.command("buzz", press_at=None)
    red_buzz_ms = (time.monotonic() - started) * 1000
    assert red_buzz["ok"], red_buzz
    before = cast.phase("answering")["match"]["engine"]
    assert spammer.is_alive()  # all of this happened during the flood
    started = time.monotonic()
    red_choice = cast.red.command("choice", choices=question["answer"])
    red_choice_ms = (time.monotonic() - started) * 1000
    assert red_choice["ok"], red_choice
    spammer.join(SPAM_S + 10)
    deadline = time.monotonic() + 10
    while len(acks) < SPAM_PER_S * SPAM_S and time.monotonic() < deadline:
        time.sleep(0.05)
    codes = [a.get("error", {}).get("code") if isinstance(a, dict) else None for a in acks]
    limited = codes.count("rate_limited")
    passed = codes.count(None)
    assert len(acks) == SPAM_PER_S * SPAM_S  # every spam buzz was answered
    assert set(codes) <= {None, "rate_limited"}
    # The bucket lets the burst and the refill through, nothing more (with 1 s of slack).
    assert RATE_BURST <= passed <= RATE_BURST + RATE_PER_S * (SPAM_S + 1)
    assert limited >= SPAM_PER_S * SPAM_S - passed
    after = cast.phase("result")["match"]["engine"]
    # The flood counted as one early press and nothing more: red won the race and the
    # question, blue never buzzed in.
    record = after["games"][0]["questions"][0]
    assert after["score"] == {"red": 1, "blue": 0}
    assert [b["side"] for b in before["buzzes"]] == ["red"]
    assert [v["side"] for v in record["violations"]] == ["blue"]
    assert [a["side"] for a in record["attempts"]] == ["red"]
    assert record["buzzes"] == before["buzzes"]
    assert requests.get(f"{live_server.url}/healthz", timeout=5).json()["ok"]
    save_figures(
        "rate_limit",
        {
            "spam_buzzes": len(acks),
            "spam_per_s": SPAM_PER_S,
            "passed": passed,
            "rate_limited": limited,
            "red_buzz_ack_ms": round(red_buzz_ms, 1),
            "red_choice_ack_ms": round(red_choice_ms, 1),
        },
    )


def test_oversized_bodies_and_messages_are_refused(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    limit = Config.MAX_CONTENT_LENGTH
    assert limit == Config.SOCKETIO_MAX_HTTP_BUFFER_SIZE == 64 * 1024
    url = live_server.url
    # An HTTP body over the limit, on the Socket.IO polling endpoint and on a page.
    handshake = requests.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5)
    sid = handshake.text.split('"sid":"', 1)[1].split('"', 1)[0]
    big = "4" + "x" * (limit + 1)
    polling = requests.post(
        f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=big.encode(), timeout=10
    )
    page = requests.post(f"{url}/", data=b"x" * (limit + 1), timeout=10)
    assert polling.status_code == 413 and page.status_code == 413
    assert requests.post(f"{url}/", data=b"x" * 100, timeout=5).status_code == 405
    # A WebSocket message over the limit: that socket is dropped, nobody else.
    display = sio_peer(live_server, "display")
    phone = sio_peer(live_server, "player")
    gone = threading.Event()
    phone.client.on("disconnect", lambda *_: gone.set())
    phone.client.emit("command", {"id": "big", "type": "guess", "pad": "x" * (limit + 1)})
    assert gone.wait(10)
    assert display.client.call("sync", {"t0": 1}, timeout=5)["t0"] == 1
    # Just under the transport limit but over the command limit: a clear error instead.
    ok_phone = sio_peer(live_server, "player")
    ack = ok_phone.command("guess", pad="x" * (limit // 2))
    assert ack["error"]["code"] == "too_large"
    save_figures(
        "oversize",
        {
            "limit_bytes": limit,
            "http_polling_status": polling.status_code,
            "http_page_status": page.status_code,
            "websocket_over_limit": "disconnected",
            "command_over_4KiB": ack["error"]["code"],
        },
    )

"""The command gate (quiz/live/gate.py) and the host token (quiz/live/auth.py), without a
server: the socket-level behaviour is covered by tests/reliability/test_abuse.py."""

from __future__ import annotations

import threading

from quiz.live.auth import HostToken
from quiz.live.gate import RATE_BURST, RATE_PER_S, CommandGate


def _gate() -> CommandGate:
    return CommandGate("threading", threading.RLock())


def test_a_burst_passes_then_the_bucket_refills_at_its_rate() -> None:
    gate = _gate()
    assert all(gate.allow("player:a", 0) for _ in range(RATE_BURST))
    assert not gate.allow("player:a", 0)
    assert gate.allow("player:b", 0)  # buckets are per sender
    assert gate.allow("player:a", 1000 // RATE_PER_S)  # one token back after 1/rate s
    assert not gate.allow("player:a", 1000 // RATE_PER_S)


def test_one_lock_per_sender() -> None:
    gate = _gate()
    assert gate.lock_for("a") is gate.lock_for("a")
    assert gate.lock_for("a") is not gate.lock_for("b")


def test_the_host_token_and_its_rotation() -> None:
    host = HostToken("first-token")
    assert host.is_host("first-token")
    assert not host.is_host("first-token ")
    assert not host.is_host("")
    assert not host.is_host(None)
    new = host.rotate()
    assert new != "first-token" and len(new) >= 24
    assert host.is_host(new) and not host.is_host("first-token")

"""The bounded per-client structures (quiz.server.bounded) and the log throttle: sizes stay
bounded whatever ids clients invent, lockouts double, throttled lines say what they held."""

from __future__ import annotations

import logging
import tracemalloc

import pytest

from quiz.server.bounded import BoundedMap, Lockout
from quiz.server.limits import LogThrottle


def test_the_least_recently_used_entry_goes_first() -> None:
    evicted: list[str] = []
    m: BoundedMap[str, int] = BoundedMap(2, on_evict=lambda k, v: evicted.append(k))
    m.set("a", 1, now=0)
    m.set("b", 2, now=1)
    assert m.get("a", now=2) == 1  # a is now the most recent
    m.set("c", 3, now=3)
    assert "b" not in m and list(m) == ["a", "c"] and evicted == ["b"]


def test_entries_expire_after_their_ttl() -> None:
    m: BoundedMap[str, int] = BoundedMap(10, ttl=5)
    m.set("a", 1, now=0)
    m.set("b", 2, now=3)
    assert m.get("a", now=4) == 1  # touched: lives until 9
    assert m.get("b", now=8.5) is None  # untouched since 3
    assert m.expire(now=100) == 1 and len(m) == 0


def test_ten_thousand_invented_device_ids_leave_memory_bounded() -> None:
    m: BoundedMap[str, list[float]] = BoundedMap(1_000, ttl=600)
    tracemalloc.start()
    for i in range(10_000):
        m.setdefault(f"dev-{i:016x}", list, now=i * 0.01).append(1.0)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(m) == 1_000
    assert size < 1_000_000, size


def test_lockout_doubles_after_the_free_failures_and_clears_on_success() -> None:
    lock: Lockout[str] = Lockout(free=3, delay=1, max_delay=8)
    waits = [lock.failed("ip", now=t) for t in (0, 0, 0, 0)]
    assert waits == [0, 0, 0, 1]
    assert lock.retry_after("ip", now=0.5) == 0.5
    assert lock.failed("ip", now=1) == 2
    assert [lock.failed("ip", now=10 + t) for t in range(4)] == [4, 8, 8, 8]
    lock.succeeded("ip")
    assert lock.retry_after("ip", now=100) == 0


def test_lockout_forgets_quiet_keys_and_holds_few() -> None:
    lock: Lockout[str] = Lockout(free=0, delay=1, forget_after=60, max_keys=100)
    for i in range(1_000):
        lock.failed(f"10.0.{i // 256}.{i % 256}", now=0)
    assert len(lock) == 100
    assert lock.retry_after("10.0.3.231", now=61) == 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        BoundedMap(0)
    with pytest.raises(ValueError):
        Lockout(delay=0)


def test_log_throttle_lets_one_line_per_kind_through(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    throttle = LogThrottle(logging.getLogger("t"), every_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="t"):
        sent = [throttle.warning("bad", "bad packet %d", i) for i in range(100)]
        throttle.warning("other", "another kind")
        now[0] = 11
        throttle.warning("bad", "bad packet again")
    assert sent.count(True) == 1
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "bad packet 0",
        "another kind",
        "bad packet again (and 99 more like it in the last 10 s)",
    ]

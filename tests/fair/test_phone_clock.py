"""The emulated phone's clock arithmetic, which the fairness harness scripts presses with."""

from __future__ import annotations

import random

import pytest

from quiz.testing.phone import DeviceClock, EmulatedPhone


@pytest.mark.parametrize("drift", [-50.0, 0.0, 37.5])
def test_true_at_inverts_at(drift: float) -> None:
    clock = DeviceClock(origin_true_ms=1_800_000_000_000.0, start_ms=12.5, drift_ppm=drift)
    for true in (1_800_000_000_000.0, 1_800_000_123_456.7, 1_800_003_600_000.0):
        assert clock.true_at(clock.at(true)) == pytest.approx(true, abs=1e-3)


def test_the_screen_opens_where_the_phone_estimate_puts_the_opening() -> None:
    """A phone whose estimate is off by +35 ms shows buzzing open 35 ms early in true time."""
    rng = random.Random(7)
    clock = DeviceClock.random(rng)
    phone = EmulatedPhone("http://127.0.0.1:1", "SEAT", clock=clock)
    opens_at = clock.origin_true_ms + 120_000.0
    assert phone.unlock_true_ms(opens_at) == opens_at  # no estimate yet: the instant itself
    t = clock.origin_true_ms + 100_000.0
    for k in range(20):  # exchanges with a 100 ms uplink and a 30 ms downlink
        t0 = clock.at(t + k * 1000)
        t1 = t2 = t + k * 1000 + 100
        t3 = clock.at(t2 + 30)
        phone.sync.add(t0, round(t1), round(t2), t3)
    est = phone.sync.estimate
    assert est is not None
    bias = est.offset_at(clock.at(opens_at)) - clock.true_offset(opens_at)
    assert bias == pytest.approx(35, abs=1.5)
    assert phone.unlock_true_ms(opens_at) == pytest.approx(opens_at - bias, abs=0.5)

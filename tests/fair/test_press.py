"""estimate_press (bounded trust), opening_visible_at and commit_window."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.fair import (
    DEFAULT_CAP_MS,
    DEFAULT_MARGIN_MS,
    Clamp,
    ClockSync,
    Source,
    commit_window,
    estimate_press,
    opening_visible_at,
)
from quiz.fair.press import DEFAULT_FLOOR_MS, UPLINK_SHARE_MAX
from tests.fair.sim import Phone

OFFSET = 1_700_000_000_000.0
OPENS = 1_700_000_100_000


def synced(up: float = 40, down: float = 40, n: int = 10) -> tuple[ClockSync, Phone]:
    phone = Phone(offset=OFFSET)
    sync = ClockSync()
    for i in range(n):
        phone.exchange(sync, OPENS - 20_000 + 1000.0 * i, up=up, down=down)
    return sync, phone


def test_nothing_known_means_arrival_time() -> None:
    est = estimate_press(None, arrival_ms=OPENS + 500, opens_at=OPENS)
    assert (est.press_ms, est.uncertainty_ms, est.source) == (OPENS + 500, 0, Source.ARRIVAL)
    assert est.clamp is None and est.offset_ms is None


def test_no_sync_yet_means_arrival_minus_half_the_last_round_trip() -> None:
    est = estimate_press(None, arrival_ms=OPENS + 500, opens_at=OPENS, rtt_hint_ms=120)
    assert est.source is Source.HALF_RTT
    assert (est.press_ms, est.uncertainty_ms) == (OPENS + 440, 60)


def test_a_sync_without_a_claim_uses_its_last_round_trip() -> None:
    sync, _ = synced(up=30, down=30)
    est = estimate_press(sync, arrival_ms=OPENS + 500, opens_at=OPENS)
    assert est.source is Source.HALF_RTT
    assert est.press_ms == OPENS + 500 - 30


def test_a_guess_never_turns_a_buzz_into_a_violation() -> None:
    est = estimate_press(None, arrival_ms=OPENS + 20, opens_at=OPENS, rtt_hint_ms=300)
    assert est.press_ms == OPENS
    assert est.clamp is Clamp.BEFORE_VISIBLE and est.clamped_by_ms == 130


def test_a_device_timestamp_is_converted_with_the_servers_estimate() -> None:
    sync, phone = synced()
    press = OPENS + 250.0
    est = estimate_press(
        sync,
        arrival_ms=int(press) + 40,
        opens_at=OPENS,
        claimed_device_ms=phone.device_time(press),
    )
    assert est.source is Source.DEVICE_CLOCK
    assert est.press_ms == OPENS + 250
    assert est.clamp is None and est.clamped_by_ms == 0
    assert est.offset_ms == pytest.approx(OFFSET)
    assert est.rtt_ms == pytest.approx(80)
    # 1 ms resolution + 100 ppm of possible drift over the 11 s since the last sample.
    assert est.uncertainty_ms == 3


def test_a_server_time_claim_is_used_within_bounds() -> None:
    sync, _ = synced()
    est = estimate_press(
        sync, arrival_ms=OPENS + 300, opens_at=OPENS, claimed_server_ms=OPENS + 261
    )
    assert est.source is Source.CLIENT_CLAIM
    assert est.press_ms == OPENS + 261 and est.clamp is None


def test_a_forged_early_claim_is_clamped_to_round_trip_plus_margin() -> None:
    sync, phone = synced()
    arrival = OPENS + 400
    est = estimate_press(
        sync,
        arrival_ms=arrival,
        opens_at=OPENS,
        claimed_device_ms=phone.device_time(OPENS + 10.0),
    )
    earliest = arrival - 80 - DEFAULT_MARGIN_MS
    assert est.clamp is Clamp.TOO_EARLY
    assert est.press_ms == earliest
    assert est.clamped_by_ms == pytest.approx(earliest - (OPENS + 10))


def test_a_forged_claim_far_before_the_opening_becomes_a_violation_not_a_win() -> None:
    sync, phone = synced()
    arrival = OPENS + 60
    est = estimate_press(
        sync, arrival_ms=arrival, opens_at=OPENS, claimed_device_ms=phone.device_time(0.0)
    )
    assert est.clamp is Clamp.TOO_EARLY
    assert est.press_ms == arrival - 80 - DEFAULT_MARGIN_MS < OPENS  # the engine's 违规


def test_a_press_before_the_opening_is_left_for_the_engine_to_call_early() -> None:
    sync, phone = synced()
    est = estimate_press(
        sync,
        arrival_ms=OPENS + 10,
        opens_at=OPENS,
        claimed_device_ms=phone.device_time(OPENS - 30.0),
    )
    assert est.clamp is None and est.press_ms == OPENS - 30


def test_a_press_before_the_device_could_see_the_opening_is_clamped() -> None:
    sync, phone = synced()
    visible = opening_visible_at(OPENS, OPENS, sync)  # opened at once: 1/4 rtt to get there
    assert visible == OPENS + 20
    est = estimate_press(
        sync,
        arrival_ms=OPENS + 60,
        opens_at=OPENS,
        visible_from=visible,
        claimed_device_ms=phone.device_time(OPENS + 5.0),
    )
    assert est.clamp is Clamp.BEFORE_VISIBLE
    assert est.press_ms == OPENS + 20 and est.clamped_by_ms == pytest.approx(15)


def test_a_claim_after_the_arrival_is_brought_back_and_flagged_when_beyond_noise() -> None:
    sync, phone = synced()
    arrival = OPENS + 300
    noisy = estimate_press(
        sync, arrival_ms=arrival, opens_at=OPENS, claimed_server_ms=arrival + 0.6
    )
    assert noisy.press_ms == arrival and noisy.clamp is None
    wrong = estimate_press(
        sync, arrival_ms=arrival, opens_at=OPENS, claimed_device_ms=phone.device_time(arrival + 90)
    )
    assert wrong.press_ms == arrival and wrong.clamp is Clamp.AFTER_ARRIVAL
    assert wrong.clamped_by_ms == pytest.approx(90)


def test_opening_visibility() -> None:
    sync, _ = synced(up=100, down=100)
    assert opening_visible_at(OPENS, None, sync) == OPENS
    assert opening_visible_at(OPENS, OPENS - 2_000, sync) == OPENS  # announced well ahead
    assert opening_visible_at(OPENS, OPENS, None) == OPENS
    assert opening_visible_at(OPENS, OPENS, sync) == OPENS + 50


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, "12", True, None], ids=["nan", "inf", "str", "bool", "none"]
)
def test_bad_numbers_are_refused(bad: object) -> None:
    sync, _ = synced()
    with pytest.raises(ValueError, match="finite number"):
        estimate_press(sync, arrival_ms=bad, opens_at=OPENS)  # type: ignore[arg-type]
    if bad is not None:
        with pytest.raises(ValueError, match="finite number"):
            estimate_press(
                sync,
                arrival_ms=OPENS,
                opens_at=OPENS,
                claimed_device_ms=bad,  # type: ignore[arg-type]
            )


# --- commit window ---------------------------------------------------------------------------


def test_commit_window_of_two_close_phones_is_short() -> None:
    a, _ = synced(up=5, down=5)
    b, _ = synced(up=5, down=5)
    assert commit_window([a, b]) == DEFAULT_FLOOR_MS


def test_commit_window_covers_the_slower_uplink() -> None:
    near, _ = synced(up=5, down=5)
    far, _ = synced(up=150, down=150)
    window = commit_window([near, far])
    assert window == math.ceil(UPLINK_SHARE_MAX * 300 - (1 - UPLINK_SHARE_MAX) * 10 + 10)
    assert window > 150  # a press as early as the near phone's can still be in flight


def test_commit_window_is_capped_and_unknown_devices_get_the_cap() -> None:
    near, _ = synced(up=5, down=5)
    far, _ = synced(up=400, down=400)
    assert commit_window([near, far]) == DEFAULT_CAP_MS
    assert commit_window([near, ClockSync()]) == DEFAULT_CAP_MS
    assert commit_window([near, None], cap_ms=120) == 120
    assert commit_window([]) == DEFAULT_FLOOR_MS
    with pytest.raises(ValueError):
        commit_window([near], cap_ms=10, floor_ms=20)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    up=st.floats(0, 300),
    down=st.floats(0, 300),
    claim=st.floats(-1e6, 1e6),
    flight=st.integers(0, 2_000),
    lead=st.integers(-5_000, 5_000),
)
def test_the_compensated_time_always_stays_within_its_bounds(
    up: float, down: float, claim: float, flight: int, lead: int
) -> None:
    """Whatever a device claims, the result is never earlier than arrival - rtt - margin and
    never after the arrival (unless it waits for visibility), and any move is flagged."""
    sync, _ = synced(up=up, down=down)
    arrival = OPENS + lead + flight
    est = estimate_press(
        sync, arrival_ms=arrival, opens_at=OPENS + lead, claimed_server_ms=arrival + claim
    )
    assert sync.estimate is not None
    earliest = arrival - sync.estimate.rtt_high_ms - DEFAULT_MARGIN_MS
    assert est.press_ms >= math.floor(earliest + 0.5)
    assert est.press_ms <= arrival
    if est.clamp is None:
        assert abs(est.press_ms - min(arrival + claim, arrival)) <= max(0.5, est.uncertainty_ms)
    else:
        assert est.clamped_by_ms > 0


@settings(max_examples=200, deadline=None)
@given(a=st.floats(0, 500), b=st.floats(0, 500), jitter=st.floats(0, 40))
def test_commit_window_covers_the_difference_in_one_way_delays(
    a: float, b: float, jitter: float
) -> None:
    x, _ = synced(up=a, down=a)
    y, _ = synced(up=b + jitter, down=b + jitter)
    window = commit_window([x, y])
    assert DEFAULT_FLOOR_MS <= window <= DEFAULT_CAP_MS
    assert window >= min(DEFAULT_CAP_MS, abs(a - b - jitter))

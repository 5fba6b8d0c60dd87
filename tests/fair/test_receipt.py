"""BuzzReceipt: built from an estimate, settled, and round-tripped through strict JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.fair import BuzzReceipt, Clamp, PressEstimate, Rule, Source
from quiz.fair.receipt import OUTCOMES

ESTIMATE = PressEstimate(
    press_ms=1_000_250,
    uncertainty_ms=4,
    source=Source.DEVICE_CLOCK,
    claimed_ms=1_000_200.123456,
    clamp=Clamp.TOO_EARLY,
    clamped_by_ms=50.0,
    earliest_ms=1_000_250.0,
    offset_ms=999_000.987654,
    rtt_ms=80.5,
    drift_ppm=-12.3456,
)


def receipt(rule: Rule = Rule.COMPENSATED) -> BuzzReceipt:
    return BuzzReceipt.from_estimate(
        ESTIMATE,
        device_id="phone-red-1",
        side="red",
        rule=rule,
        arrival_ms=1_000_300,
        press_device_ms=1_199.5,
        opens_at=1_000_000,
        derived_window_ms=180,
        commit_window_ms=300,
        question_id="AF-001",
    )


def test_a_compensated_receipt_carries_every_figure() -> None:
    r = receipt()
    assert r.press_server_ms == 1_000_250
    assert r.source == "device_clock" and r.rule == "compensated"
    assert r.press_claimed_ms == 1_000_200.12 and r.offset_ms == 999_000.99
    assert r.drift_ppm == -12.35 and r.rtt_ms == 80.5
    assert r.clamp == "too_early" and r.clamped_by_ms == 50.0
    assert r.uncertainty_ms == 4 and r.outcome == "pending"
    assert (r.commit_window_ms, r.derived_window_ms) == (300, 180)


def test_with_compensation_off_the_arrival_counts_and_the_estimate_is_kept_for_reference() -> None:
    r = receipt(Rule.ARRIVAL)
    assert r.rule == "arrival"
    assert r.press_server_ms == r.arrival_ms == 1_000_300
    assert r.source == "arrival" and r.uncertainty_ms == 0
    assert r.press_claimed_ms == 1_000_200.12  # what compensation would have used


def test_settling_records_the_decision() -> None:
    r = receipt().settled("won", decided_at=1_000_480, margin_ms=12, runner_up="blue")
    assert (r.outcome, r.decided_at, r.margin_ms, r.runner_up) == ("won", 1_000_480, 12, "blue")
    assert r.commit_window_ms == 300
    tie = receipt().settled("tie", tie_rule="host", margin_ms=2, commit_window_ms=250)
    assert tie.tie_rule == "host" and tie.commit_window_ms == 250
    with pytest.raises(ValueError, match="outcome"):
        receipt().settled("maybe")


def test_json_round_trip() -> None:
    r = receipt().settled("early", early_ms=30, reason="early")
    text = json.dumps(r.to_dict(), ensure_ascii=False)
    assert BuzzReceipt.from_dict(json.loads(text)) == r


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown receipt field"),
        ({"arrival_ms": "soon"}, "arrival_ms has the wrong type"),
        ({"arrival_ms": 1.5}, "arrival_ms has the wrong type"),
        ({"offset_ms": float("nan")}, "offset_ms has the wrong type"),
        ({"rule": "fastest"}, "rule must be"),
        ({"clamp": "sideways"}, "unknown clamp"),
        ({"outcome": "maybe"}, "unknown outcome"),
        ({"device_id": "x" * 101}, "device_id has the wrong type"),
        ({"side": 3}, "side has the wrong type"),
        ({"margin_ms": True}, "margin_ms has the wrong type"),
    ],
)
def test_from_dict_refuses_damaged_receipts(change: dict[str, Any], message: str) -> None:
    data = {**receipt().to_dict(), **change}
    with pytest.raises(ValueError, match=message):
        BuzzReceipt.from_dict(data)


def test_from_dict_needs_the_core_fields_and_an_object() -> None:
    data = receipt().to_dict()
    del data["arrival_ms"]
    with pytest.raises(ValueError, match="needs arrival_ms"):
        BuzzReceipt.from_dict(data)
    with pytest.raises(ValueError, match="must be an object"):
        BuzzReceipt.from_dict([1, 2])


numbers = st.none() | st.floats(-1e12, 1e12, allow_nan=False)
ints = st.integers(-(2**53), 2**53)


@settings(max_examples=150, deadline=None)
@given(
    st.builds(
        BuzzReceipt,
        device_id=st.text(max_size=100),
        side=st.none() | st.sampled_from(["red", "blue"]),
        rule=st.sampled_from([r.value for r in Rule]),
        arrival_ms=ints,
        press_server_ms=ints,
        press_device_ms=numbers,
        press_claimed_ms=numbers,
        source=st.sampled_from([s.value for s in Source]),
        offset_ms=numbers,
        rtt_ms=numbers,
        drift_ppm=numbers,
        uncertainty_ms=st.integers(0, 10_000),
        clamp=st.none() | st.sampled_from([c.value for c in Clamp]),
        clamped_by_ms=st.floats(0, 1e6),
        commit_window_ms=st.none() | st.integers(0, 300),
        outcome=st.sampled_from(OUTCOMES),
        margin_ms=st.none() | ints,
        question_id=st.none() | st.text(max_size=100),
    )
)
def test_any_receipt_survives_json(r: BuzzReceipt) -> None:
    assert BuzzReceipt.from_dict(json.loads(json.dumps(r.to_dict()))) == r

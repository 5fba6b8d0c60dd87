"""The fairness benchmark's harness on a few cells, asserting the targets: a real ``quiz serve``,
two emulated phones behind latency-injecting proxies (5 ms and 150 ms one way, ±20 ms jitter),
scripted presses. The full table is ``python -m bench.fairness`` (docs/fairness.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from bench.fairness import PAIRS, Lane, Pair, Trial, cell, run_lane
from tests.asyncrun import run_async

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
NEAR_FAR = PAIRS[1]
assert (NEAR_FAR.red.up, NEAR_FAR.blue.up) == (5, 150)


def play(
    live_server_factory: Callable[..., Any], pair: Pair, timeout_s: float, **lane: Any
) -> Lane:
    """One compensated lane of the benchmark's harness against a fresh ``quiz serve``."""
    server = live_server_factory()
    return run_async(
        asyncio.wait_for(run_lane(server.url, server.token, pair, True, **lane), timeout_s)
    )


def share(trials: list[Trial]) -> float:
    c = cell(trials)
    return float(c["correct"]) / c["n"]


def test_the_truly_first_press_wins_across_5_and_150_ms(
    live_server_factory: Callable[..., Any],
) -> None:
    lane = play(
        live_server_factory,
        NEAR_FAR,
        timeout_s=80,
        gaps=(10, 20),
        trials=20,
        forged_trials=4,
        warmup_s=20,
        deadline_s=56,
    )
    assert lane.error is None, lane.error
    at = {gap: [t for t in lane.trials if t.gap == gap] for gap in (10, 20)}
    assert len(at[10]) == len(at[20]) == 20
    assert share(at[20]) >= 0.99, at[20]
    assert share(at[10]) >= 0.95, at[10]
    # Half the races have the far phone pressing first: by arrival order it loses them.
    arrived = [t for t in lane.trials if t.arrived_first is not None]
    by_arrival = sum(t.arrived_first == t.first for t in arrived) / len(arrived)
    assert by_arrival <= 0.6
    # Every receipt of these races says how it was decided; decisions wait at most the cap.
    assert lane.receipts >= 2 * len(lane.trials)
    assert all(t.decision_delay_ms is not None and t.decision_delay_ms <= 300 for t in lane.trials)
    # A forged early timestamp, pressed later than the clamp allows, never wins.
    assert len(lane.forged) == 4
    assert not [t for t in lane.forged if t.error is None and t.winner == t.forger]
    assert any("too_early" in t.clamps for t in lane.forged)


def test_a_biased_clock_moves_the_screen_and_the_press_alike(
    live_server_factory: Callable[..., Any],
) -> None:
    """Path asymmetry (100 ms up, 30 ms down) biases the slow phone's estimate by ~35 ms, which
    no exchange can see; a contestant reacting to her own screen is still ranked by her
    reaction, because the bias moves her screen's opening and her converted press alike."""
    asymmetric = PAIRS[3]
    assert (asymmetric.blue.up, asymmetric.blue.down) == (100, 30)
    lane = play(
        live_server_factory,
        asymmetric,
        timeout_s=70,
        gaps=(20,),
        trials=12,
        warmup_s=10,
        deadline_s=40,
        screen=True,
    )
    assert lane.error is None, lane.error
    assert len(lane.trials) == 12
    assert share(lane.trials) >= 11 / 12, lane.trials

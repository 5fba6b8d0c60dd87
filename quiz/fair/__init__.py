"""Fair buzzing: the faster press wins, whatever each phone's network.

This package owns the arithmetic of fairness and nothing else (stdlib only, no I/O, no clock
reads): per-device clock synchronisation (:class:`ClockSync`), turning a claimed press time
into a compensated server time under bounded trust (:func:`estimate_press`), the commit
window derived from the contestants' measured delays (:func:`commit_window`) and the buzz
receipt that explains every decision (:class:`BuzzReceipt`). The transport feeds it
timestamps and hands the results to the engine as ``Buzz(press_at, uncertainty_ms)``.

``static/js/fair.js`` is a line-by-line port of :mod:`quiz.fair.clock` for the phones; the
two are checked against each other on the same samples by the browser tests.
"""

from quiz.fair.clock import (
    BURST_SIZE,
    SYNC_INTERVAL_MS,
    ClockEstimate,
    ClockSync,
    SyncSample,
)
from quiz.fair.press import (
    DEFAULT_CAP_MS,
    DEFAULT_MARGIN_MS,
    MAX_TRUSTED_RTT_MS,
    Clamp,
    PressEstimate,
    Source,
    Turnaround,
    commit_window,
    estimate_press,
    opening_visible_at,
    trusted_rtt,
)
from quiz.fair.receipt import BuzzReceipt, Rule

__all__ = [
    "BURST_SIZE",
    "DEFAULT_CAP_MS",
    "DEFAULT_MARGIN_MS",
    "MAX_TRUSTED_RTT_MS",
    "SYNC_INTERVAL_MS",
    "BuzzReceipt",
    "Clamp",
    "ClockEstimate",
    "ClockSync",
    "PressEstimate",
    "Rule",
    "Source",
    "SyncSample",
    "Turnaround",
    "commit_window",
    "estimate_press",
    "opening_visible_at",
    "trusted_rtt",
]

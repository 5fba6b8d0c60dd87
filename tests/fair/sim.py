"""A deterministic model of one phone on a network, for the pure tests of ``quiz.fair``.

True time is the server clock. The phone's clock reads ``offset_true`` less than the server's
(``device = true - offset``), plus ``drift_ppm`` of rate error since ``t = 0``; uplink and
downlink delays are given per exchange, so a test states exactly what the network did.
"""

from __future__ import annotations

from dataclasses import dataclass

from quiz.fair import ClockSync


@dataclass
class Phone:
    offset: float = 1_700_000_000_000.0  # server - device at t = 0
    drift_ppm: float = 0.0

    def device_time(self, true_ms: float) -> float:
        return true_ms - self.offset - self.drift_ppm * 1e-6 * true_ms

    def true_offset(self, true_ms: float) -> float:
        """server - device at true time ``true_ms``: what a perfect estimate returns."""
        return true_ms - self.device_time(true_ms)

    def exchange(
        self, sync: ClockSync, sent_true: float, up: float, down: float, hold: float = 0.2
    ) -> None:
        """One ping sent at true time ``sent_true``; the server holds it ``hold`` ms."""
        t1 = sent_true + up
        t2 = t1 + hold
        sync.add(self.device_time(sent_true), t1, t2, self.device_time(t2 + down))

"""The loop-lag probe: a background task that asks to wake every :data:`PERIOD_MS` and
records how late it woke (:class:`quiz.fair.lag.LoopLag`), so each buzz knows how late the
server may have stamped it. Started with the hub's ticker; costs one short wake-up per period.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from quiz.fair.lag import LoopLag

log = logging.getLogger(__name__)

PERIOD_MS = 20


class LoopProbe:
    """Measures the event loop's lag; :meth:`around` is what a buzz stamped then carries."""

    def __init__(
        self,
        clock: Callable[[], float],
        sleep: Callable[[float], Any],
        spawn: Callable[[Callable[[], None]], Any],
        period_ms: int = PERIOD_MS,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.spawn = spawn
        self.period_ms = period_ms
        self.lag = LoopLag()
        self.running = False

    def start(self) -> bool:
        if self.running:
            return False
        self.running = True
        self.spawn(self._loop)
        return True

    def stop(self) -> None:
        self.running = False

    def around(self, at_ms: float) -> float:
        return self.lag.around(at_ms)

    def _loop(self) -> None:
        while self.running:
            try:
                due = self.clock() + self.period_ms
                self.lag.expect(due)
                self.sleep(self.period_ms / 1000)
                self.lag.woke(due, self.clock())
            except Exception:  # a probe bug must never stop the server
                log.exception("loop-lag probe")
                self.sleep(1.0)

"""Full garbage collections at moments the live hub chooses, not in the middle of a buzz.

CPython's cyclic collector now and then runs a full pass over every object it tracks, with
the event loop stopped. With 2,000 phones connected that pass took 100-250 ms in ``quiz
serve`` under ``bench/live.py`` (every socket, the buzz path included, waits for it), every
few seconds: the whole tail of the buzz → LED latency.

``quiz serve`` freezes what start-up built (:func:`gc.freeze`). :class:`Collector` then keeps
the full passes cheap: at a quiet moment (no match clock about to run against a player) after
a wave of connections, and every few minutes in any case, it unfreezes, collects everything
once, and freezes the survivors, so that the collector's own full passes only walk what was
allocated since. The one expensive pass happens where nobody is racing a clock; garbage that
was frozen still alive is collected at the next such moment, so nothing leaks for longer
than :data:`PERIOD_MS` of quiet time.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Connections since the last collection that make one worth it (a wave of phones joining).
WAVE = 100
#: ...once none has arrived for this long (the wave is over).
SETTLE_MS = 2_000
#: And at least this often, so frozen garbage does not pile up.
PERIOD_MS = 300_000
#: A match deadline this close is not quiet (a countdown about to open buzzing, say).
MARGIN_MS = 2_000


class Collector:
    """Counts connections; :meth:`maybe_collect` is called by the hub's ticker."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.connects = 0
        self.last_connect = -(2**62)
        self.last_run: int | None = None
        self.runs = 0
        self.last_ms = 0.0

    def connected(self, now: int) -> None:
        self.connects += 1
        self.last_connect = now

    def _wanted(self, now: int) -> bool:
        """A collection would be worth it now, if the moment is quiet."""
        if not self.enabled or now - self.last_connect < SETTLE_MS:
            return False
        return self.last_run is None or self.connects >= WAVE or now - self.last_run >= PERIOD_MS

    def due(self, now: int, quiet: bool) -> bool:
        if not quiet or not self._wanted(now):
            return False
        if self.last_run is None:
            self.last_run = now  # start-up froze everything: the period counts from here
            return self.connects >= WAVE
        return True

    def collect(self, now: int) -> float:
        """One full collection, then freeze the survivors; returns its duration in ms."""
        started = time.perf_counter()
        collect_and_freeze()
        self.last_ms = (time.perf_counter() - started) * 1000
        self.last_run = now
        self.connects = 0
        self.runs += 1
        log.info("full garbage collection at a quiet moment: %.0f ms", self.last_ms)
        return self.last_ms

    def maybe_collect(self, now: int, quiet: Callable[[], bool]) -> bool:
        """Collect if it is due; ``quiet`` (a walk over the matches) is only asked when the
        rest says a collection is wanted, not on every tick."""
        if not self._wanted(now) or not self.due(now, quiet()):
            return False
        self.collect(now)
        return True


def collect_and_freeze() -> None:
    """Collect everything once (frozen objects included), then freeze what survived."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


__all__ = ["MARGIN_MS", "PERIOD_MS", "SETTLE_MS", "WAVE", "Collector", "collect_and_freeze"]

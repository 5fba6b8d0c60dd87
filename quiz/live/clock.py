"""The server clock: integer epoch milliseconds that never run backwards within a process.

Epoch time (not a monotonic counter) because logged times must still make sense after a
restart; the guard against going backwards keeps engine deadlines sane if the wall clock is
stepped during an event.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    def __init__(self, source: Callable[[], int] | None = None) -> None:
        self._source = source or (lambda: time.time_ns() // 1_000_000)
        self._last = 0

    def now(self) -> int:
        value = int(self._source())
        if value < self._last:
            return self._last
        self._last = value
        return value

    def __call__(self) -> int:
        return self.now()


class ManualClock(Clock):
    """A clock moved by hand (tests and replays)."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.value = start
        super().__init__(lambda: self.value)

    def advance(self, ms: int) -> int:
        self.value += ms
        return self.now()

"""The server's own event-loop lag: how late a probe that asks to wake up regularly wakes.

A buzz is stamped when its handler runs; if the loop was busy (a broadcast, a database
write, a collection) the buzz waited in the socket meanwhile and its stamp is late by up to
as long. A probe (``quiz/live/looplag.py``) asks to wake every few ms and reports here when
it was due and when it woke; :meth:`LoopLag.around` is the lag a stamp taken at a given
moment may carry: the worst lateness seen within :data:`SPAN_MS` before it, and the lateness
of a wake-up that is overdue right now (the stall the buzz's own handler ends). Pure: the
caller supplies every time.
"""

from __future__ import annotations

from collections import deque

#: How far back a stall can still have delayed a stamp (a stall's backlog drains in less).
SPAN_MS = 250.0
#: Wake-ups remembered (a few seconds at the probe's pace), for the summary.
KEEP = 256


class LoopLag:
    """Late wake-ups of the probe, newest last."""

    __slots__ = ("_due", "_late")

    def __init__(self) -> None:
        self._late: deque[tuple[float, float]] = deque(maxlen=KEEP)  # (woke_ms, late_ms)
        self._due: float | None = None

    def expect(self, due_ms: float) -> None:
        """The probe went to sleep and should wake at ``due_ms``."""
        self._due = due_ms

    def woke(self, due_ms: float, woke_ms: float) -> None:
        """The probe due at ``due_ms`` woke at ``woke_ms``."""
        self._due = None
        self._late.append((woke_ms, max(0.0, woke_ms - due_ms)))

    def around(self, at_ms: float) -> float:
        """How late a stamp taken at ``at_ms`` may be: 0 on an idle, responsive loop."""
        lag = 0.0
        if self._due is not None:
            lag = max(lag, at_ms - self._due)  # the probe itself is overdue: a stall now
        for woke, late in reversed(self._late):
            if woke < at_ms - SPAN_MS:
                break
            if woke <= at_ms:
                lag = max(lag, late)
        return lag

    def summary(self) -> dict[str, float]:
        """p50, p99 and max lateness of the remembered wake-ups (ms)."""
        lates = sorted(late for _, late in self._late)
        if not lates:
            return {"count": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}

        def pick(q: float) -> float:
            return round(lates[min(len(lates) - 1, int(q * len(lates)))], 1)

        return {"count": len(lates), "p50": pick(0.5), "p99": pick(0.99), "max": lates[-1]}

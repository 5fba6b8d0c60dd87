"""Per-device clock synchronisation from NTP-style exchanges.

A device sends ``t0`` (its clock), the server answers with ``t1`` (receive) and ``t2`` (send)
on its clock, the device notes ``t3`` (its clock) when the answer arrives. Each exchange gives

    rtt    = (t3 - t0) - (t2 - t1)
    offset = ((t1 - t0) + (t2 - t3)) / 2        server time = device time + offset

and, whatever the network did, the true offset lies within ``offset ± rtt / 2``. Queueing
only ever adds delay, and the same holds relative to the fastest exchange: a sample whose
round trip exceeds the lowest one by ``e`` has an offset within ``e / 2`` of the lowest-delay
offset. :class:`ClockSync` keeps the last :data:`WINDOW` samples and takes the centre of the
interval that all of them allow, so the lowest round trips bind and queued samples hardly
count: the minimum-round-trip filter in its exact form. Under ±20 ms of jitter each way it is
about three times as accurate as averaging the best fifth of the window (simulated in
``tests/fair/test_clock.py``).

Drift (a crystal running a few tens of ppm fast or slow) is too small to see inside one
window under network jitter, so it is tracked over a longer baseline: the lowest-round-trip
sample of every :data:`DRIFT_BLOCK` exchanges is kept for :data:`DRIFT_POINTS` blocks (over
three minutes) and a straight line through them gives the rate, which brings the window's
samples to a common instant before they are combined.

A sample that cannot be reconciled with the estimate (its interval and the estimate's bound do
not overlap) means the device clock stepped (a phone that slept, a reloaded page): everything
is forgotten and the estimate starts again from that sample.

What no two-way exchange can see is path asymmetry: if the uplink is slower than the downlink
by ``a`` ms, every offset is biased by ``a / 2``. The uncertainty reported here is the
statistical one; the asymmetry bias is measured in ``docs/fairness.md``.

``static/js/fair.js`` ports this module operation by operation (same constants, same order of
floating-point operations) so a phone and the server reach the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Samples kept per device: a minute at one exchange a second. The overlap estimate's error
#: shrinks about as 1 / samples under bounded jitter, so a minute buys half the error of 30 s;
#: drift is levelled out (below), and a clock step restarts the window at once.
WINDOW = 60
#: One drift point (the lowest round trip) per this many exchanges...
DRIFT_BLOCK = 5
#: ...and this many points kept: over three minutes at one exchange a second.
DRIFT_POINTS = 40
#: A rate is fitted only over points spanning this long: over shorter spans a few ms of
#: network noise masquerades as hundreds of ppm.
MIN_DRIFT_SPAN_MS = 120_000.0
#: ...and only used when it stands out from its own noise by this many standard errors.
DRIFT_SIGNIFICANCE = 3.0
MIN_DRIFT_POINTS = 4
#: Phone crystals are specified within tens of ppm; a fitted rate beyond this is noise.
MAX_DRIFT_PPM = 500.0
#: A rate below the significance threshold is not levelled out; allow this much of one in
#: the uncertainty (two crystals within their ±10 ppm specification).
UNSEEN_DRIFT_PPM = 20.0
#: Drift allowed for when judging a step and when extrapolating past the newest sample.
DRIFT_ALLOWANCE_PPM = 100.0
#: A round trip longer than this says nothing useful about the offset.
MAX_RTT_MS = 10_000.0
#: Timestamp resolution (server ms are integers; browsers coarsen performance.now()).
RESOLUTION_MS = 1.0
#: The estimate's error is half the difference between the unknown excess delays of the
#: fastest uplink and the fastest downlink. Each excess is guessed from the spacing to the
#: next fastest one in the same direction; the uncertainty is this many times the sum of the
#: two spacings, halved. For excesses and spacings alike exponential (any smooth jitter seen
#: close to its floor), the error exceeds it with probability (1 / (1 + this))²: one time in
#: nine for 2 (tests/fair/test_clock.py measures it under ±20 ms jitter). A larger value
#: declares more close races too close to call.
EXCESS_SPACINGS = 2.0
#: Exchanges sent back to back on connect, reconnect and when a page becomes visible again.
BURST_SIZE = 5
#: Interval of the continuous exchanges.
SYNC_INTERVAL_MS = 1000

_PPM = 1e-6


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number of milliseconds")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite")
    return number


@dataclass(frozen=True, slots=True)
class SyncSample:
    """One completed exchange; build it with :meth:`make`, which validates."""

    t0: float
    t1: float
    t2: float
    t3: float
    rtt: float
    offset: float

    @classmethod
    def make(cls, t0: object, t1: object, t2: object, t3: object) -> SyncSample:
        """Validate four timestamps; raises ``ValueError`` saying what is wrong."""
        a, b, c, d = (_finite(n, v) for n, v in (("t0", t0), ("t1", t1), ("t2", t2), ("t3", t3)))
        if d < a:
            raise ValueError("t3 is before t0: the device clock ran backwards")
        if c < b:
            raise ValueError("t2 is before t1: the server clock ran backwards")
        raw = (d - a) - (c - b)
        # Integer server ms against sub-ms device time can make a tiny loopback rtt negative;
        # anything beyond that is an impossible (or forged) sample.
        if raw < -2 * RESOLUTION_MS:
            raise ValueError("the server held the request longer than the device waited")
        if raw > MAX_RTT_MS:
            raise ValueError(f"round trip over {MAX_RTT_MS:.0f} ms")
        return cls(a, b, c, d, max(raw, 0.0), ((b - a) + (c - d)) / 2)

    @property
    def mid(self) -> float:
        """The device time the offset refers to."""
        return (self.t0 + self.t3) / 2


@dataclass(frozen=True, slots=True)
class ClockEstimate:
    """The offset of a device clock to the server clock, with what is known about its error."""

    offset_ms: float  # at anchor_ms
    anchor_ms: float  # device time
    drift_ppm: float  # positive: the device clock runs slow against the server's
    uncertainty_ms: float  # the error of offset_ms rarely exceeds this (EXCESS_SPACINGS)
    bound_ms: float  # the error cannot exceed this unless the paths or the drift changed
    rtt_min_ms: float
    rtt_median_ms: float
    rtt_high_ms: float  # 90th percentile of the window
    rtt_last_ms: float
    jitter_ms: float  # half the spread between the lowest and the high round trips
    samples: int
    last_ms: float  # device time of the newest sample

    def offset_at(self, device_ms: float) -> float:
        return self.offset_ms + self.drift_ppm * _PPM * (device_ms - self.anchor_ms)

    def to_server(self, device_ms: float) -> float:
        return device_ms + self.offset_at(device_ms)

    def uncertainty_at(self, device_ms: float) -> float:
        """Grows past the newest sample by the drift the fit may have missed."""
        age = max(0.0, device_ms - self.last_ms)
        return self.uncertainty_ms + DRIFT_ALLOWANCE_PPM * _PPM * age


def _mean(values: list[float]) -> float:
    # Explicit loops throughout: the JS port must add in the same order to get the same bits.
    total = 0.0
    for v in values:
        total += v
    return total / len(values)


def _median(ordered: list[float]) -> float:
    n = len(ordered)
    half = n // 2
    if n % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def _lowest(samples: list[SyncSample]) -> SyncSample:
    """The lowest round trip; the first one wins a tie."""
    best = samples[0]
    for s in samples:
        if s.rtt < best.rtt:
            best = s
    return best


def _slope(points: list[SyncSample]) -> float:
    """Least-squares drift (ppm) of offset against device time.

    0 until the points span :data:`MIN_DRIFT_SPAN_MS`, and 0 while the fitted rate is within
    :data:`DRIFT_SIGNIFICANCE` standard errors of 0: levelling the window along a rate that is
    mostly noise adds more error than the drift it removes (simulated in
    ``tests/fair/test_clock.py``).
    """
    n = len(points)
    if n < MIN_DRIFT_POINTS or points[-1].mid - points[0].mid < MIN_DRIFT_SPAN_MS:
        return 0.0
    mx = _mean([p.mid for p in points])
    my = _mean([p.offset for p in points])
    sxx = 0.0
    sxy = 0.0
    for p in points:
        sxx += (p.mid - mx) * (p.mid - mx)
        sxy += (p.mid - mx) * (p.offset - my)
    rate = sxy / sxx
    squares = 0.0
    for p in points:
        residual = p.offset - my - rate * (p.mid - mx)
        squares += residual * residual
    error = math.sqrt(squares / (n - 2) / sxx)
    if abs(rate) < DRIFT_SIGNIFICANCE * error:
        return 0.0
    return max(-MAX_DRIFT_PPM, min(MAX_DRIFT_PPM, rate / _PPM))


class ClockSync:
    """The sync state of one device: :meth:`add` completed exchanges, read :attr:`estimate`."""

    def __init__(self, window: int = WINDOW) -> None:
        if type(window) is not int or window < 1:
            raise ValueError("window must be a positive integer")
        self.window = window
        self.samples: list[SyncSample] = []
        self.steps = 0
        self._block: list[SyncSample] = []
        self._points: list[SyncSample] = []
        self._estimate: ClockEstimate | None = None

    @property
    def estimate(self) -> ClockEstimate | None:
        return self._estimate

    @property
    def last_rtt(self) -> float | None:
        return self.samples[-1].rtt if self.samples else None

    def reset(self) -> None:
        """Forget every sample (the device clock is known to have jumped)."""
        self.samples = []
        self._block = []
        self._points = []
        self._estimate = None

    def add(self, t0: object, t1: object, t2: object, t3: object) -> SyncSample:
        """Record one exchange and re-estimate; raises ``ValueError`` for an invalid one
        (the estimate is then unchanged)."""
        sample = SyncSample.make(t0, t1, t2, t3)
        if self.samples and self._stepped(sample):
            self.steps += 1
            self.reset()
        self.samples.append(sample)
        if len(self.samples) > self.window:
            del self.samples[: len(self.samples) - self.window]
        self._block.append(sample)
        if len(self._block) == DRIFT_BLOCK:
            self._points.append(_lowest(self._block))
            self._block = []
            if len(self._points) > DRIFT_POINTS:
                del self._points[: len(self._points) - DRIFT_POINTS]
        self._estimate = self._compute()
        return sample

    def _stepped(self, sample: SyncSample) -> bool:
        if sample.t0 < self.samples[-1].t0:
            return True  # device time went backwards: a new page or a new clock origin
        est = self._estimate
        if est is None:
            return False
        gap = abs(sample.offset - est.offset_at(sample.mid))
        allowed = (
            sample.rtt / 2
            + est.bound_ms
            + DRIFT_ALLOWANCE_PPM * _PPM * abs(sample.mid - est.anchor_ms)
            + 2 * RESOLUTION_MS
        )
        return gap > allowed

    def _compute(self) -> ClockEstimate | None:
        samples = self.samples
        n = len(samples)
        if n == 0:
            return None
        drift = _slope(self._points)
        anchor = samples[-1].mid
        by_rtt = sorted(samples, key=lambda s: s.rtt)
        floor = by_rtt[0].rtt
        # Sample i's excess round trip over the lowest one bounds how far its offset (brought
        # to the anchor along the drift) can be from the lowest-delay offset: the offset lies
        # in [lo, hi]. If no point satisfies every sample, the lowest round trip itself had
        # excess delay; the centre of the overlap is then where the worst violation is least.
        # lo and hi are bound by the fastest downlink and the fastest uplink: lo_2 and hi_2
        # are the next fastest in each direction, whose distances guess the excess delays.
        lo = lo_2 = -math.inf
        hi = hi_2 = math.inf
        lo_mid = hi_mid = anchor
        for s in samples:
            level = s.offset + drift * _PPM * (anchor - s.mid)
            half = (s.rtt - floor) / 2
            if level - half > lo:
                lo_2 = lo
                lo = level - half
                lo_mid = s.mid
            elif level - half > lo_2:
                lo_2 = level - half
            if level + half < hi:
                hi_2 = hi
                hi = level + half
                hi_mid = s.mid
            elif level + half < hi_2:
                hi_2 = level + half
        offset = (lo + hi) / 2
        width = max(0.0, hi - lo) / 2
        # The fastest exchanges' own excess delays are unknown (and together never more than
        # the lowest round trip): guessed from the spacings, see EXCESS_SPACINGS.
        spacings = (hi_2 - hi) + (lo - lo_2) if n > 1 else floor
        bound = width + floor / 2 + RESOLUTION_MS
        uncertainty = width + min(floor, EXCESS_SPACINGS * spacings) / 2 + RESOLUTION_MS
        if drift == 0.0:
            # A rate too small to tell from noise still moves the binding samples' offsets.
            unseen = UNSEEN_DRIFT_PPM * _PPM * (anchor - min(lo_mid, hi_mid))
            uncertainty += unseen
            bound += unseen
        rtts = [s.rtt for s in by_rtt]
        high = rtts[max(0, math.ceil(0.9 * n) - 1)]
        return ClockEstimate(
            offset_ms=offset,
            anchor_ms=anchor,
            drift_ppm=drift,
            uncertainty_ms=uncertainty,
            bound_ms=bound,
            rtt_min_ms=rtts[0],
            rtt_median_ms=_median(rtts),
            rtt_high_ms=high,
            rtt_last_ms=samples[-1].rtt,
            jitter_ms=(high - rtts[0]) / 2,
            samples=n,
            last_ms=samples[-1].t3,
        )

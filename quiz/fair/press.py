"""From a claimed press time to a compensated server time, under bounded trust.

A phone reports when its button went down (on its own clock, or already converted to the
server clock by its own sync). The server believes the claim only as far as physics allows:

- a press cannot happen after the buzz arrived (``after_arrival``);
- a press cannot be earlier than the arrival minus the device's trusted round trip minus a
  margin: no honest message spends longer in flight than that (``too_early``); a forged early
  timestamp is moved to that bound, so forging buys at most one round trip plus the margin;
- the round trip is the phone's own arithmetic (it supplies ``t0``/``t3``), so it is trusted
  only as far as the server's own timing allows (:func:`trusted_rtt`): at most
  :data:`SERVER_RTT_FACTOR` times the fastest turnaround the server timed itself (its answer
  sent, the phone's next message received: :class:`Turnaround`) plus a slack, and never more
  than :data:`MAX_TRUSTED_RTT_MS`. A phone that writes a 500 ms round trip into its
  timestamps while answering in 10 ms is held to 40 ms; one that really answers slowly can
  look like a slow link, and the cap bounds what that buys;
- a press between the opening instant and the moment the device could have seen the opening
  is moved to the latter (``before_visible``); a press before the opening instant is a 违规
  that the engine records with its distance in ms.

A device with no completed sync yet is placed at its arrival minus half its last round trip.
Every clamp is reported (:class:`Clamp`) and ends up on the buzz receipt; nothing is silent.

A clamp never decides a race by itself. A ``too_early`` claim that some honest delay could
still explain (no earlier than the opening the phone could see, nor than its arrival minus
the longest round trip ever believed and the margin: :data:`MAX_TRUSTED_RTT_MS`) is kept as
``contest_ms``; the engine ranks by the clamped time, and when ranking by the claim would not
give the same clear winner, the race is too close to call and the host decides. A claim
beyond any honest explanation has no ``contest_ms``: it is ranked where the clamp put it.

``lag_ms`` is the server's own event-loop lag around the arrival (:mod:`quiz.fair.lag`): the
arrival was stamped up to that late, so the earliest believable press moves back by it, and
a press placed from its arrival (no claim, or a clamped one) is that much less certain.

:func:`commit_window` says how long arbitration must wait after the first arrival for presses
still in flight, from the contestants' measured delays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from quiz.fair.clock import ClockEstimate, ClockSync

#: Slack beyond the round trip before a claim counts as too early: a busy phone may run its
#: pointerdown handler tens of ms after the touch it timestamps.
DEFAULT_MARGIN_MS = 50.0
#: Longest commit window, whatever the delays (the issue's cap).
DEFAULT_CAP_MS = 300
#: Shortest commit window: covers the server's own scheduling noise.
DEFAULT_FLOOR_MS = 20
#: Two-way exchanges cannot split a round trip into up and down; assume neither direction
#: takes more than this share of it (3:1 asymmetry).
UPLINK_SHARE_MAX = 0.75
SERVER_SLACK_MS = 10.0
#: The longest round trip believed for any phone, however slow it looks: a phone can always
#: pretend to be on a slow link by answering slowly, and nothing can tell that from a slow
#: link. Above the slowest honest venue links measured (docs/fairness.md: 250 ms each way).
MAX_TRUSTED_RTT_MS = 600.0
#: The phone's reported (90th percentile) round trip is believed up to this multiple of the
#: fastest turnaround the server timed itself...
SERVER_RTT_FACTOR = 2.0
#: ...plus this much (jitter between the exchanges).
SERVER_RTT_SLACK_MS = 20.0


class Turnaround:
    """The fastest turnaround the server timed itself for one phone: from sending the answer
    to an exchange to receiving the phone's next message (which reports that exchange, so it
    cannot leave before the answer arrived). It bounds the true round trip from above using
    only the server's clock; the phone can make it longer (by waiting), never shorter."""

    __slots__ = ("count", "fastest_ms")

    def __init__(self) -> None:
        self.fastest_ms: float | None = None
        self.count = 0

    def observe(self, answer_sent_ms: float, next_received_ms: float) -> None:
        sent = _number("answer_sent_ms", answer_sent_ms)
        gap = _number("next_received_ms", next_received_ms) - sent
        if gap < 0:
            raise ValueError("the next message arrived before the answer was sent")
        self.count += 1
        if self.fastest_ms is None or gap < self.fastest_ms:
            self.fastest_ms = gap


def trusted_rtt(
    est: ClockEstimate | None,
    server_rtt_ms: float | None = None,
    cap_ms: float = MAX_TRUSTED_RTT_MS,
    reported_ms: float | None = None,
) -> float:
    """The round trip a claim may be earlier than its arrival by (before the margin): the
    phone's high round trip (or ``reported_ms`` without an estimate), bounded by the server's
    own turnaround (see :class:`Turnaround`) and by ``cap_ms``."""
    if est is not None:
        rtt = est.rtt_high_ms
    elif reported_ms is not None:
        rtt = _number("rtt", reported_ms)
    else:
        rtt = cap_ms
    if server_rtt_ms is not None:
        server = _number("server_rtt_ms", server_rtt_ms)
        rtt = min(rtt, SERVER_RTT_FACTOR * server + SERVER_RTT_SLACK_MS)
    return max(0.0, min(rtt, cap_ms))


class Source(StrEnum):
    """Where a compensated press time came from."""

    DEVICE_CLOCK = "device_clock"  # the device's own timestamp, converted by the server's sync
    CLIENT_CLAIM = "client_claim"  # the device's conversion to server time, bounded
    HALF_RTT = "arrival_half_rtt"  # no sync yet: arrival minus half the last round trip
    ARRIVAL = "arrival"  # nothing known (or compensation off): the arrival time


class Clamp(StrEnum):
    TOO_EARLY = "too_early"
    BEFORE_VISIBLE = "before_visible"
    AFTER_ARRIVAL = "after_arrival"


@dataclass(frozen=True, slots=True)
class PressEstimate:
    press_ms: int  # compensated press time on the server clock (what the engine ranks by)
    uncertainty_ms: int  # races closer than this are too close to call
    source: Source
    claimed_ms: float | None  # the claim on the server clock, before any clamp
    clamp: Clamp | None
    clamped_by_ms: float  # how far the claim was moved (0 if not clamped)
    earliest_ms: float | None  # the earliest press time the server would believe
    #: A clamped claim still honestly explainable: the engine also ranks by it, and a race
    #: the two rankings decide differently is too close to call (the host decides).
    offset_ms: float | None
    rtt_ms: float | None
    drift_ppm: float | None
    #: A clamped claim still honestly explainable: the engine also ranks by it, and a race
    #: the two rankings decide differently is too close to call (the host decides).
    contest_ms: int | None = None
    lag_ms: float = 0.0  # the server's loop lag around the arrival, widening the above


def _estimate_of(sync: ClockSync | ClockEstimate | None) -> ClockEstimate | None:
    if isinstance(sync, ClockSync):
        return sync.estimate
    return sync


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of milliseconds")
    return float(value)


def opening_visible_at(
    opens_at: int, announced_at: int | None, sync: ClockSync | ClockEstimate | None
) -> int:
    """The earliest server time a device could have seen buzzing open.

    With a synchronised opening announced well ahead, that is the opening instant itself. An
    opening announced later (or at once) still has to travel down to the device, which takes
    at least the downlink's share of its fastest round trip.
    """
    if announced_at is None:
        return opens_at
    est = _estimate_of(sync)
    down_min = 0.0 if est is None else (1 - UPLINK_SHARE_MAX) * est.rtt_min_ms
    return max(opens_at, math.floor(announced_at + down_min))


def estimate_press(
    sync: ClockSync | ClockEstimate | None,
    *,
    arrival_ms: int,
    opens_at: int | None,
    claimed_device_ms: float | None = None,
    claimed_server_ms: float | None = None,
    visible_from: int | None = None,
    rtt_hint_ms: float | None = None,
    margin_ms: float = DEFAULT_MARGIN_MS,
    server_rtt_ms: float | None = None,
    rtt_cap_ms: float = MAX_TRUSTED_RTT_MS,
    lag_ms: float = 0.0,
) -> PressEstimate:
    """The compensated press time of one buzz.

    ``claimed_device_ms`` (the device's clock) is preferred: the server converts it with its
    own estimate. ``claimed_server_ms`` is the device's own conversion. ``visible_from``
    defaults to ``opens_at`` (see :func:`opening_visible_at`). ``rtt_hint_ms`` is the device's
    last round trip when the server holds no completed sample yet. ``server_rtt_ms`` is the
    fastest turnaround the server timed itself (:class:`Turnaround`); every round trip the
    phone reported is trusted only within it and ``rtt_cap_ms`` (:func:`trusted_rtt`).
    ``lag_ms``: how late the server may have stamped the arrival (its own loop lag).
    """
    lag = max(0.0, _number("lag_ms", lag_ms))
    arrival = _number("arrival_ms", arrival_ms)
    est = _estimate_of(sync)
    device = None if claimed_device_ms is None else _number("press time", claimed_device_ms)
    server = None if claimed_server_ms is None else _number("press_at", claimed_server_ms)
    visible = visible_from if visible_from is not None else opens_at

    if est is None or (device is None and server is None):
        rtt = est.rtt_last_ms if est is not None else rtt_hint_ms
        if rtt is None:
            return _result(arrival, lag, Source.ARRIVAL, None, None, 0.0, None, est, None, lag)
        rtt = trusted_rtt(None, server_rtt_ms, rtt_cap_ms, reported_ms=rtt)
        guess = arrival - rtt / 2
        spread = rtt / 2 + lag
        if visible is not None and arrival >= visible > guess:
            # A guess alone must never turn a buzz into a 违规 or move it before the opening.
            by = visible - guess
            return _result(
                visible,
                spread,
                Source.HALF_RTT,
                None,
                Clamp.BEFORE_VISIBLE,
                by,
                None,
                est,
                rtt,
                lag,
            )
        return _result(guess, spread, Source.HALF_RTT, None, None, 0.0, None, est, rtt, lag)

    if device is not None:
        claimed = est.to_server(device)
        uncertainty = est.uncertainty_at(device)
        source = Source.DEVICE_CLOCK
    else:
        assert server is not None
        claimed = server
        uncertainty = est.uncertainty_at(server - est.offset_at(est.last_ms))
        source = Source.CLIENT_CLAIM

    # The arrival was stamped up to ``lag`` late: the press may be that much earlier.
    earliest = arrival - lag - trusted_rtt(est, server_rtt_ms, rtt_cap_ms) - margin_ms
    press = claimed
    clamp: Clamp | None = None
    if press > arrival:
        press = arrival
        # Within the uncertainty this is measurement noise, not a wrong clock.
        if claimed - arrival > uncertainty:
            clamp = Clamp.AFTER_ARRIVAL
    elif press < earliest:
        press = earliest
        clamp = Clamp.TOO_EARLY
    if visible is not None and opens_at is not None and opens_at <= press < visible:
        press = float(visible)
        clamp = Clamp.BEFORE_VISIBLE
    by = abs(press - claimed) if clamp is not None else 0.0
    contest = None
    if clamp is not None:
        # A press placed from its arrival rather than its claim carries the stamping lag.
        uncertainty += lag
    if clamp is Clamp.TOO_EARLY and claimed >= honest_floor(
        arrival, lag, visible, opens_at, margin_ms, rtt_cap_ms
    ):
        contest = math.floor(claimed + 0.5)
    return _result(
        press, uncertainty, source, claimed, clamp, by, earliest, est, None, lag, contest
    )


def honest_floor(
    arrival_ms: float,
    lag_ms: float,
    visible_from: int | None,
    opens_at: int | None,
    margin_ms: float = DEFAULT_MARGIN_MS,
    rtt_cap_ms: float = MAX_TRUSTED_RTT_MS,
) -> float:
    """The earliest claim some honest delay could still explain: not before the opening the
    device could see, nor before its arrival minus the stamping lag, the longest round trip
    ever believed and the margin. An earlier claim is beyond any honest explanation."""
    floor = arrival_ms - lag_ms - rtt_cap_ms - margin_ms
    for bound in (visible_from, opens_at):
        if bound is not None:
            floor = max(floor, float(bound))
    return floor


def _result(
    press: float,
    uncertainty: float,
    source: Source,
    claimed: float | None,
    clamp: Clamp | None,
    by: float,
    earliest: float | None,
    est: ClockEstimate | None,
    rtt: float | None,
    lag: float = 0.0,
    contest: int | None = None,
) -> PressEstimate:
    if rtt is None and est is not None:
        rtt = est.rtt_min_ms
    return PressEstimate(
        press_ms=math.floor(press + 0.5),
        uncertainty_ms=math.ceil(uncertainty),
        source=source,
        claimed_ms=claimed,
        clamp=clamp,
        clamped_by_ms=round(by, 1),
        earliest_ms=earliest,
        offset_ms=None if est is None else est.offset_ms,
        rtt_ms=rtt,
        drift_ppm=None if est is None else est.drift_ppm,
        contest_ms=contest,
        lag_ms=round(lag, 1),
    )


def commit_window(
    syncs: Iterable[ClockSync | ClockEstimate | None],
    cap_ms: int = DEFAULT_CAP_MS,
    floor_ms: int = DEFAULT_FLOOR_MS,
) -> int:
    """How long to wait after the first buzz arrives for presses still in flight.

    A press made before the first arrival's press can arrive at most ``slowest uplink -
    fastest uplink`` later. Each uplink is bounded from the measured round trips: at most
    :data:`UPLINK_SHARE_MAX` of the high (90th percentile) round trip, at least the rest of
    the lowest one. A device without a sync could be anywhere: the cap.
    """
    if type(cap_ms) is not int or type(floor_ms) is not int or not 0 <= floor_ms <= cap_ms:
        raise ValueError("need integers 0 <= floor_ms <= cap_ms")
    slowest = 0.0
    fastest = math.inf
    for sync in syncs:
        est = _estimate_of(sync)
        if est is None:
            return cap_ms
        slowest = max(slowest, UPLINK_SHARE_MAX * est.rtt_high_ms)
        fastest = min(fastest, (1 - UPLINK_SHARE_MAX) * est.rtt_min_ms)
    if fastest == math.inf:
        return floor_ms
    window = math.ceil(slowest - fastest + SERVER_SLACK_MS)
    return max(floor_ms, min(cap_ms, window))

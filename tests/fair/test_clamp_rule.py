"""The clamp never decides a race by itself; the server's own loop lag widens what it believes.

- Engine: a press the clamp moved, whose claim is still honestly explainable (``claim_at``),
  wins only if it would also win by the claim; otherwise the race is a tie the host settles,
  whatever the match's tie rule.
- quiz.fair: which clamped claims are still honestly explainable (``contest_ms``), and how
  the loop lag moves the clamp bound and widens a press placed from its arrival.
- The probe: a real stall of the event loop around a press turns the race into a tie or
  leaves it right, never wrong.
"""

from __future__ import annotations

import time

import pytest

from quiz.engine import Match, MatchRules, Phase, Side, TieRule, events
from quiz.engine import commands as C
from quiz.fair import MAX_TRUSTED_RTT_MS, Clamp, ClockSync, estimate_press
from quiz.fair.lag import SPAN_MS, LoopLag
from quiz.live.fairness import FairBuzzing, FairMatch
from tests.fair.sim import Phone
from tests.fair.test_forgery import OPENS, T0, Link

MARGIN = 50


def _open(rule: TieRule = TieRule.HOST) -> Match:
    match = Match(MatchRules(commit_window_ms=300, tie_rule=rule))
    match.apply(C.BindDevice(Side.RED, "r"), T0)
    match.apply(C.BindDevice(Side.BLUE, "b"), T0)
    match.apply(C.ShowQuestion("Q1"), OPENS - 5_000)
    match.apply(C.OpenBuzzing(), OPENS)
    return match


def _race(match: Match, *buzzes: tuple[int, C.Buzz]) -> list[events.Event]:
    out: list[events.Event] = []
    for arrival, buzz in buzzes:
        out += match.apply(buzz, arrival)
    out += match.apply(C.Tick(), OPENS + 5_000)
    return out


@pytest.mark.parametrize("rule", list(TieRule))
def test_a_clamp_that_alone_orders_the_race_makes_it_a_tie_for_the_host(rule: TieRule) -> None:
    match = _open(rule)
    # Red claimed +100 (clamped to +200); blue pressed at +150, unclamped.
    out = _race(
        match,
        (OPENS + 160, C.Buzz("b", OPENS + 150, 3)),
        (OPENS + 300, C.Buzz("r", OPENS + 200, 3, claim_at=OPENS + 100)),
    )
    ties = [e for e in out if isinstance(e, events.TieDeclared)]
    assert ties and ties[0].rule == TieRule.HOST.value  # never a draw or a replay
    assert not [e for e in out if isinstance(e, events.BuzzWon)]
    assert match.state.phase is Phase.TIE


def test_a_clamp_the_claim_agrees_with_decides_as_before() -> None:
    match = _open()
    # Red's claim (+100) and its clamped time (+120) are both clearly ahead of blue (+150).
    out = _race(
        match,
        (OPENS + 160, C.Buzz("b", OPENS + 150, 3)),
        (OPENS + 170, C.Buzz("r", OPENS + 120, 3, claim_at=OPENS + 100)),
    )
    won = [e for e in out if isinstance(e, events.BuzzWon)]
    assert [e.side for e in won] == [Side.RED]


def test_a_claim_within_the_uncertainty_of_the_other_press_is_a_tie() -> None:
    match = _open()
    # Clamped, blue wins by 50 ms; by the claims red leads by 2 ms, inside the uncertainty.
    out = _race(
        match,
        (OPENS + 160, C.Buzz("b", OPENS + 150, 5)),
        (OPENS + 300, C.Buzz("r", OPENS + 200, 5, claim_at=OPENS + 148)),
    )
    assert [e for e in out if isinstance(e, events.TieDeclared)]


def test_without_claims_the_engine_decides_exactly_as_before() -> None:
    match = _open()
    out = _race(
        match,
        (OPENS + 160, C.Buzz("b", OPENS + 150, 3)),
        (OPENS + 300, C.Buzz("r", OPENS + 200, 3)),
    )
    assert [e.side for e in out if isinstance(e, events.BuzzWon)] == [Side.BLUE]


def _synced() -> ClockSync:
    sync = ClockSync()
    phone = Phone(offset=0.0)
    for i in range(20):
        phone.exchange(sync, T0 + 1000.0 * i, up=5, down=5)
    return sync


def test_a_too_early_claim_within_honest_reach_is_kept_for_the_engine() -> None:
    sync = _synced()
    est = estimate_press(
        sync, arrival_ms=OPENS + 400, opens_at=OPENS, claimed_server_ms=OPENS + 150
    )
    assert est.clamp is Clamp.TOO_EARLY
    assert est.contest_ms == OPENS + 150
    assert est.press_ms > OPENS + 300


@pytest.mark.parametrize(
    ("claim", "arrival"),
    [
        (OPENS - 40, OPENS + 400),  # before the opening: a 违规 or a lie, never an honest delay
        (OPENS + 100, OPENS + 100 + MAX_TRUSTED_RTT_MS + MARGIN + 30),  # beyond the hard cap
    ],
)
def test_a_claim_beyond_any_honest_explanation_is_only_clamped(claim: int, arrival: int) -> None:
    est = estimate_press(_synced(), arrival_ms=arrival, opens_at=OPENS, claimed_server_ms=claim)
    assert est.clamp is Clamp.TOO_EARLY
    assert est.contest_ms is None


def test_loop_lag_moves_the_clamp_bound_and_widens_arrival_placed_presses() -> None:
    sync = _synced()
    quiet = estimate_press(
        sync, arrival_ms=OPENS + 400, opens_at=OPENS, claimed_server_ms=OPENS + 300
    )
    stalled = estimate_press(
        sync, arrival_ms=OPENS + 400, opens_at=OPENS, claimed_server_ms=OPENS + 300, lag_ms=80
    )
    assert quiet.clamp is Clamp.TOO_EARLY and stalled.clamp is None
    assert stalled.press_ms == OPENS + 300 and stalled.lag_ms == 80
    assert stalled.uncertainty_ms == quiet.uncertainty_ms - 0  # the claim did not move
    blind = estimate_press(None, arrival_ms=OPENS + 400, opens_at=OPENS, lag_ms=80)
    assert blind.uncertainty_ms == 80


def test_the_lag_window_sees_past_and_ongoing_stalls() -> None:
    lag = LoopLag()
    assert lag.around(1_000) == 0
    lag.expect(1_020)
    lag.woke(1_020, 1_021)
    assert lag.around(1_030) == 1
    lag.expect(1_041)
    assert lag.around(1_121) == 80  # overdue right now: the loop is stalled
    lag.woke(1_041, 1_125)
    assert lag.around(1_126) == 84
    assert lag.around(1_125 + SPAN_MS + 1) == 0
    assert lag.summary()["max"] == 84


def test_a_stall_of_the_event_loop_around_a_press_never_awards_the_later_press() -> None:
    """The probe runs on a real gevent loop; the test blocks that loop for 80 ms while the
    first presser's buzz waits in the socket, so the server stamps it 80 ms late."""
    gevent = pytest.importorskip("gevent")
    from quiz.live.looplag import LoopProbe

    clock_base = time.monotonic()

    def clock() -> float:
        return (time.monotonic() - clock_base) * 1000

    probe = LoopProbe(clock, gevent.sleep, gevent.spawn, period_ms=20)
    probe.start()
    try:
        gevent.sleep(0.1)  # the probe settles
        lags = []
        for _ in range(3):
            time.sleep(0.08)  # blocks the gevent loop: a stall
            lags.append(probe.around(clock()))  # a buzz handler runs as the stall ends
            gevent.sleep(0.05)
        assert min(lags) >= 70, lags
        quiet_lag = probe.around(clock() + 0)
        gevent.sleep(SPAN_MS / 1000 + 0.05)
        assert probe.around(clock()) < 40, quiet_lag
    finally:
        probe.stop()

    fair = FairBuzzing()
    near = Link("near", up=5, down=5)
    other = Link("other", up=5, down=5)
    near.sync(fair, T0)
    other.sync(fair, T0 + 3)
    for lag in lags:
        match = Match(MatchRules(commit_window_ms=300))
        match.apply(C.BindDevice(Side.RED, "near"), T0)
        match.apply(C.BindDevice(Side.BLUE, "other"), T0)
        match.apply(C.ShowQuestion("Q1"), OPENS - 5_000)
        match.apply(C.OpenBuzzing(), OPENS)
        # near pressed at +100 (10 ms first); its buzz sat in the socket through the stall.
        late = round(OPENS + 100 + 5 + lag + 60)
        buzzes = [
            (OPENS + 115, "other", other.phone.device_time(OPENS + 110)),
            (late, "near", near.phone.device_time(OPENS + 100)),
        ]
        out: list[events.Event] = []
        for arrival, device, local in buzzes:
            command, _ = fair.buzz(
                FairMatch(), match.state, device, None, local, arrival, lag_ms=lag
            )
            out += match.apply(command, arrival)
        out += match.apply(C.Tick(), OPENS + 5_000)
        won = [e.device_id for e in out if isinstance(e, events.BuzzWon)]
        assert won in ([], ["near"]), (lag, won)

        # The same race without the lag: the clamp alone would have put near behind — a tie.
        match2 = Match(MatchRules(commit_window_ms=300))
        match2.apply(C.BindDevice(Side.RED, "near"), T0)
        match2.apply(C.BindDevice(Side.BLUE, "other"), T0)
        match2.apply(C.ShowQuestion("Q1"), OPENS - 5_000)
        match2.apply(C.OpenBuzzing(), OPENS)
        out = []
        for arrival, device, local in buzzes:
            command, _ = fair.buzz(FairMatch(), match2.state, device, None, local, arrival)
            out += match2.apply(command, arrival)
        out += match2.apply(C.Tick(), OPENS + 5_000)
        assert "other" not in [e.device_id for e in out if isinstance(e, events.BuzzWon)]

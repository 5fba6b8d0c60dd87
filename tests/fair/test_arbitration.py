"""Compensated arbitration end to end in memory: modelled phones and networks, quiz.fair, and
the real engine deciding. The socket-level proof is test_fairness_fast.py; this one sweeps many
more conditions quickly and pins the forgery bound."""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import Match, MatchRules, Phase, Side, events
from quiz.engine import commands as C
from quiz.fair import ClockSync, commit_window, estimate_press
from tests.fair.sim import Phone

T0 = 1_700_000_000_000
OPENS = T0 + 120_000


@dataclass
class Contestant:
    side: Side
    phone: Phone
    sync: ClockSync
    base: float
    jitter: float
    rng: random.Random

    def delay(self) -> float:
        return max(0.0, self.base + self.rng.uniform(-self.jitter, self.jitter))


def contestant(side: Side, base: float, jitter: float, seed: int) -> Contestant:
    rng = random.Random(seed)
    phone = Phone(offset=rng.uniform(-1e9, 1e9), drift_ppm=rng.uniform(-50, 50))
    c = Contestant(side, phone, ClockSync(), base, jitter, rng)
    for i in range(60):  # 90 s of sync before the race
        c.phone.exchange(c.sync, T0 + 30_000 + 1500.0 * i, up=c.delay(), down=c.delay())
    return c


def race(
    first: Contestant, second: Contestant, gap: float, forged_ms: float = 0.0
) -> tuple[list[events.Event], Match]:
    """``first`` presses ``gap`` ms before ``second``; ``second`` may claim ``forged_ms``
    earlier than the truth. Returns the engine events after the decision."""
    match = Match(MatchRules(commit_window_ms=commit_window([first.sync, second.sync])))
    match.apply(C.BindDevice(first.side, "first"), T0)
    match.apply(C.BindDevice(second.side, "second"), T0)
    match.apply(C.ShowQuestion("Q1"), OPENS - 5_000)
    match.apply(C.OpenBuzzing(), OPENS)
    press = OPENS + 180 + first.rng.uniform(0, 300)
    buzzes = []
    for who, at, forged in ((first, press, 0.0), (second, press + gap, forged_ms)):
        arrival = round(at + who.delay())
        est = estimate_press(
            who.sync,
            arrival_ms=arrival,
            opens_at=OPENS,
            claimed_device_ms=who.phone.device_time(at - forged),
        )
        buzzes.append((arrival, "first" if who is first else "second", est))
    out: list[events.Event] = []
    for arrival, device, est in sorted(buzzes, key=lambda b: b[0]):
        out += match.apply(C.Buzz(device, est.press_ms, est.uncertainty_ms), arrival)
    out += match.apply(C.Tick(), OPENS + 5_000)
    return out, match


def winner(evs: list[events.Event]) -> str | None:
    won = [e for e in evs if isinstance(e, events.BuzzWon)]
    return won[0].device_id if won else None


LATENCIES = [(5, 5), (5, 150), (20, 250), (150, 5), (250, 20)]


@settings(max_examples=150, deadline=None)
@given(
    pair=st.sampled_from(LATENCIES),
    gap=st.floats(20, 200),
    seed=st.integers(0, 2**32),
)
def test_the_truly_first_press_wins_whatever_the_latencies(
    pair: tuple[int, int], gap: float, seed: int
) -> None:
    a = contestant(Side.RED, pair[0], 20, seed)
    b = contestant(Side.BLUE, pair[1], 20, seed + 1)
    evs, match = race(a, b, gap)
    assert winner(evs) == "first", evs
    assert match.phase is Phase.ANSWERING


def test_at_10_ms_almost_every_race_goes_to_the_first_and_the_rest_are_called_ties() -> None:
    wins = ties = wrong = 0
    for seed in range(200):
        slow_first = seed % 2 == 0
        a = contestant(Side.RED, 150 if slow_first else 5, 20, seed)
        b = contestant(Side.BLUE, 5 if slow_first else 150, 20, seed + 10_000)
        evs, _ = race(a, b, 10)
        if any(isinstance(e, events.TieDeclared) for e in evs):
            ties += 1
        elif winner(evs) == "first":
            wins += 1
        else:
            wrong += 1
    assert wins >= 190, (wins, ties, wrong)
    assert wrong <= 2


def test_plain_arrival_order_would_have_lost_these_races() -> None:
    """The same races with the engine ranking by arrival: the near phone wins every time."""
    lost = 0
    for seed in range(50):
        far = contestant(Side.RED, 150, 20, seed)
        near = contestant(Side.BLUE, 5, 20, seed + 1)
        match = Match(MatchRules())
        match.apply(C.BindDevice(Side.RED, "first"), T0)
        match.apply(C.BindDevice(Side.BLUE, "second"), T0)
        match.apply(C.ShowQuestion("Q1"), OPENS - 5_000)
        match.apply(C.OpenBuzzing(), OPENS)
        press = OPENS + 300.0
        arrivals = sorted(
            [(round(press + far.delay()), "first"), (round(press + 50 + near.delay()), "second")]
        )
        evs: list[events.Event] = []
        for arrival, device in arrivals:
            evs += match.apply(C.Buzz(device), arrival)
        lost += winner(evs) == "second"
    assert lost == 50


@settings(max_examples=100, deadline=None)
@given(
    pair=st.sampled_from(LATENCIES),
    forged=st.floats(100, 100_000),
    seed=st.integers(0, 2**32),
)
def test_a_forged_early_timestamp_never_wins_beyond_the_clamp(
    pair: tuple[int, int], forged: float, seed: int
) -> None:
    """The forger presses after the honest phone by more than its round trip plus the
    margin, then claims any earlier time: it must not win."""
    honest = contestant(Side.RED, pair[0], 20, seed)
    forger = contestant(Side.BLUE, pair[1], 20, seed + 1)
    est = forger.sync.estimate
    assert est is not None
    gain = est.rtt_high_ms + 50 + 1
    evs, _ = race(honest, forger, gain + 20, forged_ms=forged)
    assert winner(evs) != "second"

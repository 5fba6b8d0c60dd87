"""Full garbage collections only at quiet moments (quiz/live/collector.py)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from quiz.live import collector as col
from quiz.live.collector import Collector
from quiz.live.ticker import quiet
from tests.server.conftest import Live


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_a_wave_of_connections_is_collected_once_it_is_over_and_only_when_quiet() -> None:
    c = Collector(enabled=True)
    for i in range(col.WAVE):
        c.connected(1_000 + i)
    last = 1_000 + col.WAVE - 1
    assert not c.due(last + 10, quiet=True)  # still arriving
    assert not c.due(last + col.SETTLE_MS, quiet=False)  # a clock is running
    assert c.maybe_collect(last + col.SETTLE_MS, quiet=lambda: True)
    assert c.runs == 1 and gc.get_freeze_count() > 0
    assert not c.due(last + col.SETTLE_MS + 1, quiet=True)  # nothing new since
    assert c.due(last + col.SETTLE_MS + col.PERIOD_MS, quiet=True)  # the period


def test_frozen_garbage_is_collected_at_the_next_quiet_moment() -> None:
    class Cycle:
        me: Any = None

    collected: list[str] = []
    c = Collector(enabled=True)
    c.collect(0)
    cycle = Cycle()
    cycle.me = cycle
    gc.collect()
    gc.freeze()  # frozen while still alive, as a phone's objects are
    import weakref

    ref = weakref.ref(cycle, lambda _r: collected.append("gone"))
    del cycle
    gc.collect()
    assert ref() is not None  # frozen: the collector's own passes leave it alone
    c.collect(1)
    assert ref() is None and collected == ["gone"]


def test_disabled_never_collects() -> None:
    c = Collector(enabled=False)
    for i in range(10 * col.WAVE):
        c.connected(i)
    assert not c.due(10**9, quiet=True)


def test_the_hub_is_quiet_only_when_no_clock_runs_against_a_player(live: Live) -> None:
    hub = live.hub
    now = hub.clock()
    assert quiet(hub.matches.services.values(), now)  # ready
    live.host.host("show_question")
    assert quiet(hub.matches.services.values(), now)  # the host is reading
    live.host.host("open_buzzing")
    assert not quiet(hub.matches.services.values(), now)  # buzzing
    assert live.red.command("buzz", press_at=None)["ok"]
    assert not quiet(hub.matches.services.values(), now)  # answering against the clock


def test_serving_configurations_collect_at_quiet_moments(make_app: Callable[..., Any]) -> None:
    from quiz.app import hub_of
    from quiz.config import ProductionConfig

    assert ProductionConfig.GC_MAINTENANCE
    assert hub_of(make_app(GC_MAINTENANCE=True)).collector.enabled
    assert not hub_of(make_app()).collector.enabled

"""Fair buzzing in a real browser (the system Chromium through Playwright).

- fair.js reaches the very numbers of quiz/fair/clock.py from the same exchanges;
- two phone pages behind latency-injecting proxies, 5 ms and 150 ms one way, press ``#buzz``
  at scripted instants: the truly-first press wins either way round, both phones unlock at the
  synchronised opening instant, and the provisional winner's phone shows 检查中… while the
  server waits for presses still in flight.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import pytest

from bench.fairness_browser import PRESS_JS
from quiz.fair import ClockSync
from quiz.testing.netem import Link, ProxyThread
from tests.conftest import ROOT, LiveServer, Peer
from tests.fair.sim import Phone
from tests.ui.conftest import PHONE, TIMEOUT_MS

pytestmark = pytest.mark.browser
FAIR_JS = ROOT / "static" / "js" / "fair.js"

# Feed exchanges to fair.js and return its estimate (or the error) after each one.
FEED_JS = """
(samples) => {
  const sync = new QuizFair.ClockSync();
  return samples.map((s) => {
    try { sync.add(s[0], s[1], s[2], s[3]); } catch (e) { return {error: e.message}; }
    const est = Object.assign({}, sync.estimate);
    est.steps = sync.steps;
    return est;
  });
}
"""


def exchanges(seed: int) -> list[list[float]]:
    """Five minutes of jittery exchanges of a drifting phone, a clock step, a bad sample."""
    rng = random.Random(seed)
    phone = Phone(offset=rng.uniform(-1e12, 1e12), drift_ppm=rng.uniform(-120, 120))
    log: list[list[float]] = []

    class Recorder(ClockSync):
        def add(self, t0: object, t1: object, t2: object, t3: object) -> Any:
            log.append([t0, t1, t2, t3])  # type: ignore[list-item]
            return None

    rec = Recorder()
    for i in range(330):
        if i == 260:
            phone.offset -= 7_000  # the phone slept
        up, down = 80 + rng.uniform(-20, 20), 80 + rng.uniform(-20, 20)
        phone.exchange(rec, 1_700_000_000_000 + 1000.0 * i, up=up, down=down)
    log.insert(100, [5.0, 10.0, 9.0, 6.0])  # t2 before t1: refused by both
    return log


def test_fair_js_matches_the_python_clock_sync_bit_for_bit(browser: Any) -> None:
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><title>fair</title>")
        page.add_script_tag(path=str(FAIR_JS))
        for seed in (1, 2):
            samples = exchanges(seed)
            got = page.evaluate(FEED_JS, samples)
            sync = ClockSync()
            drifted = False
            for sample, js in zip(samples, got, strict=True):
                try:
                    sync.add(*sample)
                except ValueError as exc:
                    assert js == {"error": str(exc)}
                    continue
                assert sync.estimate is not None
                want = {**asdict(sync.estimate), "steps": sync.steps}
                assert js == want
                drifted = drifted or sync.estimate.drift_ppm != 0
            assert sync.steps == 1 and drifted  # the step and the drift fit were exercised
    finally:
        page.close()


# --- two phones, two networks -----------------------------------------------------------------

# Record, in true (epoch) ms, when the buzz button opens and what the state line says.
WATCH_JS = """
() => {
  window.__seen = {open: [], status: []};
  const buzz = document.querySelector('#buzz');
  const status = document.querySelector('#status');
  new MutationObserver(() => {
    if (buzz.classList.contains('is-open')) {
      window.__seen.open.push(performance.timeOrigin + performance.now());
    }
  }).observe(buzz, {attributes: true, attributeFilter: ['class']});
  new MutationObserver(() => window.__seen.status.push(status.textContent))
    .observe(status, {childList: true, characterData: true, subtree: true});
}
"""


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def decided(host: Peer, after: int) -> dict[str, Any]:
    state: dict[str, Any] = host.wait_for(
        lambda s: s["seq"] > after and s["match"]["phase"] in ("answering", "tie"), timeout=10
    )
    return state


def test_two_phones_behind_5_and_150_ms_the_first_press_wins(
    browser: Any, live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    server = live_server_factory()
    host = sio_peer(server, "host", token=server.token)
    red_id = host.command("add_contestant", name="近端")["contestant_id"]
    blue_id = host.command("add_contestant", name="远端")["contestant_id"]
    rules = {"commit_window_ms": 300, "open_lead_ms": 400, "games_to_win": 9}
    ack = host.command("create_match", red=red_id, blue=blue_id, rules=rules, compensation=True)
    match_id = ack["match_id"]
    console = host.wait_for(lambda c: len(c["seats"]) >= 2, name="console")
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}
    proxies = ProxyThread()
    contexts = []
    try:
        near = proxies.proxy(server.port, Link(5, 20), Link(5, 20), seed=1)
        far = proxies.proxy(server.port, Link(150, 20), Link(150, 20), seed=2)
        pages = {}
        for side, proxy in (("red", near), ("blue", far)):
            context = browser.new_context(**PHONE)
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{proxy.url}/play?seat={codes[side]}&lang=zh-CN")
            pages[side] = page
        assert host.command("start_match", match_id=match_id)["ok"]
        host.wait_for(lambda s: len((s["match"] or {}).get("engine", {}).get("devices", {})) == 2)
        for page in pages.values():
            page.wait_for_function("() => Quiz.clock.synced")  # a function: no eval under the CSP
            page.evaluate(WATCH_JS)
        time.sleep(8)  # a few seconds of exchanges: the server's estimates settle

        def race(first: str, gap: float, second: bool = True) -> tuple[dict[str, Any], int]:
            host.host_command("show_question")
            host.host_command("open_buzzing")
            state = host.wait_latest(lambda s: s["match"]["phase"] == "countdown")
            opens_at = state["match"]["engine"]["opens_at"]
            other = "blue" if first == "red" else "red"
            pages[first].evaluate(PRESS_JS, opens_at + 150)
            if second:
                pages[other].evaluate(PRESS_JS, opens_at + 150 + gap)
            for side in (first, other) if second else (first,):
                wait_for(lambda s=side: pages[s].evaluate("window.__pressed"), what="press")
            return decided(host, state["seq"]), opens_at

        # The far phone presses 40 ms first: its buzz arrives ~100 ms after the near one's.
        state, opens_at = race("blue", 40)
        assert state["match"]["phase"] == "answering"
        assert state["match"]["engine"]["answering"] == "blue"
        receipts = state["match"]["fair"]["receipts"][-2:]
        by_side = {r["side"]: r for r in receipts}
        assert by_side["blue"]["outcome"] == "won" and by_side["red"]["outcome"] == "lost"
        assert by_side["blue"]["arrival_ms"] > by_side["red"]["arrival_ms"]
        assert {r["source"] for r in receipts} == {"device_clock"}
        assert all(r["rule"] == "compensated" and r["clamp"] is None for r in receipts), [
            (
                r["side"],
                r["clamp"],
                r["clamped_by_ms"],
                r["loop_lag_ms"],
                r["press_server_ms"] - opens_at,
                r["arrival_ms"] - opens_at,
                r["rtt_ms"],
            )
            for r in receipts
        ]
        # Both phones unlocked at the synchronised opening, not when their state arrived.
        for side, page in pages.items():
            opened = page.evaluate("window.__seen.open")
            assert opened, side
            assert abs(opened[0] - opens_at) < 30, (side, opened[0] - opens_at)
        host.host_command("void")

        # The near phone presses 40 ms first: it wins too.
        state, opens_at = race("red", 40)
        assert state["match"]["engine"]["answering"] == "red", [
            (
                r["side"],
                r["outcome"],
                r["tie_rule"],
                r["clamp"],
                r["clamped_by_ms"],
                r["loop_lag_ms"],
                r["press_server_ms"] - opens_at,
                r["arrival_ms"] - opens_at,
                r["rtt_ms"],
                r["uncertainty_ms"],
            )
            for r in state["match"]["fair"]["receipts"][-2:]
        ]
        host.host_command("void")

        # Only the far phone presses: it is the provisional winner for the whole window.
        pages["blue"].evaluate("window.__seen.status = []")
        state, _ = race("blue", 0, second=False)
        assert state["match"]["engine"]["answering"] == "blue"
        assert "检查中…" in pages["blue"].evaluate("window.__seen.status")
    finally:
        for context in contexts:
            context.close()
        proxies.close()

"""Fair buzzing with real browsers: two Chromium phones race, each behind its own network.

The emulated lanes of :mod:`bench.fairness` convert presses in Python; this lane runs the real
pages (``/play`` with ``fair.js``) in Debian's Chromium through Playwright, each phone behind
its own latency-injecting proxy (:mod:`quiz.testing.netem`, ±20 ms of jitter per chunk). A
press is a ``pointerdown`` dispatched in the page at a scripted instant of the machine's clock
(shared by both pages and the server), so which press came first is known: ground truth is the
earlier actual dispatch, as the page itself stamped it. The server decides as at an event.

Counted separately: races the truly-first press won, ties (the host decides: acceptable) and
wrong decisions (the later press won: the worst outcome). Two kinds of harness trouble are
detected and the race played again rather than blamed on the server: a press dispatched more
than :data:`LATE_LIMIT_MS` after its instant (a busy browser), and a proxy whose own loop wrote
a chunk more than :data:`PROXY_LATE_LIMIT_MS` late during the race (a starved proxy).

``python -m bench.fairness_browser`` prints the table; :func:`bench.fairness.run` adds it to
``docs/fairness.md``. ``FAIRNESS_BROWSER_RACES`` sets the races per cell.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quiz.testing.netem import Link, NetemProxy, ProxyThread

RACES = int(os.environ.get("FAIRNESS_BROWSER_RACES", "20"))
GAPS = (10, 20, 50)
#: (label, red one-way ms, blue one-way ms): the symmetric pair and one asymmetric pair.
PAIRS = (("5 / 5", 5.0, 5.0), ("5 / 150", 5.0, 150.0))
JITTER_MS = 20.0
LATE_LIMIT_MS = 30.0
PROXY_LATE_LIMIT_MS = 10.0
REPLAYS = 3
#: How long after the opening instant the first press is scheduled.
PRESS_AFTER_OPEN_MS = 150.0
CHROMIUM = "/usr/bin/chromium"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}

# Press #buzz at a true (epoch) instant, as a finger would: a pointerdown whose timeStamp is
# that instant; the page keeps the true time of the press (tests/fair/test_browser.py too).
PRESS_JS = """
(at) => {
  window.__pressed = null;
  const target = at - performance.timeOrigin;
  const fire = () => {
    while (performance.now() < target) {}
    const ev = new PointerEvent('pointerdown', {bubbles: true, cancelable: true,
                                                pointerType: 'touch', isPrimary: true});
    document.querySelector('#buzz').dispatchEvent(ev);
    window.__pressed = performance.timeOrigin + ev.timeStamp;
  };
  setTimeout(fire, Math.max(0, target - performance.now() - 15));
}
"""


@dataclass
class Cell:
    pair: str
    gap: float
    won: int = 0
    ties: int = 0
    wrong: int = 0
    failed: int = 0
    replayed_late_press: int = 0
    replayed_starved_proxy: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def races(self) -> int:
        return self.won + self.ties + self.wrong


def _wait(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise TimeoutError("timed out")


class Table:
    """One server, one match, two phone pages behind their proxies."""

    def __init__(self, browser: Any, url: str, token: str, port: int, red: float, blue: float):
        from tests.conftest import connect_peer

        self.host = connect_peer(url, "host", token=token)
        ids = [self.host.command("add_contestant", name=n)["contestant_id"] for n in ("红", "蓝")]
        rules = {"commit_window_ms": 300, "open_lead_ms": 400, "games_to_win": 9}
        made = self.host.command(
            "create_match", red=ids[0], blue=ids[1], rules=rules, compensation=True
        )
        self.match_id = made["match_id"]
        console = self.host.wait_for(lambda c: len(c["seats"]) >= 2, name="console")
        codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == self.match_id}
        self.proxies = ProxyThread()
        self.links: dict[str, NetemProxy] = {}
        self.contexts: list[Any] = []
        self.pages: dict[str, Any] = {}
        for seed, (side, one_way) in enumerate((("red", red), ("blue", blue)), start=1):
            link = Link(one_way, JITTER_MS)
            proxy = self.proxies.proxy(port, link, link, seed=seed)
            self.links[side] = proxy
            context = browser.new_context(**PHONE)
            self.contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{proxy.url}/play?seat={codes[side]}&lang=zh-CN")
            self.pages[side] = page
        assert self.host.command("start_match", match_id=self.match_id)["ok"]
        self.host.wait_for(
            lambda s: len((s["match"] or {}).get("engine", {}).get("devices", {})) == 2
        )
        for page in self.pages.values():
            page.wait_for_function("() => Quiz.clock.synced")
        time.sleep(8)  # a few seconds of clock exchanges: the server's estimates settle

    def race(self, first: str, gap: float) -> tuple[str, dict[str, Any]]:
        """One race; returns ("won" | "tie" | "wrong" | "late_press" | "starved_proxy", info)."""
        since = time.monotonic()
        self.host.host_command("show_question")
        self.host.host_command("open_buzzing")
        state = self.host.wait_latest(lambda s: s["match"]["phase"] == "countdown")
        opens_at = state["match"]["engine"]["opens_at"]
        second = "blue" if first == "red" else "red"
        scheduled = {first: opens_at + PRESS_AFTER_OPEN_MS}
        scheduled[second] = scheduled[first] + gap
        for side in (first, second):
            self.pages[side].evaluate(PRESS_JS, scheduled[side])
        pressed = {
            side: float(_wait(lambda s=side: self.pages[s].evaluate("window.__pressed")))
            for side in (first, second)
        }
        decided = self.host.wait_for(
            lambda s: s["seq"] > state["seq"] and s["match"]["phase"] in ("answering", "tie")
        )
        self.host.host_command("void")
        info = {"late_ms": max(pressed[s] - scheduled[s] for s in pressed)}
        info["proxy_late_ms"] = max(p.late_since(since) for p in self.links.values())
        if info["late_ms"] > LATE_LIMIT_MS:
            return "late_press", info
        if info["proxy_late_ms"] > PROXY_LATE_LIMIT_MS:
            return "starved_proxy", info
        truly_first = min(pressed, key=lambda s: pressed[s])
        if decided["match"]["phase"] == "tie":
            return "tie", info
        winner = decided["match"]["engine"]["answering"]
        return ("won" if winner == truly_first else "wrong"), info

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.proxies.close()
        self.host.client.disconnect()


def play_cell(table: Table, cell: Cell, races: int) -> None:
    for n in range(races):
        first = "red" if n % 2 == 0 else "blue"
        for _attempt in range(REPLAYS + 1):
            try:
                verdict, _info = table.race(first, cell.gap)
            except Exception as exc:  # reported, never silently dropped
                cell.failed += 1
                cell.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                break
            if verdict == "late_press":
                cell.replayed_late_press += 1
                continue
            if verdict == "starved_proxy":
                cell.replayed_starved_proxy += 1
                continue
            if verdict == "won":
                cell.won += 1
            elif verdict == "tie":
                cell.ties += 1
            else:
                cell.wrong += 1
            break
        if cell.failed >= 3:
            break  # a broken table: say so in the row rather than time out race after race


def run_cells(races: int = RACES) -> tuple[list[Cell], float]:
    """Every cell of the lane; returns the cells and the minutes taken."""
    from playwright.sync_api import sync_playwright

    from bench.servers import start_quiz, workdir

    started = time.monotonic()
    cells: list[Cell] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-dev-shm-usage", "--no-sandbox"]
        )
        try:
            for label, red, blue in PAIRS:
                folder = workdir("fair-browser")
                server = start_quiz("gevent", folder)
                table = None
                try:
                    table = Table(browser, server.url, server.token, server.port, red, blue)
                    for gap in GAPS:
                        cell = Cell(label, gap)
                        play_cell(table, cell, races)
                        cells.append(cell)
                finally:
                    if table is not None:
                        table.close()
                    server.stop()
                    shutil.rmtree(folder, ignore_errors=True)
        finally:
            browser.close()
    return cells, (time.monotonic() - started) / 60


def table_text(cells: list[Cell], minutes: float) -> str:
    rows = [
        "| one-way ms (red / blue) | gap ms | races | first press won | ties (host decides) "
        "| wrong decisions | replayed: late press | replayed: starved proxy | failed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in cells:
        share = f"{100 * c.won / c.races:.0f}%" if c.races else "-"
        rows.append(
            f"| {c.pair} | {c.gap:g} | {c.races} | {c.won} ({share}) | {c.ties} | {c.wrong} "
            f"| {c.replayed_late_press} | {c.replayed_starved_proxy} | {c.failed} |"
        )
    wrong = sum(c.wrong for c in cells)
    total = sum(c.races for c in cells)
    errors = [f"- {c.pair}, {c.gap:g} ms: {e}" for c in cells for e in c.errors[:2]]
    head = (
        f"Real browsers: {total} races in {minutes:.1f} minutes, two Chromium phones (Playwright, "
        f"`{CHROMIUM}`) behind their own proxies with ±{JITTER_MS:g} ms of jitter, presses "
        f"dispatched in the pages {PRESS_AFTER_OPEN_MS:g} ms after the synchronised opening and "
        f"the given gap apart (which side first alternates). **{wrong} wrong decisions.** A race "
        f"was played again when a page dispatched its press more than {LATE_LIMIT_MS:g} ms late "
        f"or a proxy wrote a chunk more than {PROXY_LATE_LIMIT_MS:g} ms late (the harness, not "
        "the server)."
    )
    parts = [head, "\n".join(rows)]
    if errors:
        parts.append("Errors:\n\n" + "\n".join(errors))
    return "\n\n".join(parts)


def run() -> str:
    if not Path(CHROMIUM).exists():
        return f"Real browsers: not run ({CHROMIUM} is not installed)."
    cells, minutes = run_cells()
    return table_text(cells, minutes)


if __name__ == "__main__":
    print(run())

"""Browser fixtures: Debian's Chromium driven by Playwright against a live ``quiz serve``.

- ``browser``: one headless Chromium for the session (skipped with a clear reason if the
  system Chromium is missing; browsers are never downloaded).
- ``ui_server``: a ``quiz serve`` subprocess on 127.0.0.1 shared by a test module.
- ``overflow_problems(page)``: every overflow the LED wall must not have.
- ``shots_dir`` and ``save_shot(page, shots_dir, name)``: screenshots in
  ``test-artifacts/screenshots/`` (gitignored).
- ``seated_match(server, names)``: a match made (and started) over the host's socket;
  ``bank_ids(server)``: the server's question version ids by type.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, LiveServer, Peer, connect_peer, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "test-artifacts" / "screenshots"
TIMEOUT_MS = 10_000

# Display sizes the LED wall must fit: 16:9, 32:9, 5:4 and a tiny 640x360.
DISPLAY_SIZES = ((1920, 1080), (3840, 1080), (1280, 1024), (640, 360))
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}

# The checks the display must pass: the document never scrolls, and no element with text of
# its own overflows its box (scroll size), draws its text outside its box (text rectangle,
# with a tolerance for the font's ascent/descent beyond a tight line-height) or sticks out
# of its parent.
OVERFLOW_JS = """
() => {
  const problems = [];
  const de = document.documentElement;
  if (de.scrollWidth > innerWidth || de.scrollHeight > innerHeight) {
    problems.push({what: "document", scroll: [de.scrollWidth, de.scrollHeight],
                   viewport: [innerWidth, innerHeight]});
  }
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("[hidden]") || el.closest("svg") || el.tagName === "SCRIPT") continue;
    const cs = getComputedStyle(el);
    if (cs.display === "inline" || cs.display === "none" || cs.visibility === "hidden") continue;
    const hasText = Array.from(el.childNodes).some(
      (n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!hasText) continue;
    const box = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const text = range.getBoundingClientRect();
    const tol = Math.max(2, 0.3 * parseFloat(cs.fontSize));
    const parent = el.parentElement.getBoundingClientRect();
    const name = el.id || el.className || el.tagName;
    const sample = el.textContent.trim().slice(0, 40);
    if (el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight) {
      problems.push({what: "scroll", el: name, text: sample,
                     scroll: [el.scrollWidth, el.scrollHeight],
                     client: [el.clientWidth, el.clientHeight]});
    }
    if (text.left < box.left - tol || text.top < box.top - tol ||
        text.right > box.right + tol || text.bottom > box.bottom + tol) {
      problems.push({what: "text outside box", el: name, text: sample});
    }
    if (box.left < parent.left - 1 || box.top < parent.top - 1 ||
        box.right > parent.right + 1 || box.bottom > parent.bottom + 1) {
      problems.push({what: "outside parent", el: name, text: sample});
    }
    if (box.right > innerWidth + 1 || box.bottom > innerHeight + 1) {
      problems.push({what: "outside viewport", el: name, text: sample});
    }
  }
  return problems;
}
"""


_RUNNING: list[Any] = []  # the one Chromium of the session, once started


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Other folders import this fixture, and each import is a fixture of its own; a second
    # sync Playwright in the same thread refuses to start while the first one runs, so
    # they all share the first one's Chromium.
    if _RUNNING:
        yield _RUNNING[0]
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _RUNNING.append(chromium)
        yield chromium
        _RUNNING.clear()
        chromium.close()


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("ui-server"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    return SHOTS


def overflow_problems(page: Any) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = page.evaluate(OVERFLOW_JS)
    return problems


def settle(page: Any) -> None:
    """Let a resize or a render finish: the fit routine runs after an 80 ms debounce."""
    page.wait_for_timeout(250)
    page.evaluate("() => document.fonts ? document.fonts.ready.then(() => true) : true")


def save_shot(page: Any, shots_dir: Path, name: str) -> Path:
    path = shots_dir / f"{name}.png"
    page.screenshot(path=str(path))
    return path


class Wall:
    """The LED page, checked for overflow and photographed at every wall size."""

    def __init__(self, page: Any, shots_dir: Path) -> None:
        self.page = page
        self.shots_dir = shots_dir
        self.problems: dict[str, list[dict[str, Any]]] = {}

    def capture(self, label: str) -> None:
        for width, height in DISPLAY_SIZES:
            self.page.set_viewport_size({"width": width, "height": height})
            settle(self.page)
            found = overflow_problems(self.page)
            if found:
                self.problems[f"{label} {width}x{height}"] = found
            save_shot(self.page, self.shots_dir, f"display-{label}-{width}x{height}")
        self.page.set_viewport_size({"width": 1920, "height": 1080})
        settle(self.page)

    def showing(self, view: str, timeout: int = TIMEOUT_MS) -> None:
        """Wait for the wall's audience view ``view`` (body ``data-audience``)."""
        self.page.wait_for_function(
            "v => document.body.dataset.audience === v", arg=view, timeout=timeout
        )


@dataclass
class SeatedMatch:
    """A match made over the host's socket: the host peer, the match id, the seat codes."""

    host: Peer
    match_id: int
    codes: dict[str, str]


def seated_match(
    server: LiveServer,
    names: tuple[str, str],
    *,
    start: bool = True,
    **create: Any,
) -> SeatedMatch:
    """Add two contestants, create a match between them (``create``: its rules, filter...),
    read its seat codes from the console and, if ``start``, start it."""
    host = connect_peer(server.url, "host", token=server.token)
    people = [host.command("add_contestant", name=n)["contestant_id"] for n in names]
    made = host.command("create_match", red=people[0], blue=people[1], **create)
    assert made["ok"], made
    match_id = made["match_id"]
    console = host.wait_for(lambda c: any(s["match_id"] == match_id for s in c["seats"]), "console")
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}
    if start:
        assert host.command("start_match", match_id=match_id)["ok"]
    return SeatedMatch(host, match_id, codes)


def bank_ids(server: LiveServer) -> dict[str, list[str]]:
    """The question version ids of the server's bank by question type, oldest first."""
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT id, json_extract(content, '$.type') FROM question_version ORDER BY id"
        ).fetchall()
    out: dict[str, list[str]] = {}
    for version, kind in rows:
        out.setdefault(kind, []).append(str(version))
    return out

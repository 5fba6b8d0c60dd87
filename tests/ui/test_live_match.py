"""A whole best-of-five match in real browsers: the host console, the LED display and two
contestant phones, all on a live ``quiz serve``, driven only through the pages (buttons,
keyboard shortcuts, the phones' ``#buzz``). Along the way the display is photographed at
every wall size in each main phase and checked for overflow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import (
    PHONE,
    TIMEOUT_MS,
    Wall,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def wait_phase(page: Any, phase: str, timeout: int = TIMEOUT_MS) -> None:
    page.wait_for_function("p => document.body.dataset.phase === p", arg=phase, timeout=timeout)


def text_of(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


def test_full_match_through_the_pages(browser: Any, ui_server: LiveServer, shots_dir: Path):
    errors: list[str] = []

    def watch(page: Any, name: str) -> Any:
        page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
        page.set_default_timeout(TIMEOUT_MS)
        return page

    # --- host: token from the URL, then gone from the address bar -------------------------
    host = watch(browser.new_page(viewport={"width": 1440, "height": 900}), "host")
    host.goto(ui_server.host_url)
    host.wait_for_selector("body[data-conn='online']")
    assert "token" not in host.url
    assert ui_server.token not in host.content()

    for name in ("张三", "李四"):
        host.fill("[data-testid=contestant-name]", name)
        host.press("[data-testid=contestant-name]", "Enter")
    host.wait_for_function("() => document.querySelectorAll('#contestant-list li').length === 2")
    host.fill("[data-testid=rule-pre]", "0")
    host.click("[data-testid=match-create]")
    codes = host.locator("[data-testid^=seat-code-]")
    codes.nth(1).wait_for()
    red_code, blue_code = codes.nth(0).inner_text(), codes.nth(1).inner_text()
    assert red_code != blue_code

    # --- display: attract screen with the join QR ----------------------------------------
    display = watch(browser.new_page(viewport={"width": 1920, "height": 1080}), "display")
    display.goto(f"{ui_server.url}/display")
    display.click("#start-overlay")
    wait_phase(display, "attract")
    assert display.locator("#join-qr").evaluate("img => img.complete && img.naturalWidth > 0")
    wall = Wall(display, shots_dir)
    wall.capture("attract")

    # --- phones: one per side, by seat link ----------------------------------------------
    phones = {}
    for side, code in (("red", red_code), ("blue", blue_code)):
        context = browser.new_context(**PHONE)
        phone = watch(context.new_page(), f"phone-{side}")
        phone.goto(f"{ui_server.url}/play?seat={code}")
        phones[side] = phone
    red, blue = phones["red"], phones["blue"]

    # --- start the match ----------------------------------------------------------------
    match_id = codes.nth(0).get_attribute("data-testid").split("-")[2]
    host.click(f"[data-testid=match-start-{match_id}]")
    for page in (host, display, red, blue):
        wait_phase(page, "ready")
    for side, phone in phones.items():
        phone.wait_for_function(
            "s => document.body.dataset.side === s", arg=side, timeout=TIMEOUT_MS
        )
    host.wait_for_function(
        "() => document.getElementById('h-conn-red').textContent.indexOf('"
        + host.evaluate("Quiz.t('conn.online')")
        + "') === 0"
    )
    red.screenshot(path=str(shots_dir / "phone-ready-390x844.png"))

    # --- game 1: a too-early press by blue, then red buzzes first and is right -----------
    host.keyboard.press("ArrowRight")
    wait_phase(display, "question")
    prompt = text_of(display, "#q-prompt")
    assert prompt and text_of(host, "#h-q-prompt") == prompt
    assert text_of(host, "[data-testid=answer]")  # the host always sees the answer key
    assert display.locator(".opt.is-answer").count() == 0  # the wall never does, yet
    assert display.evaluate("Quiz.lastState().match.question.answer") is None
    wall.capture("question")

    blue.tap("#buzz")  # before buzzing opens: a violation the server records
    host.wait_for_selector("#h-log .h-log-early")
    blue.wait_for_function(
        "t => document.getElementById('status').textContent === t",
        arg=blue.evaluate("Quiz.t('play.early')"),
    )
    blue.screenshot(path=str(shots_dir / "phone-early-390x844.png"))

    host.keyboard.press("Space")
    wait_phase(display, "buzzing")
    wait_phase(red, "buzzing")
    red.screenshot(path=str(shots_dir / "phone-buzzing-390x844.png"))
    wall.capture("buzzing")
    red.tap("#buzz")
    wait_phase(display, "answering")
    wait_phase(red, "answering")
    red.screenshot(path=str(shots_dir / "phone-answering-390x844.png"))
    blue.screenshot(path=str(shots_dir / "phone-opponent-answering-390x844.png"))
    assert "is-answering" in display.get_attribute("#panel-red", "class")
    host.screenshot(path=str(shots_dir / "host-answering-1440x900.png"))
    wall.capture("answering")

    host.keyboard.press("y")
    wait_phase(display, "result")
    display.wait_for_function("() => document.getElementById('score-red').textContent === '1'")
    assert display.locator("#q-explain").is_visible()  # 解析 after judging
    wall.capture("result")
    red.screenshot(path=str(shots_dir / "phone-result-390x844.png"))

    # --- game 2: red is wrong, the rebound goes to blue, who is right ----------------------
    host.click("[data-testid=btn-next]")
    wait_phase(display, "question")
    host.click("[data-testid=btn-open]")
    wait_phase(red, "buzzing")
    red.tap("#buzz")
    wait_phase(display, "answering")
    host.click("[data-testid=btn-wrong]")
    display.wait_for_function(
        "() => document.getElementById('panel-blue').classList.contains('is-answering')"
    )
    host.click("[data-testid=btn-correct]")
    display.wait_for_function("() => document.getElementById('score-blue').textContent === '1'")

    # --- undo and pause from the keyboard -------------------------------------------------
    # A key whose button is disabled (its command in flight, or the host's own state not yet
    # arrived) is dropped on purpose: no double actions. So each key waits for its button.
    host.keyboard.press("u")
    display.wait_for_function("() => document.getElementById('score-blue').textContent === '0'")
    host.wait_for_selector("[data-testid=btn-correct]:not([disabled])")
    host.keyboard.press("y")
    display.wait_for_function("() => document.getElementById('score-blue').textContent === '1'")

    # --- a void asked for and declined changes nothing ------------------------------------
    host.wait_for_selector("[data-testid=btn-next]:not([disabled])")
    host.keyboard.press("ArrowRight")
    wait_phase(display, "question")
    host.keyboard.press("v")
    host.wait_for_selector("[data-testid=dialog]")
    host.click("[data-testid=confirm-no]")
    assert not host.is_visible("[data-testid=dialog]")
    host.keyboard.press("u")  # take the question back: the next loop shows a fresh one
    wait_phase(display, "result")

    # --- games 3 and 4: red twice; the second is match point then the match -------------
    for expected in ("2", "3"):
        host.keyboard.press("ArrowRight")
        wait_phase(display, "question")
        host.keyboard.press("Space")
        wait_phase(red, "buzzing")
        red.tap("#buzz")
        wait_phase(red, "answering")
        host.keyboard.press("y")
        display.wait_for_function(
            "n => document.getElementById('score-red').textContent === n", arg=expected
        )
    for page in (display, host, red, blue):
        wait_phase(page, "finished")
    assert "is-winner" in display.get_attribute("#panel-red", "class")
    red.screenshot(path=str(shots_dir / "phone-finished-390x844.png"))
    wall.capture("finished")

    assert not wall.problems, wall.problems
    assert not errors, errors

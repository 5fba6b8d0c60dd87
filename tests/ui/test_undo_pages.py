"""Undo after an answer the engine judged on the phone: every page shows the undone state (no
answer on the LED, no stale ✓ 回答正确 on an audience phone), the host's buzz receipts give
times relative to the opening, never raw server ms, and the undo's ack says what it undid.
A live ``quiz serve``; the LED, an audience phone and the host console in Chromium.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, connect_peer
from tests.ui.conftest import PHONE, TIMEOUT_MS, save_shot, seated_match

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

RAW_MS = re.compile(r"\d{10,}")


def test_undo_after_a_phone_answer_re_renders_every_page(
    browser: Any, ui_server: LiveServer, shots_dir: Path
) -> None:
    seated = seated_match(ui_server, ("孙三", "李四"), filter={"kinds": ["single"]})
    host, codes = seated.host, seated.codes
    red = connect_peer(ui_server.url, "player", seat=codes["red"])
    connect_peer(ui_server.url, "player", seat=codes["blue"])

    errors: list[str] = []

    def page(name: str, context: Any) -> Any:
        p = context.new_page()
        p.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
        p.set_default_timeout(TIMEOUT_MS)
        return p

    led = page("display", browser.new_context(viewport={"width": 1920, "height": 1080}))
    led.goto(f"{ui_server.url}/display")
    led.click("#start-overlay")
    phone = page("audience", browser.new_context(**PHONE))
    phone.goto(f"{ui_server.url}/play")
    console_page = page("host", browser.new_context(viewport={"width": 1440, "height": 900}))
    console_page.goto(ui_server.host_url)
    console_page.wait_for_selector("body[data-conn='online']")

    assert host.host_command("show_question")["ok"]
    question = host.wait_latest(lambda s: s["match"]["phase"] == "question")["match"]["question"]
    key = question["answer"]
    phone.wait_for_selector(f"#options button[data-letter='{key[0]}']:not([disabled])")
    phone.tap(f"#options button[data-letter='{key[0]}']")
    phone.wait_for_function(
        "t => document.querySelector('#verdict').textContent === t",
        arg=phone.evaluate("Quiz.t('play.aud.waiting_result')"),
    )
    assert host.host_command("open_buzzing")["ok"]
    host.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
    assert red.command("buzz", press_at=None)["ok"]
    host.wait_latest(lambda s: s["match"]["phase"] == "answering")
    console_page.wait_for_selector("#h-receipts li")
    receipts = console_page.inner_text("#h-receipts")
    assert " ms" in receipts and not RAW_MS.search(receipts), receipts
    assert red.command("choice", choices=key)["ok"]

    right = "✓ " + phone.evaluate("Quiz.t('play.aud.right')")
    phone.wait_for_function("t => document.querySelector('#status').textContent === t", arg=right)
    led.wait_for_selector(".opt.is-answer")
    save_shot(phone, shots_dir, "phone-audience-judged-390x844")

    # --- the host undoes: back to before buzzing opened --------------------------------------
    ack = host.host_command("undo")
    assert ack["ok"] and ack["undone"]["command"] == "open_buzzing", ack
    host.wait_latest(lambda s: s["match"]["phase"] == "question")
    led.wait_for_function("() => document.body.dataset.phase === 'question'")
    phone.wait_for_function("() => document.body.dataset.phase === 'question'")
    assert led.locator(".opt.is-answer").count() == 0
    assert not led.is_visible("#q-explain")
    phone.wait_for_function("t => document.querySelector('#status').textContent !== t", arg=right)
    phone_text = phone.inner_text("body")
    assert phone.evaluate("Quiz.t('play.aud.right')") not in phone_text
    assert "+1" not in phone_text
    assert phone.locator("#options .is-answer").count() == 0
    assert not phone.is_visible("#explain")
    console_page.wait_for_function("() => document.body.dataset.phase === 'question'")
    assert not RAW_MS.search(console_page.inner_text("#h-receipts"))
    save_shot(phone, shots_dir, "phone-audience-after-undo-390x844")
    save_shot(led, shots_dir, "display-after-undo-1920x1080")
    save_shot(console_page, shots_dir, "host-after-undo-1440x900")
    assert errors == []
    host.disconnect()
    red.disconnect()

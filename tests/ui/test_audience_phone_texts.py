"""An audience phone's words in a live match (Chromium against a live ``quiz serve``): an open
question says "watch" above "the audience does not answer this one" (not 选出你的答案), the
audience timer starts with buzzing (not while the host reads) and "time is up" appears once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import PHONE, TIMEOUT_MS, bank_ids, save_shot, seated_match

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_audience_phone_words(browser: Any, ui_server: LiveServer, shots_dir: Path) -> None:
    host = seated_match(ui_server, ("周五", "吴六")).host
    ids = bank_ids(ui_server)
    assert host.command("audience_settings", timer_ms=3000)["ok"]

    phone = browser.new_context(**PHONE).new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    phone.set_default_timeout(TIMEOUT_MS)
    phone.goto(f"{ui_server.url}/play")
    phone.wait_for_selector("body[data-conn='online']")

    def t(key: str) -> str:
        return str(phone.evaluate("k => Quiz.t(k)", key))

    # --- an open question: the audience watches ----------------------------------------------
    assert host.host_command("show_question", question_id=ids["open"][0])["ok"]
    phone.wait_for_function(
        "t => document.querySelector('#verdict').textContent === t", arg=t("play.aud.not_this_one")
    )
    assert phone.inner_text("#status") == t("play.aud.watch")
    assert t("play.audience_guess") not in phone.inner_text("body")
    save_shot(phone, shots_dir, "phone-audience-open-question-390x844")
    assert host.host_command("void")["ok"]

    # --- a choice question: read for longer than the timer, still open to answers ------------
    assert host.host_command("show_question", question_id=ids["single"][0])["ok"]
    phone.wait_for_selector("#options button[data-letter]:not([disabled])")
    phone.wait_for_timeout(3_500)  # the host reads; the audience's 3 s have not started
    assert phone.locator("#options button[data-letter]:not([disabled])").count() >= 2
    assert t("play.aud.time_up") not in phone.inner_text("body")
    assert host.host_command("open_buzzing")["ok"]
    phone.wait_for_function(
        "t => document.querySelector('#status').textContent === t",
        arg=t("play.aud.time_up"),
        timeout=TIMEOUT_MS,
    )
    assert phone.inner_text("body").count(t("play.aud.time_up")) == 1
    assert phone.locator("#options button[data-letter]:not([disabled])").count() == 0
    save_shot(phone, shots_dir, "phone-audience-time-up-390x844")
    assert errors == []
    host.disconnect()

"""The host console shows what the host needs now (issue: ready for a real event day).

Rendered from snapshot states (tests/ui/states.py) through the page's test hooks, on a live
``quiz serve``: no tie buttons without a token, an open question's accepted answers as text,
a phone offline as an alert at the top, Space asking before buzzing opens while a phone is
away, and a normal checkbox beside its label.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import TIMEOUT_MS
from tests.ui.states import SAMPLE_QUESTION, state

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

HOST_VIEW = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}


def host_page(browser: Any, url: str) -> Any:
    page = browser.new_context(**HOST_VIEW).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    return page


def render(page: Any, phase: str, **kwargs: Any) -> None:
    now = int(page.evaluate("Math.round(Quiz.serverNow())"))
    page.evaluate("s => window.__quizRender(s)", state(phase, role="host", now=now, **kwargs))


def test_without_a_token_there_are_no_tie_buttons(browser: Any, ui_server: LiveServer) -> None:
    page = host_page(browser, f"{ui_server.url}/host")
    page.wait_for_selector("#token-form:not([hidden])")
    assert page.locator("[data-testid=btn-next]").count() == 1
    assert not page.locator("[data-testid=btn-tie-red]").is_visible()
    assert not page.locator("[data-testid=btn-tie-blue]").is_visible()
    page.context.close()


def test_an_open_question_shows_its_accepted_answers_as_text(
    browser: Any, ui_server: LiveServer
) -> None:
    page = host_page(browser, ui_server.host_url)
    page.wait_for_selector("body[data-conn='online']")
    open_question = {
        **SAMPLE_QUESTION,
        "kind": "open",
        "type": "open",
        "options": [],
        "answer": [],
        "accepted": [
            {"zh": "现代化", "en": "Modernisation"},
            {"zh": "信息化", "en": "Informatisation"},
        ],
    }
    render(page, "answering", question=open_question, answering="red")
    assert page.locator("[data-testid=answer]").inner_text() == "现代化 / 信息化"
    page.goto(ui_server.host_url.replace("/host?", "/host?lang=en&"))
    page.wait_for_selector("body[data-conn='online']")
    render(page, "answering", question=open_question, answering="red")
    assert page.locator("[data-testid=answer]").inner_text() == "Modernisation / Informatisation"
    page.context.close()


def test_a_phone_offline_is_an_alert_and_space_asks_first(
    browser: Any, ui_server: LiveServer
) -> None:
    page = host_page(browser, ui_server.host_url)
    page.wait_for_selector("body[data-conn='online']")
    snapshot = state("question", role="host", now=int(page.evaluate("Quiz.serverNow()")))
    snapshot["match"]["sides"]["blue"]["online"] = False
    page.evaluate("s => window.__quizRender(s)", snapshot)
    # The seat list says blue's phone was bound, so it is offline, not unseated.
    page.evaluate(
        "() => window.__quizConsole({rev: 1e9, event: {id: 1, title: 'x'}, contestants: [],"
        " matches: [{id: 3, number: 2, status: 'live', red: 5, blue: 6}], seats: ["
        " {match_id: 3, side: 'red', code: 'AAAAA', device: 'd1', online: true},"
        " {match_id: 3, side: 'blue', code: 'BBBBB', device: 'd2', online: false}],"
        " takeovers: []})"
    )
    alert = page.locator("[data-testid=alert-offline-blue]")
    assert alert.is_visible()
    assert "蓝方" in alert.inner_text() and "离线" in alert.inner_text()
    top = page.locator("#h-alerts").bounding_box()
    assert top is not None and top["y"] < 120  # at the top, not below the fold
    page.keyboard.press("Space")
    page.wait_for_selector("[data-testid=dialog]")
    assert "蓝方" in page.locator("#dialog-text").inner_text()
    page.keyboard.press("Escape")
    assert not page.locator("[data-testid=dialog]").is_visible()
    page.context.close()


def test_the_compensation_box_is_a_normal_checkbox_beside_its_label(
    browser: Any, ui_server: LiveServer
) -> None:
    page = host_page(browser, ui_server.host_url)
    page.wait_for_selector("body[data-conn='online']")
    box = page.locator("#rule-compensation").bounding_box()
    label = page.locator("label:has(#rule-compensation)").bounding_box()
    assert box is not None and label is not None
    assert box["height"] < 30 and box["width"] < 30
    assert label["height"] < 50  # one line: the box beside the words, not above them
    page.context.close()


def test_the_token_alert_goes_once_the_host_is_in(browser: Any, ui_server: LiveServer) -> None:
    page = host_page(browser, f"{ui_server.url}/host")
    page.wait_for_selector("[data-testid=error]:not([hidden])")
    page.fill("[data-testid=token-input]", "wrong-token-wrong-token-wrong-token")
    page.press("[data-testid=token-input]", "Enter")
    page.wait_for_selector("#token-form:not([hidden])")
    assert page.locator("[data-testid=error]").is_visible()
    page.fill("[data-testid=token-input]", ui_server.token)
    page.press("[data-testid=token-input]", "Enter")
    page.wait_for_selector("body[data-conn='online']")
    page.wait_for_selector("[data-testid=error]", state="hidden", timeout=2000)
    page.context.close()

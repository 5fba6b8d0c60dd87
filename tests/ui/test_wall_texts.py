"""The LED's moments and a few words, rendered from snapshot states through the page's test
hook in Chromium against a live ``quiz serve``: the overlay never breaks a word (赛点 stays on
one line at any wall size), a wrong answer that hands the question over (补答) leaves the
question readable, and English says "1 pt", not "1 pts"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import DISPLAY_SIZES, PHONE, TIMEOUT_MS, save_shot, settle
from tests.ui.states import state

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# The rectangles of the characters of 赛点 inside the overlay text: one line, or not.
SAME_LINE_JS = """
(word) => {
  const el = document.getElementById("moment-text");
  const node = Array.from(el.childNodes).find((n) => n.nodeType === Node.TEXT_NODE);
  const at = node.textContent.indexOf(word);
  if (at < 0) return null;
  const tops = [];
  for (let i = 0; i < word.length; i++) {
    const r = document.createRange();
    r.setStart(node, at + i);
    r.setEnd(node, at + i + 1);
    tops.push(Math.round(r.getBoundingClientRect().top));
  }
  return tops;
}
"""


def _render(page: Any, **kwargs: Any) -> None:
    now = int(page.evaluate("Math.round(Quiz.serverNow())"))
    page.evaluate("s => window.__quizRender(s)", state(now=now, **kwargs))


def _open(browser: Any, server: LiveServer, path: str, **context: Any) -> Any:
    page = browser.new_context(**context).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server.url + path)
    page.wait_for_selector("body[data-conn='online']")
    return page


@pytest.mark.parametrize(("width", "height"), DISPLAY_SIZES)
def test_the_match_point_overlay_never_breaks_a_word(
    browser: Any, ui_server: LiveServer, shots_dir: Path, width: int, height: int
) -> None:
    led = _open(browser, ui_server, "/display", viewport={"width": width, "height": height})
    led.click("#start-overlay")
    moment = {"type": "game_won", "side": "red", "game": 3, "at": 5_000}
    _render(led, phase="result", answering="red", correct=True, score=(2, 1), moment=moment)
    led.wait_for_selector("#moment:not([hidden])")
    settle(led)
    tops = led.evaluate(SAME_LINE_JS, "赛点")
    assert tops is not None and len(set(tops)) == 1, (width, height, tops)
    assert led.evaluate(SAME_LINE_JS, "赢得第3局") is not None
    save_shot(led, shots_dir, f"display-moment-match-point-{width}x{height}")
    led.context.close()


def test_a_wrong_answer_before_the_rebound_leaves_the_question_readable(
    browser: Any, ui_server: LiveServer, shots_dir: Path
) -> None:
    led = _open(browser, ui_server, "/display", viewport={"width": 1920, "height": 1080})
    led.click("#start-overlay")
    moment = {"type": "answer_judged", "side": "red", "correct": False, "at": 7_000}
    _render(led, phase="answering", answering="blue", moment=moment)
    led.wait_for_selector("#moment.is-compact:not([hidden])")
    settle(led)
    band = led.locator("#moment").bounding_box()
    for selector in ("#q-prompt", "#q-options"):
        box = led.locator(selector).bounding_box()
        overlap = not (
            band["y"] >= box["y"] + box["height"] or box["y"] >= band["y"] + band["height"]
        )
        assert not overlap, (selector, band, box)
    assert led.inner_text("#moment-text") == "回答错误"
    save_shot(led, shots_dir, "display-moment-rebound-1920x1080")
    # Gone well within a second, while the rebound's side reads on.
    led.wait_for_selector("#moment", state="hidden", timeout=1_200)
    # A wrong answer that ends the question still gets the big overlay.
    _render(led, phase="result", answering="red", correct=False, seq=11, moment={**moment, "at": 8})
    led.wait_for_selector("#moment:not([hidden])")
    assert "is-compact" not in (led.get_attribute("#moment", "class") or "")
    led.context.close()


def test_english_says_one_pt(browser: Any, ui_server: LiveServer) -> None:
    led = _open(browser, ui_server, "/display?lang=en", viewport={"width": 1280, "height": 720})
    assert led.evaluate("Quiz.t('display.aud.points', {n: 1})") == "1 pt"
    assert led.evaluate("Quiz.t('display.aud.points', {n: 2})") == "2 pts"
    led.context.close()
    phone = _open(browser, ui_server, "/play?lang=en", **PHONE)
    assert phone.evaluate("Quiz.t('play.aud.points', {n: 1})") == "+1 pt"
    assert phone.evaluate("Quiz.t('play.aud.points', {n: 3})") == "+3 pts"
    phone.context.close()

"""The pages rendered in every phase from snapshot states (tests/ui/states.py) through their
test hooks, in Chromium against a live ``quiz serve``: the LED wall fits every wall size with
the longest questions of the bank, the phone's targets are big, the host's controls all have
shortcuts, stale states are dropped and nothing is fetched from anywhere but the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import DISPLAY_SIZES, PHONE, TIMEOUT_MS, overflow_problems, save_shot, settle
from tests.ui.states import (
    PHASES,
    SAMPLE_QUESTION,
    longest_explanation,
    longest_question,
    state,
    to_public,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]


def server_now(page: Any) -> int:
    return int(page.evaluate("Math.round(Quiz.serverNow())"))


def render(page: Any, **kwargs: Any) -> str:
    phase: str = page.evaluate("s => window.__quizRender(s)", state(now=server_now(page), **kwargs))
    return phase


def phase_case(phase: str) -> dict[str, Any]:
    """Arguments for ``state`` that make ``phase`` look the way it does in a real match."""
    extra: dict[str, Any] = {
        "countdown": {},
        "buzzing": {"violation": "blue"},
        "answering": {"answering": "red"},
        "result": {"answering": "red", "correct": True},
        "finished": {"winner": "blue", "score": (1, 3)},
    }.get(phase, {})
    return {"phase": phase, **extra}


def long_question(lang: str) -> dict[str, Any]:
    q = to_public(longest_question(lang))
    q["explanation"] = longest_explanation(lang)
    return q


@pytest.fixture
def display(browser: Any, ui_server: LiveServer) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    page.close()


def open_display(page: Any, server: LiveServer, lang: str = "zh-CN") -> None:
    page.goto(f"{server.url}/display?lang={lang}")
    page.wait_for_selector("body[data-conn='online']")
    page.click("#start-overlay")


@pytest.mark.parametrize(("width", "height"), DISPLAY_SIZES)
def test_display_fits_every_phase(
    display: Any, ui_server: LiveServer, shots_dir: Path, width: int, height: int
):
    display.set_viewport_size({"width": width, "height": height})
    open_display(display, ui_server)
    problems = {}
    cases = [("attract", {"phase": None})] + [(p, phase_case(p)) for p in PHASES]
    for name, kwargs in cases:
        assert render(display, **kwargs) == name
        settle(display)
        found = overflow_problems(display)
        if found:
            problems[name] = found
        save_shot(display, shots_dir, f"fixture-display-{name}-{width}x{height}")
    assert problems == {}


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize(("width", "height"), DISPLAY_SIZES)
def test_display_fits_the_longest_question(
    display: Any, ui_server: LiveServer, shots_dir: Path, lang: str, width: int, height: int
):
    display.set_viewport_size({"width": width, "height": height})
    open_display(display, ui_server, lang)
    q = long_question("zh" if lang == "zh-CN" else "en")
    long_names = ("城东街道社区网络安全志愿者代表队", "Riverside Community Volunteers")
    for phase in ("question", "result"):
        render(display, question=q, names=long_names, **phase_case(phase))
        settle(display)
        assert overflow_problems(display) == [], phase
        prompt = q["prompt"]["zh" if lang == "zh-CN" else "en"]
        assert display.inner_text("#q-prompt").replace("\n", "") == prompt.replace("\n", "")
    save_shot(display, shots_dir, f"fixture-display-longest-{lang}-{width}x{height}")


def test_display_refits_after_a_resize(display: Any, ui_server: LiveServer):
    open_display(display, ui_server)
    render(display, question=long_question("zh"), **phase_case("result"))
    for width, height in ((640, 360), (3840, 1080), (1280, 1024)):
        display.set_viewport_size({"width": width, "height": height})
        settle(display)
        assert overflow_problems(display) == [], (width, height)


def test_display_never_shows_a_stale_answer(display: Any, ui_server: LiveServer):
    open_display(display, ui_server)
    render(display, **phase_case("result"))
    assert display.locator(".opt.is-answer").count() == 1
    assert display.is_visible("#q-explain")
    nxt = dict(SAMPLE_QUESTION, id="AF-002", answer=None, explanation=None)
    render(display, phase="question", question=nxt, seq=11)
    assert display.locator(".opt.is-answer").count() == 0
    assert not display.is_visible("#q-explain")
    assert display.locator(".opt-key").all_inner_texts() == ["A", "B", "C", "D"]


def test_display_marks_correct_and_wrong_with_icon_and_word(display: Any, ui_server: LiveServer):
    open_display(display, ui_server)
    render(display, **phase_case("result"))
    right = display.inner_text("#status")
    assert right.startswith("✓") and "回答正确" in right
    render(display, phase="result", answering="blue", correct=False, seq=12)
    wrong = display.inner_text("#status")
    assert wrong.startswith("✗") and "错误" in wrong


def test_stale_states_are_dropped(display: Any, ui_server: LiveServer):
    open_display(display, ui_server)
    now = server_now(display)
    deliver = "s => { window.__quizDeliver(s); return document.body.dataset.phase; }"
    assert display.evaluate(deliver, state("buzzing", now=now, seq=20)) == "buzzing"
    assert display.evaluate(deliver, state("question", now=now, seq=19)) == "buzzing"
    assert display.evaluate(deliver, state("question", now=now, seq=20)) == "buzzing"
    assert display.evaluate(deliver, state("answering", now=now, seq=21)) == "answering"
    # A new match starts its seq again.
    other = state("ready", now=now, seq=0)
    other["match"]["id"] = 4
    assert display.evaluate(deliver, other) == "ready"


@pytest.fixture
def phone(browser: Any, ui_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{ui_server.url}/play")
    page.wait_for_selector("body[data-conn='online']")
    yield page
    context.close()


def box(page: Any, selector: str) -> dict[str, float]:
    b: dict[str, float] = page.locator(selector).bounding_box()
    return b


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= innerWidth"))


def test_phone_buzzer_fills_the_screen(phone: Any, shots_dir: Path):
    render(phone, phase="buzzing", you_side="red", role="player")
    b = box(phone, "#buzz")
    assert b["height"] >= 0.5 * 844 and b["width"] >= 0.85 * 390
    assert phone.inner_text("#buzz") == phone.evaluate("Quiz.t('play.buzz')")
    assert phone.get_attribute("body", "data-side") == "red"
    assert no_horizontal_scroll(phone)
    colour = phone.evaluate("getComputedStyle(document.getElementById('buzz')).backgroundImage")
    assert "224, 33, 47" in colour  # the red side's red


def test_phone_press_sends_one_buzz_with_a_press_time(phone: Any):
    render(phone, phase="buzzing", you_side="blue", role="player")
    phone.evaluate(
        """() => { window.__sent = []; Quiz.command = (type, args) => {
             window.__sent.push([type, args]); return Promise.resolve({ok: true}); }; }"""
    )
    phone.tap("#buzz")
    phone.wait_for_timeout(400)
    sent = phone.evaluate("window.__sent")
    assert [s[0] for s in sent] == ["buzz"]
    press_at = sent[0][1]["press_at"]
    # Synced by now (sync runs on connect): a server-clock estimate close to the server's now.
    assert press_at is not None and abs(press_at - server_now(phone)) < 2000


def test_phone_states_read_at_a_glance(phone: Any, shots_dir: Path):
    t = lambda key: phone.evaluate(f"Quiz.t('{key}')")  # noqa: E731
    cases = [
        ({"phase": "ready"}, "play.waiting_host"),
        ({"phase": "question"}, "play.get_ready"),
        ({"phase": "buzzing"}, "play.go"),
        ({"phase": "answering", "answering": "red"}, "play.you_answer"),
        ({"phase": "answering", "answering": "blue"}, "play.opponent_answering"),
        ({"phase": "buzzing", "violation": "red"}, "play.early"),
    ]
    for seq, (kwargs, key) in enumerate(cases, start=30):
        render(phone, you_side="red", role="player", seq=seq, **kwargs)
        assert phone.inner_text("#status") == t(key)
        assert no_horizontal_scroll(phone)
        save_shot(phone, shots_dir, f"fixture-phone-{key.split('.')[1]}-390x844")


def test_phone_answer_options_are_big_targets(phone: Any):
    render(phone, phase="answering", answering="red", you_side="red", role="player")
    options = phone.locator(".p-opt")
    assert options.count() == 4
    for i in range(4):
        b = options.nth(i).bounding_box()
        assert b["height"] >= 48 and b["width"] >= 200
    assert not phone.is_visible("#buzz")


def test_audience_phone_shows_question_and_options(phone: Any, shots_dir: Path):
    render(phone, phase="buzzing", role="audience")
    assert phone.get_attribute("body", "data-role") == "audience"
    assert not phone.is_visible("#buzz")
    assert phone.is_visible("#nick-row")
    assert phone.locator(".p-opt").count() == 4
    assert phone.locator(".p-opt:disabled").count() == 0
    save_shot(phone, shots_dir, "fixture-phone-audience-390x844")


@pytest.fixture
def host(browser: Any, ui_server: LiveServer) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(ui_server.host_url)
    page.wait_for_selector("body[data-conn='online']")
    yield page
    page.close()


def test_every_host_control_shows_its_shortcut(host: Any):
    render(host, phase="answering", answering="red", role="host")
    buttons = host.locator("#h-controls button, #h-adjust button")
    assert buttons.count() >= 14
    for i in range(buttons.count()):
        b = buttons.nth(i)
        assert b.get_attribute("data-testid"), b.inner_text()
        assert b.locator("kbd").count() == 1 and b.locator("kbd").inner_text().strip()
    keys = host.locator("#h-controls kbd").all_inner_texts()
    assert len(keys) == len(set(keys))


def test_host_sees_answer_and_explanation_always(host: Any):
    render(host, phase="question", role="host")
    assert host.inner_text("[data-testid=answer]") == "B"
    assert "安全账户" in host.inner_text("[data-testid=explanation]")


def test_destructive_actions_ask_once_in_page(host: Any):
    render(host, phase="answering", answering="red", role="host")
    host.evaluate(
        """() => { window.__sent = []; Quiz.command = (type, args) => {
             window.__sent.push([type, args]); return Promise.resolve({ok: true}); }; }"""
    )
    host.keyboard.press("v")
    assert host.is_visible("[data-testid=dialog]")
    host.keyboard.press("Escape")
    assert not host.is_visible("[data-testid=dialog]")
    assert host.evaluate("window.__sent") == []
    host.keyboard.press("e")
    host.click("[data-testid=confirm-blue]")
    host.keyboard.press("y")
    assert host.evaluate("window.__sent") == [
        ["end_match", {"reason": "forfeit", "winner": "blue"}],
        ["judge", {"correct": True}],
    ]


def test_host_shows_command_errors(host: Any):
    render(host, phase="question", role="host")
    host.keyboard.press("n")  # judging while nobody answers: the server refuses
    alert = host.locator("[data-testid=error]")
    alert.wait_for()
    assert host.evaluate("Quiz.t('host.cmd.judge')") in alert.inner_text()


@pytest.mark.parametrize("path", ["/", "/host", "/display", "/play", "/play?seat=ABCDE"])
def test_pages_fetch_only_from_the_server(browser: Any, ui_server: LiveServer, path: str):
    page = browser.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(ui_server.url + path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert requested and all(u.startswith(ui_server.url + "/") for u in requested), requested
    page.close()

"""A contestant phone from its seat to the end of its match, in Chromium against a live
``quiz serve`` (the host is a Socket.IO client; the phones and the LED are real pages):

- bound before the match starts: its side, its name and 等待比赛开始, nothing of the audience;
- a multiple-choice question answered on the phone: 多选 on the LED and the phone, toggles
  (``button[data-letter]`` with ``aria-pressed``) and ``#submit-choices``, the set judged;
- after 比赛结束: a finished screen with the result and no 抢答 button, also after a reload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import PHONE, TIMEOUT_MS, save_shot, seated_match

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _text(page: Any, key: str, **args: Any) -> str:
    return str(page.evaluate("([k, a]) => Quiz.t(k, a)", [key, args]))


def _wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.textContent.trim() === t",
        arg=[selector, text],
        timeout=TIMEOUT_MS,
    )


def test_seated_phone_multiple_choice_and_finish(
    browser: Any, ui_server: LiveServer, shots_dir: Path
) -> None:
    errors: list[str] = []

    def page(name: str, context: Any) -> Any:
        p = context.new_page()
        p.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
        # The browser's own favicon request is the one resource no page asks for (test_csp).
        p.on(
            "console",
            lambda m: (
                m.type == "error"
                and not m.text.startswith("Failed to load resource")
                and errors.append(f"{name}: {m.text}")
            ),
        )
        p.set_default_timeout(TIMEOUT_MS)
        return p

    seated = seated_match(
        ui_server,
        ("王红", "陈蓝"),
        start=False,
        rules={"pre_countdown_ms": 0},
        filter={"kinds": ["multiple"]},
    )
    host, match_id, codes = seated.host, seated.match_id, seated.codes
    phones = {}
    for side in ("red", "blue"):
        phones[side] = page(f"phone-{side}", browser.new_context(**PHONE))
        phones[side].goto(f"{ui_server.url}/play?seat={codes[side]}")
    red, blue = phones["red"], phones["blue"]

    # --- bound, the match not started: side, name, 等待比赛开始 -----------------------------
    waiting = _text(red, "play.waiting_start")
    assert waiting == "等待比赛开始"
    for side, name in (("red", "王红"), ("blue", "陈蓝")):
        phone = phones[side]
        _wait_text(phone, "#status", waiting)
        assert phone.inner_text("#who") == f"{_text(phone, 'side.' + side)} · {name}"
        assert phone.evaluate("document.body.dataset.role") == "contestant"
        for hidden in ("#nick-row", "#show-seat", "#buzz", "#question", "#aud-score"):
            assert not phone.is_visible(hidden), hidden
    save_shot(red, shots_dir, "phone-seated-waiting-390x844")

    led = page("display", browser.new_context(viewport={"width": 1920, "height": 1080}))
    led.goto(f"{ui_server.url}/display")
    led.click("#start-overlay")
    assert host.command("start_match", match_id=match_id)["ok"]
    for phone in (red, blue):
        phone.wait_for_function("() => document.body.dataset.phase === 'ready'")
        assert phone.is_visible("#buzz")

    # --- a multiple-choice question: 多选 on the wall, toggles and 提交 on the phone ---------
    assert host.host_command("show_question")["ok"]
    shown = host.wait_latest(lambda s: (s["match"] or {}).get("phase") == "question")
    question = shown["match"]["question"]
    assert question["kind"] == "multiple" and question["multiple"] is True
    key = sorted(question["answer"])
    assert len(key) >= 2
    led.wait_for_selector("#q-meta .kind-badge")
    assert led.inner_text("#q-meta .kind-badge") == "多选"
    save_shot(led, shots_dir, "display-multiple-1920x1080")

    assert host.host_command("open_buzzing")["ok"]
    red.wait_for_function("() => document.body.dataset.phase === 'buzzing'")
    red.tap("#buzz")
    red.wait_for_selector("#options button[data-letter]")
    assert red.inner_text("#question .kind-badge") == "多选"
    buttons = red.locator("#options button[data-letter]")
    assert buttons.count() == len(question["options"])
    assert all(
        buttons.nth(i).get_attribute("aria-pressed") == "false" for i in range(buttons.count())
    )
    assert red.is_disabled("#submit-choices")
    for letter in key:
        red.tap(f"#options button[data-letter='{letter}']")
    # Taps toggle and send nothing yet: the question is still being answered.
    for letter in key:
        assert red.get_attribute(f"button[data-letter='{letter}']", "aria-pressed") == "true"
    wrong = next(o["key"] for o in question["options"] if o["key"] not in key)
    red.tap(f"#options button[data-letter='{wrong}']")
    red.tap(f"#options button[data-letter='{wrong}']")
    assert red.get_attribute(f"button[data-letter='{wrong}']", "aria-pressed") == "false"
    assert host.last()["match"]["phase"] == "answering"
    save_shot(red, shots_dir, "phone-multiple-picked-390x844")
    red.tap("#submit-choices")
    judged = host.wait_latest(lambda s: s["match"]["phase"] == "result")
    attempt = judged["match"]["engine"]["attempts"][-1]
    assert attempt["correct"] is True and sorted(attempt["choices"]) == key
    assert attempt["by"] == "phone"

    # --- 比赛结束: a finished screen with the result, no buzzer ----------------------------
    assert host.host_command("end_match", reason="forfeit", winner="red")["ok"]
    score = host.wait_latest(lambda s: s["match"]["phase"] == "finished")["match"]["engine"][
        "score"
    ]
    # The losing side's phone names the winner.
    lost = _text(blue, "play.you_lost", side=_text(blue, "side.red"), name="王红")
    assert lost == "红方王红获胜，感谢参与"
    for phone, line in ((red, _text(red, "play.you_won")), (blue, lost)):
        _wait_text(phone, "#status", line)
        assert not phone.is_visible("#buzz")
        assert phone.inner_text("#sub") == _text(phone, "play.final_score", **score)
    save_shot(red, shots_dir, "phone-finished-390x844")
    blue.reload()
    _wait_text(blue, "#status", lost)
    assert not blue.is_visible("#buzz")

    # The next match starts: a reload still shows this phone's own result (not 等待比赛开始,
    # not the new match), and its seat stays refused to any other phone.
    others = [host.command("add_contestant", name=n)["contestant_id"] for n in ("赵一", "钱二")]
    made = host.command("create_match", red=others[0], blue=others[1])
    assert made["ok"] and host.command("start_match", match_id=made["match_id"])["ok"]
    for phone, line in ((red, _text(red, "play.you_won")), (blue, lost)):
        phone.reload()
        _wait_text(phone, "#status", line)
        assert phone.inner_text("#sub") == _text(phone, "play.final_score", **score)
        assert not phone.is_visible("#buzz")
    save_shot(blue, shots_dir, "phone-finished-reloaded-next-match-390x844")
    stranger = page("stranger", browser.new_context(**PHONE))
    stranger.goto(f"{ui_server.url}/play?seat={codes['blue']}")
    stranger.wait_for_function("() => document.body.dataset.role === 'audience'")
    assert lost not in stranger.inner_text("body")
    host.disconnect()
    assert errors == [], errors

"""The LED never leaves a match's verdict or its winner by itself (issue: a few seconds after a
result it switched to the audience's result, even over 红方获胜, and showed a stale 0 % of a
voided question over an open one). Real sockets against a live ``quiz serve``, the LED in
Chromium: the audience's result appears only when the host shows it, only for a question the
audience played.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, Peer, connect_peer
from tests.ui.conftest import TIMEOUT_MS, bank_ids, save_shot, seated_match

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

# Longer than the wall used to wait before switching by itself (4 s; 8 s after a match end).
HOLD_MS = 4_500
END_HOLD_MS = 8_500


def _phase(host: Peer, phase: str) -> dict[str, Any]:
    state: dict[str, Any] = host.wait_latest(lambda s: (s["match"] or {}).get("phase") == phase)
    return state


def _stays_on_the_match(led: Any, ms: int = HOLD_MS) -> None:
    """Longer than the wall used to wait: no audience layer over the match."""
    led.wait_for_timeout(ms)
    assert led.evaluate("document.body.dataset.audience || ''") == ""


def test_the_led_shows_audience_results_only_when_the_host_does(
    browser: Any, ui_server: LiveServer, shots_dir: Path
) -> None:
    ids = bank_ids(ui_server)
    single, open_ = ids["single"], ids["open"]
    seated = seated_match(ui_server, ("赵一", "钱二"), rules={"games_to_win": 2})
    host, match_id, codes = seated.host, seated.match_id, seated.codes
    red = connect_peer(ui_server.url, "player", seat=codes["red"])
    connect_peer(ui_server.url, "player", seat=codes["blue"])
    crowd = [connect_peer(ui_server.url, "player") for _ in range(3)]

    errors: list[str] = []
    led = browser.new_page(viewport={"width": 1920, "height": 1080})
    led.on("pageerror", lambda exc: errors.append(str(exc)))
    led.set_default_timeout(TIMEOUT_MS)
    led.goto(f"{ui_server.url}/display")
    led.click("#start-overlay")

    def red_answers_right() -> None:
        key = _phase(host, "question")["match"]["question"]["answer"]
        round_id = crowd[0].wait_latest(
            lambda r: r["status"] == "open" and r["match_id"] == match_id, "audience_round"
        )["round"]
        for phone in crowd:
            assert phone.command("answer", round=round_id, choices=key)["ok"]
        assert host.host_command("open_buzzing")["ok"]
        _phase(host, "buzzing")
        assert red.command("buzz", press_at=None)["ok"]
        _phase(host, "answering")
        assert red.command("choice", choices=key)["ok"]

    # --- a choice question judged: the wall stays on the match's verdict -----------------
    assert host.host_command("show_question", question_id=single[0])["ok"]
    red_answers_right()
    _phase(host, "result")
    led.wait_for_function("() => document.body.dataset.phase === 'result'")
    _stays_on_the_match(led)
    assert led.locator(".opt.is-answer").count() == 1
    # ...until the host shows the audience's result.
    assert host.command("audience_screen", screen="result")["ok"]
    led.wait_for_function("() => document.body.dataset.audience === 'result'")
    assert led.inner_text("#aud-share-num") == "100%"
    save_shot(led, shots_dir, "display-audience-result-by-host-1920x1080")

    # --- the next question takes the wall back; a voided one does not switch it ----------
    assert host.host_command("show_question", question_id=single[1])["ok"]
    led.wait_for_function("() => document.body.dataset.phase === 'question'")
    led.wait_for_function("() => (document.body.dataset.audience || '') === ''")
    assert host.host_command("void")["ok"]
    _phase(host, "result")
    _stays_on_the_match(led)

    # --- an open question (the audience does not play it): never an earlier result -------
    assert host.host_command("show_question", question_id=open_[0])["ok"]
    _phase(host, "question")
    assert host.host_command("void")["ok"]
    _phase(host, "result")
    _stays_on_the_match(led)
    assert crowd[0].last("audience_round")["question"]["id"] == single[1]

    # --- the match-winning question: 红方获胜 stays ---------------------------------------
    assert host.host_command("show_question", question_id=single[2])["ok"]
    red_answers_right()
    _phase(host, "finished")
    led.wait_for_function("() => document.body.dataset.phase === 'finished'")
    _stays_on_the_match(led, END_HOLD_MS)
    assert led.locator(".panel.is-winner").count() == 1
    save_shot(led, shots_dir, "display-match-won-stays-1920x1080")
    assert errors == []
    for peer in (host, red, *crowd):
        peer.disconnect()

"""The audience phone and the LED's audience screens in a real Chromium, against a live
``quiz serve``: the phone answers from big buttons the moment the question is shown, is told
its answer was received, then sees right/wrong with the explanation and its rank; the LED
shows the result bar chart, the leaderboard, the draw and its winners at every wall size
without overflow; the winning phone shows its claim code. Nicknames typed on the phone are
shown as text. Screenshots go to ``test-artifacts/audience-screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, LiveServer, Peer, connect_peer, start_server, stop_server
from tests.ui.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    Wall,
    save_shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

# Beside, not under, test-artifacts/screenshots: the UI tests empty that folder when they start.
SHOTS = ROOT / "test-artifacts" / "audience-screenshots"
CROWD = 8


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for this module only: while Playwright's sync API is open it keeps an event
    loop running in this thread, which later tests calling ``asyncio.run`` must not see."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    started = start_server(tmp_path_factory.mktemp("audience-ui"))
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


def peers(server: LiveServer) -> tuple[Peer, Peer, list[Peer], list[Peer]]:
    host = connect_peer(server.url, "host", token=server.token)
    ids = [host.command("add_contestant", name=n)["contestant_id"] for n in ("张三", "李四")]
    made = host.command(
        "create_match",
        red=ids[0],
        blue=ids[1],
        rules={"pre_countdown_ms": 0},
        filter={"kinds": ["single"]},
    )
    console = host.wait_for(
        lambda c: any(s["match_id"] == made["match_id"] for s in c["seats"]), "console"
    )
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == made["match_id"]}
    sides = [connect_peer(server.url, "player", seat=codes[s]) for s in ("red", "blue")]
    assert host.command("start_match", match_id=made["match_id"])["ok"]
    crowd = [connect_peer(server.url, "player") for _ in range(CROWD)]
    return host, sides[0], sides, crowd


def test_the_audience_phone_and_the_led(browser: Any, server: LiveServer, shots: Path) -> None:
    errors: list[str] = []

    def page(name: str, **kwargs: Any) -> Any:
        p = browser.new_page(**kwargs)
        p.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
        p.set_default_timeout(TIMEOUT_MS)
        return p

    host, red, sides, crowd = peers(server)
    led = page("display", viewport={"width": 1920, "height": 1080})
    led.goto(f"{server.url}/display")
    led.wait_for_selector("body[data-conn='online']")
    led.click("#start-overlay")
    wall = Wall(led, shots)
    phone = page("phone", **PHONE)
    phone.goto(f"{server.url}/play")
    phone.wait_for_function("() => document.querySelector('#nick-name').textContent.length > 5")
    generated = phone.inner_text("#nick-name")

    # --- a question: the phone's buttons are there as soon as it is shown ----------------
    shown = host.host_command("show_question")
    assert shown["ok"], shown
    question = host.wait_latest(lambda s: s["match"]["phase"] == "question")["match"]["question"]
    key = question["answer"][0]
    wrong = [o["key"] for o in question["options"] if o["key"] != key]
    phone.wait_for_selector("#options .p-opt:not([disabled])")
    assert phone.locator("#options .p-opt").count() == len(question["options"])
    for i in range(phone.locator("#options .p-opt").count()):
        box = phone.locator("#options .p-opt").nth(i).bounding_box()
        assert box["height"] >= 48 and box["width"] >= 200
    save_shot(phone, shots, "phone-question-390x844")
    phone.click(f"#options .p-opt[data-key='{key}']")
    phone.wait_for_function(
        "t => document.querySelector('#verdict').textContent.includes(t)",
        arg=phone.evaluate("Quiz.t('play.aud.waiting_result')"),
    )
    assert phone.locator("#options .p-opt:not([disabled])").count() == 0
    assert phone.inner_text("#status") == phone.evaluate("Quiz.t('play.submitted')")
    save_shot(phone, shots, "phone-submitted-390x844")
    ref = crowd[0].wait_for(lambda r: r["status"] == "open", "audience_round")["round"]
    for i, p in enumerate(crowd):
        # Three of the crowd are right; the rest spread over the wrong options.
        choice = key if i < 3 else wrong[i % len(wrong)]
        assert p.command("answer", round=ref, choices=[choice])["ok"]

    # --- judged: verdict, explanation and rank on the phone; the result on the LED -------
    assert host.host_command("open_buzzing")["ok"]
    red.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
    assert red.command("buzz", press_at=None)["ok"]
    red.wait_latest(lambda s: s["match"]["phase"] == "answering")
    assert red.command("choice", choices=[key])["ok"]
    phone.wait_for_function(
        "t => document.querySelector('#status').textContent.includes(t)",
        arg=phone.evaluate("Quiz.t('play.aud.right')"),
    )
    assert phone.inner_text("#verdict") == phone.evaluate("Quiz.t('play.aud.points', {n: 1})")
    assert phone.is_visible("#explain")
    assert phone.locator(f"#options .p-opt.is-answer[data-key='{key}']").count() == 1
    assert phone.inner_text("#aud-score").startswith(
        phone.evaluate("Quiz.t('play.aud.rank', {rank: 1, of: 9})")
    )
    save_shot(phone, shots, "phone-verdict-390x844")

    # The wall stays on the match's own verdict until the host shows the audience's result.
    assert led.evaluate("document.body.dataset.audience || ''") == ""
    assert host.command("audience_screen", screen="result")["ok"]
    wall.showing("result")
    bars = led.locator("#aud-bars .aud-bar")
    assert bars.count() == len(question["options"])
    assert led.locator("#aud-bars .aud-bar.is-right").count() == 1
    assert led.inner_text("#aud-share-num") == "44%"  # 4 of 9 right
    assert led.locator("#aud-fastest .aud-fast").count() == 4
    wall.capture("audience-result")

    # --- a nickname typed on the phone: pending, approved, shown as text ------------------
    typed = "<b>小明</b>"
    phone.click("#nick-edit")
    phone.fill("#nick-input", typed)
    phone.click("#rename-submit")
    phone.wait_for_selector("#nick-pending:not([hidden])")
    assert phone.inner_text("#nick-name") == typed and phone.locator("#nick-name b").count() == 0
    pending = host.wait_for(lambda a: a["pending"], "audience_admin")["pending"]
    assert host.command("approve_nickname", member=pending[0]["member"], approve=True, name=typed)[
        "ok"
    ]
    phone.wait_for_selector("#nick-pending[hidden]", state="attached")
    assert host.command("audience_screen", screen="leaderboard")["ok"]
    wall.showing("leaderboard")
    names = led.locator("#aud-rows .aud-name").all_inner_texts()
    assert typed in names and generated not in names
    assert led.locator("#aud-rows b").count() == 0
    wall.capture("audience-leaderboard")

    # --- a draw among the phones that were right: four prizes, each of them wins once -----
    prepared = host.command("prepare_draw", prize="网络安全宣传周纪念U盘", count=6, min_correct=1)
    assert prepared["eligible"] == 4
    wall.showing("draw")
    led.wait_for_selector("#aud-wait:not([hidden])")
    assert prepared["commitment"][:8] in led.inner_text("#aud-commit")
    wall.capture("audience-draw-commitment")
    ran = host.command("run_draw", draw=prepared["draw"], public_input="0427")
    assert len(ran["winners"]) == 4
    led.wait_for_selector("#aud-roll:not([hidden])")  # the animation plays first
    led.wait_for_selector("#aud-winners:not([hidden])", timeout=TIMEOUT_MS)
    shown_names = led.locator("#aud-winners .aud-winner").all_inner_texts()
    assert sorted(shown_names) == sorted(w["nickname"] for w in ran["winners"])
    wall.capture("audience-draw-winners")
    codes = {w["nickname"]: w["claim_code"] for w in ran["winners"]}
    phone.wait_for_selector("#prize:not([hidden])")
    assert phone.inner_text("[data-testid=claim-code]") == codes[typed]
    save_shot(phone, shots, "phone-prize-390x844")

    # --- an audience-only round on the same wall -------------------------------------------
    assert host.command("end_match", seq=host.last()["seq"], reason="demo", winner="red")["ok"]
    assert host.command("audience_start", timer_ms=30_000)["ok"]
    assert host.command("audience_next")["ok"]
    wall.showing("question")
    led.wait_for_function("() => document.querySelectorAll('#aud-options .aud-opt').length >= 2")
    wall.capture("audience-question")
    phone.wait_for_selector("#options .p-opt:not([disabled])")
    save_shot(phone, shots, "phone-audience-round-390x844")
    phone.locator("#options .p-opt").first.click()
    phone.wait_for_selector("#options .p-opt.is-selected")
    assert host.command("audience_close")["ok"]
    wall.showing("result")
    phone.wait_for_function("() => document.querySelector('#explain').hidden === false")

    assert wall.problems == {}
    assert errors == []
    for p in (host, *sides, *crowd):
        p.disconnect()

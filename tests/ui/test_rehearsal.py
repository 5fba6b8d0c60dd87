"""The dress rehearsal: a whole event day played in real browsers against a real ``quiz serve``.

One host console (1440×900), the LED wall (1920×1080), two contestant phones (390×844, touch;
red with a WeChat user agent) and three audience phones. The host adds contestants and a
match, the phones take their seats from the seat links, and the match runs to three games
through a 违规, a 补答, a void, an open question, a host undo, a seat takeover approved once,
a phone reload, a console reload and a server restart (SIGINT, then a new ``quiz serve`` on
the same database and data folder) mid-question, ending on a multiple-choice question
answered on the phone; then a prize draw and the report.

At every step each screen is checked for what it must show (phase, names, scores, the answer
only after judging, no stale verdict), for raw keys, dicts and untranslated English in zh-CN,
and photographed to ``test-artifacts/rehearsal/``; no page may log a console error and the
server log may hold no traceback.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT, LiveServer, start_server, stop_server
from tests.ui.conftest import PHONE, TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

SHOTS = ROOT / "test-artifacts" / "rehearsal"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI "
    "Language/zh_CN"
)

# Latin words a zh-CN screen may show: shortcut keys, units, the campaign's technical names.
ALLOWED_WORDS = {"vs", "ms", "Space", "Enter", "Esc", "QR", "LED", "Wi", "Fi", "WiFi", "ID"}
# File formats and the language switch's own name for English.
ALLOWED_WORDS |= {"CSV", "JSON", "csv", "xlsx", "Excel", "English"}
# Words Chinese uses as they are (the bank's prompts say 下载App).
ALLOWED_WORDS |= {"App", "APP"}
# The report's print hint (按 Ctrl+P … 另存为 PDF) and its method note (95% Wilson区间).
ALLOWED_WORDS |= {"Ctrl", "PDF", "Wilson"}

# The visible text of a page, leaving out what is code by nature: seat and claim codes,
# addresses, question codes, keyboard keys, the draw's commitment hash on the LED.
VISIBLE_TEXT_JS = """
() => {
  const skip = "script,style,code,kbd,[hidden],.h-seat-url,.h-seat-code,#h-q-meta,#join-url,"
    + "#attract-url,.h-conn,#aud-commit,title";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !n.textContent.trim()) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    out.push(n.textContent.trim());
  }
  return out.join("\\n");
}
"""


def version_id(db: Path, code: str) -> str:
    """The id of the newest stored version of bank question ``code``."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT id FROM question_version WHERE question_id = ? ORDER BY version DESC",
            (code,),
        ).fetchone()
    assert row, f"{code} is not in the database"
    return str(row[0])


class Rehearsal:
    """Every page of the day, their errors, and the checks run on all of them at each step."""

    def __init__(self, browser: Any, server: LiveServer) -> None:
        self.browser = browser
        self.server = server
        self.pages: dict[str, Any] = {}
        self.errors: list[str] = []
        # While the server is down on purpose, or refuses a phone on purpose (a takeover
        # waiting for the host), the browser logs the failed connections: expected, not a bug
        # of the page.
        self.network_noise = False
        self.logs: list[str] = []
        self.step = 0
        SHOTS.mkdir(parents=True, exist_ok=True)
        for old in SHOTS.glob("*.png"):
            old.unlink()

    def open(self, name: str, path: str, **context: Any) -> Any:
        ctx = self.browser.new_context(locale="zh-CN", **context)
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: self.errors.append(f"{name}: {exc}"))

        def console(msg: Any) -> None:
            if msg.type != "error":
                return
            text = msg.text
            noise = r"ERR_CONNECTION_REFUSED|WebSocket|net::ERR|status of 400"
            if self.network_noise and re.search(noise, text):
                return
            self.errors.append(f"{name}: console: {text}")

        page.on("console", console)

        def response(r: Any) -> None:
            if r.status < 400 or (self.network_noise and "/socket.io/" in r.url):
                return
            self.errors.append(f"{name}: HTTP {r.status} {r.url}")

        page.on("response", response)
        page.goto(self.server.url + path)
        self.pages[name] = page
        return page

    def check(self, label: str) -> None:
        """The checks of every step, on every page, then a screenshot of each."""
        self.step += 1
        for name, page in self.pages.items():
            text = page.evaluate(VISIBLE_TEXT_JS)
            assert "{'" not in text and '{"' not in text, f"{label}: raw dict on {name}: {text}"
            for bad in ("[object Object]", "undefined", "NaN", "None"):
                assert bad not in text, f"{label}: {bad!r} on {name}: {text}"
            keys = re.findall(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b", text)
            assert not keys, f"{label}: raw catalog keys on {name}: {keys}"
            words = {
                w
                for w in re.findall(r"[A-Za-z]{2,}", text)
                if w not in ALLOWED_WORDS and not re.fullmatch(r"[A-Z]{2}", w)
            }
            assert not words, f"{label}: untranslated words on {name}: {sorted(words)}\n{text}"
            page.screenshot(path=str(SHOTS / f"{self.step:02d}-{label}-{name}.png"))
        assert not self.errors, f"{label}: page errors: {self.errors}"
        log = self.server.output()
        assert "Traceback" not in log, f"{label}: traceback in the server log:\n{log}"

    def restart(self) -> LiveServer:
        """SIGINT, then ``quiz serve`` again on the same database, data folder and port."""
        self.network_noise = True
        self.logs.append(self.server.output())
        old = self.server
        stop_server(old)
        assert old.proc.returncode == 0, old.output()
        assert "Traceback" not in old.output(), old.output()
        self.server = start_server(
            old.log_path.parent,
            port=old.port,
            database_url=old.database_url,
            token_arg=False,
        )
        assert self.server.token == old.token  # the host's link survives the restart
        return self.server


def wait_phase(page: Any, phase: str, timeout: int = TIMEOUT_MS) -> None:
    page.wait_for_function("p => document.body.dataset.phase === p", arg=phase, timeout=timeout)


def text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).strip()


def t(page: Any, key: str, **params: Any) -> str:
    return str(page.evaluate("([k, p]) => Quiz.t(k, p)", [key, params]))


def wait_text(page: Any, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([s, e]) => { const n = document.querySelector(s);"
        " return !!n && n.textContent.trim() === e; }",
        arg=[selector, expected],
    )


def scores(display: Any, red: str, blue: str) -> None:
    wait_text(display, "#score-red", red)
    wait_text(display, "#score-blue", blue)


def show(host: Any, question_id: str) -> None:
    """Put a chosen question up through the host's own connection (a host command)."""
    ack = host.evaluate("id => Quiz.command('show_question', {question_id: id}, true)", question_id)
    assert ack["ok"], ack


def answer_hidden(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => { const s = Quiz.lastState(); const q = s && s.match && s.match.question;"
            " return !q || q.answer == null; }"
        )
    )


def test_dress_rehearsal(browser: Any, tmp_path: Path) -> None:
    server = start_server(tmp_path, token_arg=False)
    day = Rehearsal(browser, server)
    try:
        play_the_day(day, tmp_path)
    finally:
        stop_server(day.server)
        for context in {p.context for p in day.pages.values()}:
            context.close()


def play_the_day(day: Rehearsal, workdir: Path) -> None:
    db = workdir / "quiz.sqlite3"
    server = day.server
    # --- the host console, the LED, three audience phones --------------------------------
    host = day.open("host", f"/host?token={server.token}", viewport={"width": 1440, "height": 900})
    host.wait_for_selector("body[data-conn='online']")
    display = day.open("display", "/display", viewport={"width": 1920, "height": 1080})
    display.click("#start-overlay")
    wait_phase(display, "attract")
    audience = [day.open(f"audience{i}", "/j", **PHONE) for i in (1, 2, 3)]
    for phone in audience:
        phone.wait_for_selector("body[data-conn='online']")
        phone.wait_for_function("() => document.getElementById('nick-name').textContent !== ''")
    day.check("start")

    # --- contestants and a match (best of five, no pre-countdown) -----------------------
    for name in ("张三", "李四"):
        host.fill("[data-testid=contestant-name]", name)
        host.press("[data-testid=contestant-name]", "Enter")
    host.wait_for_function("() => document.querySelectorAll('#contestant-list li').length === 2")
    assert host.locator("#rule-compensation").bounding_box()["height"] < 40  # a normal box
    host.fill("[data-testid=rule-pre]", "0")
    host.click("[data-testid=match-create]")
    host.locator("[data-testid^=seat-code-]").nth(1).wait_for()
    match_id = host.locator("[data-testid^=seat-code-]").nth(0).get_attribute("data-testid")
    match_id = match_id.split("-")[2]
    urls = host.locator(".h-seat-url").all_inner_texts()
    assert len(urls) == 2 and all("/s/" in u for u in urls)
    # An empty prize list is a note, not item 1 of a list.
    assert (
        host.locator("#ha-draws li.h-muted").evaluate("li => getComputedStyle(li).listStyleType")
        == "none"
    )
    day.check("match-created")

    # --- the match starts before the phones: the seats come to the top ----------------------
    host.click(f"[data-testid=match-start-{match_id}]")
    wait_phase(host, "ready")
    host.wait_for_selector("#h-seats-slot:not([hidden]) #card-seats")
    assert host.locator("[data-testid=alert-unbound-red]").is_visible()
    assert not host.locator("#card-match").is_visible()  # the setup form steps aside
    day.check("seats-at-top")

    # --- the phones take their seats by the QR links ------------------------------------------
    red = day.open(
        "red", urls[0].split("127.0.0.1:" + str(server.port))[1], user_agent=WECHAT_UA, **PHONE
    )
    blue = day.open("blue", urls[1].split("127.0.0.1:" + str(server.port))[1], **PHONE)
    for side, phone in (("red", red), ("blue", blue)):
        phone.wait_for_function("s => document.body.dataset.side === s", arg=side)
    host.wait_for_selector("#h-seats-slot[hidden]", state="attached")
    host.wait_for_selector("#h-alerts[hidden]", state="attached")
    for page in (host, display, red, blue):
        wait_phase(page, "ready")
    assert text(display, "#name-red") == "张三" and text(display, "#name-blue") == "李四"
    day.check("seated")

    # --- game 1: LS-029; blue presses early (违规), red buzzes and is right; undo; again -------
    show(host, version_id(db, "LS-029"))
    for page in (display, red, blue, host):
        wait_phase(page, "question")
    assert answer_hidden(display) and answer_hidden(red) and answer_hidden(audience[0])
    assert display.locator(".opt.is-answer").count() == 0
    # The audience answers along (有奖问答): what makes their phones eligible for the draw.
    for phone in audience:
        phone.tap("#options button[data-letter]:not([disabled])")
    for phone in audience:
        wait_text(phone, "#verdict", t(phone, "play.aud.waiting_result"))
    blue.tap("#buzz")
    host.wait_for_selector("#h-log .h-log-early")
    day.check("violation")
    host.keyboard.press("Space")
    wait_phase(red, "buzzing")
    red.tap("#buzz")
    for page in (display, red, host):
        wait_phase(page, "answering")
    assert answer_hidden(display)
    host.keyboard.press("y")
    wait_phase(display, "result")
    scores(display, "1", "0")
    display.wait_for_selector(".opt.is-answer")  # the answer once judged
    day.check("judged")
    host.keyboard.press("u")
    wait_text(host, "#h-notice", t(host, "host.undone", what=t(host, "host.undone.judge_correct")))
    scores(display, "0", "0")
    wait_phase(display, "answering")
    assert display.locator(".opt.is-answer").count() == 0  # no stale verdict
    assert answer_hidden(display) and answer_hidden(audience[0])
    day.check("undone")
    host.keyboard.press("y")
    scores(display, "1", "0")

    # --- game 2: an open question; red is wrong, the 补答 goes to blue, who is right ---------
    show(host, version_id(db, "AF-044"))
    wait_phase(display, "question")
    host.keyboard.press("Space")
    wait_phase(red, "buzzing")
    red.tap("#buzz")
    wait_phase(host, "answering")
    key = text(host, "[data-testid=answer]")
    assert "杀猪盘" in key and "{" not in key and "Pig" not in key
    host.keyboard.press("n")
    display.wait_for_function(
        "() => document.getElementById('panel-blue').classList.contains('is-answering')"
    )
    day.check("rebound")
    host.keyboard.press("y")
    scores(display, "1", "1")
    day.check("open-judged")

    # --- a void: asked once, then the question does not count ---------------------------------
    show(host, version_id(db, "AF-010"))
    wait_phase(display, "question")
    host.keyboard.press("v")
    host.wait_for_selector("[data-testid=dialog]")
    host.keyboard.press("Enter")
    wait_phase(display, "result")
    scores(display, "1", "1")
    day.check("void")

    # --- a seat takeover, approved once ----------------------------------------------------------
    day.network_noise = True
    blue2 = day.open("blue2", urls[1].split("127.0.0.1:" + str(server.port))[1], **PHONE)
    blue2.wait_for_function(
        "t => document.getElementById('seat-error').textContent === t",
        arg=t(blue2, "play.takeover_pending"),
    )
    approve = f"[data-testid=takeover-approve-{match_id}-blue]"
    host.wait_for_selector(f"#h-alerts {approve}")
    day.check("takeover-asked")
    host.click(approve)
    blue2.wait_for_function("() => document.body.dataset.side === 'blue'")
    blue2.wait_for_selector("#seat-error", state="hidden")
    blue.wait_for_function(
        "t => document.getElementById('seat-error').textContent === t",
        arg=t(blue, "play.seat_moved"),
    )
    blue.wait_for_function("() => document.body.dataset.role === 'audience'")
    assert blue.locator("#seat-error").is_visible()  # it says why
    host.wait_for_timeout(5000)  # the phone that lost the seat does not ask for it back
    assert host.locator("[data-testid^=takeover-]").count() == 0
    # The old phone's socket, closed by the server, was logged by the browser until here.
    day.network_noise = False
    day.check("takeover-done")
    blue.context.close()
    del day.pages["blue"]
    blue = blue2

    # --- a phone reload and a console reload: both carry on ------------------------------------
    red.reload()
    red.wait_for_function("() => document.body.dataset.side === 'red'")
    wait_phase(red, "result")
    host.reload()
    host.wait_for_selector("body[data-conn='online']")
    wait_phase(host, "result")
    assert text(host, "[data-testid=games-red]") == "1"
    day.check("reloaded")

    # --- a server restart mid-question; every page carries on by itself ------------------------
    show(host, version_id(db, "PI-001"))
    for page in (display, red, blue, host):
        wait_phase(page, "question")
    server = day.restart()
    for page in day.pages.values():
        page.wait_for_selector("body[data-conn='online']", timeout=15_000)
    day.network_noise = False
    for page in (display, red, blue, host):
        wait_phase(page, "question")
    host.wait_for_selector("[data-testid=error]", state="hidden")
    host.keyboard.press("Space")
    wait_phase(red, "buzzing")
    red.tap("#buzz")
    wait_phase(host, "answering")
    host.keyboard.press("y")
    scores(display, "2", "1")
    day.check("after-restart")

    # --- game 3: a multiple-choice question answered on the phone (match point) ----------------
    show(host, version_id(db, "RP-040"))
    for page in (display, red):
        wait_phase(page, "question")
    for page in (display, red, blue):
        wait_text(page, ".kind-badge", "多选")
    host.keyboard.press("Space")
    wait_phase(red, "buzzing")
    red.tap("#buzz")
    wait_phase(red, "answering")
    letters = [k.strip() for k in text(host, "[data-testid=answer]").split(",")]
    assert len(letters) >= 2, letters
    for letter in letters:
        red.tap(f"button[data-letter='{letter}']")
        red.wait_for_selector(f"button[data-letter='{letter}'][aria-pressed='true']")
    assert red.locator("body[data-phase='answering']").count() == 1  # a tap is not the answer
    red.tap("#submit-choices")
    for page in (display, host, red, blue):
        wait_phase(page, "finished")
    scores(display, "3", "1")
    for phone in (red, blue):
        assert not phone.locator("#buzz").is_visible()  # a finished screen, not the button
    assert "张三" in text(red, "body") and "张三" in text(blue, "body")
    display.wait_for_timeout(6000)  # the LED keeps the result until the host moves on
    wait_phase(display, "finished")
    day.check("finished")

    # --- a prize draw for the audience -----------------------------------------------------------
    host.fill("[data-testid=draw-prize]", "纪念品")
    host.fill("[data-testid=draw-count]", "1")
    host.fill("[data-testid=draw-min]", "0")
    host.click("[data-testid=draw-prepare]")
    run = host.locator("[data-testid^=run-]").first
    host.wait_for_function(
        "() => document.querySelector('[data-testid^=run-]') ||"
        " !document.getElementById('h-error').hidden"
    )
    assert not host.locator("[data-testid=error]").is_visible(), text(host, "[data-testid=error]")
    run.click()
    host.wait_for_selector("[data-testid^=winners-] li")
    day.check("draw")

    # --- the report ------------------------------------------------------------------------------
    report = requests.get(f"{server.url}/host/report", params={"token": server.token}, timeout=10)
    assert report.status_code == 200
    assert "张三" in report.text and "李四" in report.text
    report_page = day.open(
        "report", f"/host/report?token={server.token}", viewport={"width": 1440, "height": 900}
    )
    report_page.wait_for_load_state()
    day.check("report")

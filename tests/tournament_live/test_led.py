"""The LED wall between matches, in Chromium against a live ``quiz serve``: the knockout
bracket (byes, third-place match, champion) and the round-robin standings fit 1920x1080,
3840x1080, 1280x1024 and 640x360 with no scrollbar, no overflow and no clipped text, the next
pairing is highlighted, names are text (never markup), and a real server's tournament reaches
the wall. States come from the server's own view builder, so the wall renders what it gets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from quiz.engine import Side
from quiz.live.tournament_view import tournament_view
from quiz.tournament import MatchResult, Tournament
from tests.conftest import LiveServer, Peer
from tests.ui.conftest import DISPLAY_SIZES, TIMEOUT_MS, overflow_problems, save_shot, settle

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

NAMES = [
    "城东街道社区网络安全志愿者代表队",
    "Riverside Community Volunteers",
    "红星队",
    "蓝天队",
    "清朗网络守护者",
    "反诈宣传小分队",
    "市第一中学",
    "<b>不是标签</b>",
    "滨江区网信办",
    "个人信息保护联盟",
    "Team Alpha",
    "辟谣先锋",
    "网络举报中心志愿队",
    "高新区青年突击队",
    "老年大学反诈班",
    "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十",
]


def entrants(n: int) -> list[tuple[str, str]]:
    return [(str(i + 1), NAMES[i]) for i in range(n)]


def play(t: Tournament, rounds: int | None = None) -> None:
    """Play matches in order (better seed wins, some close), up to ``rounds`` rounds."""
    while (match_id := t.next_match()) is not None:
        slot = t.slot(match_id)
        if rounds is not None and slot.round > rounds:
            return
        red, blue = t.pairing(match_id)
        assert red is not None and blue is not None
        winner = Side.RED if int(red) < int(blue) else Side.BLUE
        loser_games = (int(red) + int(blue)) % 3
        games = (3, loser_games) if winner is Side.RED else (loser_games, 3)
        t.record(match_id, MatchResult(winner, *games, int(red) % 2, int(blue) % 3))


def knockout(n: int, third_place: bool, rounds: int | None) -> Tournament:
    t = Tournament.create("single_elimination", entrants(n), third_place=third_place)
    play(t, rounds)
    return t


def round_robin(n: int, played: int | None) -> Tournament:
    t = Tournament.create("round_robin", entrants(n))
    for _ in range(played if played is not None else len(t.matches)):
        match_id = t.next_match()
        if match_id is None:
            break
        red, blue = t.pairing(match_id)
        assert red is not None and blue is not None
        # A cycle of upsets so the table has ties for the rule to break.
        winner = Side.RED if (int(red) + int(blue)) % 2 else Side.BLUE
        games = (3, 1) if winner is Side.RED else (2, 3)
        t.record(match_id, MatchResult(winner, *games, int(blue) % 2, 0))
    return t


CASES: dict[str, Callable[[], Tournament]] = {
    "knockout-16-round2": lambda: knockout(16, True, 1),
    "knockout-5-byes": lambda: knockout(5, False, 0),
    "knockout-8-champion": lambda: knockout(8, True, None),
    "standings-10": lambda: round_robin(10, 23),
    "standings-10-champion": lambda: round_robin(10, None),
}


def state_of(t: Tournament, now: int, rev: int = 1) -> dict[str, Any]:
    return {
        "v": 1,
        "seq": 0,
        "role": "display",
        "now": now,
        "event": {"id": 1, "title": "网络安全知识竞赛", "lang": "zh-CN", "slogan": None},
        "match": None,
        "you": None,
        "moment": None,
        "tournament": tournament_view(t, tournament_id=1, rev=rev),
    }


@pytest.fixture
def display(browser: Any, ui_server: LiveServer) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{ui_server.url}/display")
    page.wait_for_selector("body[data-conn='online']")
    page.click("#start-overlay")
    yield page
    page.close()


def show(page: Any, t: Tournament, rev: int = 1) -> str:
    now = int(page.evaluate("Math.round(Quiz.serverNow())"))
    phase: str = page.evaluate("s => window.__quizRender(s)", state_of(t, now, rev))
    settle(page)
    return phase


@pytest.mark.parametrize(("width", "height"), DISPLAY_SIZES)
def test_bracket_and_standings_fit_every_wall(
    display: Any, shots_dir: Path, width: int, height: int
) -> None:
    display.set_viewport_size({"width": width, "height": height})
    problems = {}
    for name, build in CASES.items():
        assert show(display, build()) == "tournament"
        found = overflow_problems(display)
        if found:
            problems[name] = found[:5]
        save_shot(display, shots_dir, f"tournament-{name}-{width}x{height}")
    assert problems == {}


def test_the_bracket_shows_byes_results_and_the_next_pairing(display: Any) -> None:
    t = knockout(5, False, 0)
    show(display, t)
    assert display.locator(".tb-col").count() == 3  # round 1, semi-final, final
    assert display.locator(".tb-match.is-bye").count() == 3
    nxt = display.locator(".tb-match.is-next")
    assert nxt.count() == 1 and nxt.get_attribute("data-pairing") == t.next_match()
    footer = display.inner_text("#tour-next")
    assert NAMES[3] in footer and NAMES[4] in footer

    play(t, 1)
    show(display, t, rev=2)
    played = display.locator(".tb-match[data-pairing='R1M2']")
    assert played.locator(".tb-side.is-winner").count() == 1
    assert display.locator(".tb-match.is-next").get_attribute("data-pairing") == "R2M1"


def test_a_big_draw_starts_at_a_round_that_fits(display: Any) -> None:
    t = Tournament.create("single_elimination", [(str(i), f"选手{i}") for i in range(1, 33)])
    display.set_viewport_size({"width": 640, "height": 360})
    show(display, t)
    assert display.locator(".tb-col").count() == 4  # 16 first-round matches are left out
    assert overflow_problems(display) == []


def test_the_standings_highlight_the_next_pairing_and_the_champion(display: Any) -> None:
    t = round_robin(6, 4)
    show(display, t)
    next_id = t.next_match()
    assert next_id is not None
    highlighted = display.locator(".ts-row.is-next")
    assert sorted(highlighted.evaluate_all("rows => rows.map(r => r.dataset.entrant)")) == sorted(
        e for e in t.pairing(next_id) if e is not None
    )
    assert display.locator(".ts-row").count() == 7  # header + 6
    t = round_robin(6, None)
    show(display, t, rev=2)
    champion = display.locator(".ts-row.is-champion")
    assert champion.get_attribute("data-entrant") == t.champion()
    assert "★" in display.inner_text("#tour-next")


def test_names_are_shown_as_text(display: Any) -> None:
    show(display, knockout(8, False, 0))
    assert display.locator(".tb-name b").count() == 0
    assert "<b>不是标签</b>" in display.inner_text("#tour-body")


def test_a_real_tournament_reaches_the_wall(
    display: Any, ui_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host = sio_peer(ui_server, "host", token=ui_server.token)
    host.wait_for(lambda c: True, name="console")
    created = host.command("create_event", title="两两抢答 LED")
    assert created["ok"], created
    ids = [host.command("add_contestant", name=n)["contestant_id"] for n in NAMES[:6]]
    ack = host.command("create_tournament", format="single_elimination", entrants=ids)
    assert ack["ok"], ack
    display.reload()
    display.click("#start-overlay")
    display.wait_for_selector("body[data-phase='tournament']")
    assert display.locator(".tb-match").count() == 7  # 4 + 2 + 1 in a bracket of 8
    assert display.locator(".tb-match.is-next").get_attribute("data-pairing") == ack["next"]
    # A result changes the tournament without changing any match seq: the wall still
    # takes it (its revision is newer).
    started = host.command("start_next_match")
    assert started["ok"], started
    display.wait_for_selector("body[data-phase='ready']")
    host.wait_latest(lambda s: s["match"] is not None and s["match"]["id"] == started["match_id"])
    assert host.host_command("end_match", reason="forfeit", winner="red")["ok"]
    # The wall keeps the ended match on screen for a while, then shows the bracket.
    display.wait_for_selector("body[data-phase='tournament']", timeout=15_000)
    winner = display.locator(f".tb-match[data-pairing='{started['pairing']}'] .tb-side.is-winner")
    assert winner.count() == 1
    assert host.command("undo_tournament")["ok"]
    display.wait_for_function(
        f"() => !document.querySelector(\".tb-match[data-pairing='{started['pairing']}'] "
        '.tb-side.is-winner")'
    )
    assert overflow_problems(display) == []

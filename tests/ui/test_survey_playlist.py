"""The satisfaction survey and the LED playlist in Chromium against a live ``quiz serve``: the
playlist's slides (long text, an image from the organiser's folder, a QR code, the leaderboard)
and the survey's bar chart fit every LED size without overflow; an audience phone at 390x844
in zh-CN takes the survey with big buttons. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, Peer, start_server, stop_server
from tests.playlist.test_playlist_file import PNG
from tests.ui.conftest import DISPLAY_SIZES, PHONE, TIMEOUT_MS, overflow_problems, save_shot, settle

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]

LONG_TEXT = (
    "全民参与举报，共建清朗网络。发现网络违法和不良信息，请拨打12377举报电话，"
    "或通过中央网信办违法和不良信息举报中心网站、客户端和微信公众号举报。" * 2
)
PLAYLIST = f"""
slides:
  - {{title: 网络安全宣传周, text: "{LONG_TEXT}", seconds: 5}}
  - {{image: poster.png, title: 活动海报, caption: 举报有奖 · 清朗网络, seconds: 5}}
  - {{qr: "https://www.12377.cn/", title: 扫码举报, caption: 12377 举报小程序, seconds: 5}}
"""
SLIDES = ("text", "image", "qr", "leaderboard")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("playlist-server")
    (folder / "poster.png").write_bytes(PNG)
    path = folder / "playlist.yaml"
    path.write_text(PLAYLIST, encoding="utf-8")
    live = start_server(folder, extra_args=("--playlist", str(path)))
    yield live
    stop_server(live)


def open_display(page: Any, server: LiveServer) -> None:
    page.goto(f"{server.url}/display?lang=zh-CN")
    page.wait_for_selector("body[data-conn='online']")
    page.click("#start-overlay")


def test_the_playlist_fits_every_wall(
    browser: Any, server: LiveServer, sio_peer: Callable[..., Peer], shots_dir: Path
) -> None:
    host = sio_peer(server, "host", token=server.token)
    started = host.command("playlist_start", insert=["leaderboard"])
    assert started["ok"] and started["slides"] == 4, started
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_default_timeout(TIMEOUT_MS)
    try:
        open_display(page, server)
        page.wait_for_selector("body[data-playlist]:not([data-playlist=''])")
        problems = {}
        for width, height in DISPLAY_SIZES:
            page.set_viewport_size({"width": width, "height": height})
            for i, kind in enumerate(SLIDES):
                assert page.evaluate(f"window.__quizPlaylistShow({i})") == kind
                settle(page)
                if kind in ("image", "qr"):
                    page.wait_for_function(
                        "() => { const i = document.querySelector('#pl-img');"
                        " return i.complete && i.naturalWidth > 0; }"
                    )
                if kind == "leaderboard":
                    assert page.is_visible("#aud-board") and page.is_hidden("#playlist")
                else:
                    assert page.is_visible("#playlist") and page.is_hidden("#aud")
                found = overflow_problems(page)
                if found:
                    problems[f"{width}x{height} {kind}"] = found[:3]
                save_shot(page, shots_dir, f"playlist-{kind}-{width}x{height}")
        assert not problems, problems
        # Stopped: the attract screen is back.
        assert host.command("playlist_stop")["ok"]
        page.wait_for_selector("#playlist", state="hidden")
        page.wait_for_function("() => document.body.dataset.playlist === ''")
        assert page.is_visible("#attract")
    finally:
        page.close()


def test_images_come_only_from_the_playlist(
    server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    import requests

    host = sio_peer(server, "host", token=server.token)
    assert host.command("playlist_start")["ok"]
    image = requests.get(f"{server.url}/playlist/image/poster.png", timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert image.content == PNG
    qr = requests.get(f"{server.url}/playlist/qr/2.svg", timeout=10)
    assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg+xml")
    assert requests.get(f"{server.url}/playlist/qr/0.svg", timeout=10).status_code == 404
    for bad in ("playlist.yaml", "..%2Fplaylist.yaml", "quiz.sqlite3", "host-token"):
        assert requests.get(f"{server.url}/playlist/image/{bad}", timeout=10).status_code == 404


def test_a_phone_takes_the_survey_and_the_wall_shows_the_chart(
    browser: Any, server: LiveServer, sio_peer: Callable[..., Peer], shots_dir: Path
) -> None:
    host = sio_peer(server, "host", token=server.token)
    host.command("playlist_stop")
    assert host.command("survey_start")["ok"]
    others = [sio_peer(server, "player") for _ in range(6)]
    for i, phone in enumerate(others):
        phone.wait_for(lambda s: s["open"], "survey")
        assert phone.command("survey_answer", rating=[5, 5, 4, 3, 5, 2][i])["ok"]

    context = browser.new_context(**PHONE, locale="zh-CN")
    phone_page = context.new_page()
    phone_page.set_default_timeout(TIMEOUT_MS)
    wall = browser.new_page(viewport={"width": 1920, "height": 1080})
    wall.set_default_timeout(TIMEOUT_MS)
    try:
        phone_page.goto(f"{server.url}/play?lang=zh-CN")
        phone_page.wait_for_selector("#survey:not([hidden])")
        assert "活动满意度调查" in phone_page.inner_text("#survey-title")
        for n in range(1, 6):
            box = phone_page.locator(f"[data-testid=rating-{n}]").bounding_box()
            assert box is not None and box["height"] >= 48 and box["width"] >= 48
        phone_page.click("[data-testid=rating-4]")
        phone_page.wait_for_selector("[data-testid=survey-note].is-ok")
        assert phone_page.inner_text("[data-testid=survey-note]") == "已提交，谢谢参与！"
        phone_page.click("[data-testid=survey-learned-A]")
        phone_page.fill("[data-testid=survey-comment]", "讲得很清楚")
        phone_page.click("[data-testid=survey-submit]")
        phone_page.wait_for_selector("[data-testid=survey-note].is-ok")
        save_shot(phone_page, shots_dir, "survey-phone-390x844")
        host.wait_latest(lambda s: s["result"]["answered"] == 7, "survey")

        open_display(wall, server)
        wall.wait_for_selector("#aud-survey:not([hidden])")
        problems = {}
        for width, height in DISPLAY_SIZES:
            wall.set_viewport_size({"width": width, "height": height})
            settle(wall)
            bars = wall.locator("#aud-survey-bars li").count()
            assert bars == 5
            assert wall.inner_text("#aud-survey-mean") == "4.0"  # (5+5+4+3+5+2+4) / 7
            found = overflow_problems(wall)
            if found:
                problems[f"{width}x{height}"] = found[:3]
            save_shot(wall, shots_dir, f"survey-wall-{width}x{height}")
        assert not problems, problems
        # The comment is never on the wall.
        assert "讲得很清楚" not in wall.content()
    finally:
        wall.close()
        context.close()

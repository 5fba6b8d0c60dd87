"""HTTP routes: pages, short links, QR codes, health, limits, and escaping of typed text."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask import Flask

from quiz.live.hub import LiveHub
from tests.server.conftest import TC, TOKEN, start_match


def test_healthz(app: Flask) -> None:
    body = app.test_client().get("/healthz").get_json()
    assert body["ok"] is True and body["v"] == 1 and body["async_mode"] == "threading"
    assert isinstance(body["now"], int)


def test_healthz_reports_the_loop_lag_the_probe_saw(app: Flask, hub: LiveHub) -> None:
    hub.probe.lag.woke(1_000.0, 1_080.0)  # a wake-up 80 ms late: a stalled event loop
    lag = app.test_client().get("/healthz").get_json()["loop_lag"]
    assert lag["count"] >= 1 and lag["max"] == 80.0


def test_pages_render_with_the_documented_context(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/host", "/display", "/play"):
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "/static/vendor/socket.io-4.8.1.min.js" in html
        assert not re.search(r"""(src|href)=["']https?://""", html), path
    page = client.get("/play?seat=ab2cd").get_data(as_text=True)
    data = json.loads(re.search(r'id="quiz-page"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert data["seat"] == "AB2CD"
    assert data["join_url"] == "http://localhost/j" and data["protocol_version"] == 1
    assert data["event"]["title"]


def test_bad_seat_codes_are_dropped(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/play?seat=<script>").get_data(as_text=True)
    assert '<script>"' not in page and '"seat": ""' in page
    assert client.get("/s/<b>").status_code == 404
    assert client.get("/s/0OIL1").status_code == 404


def test_short_links_redirect(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/j").headers["Location"].endswith("/play")
    assert client.get("/s/ab2cd").headers["Location"].endswith("/play?seat=AB2CD")


def test_qr_codes_are_local_svg(app: Flask, connect: Callable[..., TC], hub: LiveHub) -> None:
    live = start_match(connect, hub, hub.clock)  # type: ignore[arg-type]
    client = app.test_client()
    for path in ("/qr/join.svg", f"/qr/seat/{live.codes['red']}.svg"):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml", path
        svg = response.get_data(as_text=True)
        assert "<svg" in svg and "<path" in svg
        assert not re.search(r"""(href)=["']https?://""", svg)
    assert client.get("/qr/seat/nope.svg").status_code == 404
    # Well-formed but never issued: no drawing for made-up codes.
    assert client.get("/qr/seat/ABCDEFGH.svg").status_code == 404


def test_public_url_wins_for_join_links(make_app: Callable[..., Flask]) -> None:
    app = make_app(PUBLIC_URL="http://192.168.1.20:5000/")
    page = app.test_client().get("/display").get_data(as_text=True)
    assert "http://192.168.1.20:5000/j" in page


def test_typed_titles_are_escaped(app: Flask, connect: Callable[..., TC]) -> None:
    host = connect("host", token=TOKEN)
    evil = "<script>alert(1)</script>"
    assert host.command("create_event", title=evil)["ok"]
    for path in ("/", "/host", "/display", "/play"):
        html = app.test_client().get(path).get_data(as_text=True)
        assert evil not in html, path


def test_the_led_language_is_set_by_its_address_and_remembered(app: Flask) -> None:
    """``/display?lang=en`` switches the wall to English at any time (not only with the
    event's setting) and the display keeps it on a reload of the plain ``/display``."""
    client = app.test_client()

    def lang() -> str:
        page = client.get("/display").get_data(as_text=True)
        found = re.search(r'<html lang="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    assert lang() == "zh-CN"
    switched = client.get("/display?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in switched
    assert lang() == "en"  # remembered by this display
    assert app.test_client().get("/display").get_data(as_text=True).count('lang="zh-CN"') >= 1
    client.get("/display?lang=zh-CN")
    assert lang() == "zh-CN"
    client.get("/display?lang=xx")  # not a language: ignored, the remembered one stays
    assert lang() == "zh-CN"

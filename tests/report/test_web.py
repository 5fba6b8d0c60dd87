"""``/host/report`` and its downloads: host token required, nothing loaded from elsewhere,
typed text escaped, the same tables as the CLI."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from quiz import config
from quiz.app import create_app, hub_of
from tests.report.conftest import EVIL_NAME, FORMULA_NAME, TOKEN, Played
from tests.server.conftest import TC

ROUTES = ("/host/report", "/host/report.csv", "/host/report.xlsx")


@pytest.fixture
def client(played: Played) -> FlaskClient:
    return played.app.test_client()


class References(HTMLParser):
    """Every URL the page could load or follow, and every element name."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") and value:
                self.urls.append(value)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("query", "headers"),
    [({}, {}), ({"token": "wrong"}, {}), ({"token": ""}, {}), ({}, {"X-Host-Token": "nope"})],
)
def test_every_route_wants_the_host_token(
    client: FlaskClient, route: str, query: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.get(route, query_string=query, headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert "主持人口令" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_token_may_come_in_a_header(client: FlaskClient, played: Played) -> None:
    response = client.get(
        "/host/report", query_string={"event": played.event_one}, headers={"X-Host-Token": TOKEN}
    )
    assert response.status_code == 200


def test_the_page_loads_nothing_and_escapes_names(client: FlaskClient, played: Played) -> None:
    # The token in the address sets the report cookie and is dropped by a redirect (security).
    response = client.get(
        "/host/report",
        query_string={"event": played.event_one, "token": TOKEN},
        follow_redirects=True,
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    html = response.get_data(as_text=True)
    # The contestant name arrives as text, never as markup.
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;b&gt;" in html
    assert "<script" not in html.lower()
    assert "东城区反诈宣传日 &lt;i&gt;2026&lt;/i&gt;" in html
    refs = References()
    refs.feed(html)
    assert "script" not in refs.tags and "img" not in refs.tags and "iframe" not in refs.tags
    # Only the page's own download links: relative, on this server.
    assert refs.urls and all(u.startswith("/host/report.") for u in refs.urls), refs.urls
    assert "@import" not in html and "url(" not in html
    # The one absolute URL is the SVG namespace, which is a name, not a request.
    assert set(re.findall(r"[a-z]+://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert "<svg" in html and "@page { size: A4; margin: 15mm; }" in html


def test_language_and_event_selection(client: FlaskClient, played: Played) -> None:
    def page(**query: object) -> str:
        response = client.get(
            "/host/report", query_string={"token": TOKEN, **query}, follow_redirects=True
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data(as_text=True)

    zh = page(event=played.event_one)
    assert '<html lang="zh-CN">' in zh and "各类别答对率（知晓率）" in zh
    en = page(event=played.event_one, lang="en")
    assert '<html lang="en">' in en and "Correct-answer rate per category" in en
    # Without ?event= the current event (event 2, whose language is English).
    current = page()
    assert "西城区网络安全周" in current and '<html lang="en">' in current
    assert "西城区网络安全周" in page(event="latest")
    for bad in ("999", "abc", "1 OR 1=1"):
        response = client.get(
            "/host/report", query_string={"token": TOKEN, "event": bad}, follow_redirects=True
        )
        assert response.status_code == 404


def test_csv_download(client: FlaskClient, played: Played) -> None:
    response = client.get(
        "/host/report.csv", query_string={"token": TOKEN, "event": played.event_one}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="event-{played.event_one}-matches.csv"'
    )
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # BOM: Excel and WPS read it as UTF-8
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:5] == ["场次", "比赛编号", "状态", "红方", "蓝方"]
    assert [r[3:7] for r in rows[1:]] == [
        [EVIL_NAME, "李四", "3", "1"],
        ["王五", "'" + FORMULA_NAME, "1", "2"],  # never a formula when opened
    ]
    response = client.get(
        "/host/report.csv",
        query_string={"token": TOKEN, "event": played.event_one, "table": "nope"},
    )
    assert response.status_code == 400 and "matches" in response.get_data(as_text=True)


def test_xlsx_download(client: FlaskClient, played: Played) -> None:
    response = client.get(
        "/host/report.xlsx", query_string={"token": TOKEN, "event": played.event_one, "lang": "en"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('-report.xlsx"')
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[:6] == [
        "Summary",
        "Matches",
        "Categories",
        "Questions",
        "Contestants",
        "Questions asked",
    ]
    categories = book["Categories"]
    header = [c.value for c in categories[1]]
    assert header[:6] == [
        "Category code",
        "Category",
        "Times shown",
        "Contestant answers",
        "Contestant correct",
        "Contestants' correct rate",
    ]
    anti_fraud = next(
        row for row in categories.iter_rows(values_only=True) if row[0] == "anti-fraud"
    )
    assert anti_fraud[1:6] == ("Anti-fraud", 4, 4, 2, 0.5)
    assert categories.cell(row=2, column=6).number_format == "0.0%"


def test_page_links_point_at_every_table(client: FlaskClient, played: Played) -> None:
    html = client.get(
        "/host/report",
        query_string={"token": TOKEN, "event": played.event_one},
        follow_redirects=True,
    ).get_data(as_text=True)
    refs = References()
    refs.feed(html)
    tables = [m.group(1) for u in refs.urls if (m := re.search(r"table=(\w+)", u))]
    assert tables == [
        "summary",
        "matches",
        "categories",
        "questions",
        "contestants",
        "asked",
        "draws",
        "reach",
        "awareness",
    ]
    for url in refs.urls:
        assert client.get(url).status_code == 200, url


def test_a_rotated_token_replaces_the_old_one(tmp_path: Path) -> None:
    # An app of its own: rotating the played app's token would lock the other tests out.
    app = create_app(
        config.TestingConfig(
            DATABASE_URL=f"sqlite:///{tmp_path / 'rotate.sqlite3'}",
            CREATE_TABLES=True,
            HOST_TOKEN="first-token",
        )
    )
    try:
        client = app.test_client()
        shown = client.get(
            "/host/report", query_string={"token": "first-token"}, follow_redirects=True
        )
        assert shown.status_code == 200
        host = TC(app, {"v": 1, "role": "host", "token": "first-token", "device": "host-rotate"})
        ack = host.command("rotate_token")
        assert ack["ok"], ack
        host.client.disconnect()
        assert client.get("/host/report", query_string={"token": "first-token"}).status_code == 403
        shown = client.get(
            "/host/report", query_string={"token": ack["token"]}, follow_redirects=True
        )
        assert shown.status_code == 200
    finally:
        hub_of(app).stop()
        app.extensions["quiz.db"]["engine"].dispose()

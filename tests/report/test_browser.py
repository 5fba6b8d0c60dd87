"""The printed report in a real browser: ``quiz serve`` on 127.0.0.1 over the played event's
database, Debian's Chromium (through Playwright) prints ``/host/report`` to an A4 PDF, and
``pdftoppm`` renders page 1 to PNG in ``test-artifacts/report/`` for a person to look at.

Checked here: the PDF has pages of A4 size, page 1 is not blank, every request stayed on this
server, and no table is wider than the printable width.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, LiveServer, start_server, stop_server
from tests.report.conftest import TOKEN, Played
from tests.ui.conftest import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ARTIFACTS = ROOT / "test-artifacts" / "report"
TIMEOUT_MS = 15_000
TOOL_TIMEOUT_S = 60
DPI = 60
# A4 at DPI: 210 x 297 mm.
A4_PX = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))


@pytest.fixture(scope="module")
def server(played: Played, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftoppm/pdfinfo are not installed (apt-get install poppler-utils)")
    played.checkpoint()  # the server opens the same database file
    live = start_server(
        tmp_path_factory.mktemp("report-server"), database_url=played.database_url, token=TOKEN
    )
    yield live
    stop_server(live)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit grey, RGB or RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (0, 2, 6), (depth, colour)
    bpp = {0: 1, 2: 3, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = prev[x]
            corner = prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def print_report(chromium: Any, server: LiveServer, event: int, lang: str) -> tuple[Path, Path]:
    url = f"{server.url}/host/report?event={event}&lang={lang}&token={TOKEN}"
    return print_page(chromium, url, server.url + "/", f"report-{lang}")


def print_page(
    chromium: Any, url: str, origin: str, name: str, screenshot: Path | None = None
) -> tuple[Path, Path]:
    """Print ``url`` to ``ARTIFACTS/<name>.pdf`` (checking that nothing is wider than A4 and
    that every request stayed under ``origin``) and render its page 1 to PNG; ``screenshot``
    also saves the page as seen on screen."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": 1000, "height": 1200})
    requests: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        response = page.goto(url, timeout=TIMEOUT_MS, wait_until="load")
        assert response is not None and response.ok
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=True)
        page.emulate_media(media="print")
        # The printable width of A4 with 15 mm margins, in CSS px (96 per inch).
        page.set_viewport_size({"width": round(180 / 25.4 * 96), "height": 1100})
        # Nothing wider than the page, and no cell whose text is cut off.
        overflow = page.evaluate(
            """() => [
              ...[...document.querySelectorAll("table, svg, .facts")]
                .filter((el) => el.getBoundingClientRect().right > innerWidth + 1)
                .map((el) => el.closest("section, header")?.id || el.tagName),
              ...[...document.querySelectorAll("th, td, dd")]
                .filter((el) => el.scrollWidth > el.clientWidth + 1)
                .map((el) => el.textContent.trim().slice(0, 30)),
            ]"""
        )
        assert overflow == [], f"cut off or wider than the printed page: {overflow}"
        pdf = ARTIFACTS / f"{name}.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    finally:
        context.close()
    assert requests and all(r.startswith(origin) for r in requests), requests
    prefix = ARTIFACTS / name
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(DPI),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
        timeout=TOOL_TIMEOUT_S,
    )
    return pdf, prefix.with_suffix(".png")


def pdf_pages(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S
    ).stdout
    pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
    size = re.search(r"^Page size:\s+(.+)$", info, re.M)
    assert pages and size, info
    return int(pages.group(1)), size.group(1)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_report_prints_to_a4(
    browser: Any,  # noqa: F811
    server: LiveServer,
    played: Played,
    lang: str,
) -> None:
    pdf, png = print_report(browser, server, played.event_one, lang)
    pages, size = pdf_pages(pdf)
    # The appendix starts on a page of its own, so the report has at least two pages.
    assert pages >= 2, pages
    assert "(A4)" in size, size
    assert_real_a4_page(png)


def assert_real_a4_page(png: Path) -> None:
    width, height, rows = png_pixels(png)
    assert (width, height) == A4_PX
    dark = sum(1 for row in rows for value in row[::3] if value < 128)
    distinct = {row[i : i + 3] for row in rows[::4] for i in range(0, len(row), 12)}
    # Text, rules and coloured bars: a real page, not a blank or a single-colour sheet.
    assert dark > 0.01 * width * height, dark
    assert len(distinct) > 20, len(distinct)

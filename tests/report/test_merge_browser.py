"""The report across venues in a real browser: two venues' archives (two databases) merged by
``quiz report --merge``, opened from the file in Debian's Chromium, printed to an A4 PDF
(nothing wider than the page, no request leaving the file) and page 1 rendered to PNG in
``test-artifacts/report/``, with a screenshot of the page as seen on screen."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quiz.commands import cli
from tests.report.test_browser import ARTIFACTS, assert_real_a4_page, pdf_pages, print_page
from tests.report.test_merge import two_venues  # noqa: F401  (the two archives)
from tests.ui.conftest import browser  # noqa: F401  (the shared Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_merged_report_prints_to_a4(
    browser: Any,  # noqa: F811
    two_venues: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
    lang: str,
) -> None:
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftoppm/pdfinfo are not installed (apt-get install poppler-utils)")
    html = tmp_path / f"venues-{lang}.html"
    result = CliRunner().invoke(
        cli,
        ["report", "--merge", *map(str, two_venues), "-o", str(html), "--lang", lang],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"report-merged-{lang}-screen.png"
    pdf, png = print_page(
        browser, html.as_uri(), html.as_uri(), f"report-merged-{lang}", screenshot=shot
    )
    pages, size = pdf_pages(pdf)
    assert pages >= 1 and "(A4)" in size, (pages, size)
    assert_real_a4_page(png)
    assert shot.stat().st_size > 10_000

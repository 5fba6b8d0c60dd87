"""The host console's storage alert, in Chromium: a server that cannot store data (here: free
space below ``--min-free-mb``) shows a lasting alert in the host's language, and a command
refused as ``storage_unavailable`` shows the catalog's advice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_server, stop_server

pytestmark = [pytest.mark.e2e]


def test_the_host_console_shows_the_storage_alert(browser: Any, tmp_path: Path) -> None:
    server = start_server(tmp_path, extra_args=("--min-free-mb", str(2**40)), healthy=False)
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/host?token={server.token}")
        alert = page.locator("[data-testid=storage-alert]")
        alert.wait_for(state="visible", timeout=20_000)
        text = alert.inner_text()
        assert "数据无法保存" in text and "磁盘空间不足" in text, text
        assert errors == []
    finally:
        context.close()
        stop_server(server)

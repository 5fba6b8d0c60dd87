"""The pages work under their Content-Security-Policy: each one loads in Chromium, connects its
socket and reports no policy violation (a blocked script, style or socket would)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import PHONE, TIMEOUT_MS


@pytest.mark.parametrize("path", ["/", "/host?token={token}", "/display", "/play"])
def test_pages_run_under_the_policy(browser: Any, ui_server: LiveServer, path: str) -> None:
    context = browser.new_context(**(PHONE if path == "/play" else {}))
    page = context.new_page()
    # Installed before any page script runs, so a violation at load time is caught too.
    page.add_init_script(
        """window.__csp = [];
        document.addEventListener('securitypolicyviolation',
          (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )
    errors: list[str] = []
    failed: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        response = page.goto(ui_server.url + path.format(token=ui_server.token))
        assert (
            response is not None
            and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        )
        if path != "/":
            page.wait_for_function(
                "() => document.body.dataset.conn === 'online'", timeout=TIMEOUT_MS
            )
        page.wait_for_timeout(300)
        violations = page.evaluate("() => window.__csp")
    finally:
        context.close()
    assert violations == []
    # The browser's own favicon request is the one resource no page asks for.
    assert [u for u in failed if not u.endswith("/favicon.ico")] == []
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []


def test_templates_hold_nothing_the_policy_refuses() -> None:
    """No inline script (only JSON data blocks), no style attribute or element, no inline
    event handler in the pages' templates (the report has its own, looser policy)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for path in sorted(root.glob("*.html")):
        if path.name.startswith("report"):  # report.html and the parts it includes
            continue
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (path.name, tag)
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", html), path.name

"""Static rules for the pages' source files: nothing loads from outside the LAN, scripts are
classic (no modules, which older WeChat browsers lack), user text never goes through
innerHTML, and each page loads the socket.io client plus exactly one page script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
STYLES = sorted((ROOT / "static" / "css").glob("*.css"))
VENDOR = sorted((ROOT / "static" / "vendor").glob("*.js"))
PAGES = ("host", "display", "play")

# An absolute URL, or a protocol-relative one ("//cdn.example.com/x").
EXTERNAL = re.compile(r"\b(?:https?|wss?|ftp):(?://)?|(?<![:\w/])//(?:[\w-]+\.)+[a-z]{2,}\b", re.I)
# The vendored client's only URL: a documentation link inside an error message.
VENDOR_ALLOWED = {"https://socket.io/docs/v3/migrating-from-2-x-to-3-0/"}


def strip_comments(path: Path, text: str) -> str:
    """The file without comments, which may mention URLs freely."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    if path.suffix == ".html":
        text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
        text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    if path.suffix == ".js":
        # A line comment starts at // after whitespace or at the start of a line.
        text = re.sub(r"(^|\s)//[^\n]*", r"\1", text)
    return text


def test_the_pages_exist():
    names = {p.name for p in TEMPLATES}
    assert {"base.html", "index.html", "host.html", "display.html", "play.html"} <= names
    # fair.js: the clock sync of fair buzzing (quiz/fair/clock.py's port), loaded by base.html.
    # host-tournament.js: the host console's tournament card, loaded by host.html after host.js.
    assert {p.name for p in SCRIPTS} == {
        "common.js",
        "fair.js",
        "host.js",
        "host-tournament.js",
        "display.js",
        "play.js",
    }


@pytest.mark.parametrize("path", TEMPLATES + SCRIPTS + STYLES, ids=lambda p: p.name)
def test_no_external_url(path: Path):
    found = EXTERNAL.findall(strip_comments(path, path.read_text(encoding="utf-8")))
    assert found == []


def test_the_url_check_catches_what_it_must():
    samples = {
        "a.html": '<script src="https://cdn.example.com/x.js"></script>',
        "b.css": "@import url(//fonts.example.com/css);",
        "c.js": 'fetch("http://10.0.0.1/x")',
    }
    for name, text in samples.items():
        assert EXTERNAL.findall(strip_comments(Path(name), text)), name
    assert not EXTERNAL.findall(strip_comments(Path("d.js"), "x(); // see https://example.com"))


def test_vendored_client_loads_nothing_from_outside():
    for path in VENDOR:
        urls = set(re.findall(r"https?://[^\s\"'`)]+/?", path.read_text(encoding="utf-8")))
        assert urls <= VENDOR_ALLOWED, urls - VENDOR_ALLOWED


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_are_classic_and_safe(path: Path):
    code = strip_comments(path, path.read_text(encoding="utf-8"))
    assert not re.search(r"^\s*(import|export)\s", code, re.M), "no ES modules"
    assert "innerHTML" not in code and "outerHTML" not in code and "insertAdjacentHTML" not in code
    assert "document.write" not in code and "eval(" not in code
    assert "?." not in code and "??" not in code, "ES2020 syntax breaks older WeChat browsers"
    assert "window.confirm" not in code and "alert(" not in code


@pytest.mark.parametrize("path", SCRIPTS + STYLES + TEMPLATES, ids=lambda p: p.name)
def test_every_file_says_what_it_owns(path: Path):
    head = path.read_text(encoding="utf-8").lstrip()[:400]
    opener = {".js": "/*", ".css": "/*", ".html": "{#"}[path.suffix]
    assert head.startswith(opener), f"{path.name} must open with a comment saying what it owns"


SCRIPTS_OF = {"host": ["host.js", "host-tournament.js"]}


@pytest.mark.parametrize("page", PAGES)
def test_each_page_has_one_template_and_one_script(page: str):
    template = (ROOT / "templates" / f"{page}.html").read_text(encoding="utf-8")
    assert '{% extends "base.html" %}' in template
    scripts = re.findall(r"<script[^>]*\bsrc=\"[^\"]*filename='js/([\w-]+\.js)'", template)
    # The host console's tournament card is a plain script of its own, loaded after host.js.
    assert scripts == SCRIPTS_OF.get(page, [f"{page}.js"])
    assert 'type="module"' not in template


def test_base_loads_the_vendored_client_and_the_cjk_font_stack():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert "vendor/socket.io-4.8.1.min.js" in base
    assert "catalog_for(lang)|tojson" in base
    css = (ROOT / "static" / "css" / "common.css").read_text(encoding="utf-8")
    fonts = [
        "PingFang SC",
        "Hiragino Sans GB",
        "Microsoft YaHei",
        "Noto Sans CJK SC",
        "Source Han Sans SC",
    ]
    positions = [css.index(f'"{f}"') for f in fonts]
    assert positions == sorted(positions)
    assert re.search(r"--font:[^;]*sans-serif;", css)

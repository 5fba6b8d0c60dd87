"""The message catalog: every UI string in zh-CN (default) and en, and language negotiation.

Catalogs are flat JSON files next to this module (``zh-CN.json``, ``en.json``) with identical
keys. Placeholders use ``{name}``, the same syntax the browser-side ``t()`` in
``static/js/common.js`` understands. Pages never carry hard-coded text: templates call the
Jinja global ``_`` and scripts read the catalog that :func:`init_app` embeds into each page.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, g, has_request_context, request
from jinja2 import pass_context
from jinja2.runtime import Context

__all__ = [
    "DEFAULT",
    "SUPPORTED",
    "catalog",
    "current_lang",
    "init_app",
    "negotiate",
    "normalize",
    "translate",
]

SUPPORTED = ("zh-CN", "en")
DEFAULT = "zh-CN"

_DIR = Path(__file__).resolve().parent
_log = logging.getLogger(__name__)

# Browsers and people write language tags loosely (zh, zh_cn, zh-Hans, en-GB...); map the
# primary subtag onto the catalog we have.
_PRIMARY = {"zh": "zh-CN", "en": "en"}


class _SafeParams(dict[str, Any]):
    """Leaves an unknown ``{placeholder}`` visible instead of failing the whole page."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@cache
def catalog(lang: str) -> Mapping[str, str]:
    """The catalog for a supported language (read once per process)."""
    if lang not in SUPPORTED:
        raise ValueError(f"unsupported language {lang!r}; expected one of {', '.join(SUPPORTED)}")
    with (_DIR / f"{lang}.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ValueError(f"{lang}.json must be a flat object of strings")
    return data


def normalize(tag: str | None) -> str | None:
    """Map a loose language tag onto a supported one, or ``None`` when it is not supported."""
    if not tag:
        return None
    cleaned = tag.strip().replace("_", "-")
    for lang in SUPPORTED:
        if cleaned.lower() == lang.lower():
            return lang
    return _PRIMARY.get(cleaned.split("-", 1)[0].lower())


def negotiate(query: str | None = None, event: str | None = None) -> str:
    """Pick the page language: ``?lang=`` first, then the event's setting, then zh-CN."""
    return normalize(query) or normalize(event) or DEFAULT


def translate(key: str, lang: str = DEFAULT, **params: Any) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled from ``params``.

    A key missing from ``lang`` falls back to the default catalog, then to the key itself, so
    a slip shows up on screen as a readable key rather than as a crashed page.
    """
    lang = normalize(lang) or DEFAULT
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT).get(key)
        if text is None:
            _log.warning("missing catalog key %r", key)
            return key
    return text.format_map(_SafeParams(params)) if params else text


def current_lang(event_lang: Callable[[], str | None] | None = None) -> str:
    """The negotiated language for the current request (default outside a request)."""
    if not has_request_context():
        return DEFAULT
    event = event_lang() if event_lang is not None else None
    return negotiate(request.args.get("lang"), event or g.get("event_lang"))


def init_app(app: Flask, event_lang: Callable[[], str | None] | None = None) -> None:
    """Register the Jinja globals ``_`` and ``catalog_for`` and the page variable ``lang``.

    ``event_lang`` returns the current event's language setting, if any; a view may instead
    set ``flask.g.event_lang`` or pass ``lang=...`` to ``render_template`` explicitly.
    """

    @pass_context
    def _(ctx: Context, key: str, **params: Any) -> str:
        # The page's own `lang` wins so that `render_template(..., lang="en")` is honoured.
        return translate(key, ctx.get("lang") or current_lang(event_lang), **params)

    def catalog_for(lang: str | None) -> dict[str, str]:
        # Embedded whole into the page (through `tojson`) so that scripts translate with
        # exactly the server's words.
        return dict(catalog(normalize(lang) or DEFAULT))

    app.jinja_env.globals["_"] = _
    app.jinja_env.globals["catalog_for"] = catalog_for
    app.extensions["quiz.i18n"] = {"supported": SUPPORTED, "default": DEFAULT}

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"lang": current_lang(event_lang), "supported_langs": SUPPORTED}

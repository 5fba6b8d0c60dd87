"""The message catalogs and ``quiz.i18n``: same keys in every language, no empty text, the same
placeholders, every key the pages use exists, negotiation order and safe embedding."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from quiz import i18n

ROOT = Path(__file__).resolve().parents[2]
CATALOG_DIR = ROOT / "quiz" / "i18n"


def load(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOG_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_supported_language_has_a_catalog_file():
    files = {p.stem for p in CATALOG_DIR.glob("*.json")}
    assert files == set(i18n.SUPPORTED)
    assert i18n.DEFAULT == "zh-CN" == i18n.SUPPORTED[0]


def test_catalogs_have_identical_keys_and_no_empty_values():
    zh, en = load("zh-CN"), load("en")
    assert set(zh) == set(en), {"only zh": set(zh) - set(en), "only en": set(en) - set(zh)}
    for lang, cat in (("zh-CN", zh), ("en", en)):
        empty = [k for k, v in cat.items() if not isinstance(v, str) or not v.strip()]
        assert not empty, f"{lang}: empty values for {empty}"


def test_translations_use_no_placeholder_the_reference_lacks():
    # The code passes the parameters the zh-CN text needs; a translation may leave one out
    # ("Best of {total}" for "{total}局{win}胜") but one it invented would show up raw.
    zh, en = load("zh-CN"), load("en")
    invented = {k: placeholders(en[k]) - placeholders(zh[k]) for k in zh}
    assert {k: v for k, v in invented.items() if v} == {}
    dropped = {k for k in zh if placeholders(en[k]) != placeholders(zh[k])}
    assert dropped == {"match.best_of"}


def test_the_chinese_catalog_is_chinese():
    zh = load("zh-CN")
    # A language's own name and the "{side} +1" buttons are the same in every language.
    neutral = {"lang.en", "host.act.adjust_plus", "host.act.adjust_minus"}
    no_han = [k for k, v in zh.items() if k not in neutral and not re.search(r"[\u4e00-\u9fff]", v)]
    assert no_han == []


# Literal keys in templates (_("...")) and scripts (t("..."), label: "...") and the dynamic
# prefixes the scripts complete at run time (t("phase." + phase)).
KEY_LITERAL = re.compile(r"""["']((?:[a-z_]+\.)+[a-zA-Z0-9_-]+)["']""")


def words(text: str) -> list[str]:
    return text.split()


NAMESPACES = set(
    words(
        "app slogan lang side conn phase match category status moment display play index host "
        "rules error"
    )
)
DYNAMIC = {
    "phase.": words(
        "connecting attract ready question countdown buzzing arbitrating tie answering "
        "result finished"
    ),
    "conn.": words("connecting online offline"),
    "side.": words("red blue"),
    "host.match_status.": words("pending live finished aborted"),
    "host.cmd.": words(
        "show_question open_buzzing begin_answer judge void override adjust_games pause "
        "resume undo end_match resolve_tie create_event add_contestant create_match issue_seat "
        "start_match abort_match"
    ),
    "error.": words(
        "bad_auth unauthorized unknown_seat seat_taken origin invalid too_large "
        "unknown_command forbidden stale no_match not_found conflict bank_empty internal offline "
        "timeout connect_failed"
    ),
}


def used_keys() -> set[str]:
    files = [*(ROOT / "templates").glob("*.html"), *(ROOT / "static" / "js").glob("*.js")]
    keys: set[str] = set()
    for path in files:
        for key in KEY_LITERAL.findall(path.read_text(encoding="utf-8")):
            if key.split(".", 1)[0] in NAMESPACES and not key.endswith((".js", ".css", ".html")):
                keys.add(key)
    for prefix, names in DYNAMIC.items():
        keys.update(prefix + n for n in names)
    return keys


def test_every_key_the_pages_use_is_in_the_catalog():
    zh = load("zh-CN")
    keys = used_keys()
    assert len(keys) > 100  # the scan really found the pages' keys
    missing = sorted(k for k in keys if k not in zh)
    assert missing == []


def test_translate_fills_placeholders_and_falls_back():
    assert i18n.translate("match.game", "zh-CN", n=3) == "第3局"
    assert i18n.translate("match.game", "en", n=3) == "Game 3"
    assert i18n.translate("match.game", "zh_cn", n=2) == "第2局"  # loose tags are normalised
    assert i18n.translate("side.red", "fr") == "红方"  # unsupported -> default language
    assert i18n.translate("no.such.key", "en") == "no.such.key"
    # A missing parameter leaves the placeholder visible instead of raising.
    assert i18n.translate("match.game", "en") == "Game {n}"


@pytest.mark.parametrize(
    ("query", "event", "expected"),
    [
        ("en", "zh-CN", "en"),  # ?lang= wins
        (None, "en", "en"),  # then the event's setting
        ("xx", "en-GB", "en"),  # an unsupported query is ignored
        (None, None, "zh-CN"),  # then the default
        ("ZH", None, "zh-CN"),
        ("", "", "zh-CN"),
    ],
)
def test_negotiate_order(query: str | None, event: str | None, expected: str):
    assert i18n.negotiate(query, event) == expected


def test_catalog_rejects_unknown_language():
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.catalog("fr")


def make_app(event_lang: str | None = None) -> Flask:
    app = Flask(__name__)
    i18n.init_app(app, event_lang=lambda: event_lang)
    return app


PAGE = (
    "{{ lang }}|{{ _('side.red') }}|{{ _('match.game', n=4) }}|{{ _(user) }}|"
    "<script type=application/json>{{ catalog_for(lang)|tojson }}</script>"
)


def test_init_app_negotiates_and_registers_globals():
    app = make_app(event_lang="en")
    with app.test_request_context("/display"):
        out = render_template_string(PAGE, user="x")
        assert out.startswith("en|Red side|Game 4|")
    with app.test_request_context("/display?lang=zh-CN"):
        out = render_template_string(PAGE, user="x")
        assert out.startswith("zh-CN|红方|第4局|")
        embedded = out.split("<script type=application/json>", 1)[1].split("</script>", 1)[0]
        assert json.loads(embedded) == load("zh-CN")


def test_explicit_lang_wins_and_text_is_escaped():
    app = make_app()
    with app.test_request_context("/"):
        out = render_template_string(PAGE, lang="en", user="<b>x</b>")
        assert out.startswith("en|Red side|Game 4|&lt;b&gt;x&lt;/b&gt;|")


def test_embedded_catalog_cannot_close_its_script_tag():
    app = make_app()
    with app.test_request_context("/"):
        out = render_template_string(
            "<script type=application/json>{{ {'t': title}|tojson }}</script>",
            title="</script><script>alert(1)</script>",
        )
    assert out.count("</script>") == 1
    assert "\\u003c/script\\u003e" in out

"""The printable HTML report: ``templates/report.html`` rendered with the report's data.

Rendered by a Jinja environment of its own (autoescape on, strict undefined) so that
``quiz report`` on the command line and ``/host/report`` in the server produce the very same
page. The page is self-contained: inline CSS, inline SVG charts, no script, no link to
anything but the optional download links the server passes in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from quiz import i18n
from quiz.report.awareness import message_label
from quiz.report.charts import Series, count_columns, percent, rate_bars
from quiz.report.data import CategoryRate, QuestionInfo, Rate, ReportData
from quiz.report.reach import Reach
from quiz.resources import templates_dir

if TYPE_CHECKING:
    from quiz.report.merge import Merged

TEMPLATE = "report.html"
MERGED_TEMPLATE = "report_merged.html"
#: Chart colours that stay apart when printed in grey (dark and light).
CONTESTANTS_COLOUR = "#27496d"
AUDIENCE_COLOUR = "#e8a33d"
PROMPT_MAX = 90


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda value: percent(value)
    env.filters["when"] = when
    return env


def when(moment: datetime | None, with_time: bool = True) -> str:
    """Local time of the machine making the report (the venue laptop)."""
    if moment is None:
        return "—"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def category_label(category: str, lang: str) -> str:
    if not category:
        return i18n.translate("report.uncategorised", lang)
    key = "category." + category.replace("-", "_")
    return i18n.translate(key, lang) if key in i18n.catalog(lang) else category


def prompt_of(question: QuestionInfo, lang: str, limit: int = PROMPT_MAX) -> str:
    text = (question.prompt_en if lang == "en" else question.prompt_zh) or question.prompt_zh
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rate_text(rate: Rate | None, lang: str) -> str:
    """``66.7% (2/3)``; a dash when nothing was answered, "none recorded" for no data."""
    if rate is None:
        return i18n.translate("report.none_recorded", lang)
    if not rate.total:
        return "—"
    return f"{percent(rate.value)} ({rate.correct}/{rate.total})"


def category_chart(categories: tuple[CategoryRate, ...], lang: str) -> Markup:
    def t(key: str) -> str:
        return i18n.translate(key, lang)

    series = [Series(t("report.contestants"), CONTESTANTS_COLOUR)]
    audience = any(c.audience is not None for c in categories)
    if audience:
        series.append(Series(t("report.audience"), AUDIENCE_COLOUR))
    rows = []
    for c in categories:
        values = [c.contestants.value]
        if audience:
            values.append(c.audience.value if c.audience is not None else None)
        rows.append((category_label(c.category, lang), values))
    return rate_bars(t("report.chart.categories"), rows, series, t("report.no_answers"))


def joins_chart(reach: Reach | None, lang: str) -> Markup | None:
    """Phones joining per time bucket (local time of the machine making the report)."""
    if reach is None or not reach.joins:
        return None
    columns = [
        (datetime.fromtimestamp(at / 1000).astimezone().strftime("%H:%M"), n)
        for at, n in reach.joins
    ]
    title = i18n.translate("report.chart.joins", lang, minutes=reach.bucket_ms // 60_000)
    return count_columns(title, columns, label_every=max(1, len(columns) // 12))


def _page_helpers(lang: str) -> dict[str, Any]:
    """What every report page's template calls (the shared sections in report_parts.html)."""

    def _(key: str, **params: Any) -> str:
        return i18n.translate(key, lang, **params)

    return {
        "lang": lang,
        "_": _,
        "category": lambda c: category_label(c, lang),
        "message": lambda m: message_label(m, lang),
        "prompt": lambda q: prompt_of(q, lang),
        "rate": lambda r: rate_text(r, lang),
    }


def render_html(
    data: ReportData, lang: str = i18n.DEFAULT, links: Sequence[tuple[str, str]] = ()
) -> str:
    """The report page in ``lang``; ``links`` ((label, URL) pairs) adds download links that
    show on screen only."""
    lang = i18n.normalize(lang) or i18n.DEFAULT
    template = _environment().get_template(TEMPLATE)
    return template.render(
        data=data,
        chart=category_chart(data.categories, lang) if data.categories else None,
        joins_chart=joins_chart(data.reach, lang),
        links=list(links),
        **_page_helpers(lang),
    )


def render_merged(merged: Merged, lang: str = i18n.DEFAULT) -> str:
    """The report across venues (``quiz.report.merge``) in ``lang``."""
    lang = i18n.normalize(lang) or i18n.DEFAULT
    template = _environment().get_template(MERGED_TEMPLATE)
    return template.render(
        merged=merged,
        chart=category_chart(merged.categories, lang) if merged.categories else None,
        **_page_helpers(lang),
    )

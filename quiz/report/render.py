"""The printable HTML report: ``templates/report.html`` rendered with the report's data.

The tables are the ones ``quiz.report.tables`` (and ``quiz.report.campaign``) define for
the CSV and XLSX files too, in their page rendering; this module adds the cover, the charts
and the sections around them. The report across venues (``quiz.report.merge``) is
``templates/report_merged.html``; both pages share the ``grid`` macro and the sections of
``templates/report_parts.html``.
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
from quiz.report.campaign import merged_grids
from quiz.report.charts import Series, count_columns, percent, rate_bars
from quiz.report.data import CategoryRate, ReportData
from quiz.report.labels import category_label, when
from quiz.report.reach import Reach
from quiz.report.tables import PageTable, report_grids
from quiz.resources import templates_dir

if TYPE_CHECKING:
    from quiz.report.merge import Merged

TEMPLATE = "report.html"
MERGED_TEMPLATE = "report_merged.html"
#: Chart colours that stay apart when printed in grey (dark and light).
CONTESTANTS_COLOUR = "#27496d"
AUDIENCE_COLOUR = "#e8a33d"


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


def uses_own_environment(name: str) -> bool:
    """Whether template ``name`` is rendered by the report's environment (its own filters),
    not by the Flask app's."""
    return name.startswith("report")  # report.html, report_merged.html and their parts


def compile_templates() -> None:
    """Compile the report templates now (``quiz serve`` calls it before serving), so that the
    first report does not hold the event loop while Jinja compiles them."""
    env = _environment()
    for name in env.list_templates(filter_func=uses_own_environment):
        env.get_template(name)


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


def _translator(lang: str) -> Any:
    def _(key: str, **params: Any) -> str:
        return i18n.translate(key, lang, **params)

    return _


def render_html(
    data: ReportData, lang: str = i18n.DEFAULT, links: Sequence[tuple[str, str]] = ()
) -> str:
    """The report page in ``lang``; ``links`` ((label, URL) pairs) adds download links that
    show on screen only."""
    lang = i18n.normalize(lang) or i18n.DEFAULT
    _ = _translator(lang)
    grids = report_grids(data, lang)
    tables = {name: grid.page() for name, grid in grids.items()}
    ranked: list[tuple[str, PageTable]] = [
        (_(key), grids["questions"].page(rows))
        for key, rows in (("report.hardest", data.hardest), ("report.easiest", data.easiest))
        if rows
    ]
    template = _environment().get_template(TEMPLATE)
    return template.render(
        data=data,
        lang=lang,
        _=_,
        tables=tables,
        ranked=ranked,
        chart=category_chart(data.categories, lang) if data.categories else None,
        joins_chart=joins_chart(data.reach, lang),
        links=list(links),
    )


def render_merged(merged: Merged, lang: str = i18n.DEFAULT) -> str:
    """The report across venues (``quiz.report.merge``) in ``lang``."""
    lang = i18n.normalize(lang) or i18n.DEFAULT
    tables = {name: grid.page() for name, grid in merged_grids(merged, lang).items()}
    template = _environment().get_template(MERGED_TEMPLATE)
    return template.render(
        merged=merged,
        lang=lang,
        _=_translator(lang),
        tables=tables,
        chart=category_chart(merged.categories, lang) if merged.categories else None,
    )

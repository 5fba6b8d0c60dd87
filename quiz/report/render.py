"""The printable HTML report: ``templates/report.html`` rendered with the report's data.

The tables are the ones ``quiz.report.tables`` defines for the CSV and XLSX files too, in
their page rendering; this module adds the cover, the chart and the sections around them.
Rendered by a Jinja environment of its own (autoescape on, strict undefined) so that
``quiz report`` on the command line and ``/host/report`` in the server produce the very same
page. The page is self-contained: inline CSS, inline SVG charts, no script, no link to
anything but the optional download links the server passes in.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from quiz import i18n
from quiz.report.charts import Series, percent, rate_bars
from quiz.report.data import CategoryRate, ReportData
from quiz.report.labels import category_label, when
from quiz.report.tables import PageTable, report_grids
from quiz.resources import templates_dir

TEMPLATE = "report.html"
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


def render_html(
    data: ReportData, lang: str = i18n.DEFAULT, links: Sequence[tuple[str, str]] = ()
) -> str:
    """The report page in ``lang``; ``links`` ((label, URL) pairs) adds download links that
    show on screen only."""
    lang = i18n.normalize(lang) or i18n.DEFAULT

    def _(key: str, **params: Any) -> str:
        return i18n.translate(key, lang, **params)

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
        links=list(links),
    )

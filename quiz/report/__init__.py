"""The organiser's report: what happened at an event and how well people knew the answers.

``collect`` replays every match log of an event into a :class:`ReportData`;
``render_html`` prints it (A4, zh-CN or en), ``to_csv`` and ``to_xlsx`` export the same
tables, and ``question_stats`` counts each question version across all events so organisers
can revise the bank. ``quiz report`` (``quiz.report.cli``) and ``/host/report``
(``quiz.report.web``) are the two ways in; ``docs/report.md`` explains every figure.

    with sessions() as session:
        data = collect(session, resolve_event(session, "latest"))
    html = render_html(data, "zh-CN")
"""

from quiz.report.collect import (
    QuestionLookup,
    collect,
    question_stats,
    rank,
    resolve_event,
)
from quiz.report.data import MIN_SAMPLE, QuestionRate, Rate, ReportData, ReportError
from quiz.report.render import render_html
from quiz.report.sources import AudienceTally, NoneRecorded, StoredRecords, Supplements
from quiz.report.tables import Table, report_tables, stats_table, to_csv, to_xlsx

__all__ = [
    "MIN_SAMPLE",
    "AudienceTally",
    "NoneRecorded",
    "QuestionLookup",
    "QuestionRate",
    "Rate",
    "ReportData",
    "ReportError",
    "StoredRecords",
    "Supplements",
    "Table",
    "collect",
    "question_stats",
    "rank",
    "render_html",
    "report_tables",
    "resolve_event",
    "stats_table",
    "to_csv",
    "to_xlsx",
]

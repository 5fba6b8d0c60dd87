"""The report in the server: ``/host/report`` (printable HTML) and its CSV and XLSX downloads.

Host only: every route wants the host token in force (``?token=`` as the host console's
address carries it, or an ``X-Host-Token`` header), compared in constant time as the socket
does.
Responses are never cached and send no referrer (the token is in the address), and the HTML
page's Content-Security-Policy forbids loading anything at all, so a name in the report
cannot pull in a script or an image even if escaping were ever missed.

``?event=`` is an event id or ``latest``; without it the report is about the server's current
event. A server that records audience answers, tournaments or draws puts a
:class:`~quiz.report.sources.Supplements` in ``app.extensions["quiz.report.supplements"]``.
"""

from __future__ import annotations

import hmac
import io
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from quiz import i18n
from quiz.report.collect import collect, resolve_event
from quiz.report.data import ReportData, ReportError
from quiz.report.render import render_html
from quiz.report.tables import report_tables, table_csv, write_xlsx

bp = Blueprint("report", __name__)
SUPPLEMENTS = "quiz.report.supplements"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _text(message: str, status: int) -> Response:
    return _headers(Response(message + "\n", status=status, mimetype="text/plain"))


def _token() -> str:
    return request.args.get("token") or request.headers.get("X-Host-Token") or ""


def _authorised() -> bool:
    # The hub holds the token in force: the host console can rotate it, and the one in
    # app.config (the token the server started with) is then no longer valid.
    expected: bytes = current_app.extensions["quiz.hub"]._host_token
    given = _token().encode()
    return bool(given) and hmac.compare_digest(given, expected)


def _lang(event_lang: str | None = None) -> str:
    return i18n.negotiate(request.args.get("lang"), event_lang)


def _load() -> ReportData | Response:
    """The requested event's report, or the error response to send instead."""
    if not _authorised():
        return _text(i18n.translate("report.error.token", _lang()), 403)
    hub = current_app.extensions["quiz.hub"]
    sessions = current_app.extensions["quiz.db"]["sessions"]
    ref: Any = request.args.get("event") or hub.event.get("id")
    try:
        with sessions() as session:
            event_id = resolve_event(session, ref)
            return collect(
                session,
                event_id,
                supplements=current_app.extensions.get(SUPPLEMENTS),
                questions=hub.questions,
            )
    except ReportError as exc:
        return _text(f"{i18n.translate('report.error.event', _lang())} ({exc})", 404)


def _query(data: ReportData, **extra: Any) -> dict[str, Any]:
    return {"event": data.event.id, "lang": _lang(data.event.lang), "token": _token(), **extra}


@bp.get("/host/report")
def report_page() -> Response:
    data = _load()
    if isinstance(data, Response):
        return data
    lang = _lang(data.event.lang)
    links = [
        (i18n.translate("report.download.xlsx", lang), url_for(".report_xlsx", **_query(data)))
    ]
    for table in report_tables(data, lang):
        label = i18n.translate("report.download.csv", lang, table=_table_title(table.name, lang))
        links.append((label, url_for(".report_csv", **_query(data, table=table.name))))
    response = Response(render_html(data, lang, links), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    return _headers(response)


def _table_title(name: str, lang: str) -> str:
    return i18n.translate(f"report.table.{name}", lang)


def _attachment(response: Response, filename: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _headers(response)


@bp.get("/host/report.csv")
def report_csv() -> Response:
    data = _load()
    if isinstance(data, Response):
        return data
    lang = _lang(data.event.lang)
    tables = {t.name: t for t in report_tables(data, lang)}
    name = request.args.get("table", "matches")
    table = tables.get(name)
    if table is None:
        message = i18n.translate("report.error.table", lang, tables=", ".join(tables))
        return _text(message, 400)
    # A BOM so that Excel and WPS open the Chinese text as UTF-8.
    body = table_csv(table, lang).encode("utf-8-sig")
    response = Response(body, content_type="text/csv; charset=utf-8")
    return _attachment(response, f"event-{data.event.id}-{table.name}.csv")


@bp.get("/host/report.xlsx")
def report_xlsx() -> Response:
    data = _load()
    if isinstance(data, Response):
        return data
    buffer = io.BytesIO()
    lang = _lang(data.event.lang)
    write_xlsx(report_tables(data, lang), buffer, lang)
    response = Response(buffer.getvalue(), mimetype=XLSX_TYPE)
    return _attachment(response, f"event-{data.event.id}-report.xlsx")

"""The report in the server: ``/host/report`` (printable HTML) and its CSV and XLSX downloads.

Host only: every route wants the host token in force (``?token=`` once, or an ``X-Host-Token``
header), compared in constant time as the socket does, or the report cookie. A request that
shows the token (and a host console opened with it, :func:`grant_report_access`) gets a signed
cookie valid for :data:`COOKIE_TTL_S`, HttpOnly, ``SameSite=Strict``, limited to ``/host``;
it is signed with the token in force, so rotating the token revokes it. The download links
therefore carry no token: a token in an address ends up in the browser's history, in logs and
on screen, in clear text on the venue Wi-Fi.
Responses are never cached and send no referrer, and the HTML
page's Content-Security-Policy forbids loading anything at all, so a name in the report
cannot pull in a script or an image even if escaping were ever missed.

``?event=`` is an event id or ``latest``; without it the report is about the server's current
event. A server that records audience answers, tournaments or draws puts a
:class:`~quiz.report.sources.Supplements` in ``app.extensions["quiz.report.supplements"]``.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from itsdangerous import BadSignature, TimestampSigner

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


COOKIE = "quiz_report"
#: How long the report cookie stays valid: an evening's event, not days.
COOKIE_TTL_S = 4 * 3600


def _token() -> str:
    return request.args.get("token") or request.headers.get("X-Host-Token") or ""


def _hub() -> Any:
    # The hub holds the token in force: the host console can rotate it, and the one in
    # app.config (the token the server started with) is then no longer valid.
    return current_app.extensions["quiz.hub"]


def token_valid(given: str) -> bool:
    """``given`` is the host token in force (constant-time comparison)."""
    return bool(_hub().is_host(given))


def _signer() -> TimestampSigner:
    return TimestampSigner(_hub().host.signing_key("quiz.report"), salt="quiz.report")


def _cookie_valid() -> bool:
    value = request.cookies.get(COOKIE)
    if not value:
        return False
    try:
        return _signer().unsign(value, max_age=COOKIE_TTL_S) == b"host"
    except BadSignature:  # also expired (SignatureExpired is a BadSignature)
        return False


def host_here() -> bool:
    """Is the request from where the host may be (the server's own machine by default)?"""
    return bool(_hub().host.allowed_from(request.remote_addr))


def _authorised() -> bool:
    return host_here() and (token_valid(_token()) or _cookie_valid())


def grant_report_access(response: Response) -> Response:
    """Give the browser that showed the host token the report cookie."""
    response.set_cookie(
        COOKIE,
        _signer().sign(b"host").decode(),
        max_age=COOKIE_TTL_S,
        path="/host",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
    return response


def _lang(event_lang: str | None = None) -> str:
    return i18n.negotiate(request.args.get("lang"), event_lang)


def _load() -> ReportData | Response:
    """The requested event's report, or the error response to send instead."""
    if not host_here():
        return _text(i18n.translate("host.error.remote", _lang()), 403)
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
    # No token: the cookie set with this page authorises the downloads.
    return {"event": data.event.id, "lang": _lang(data.event.lang), **extra}


@bp.get("/host/report")
def report_page() -> Response:
    data = _load()
    if isinstance(data, Response):
        return data
    if request.args.get("token"):
        # The cookie instead of the token, and the same page again without it: a token left
        # in the address bar ends up in history, screenshots and the projector.
        args = {k: v for k, v in request.args.items() if k != "token"}
        again = redirect(url_for(".report_page", **args), code=303)
        again.headers["Cache-Control"] = "no-store"
        return _headers(grant_report_access(again))
    lang = _lang(data.event.lang)
    links = [
        (i18n.translate("report.download.xlsx", lang), url_for(".report_xlsx", **_query(data)))
    ]
    for table in report_tables(data, lang):
        label = i18n.translate("report.download.csv", lang, table=_table_title(table.name, lang))
        links.append((label, url_for(".report_csv", **_query(data, table=table.name))))
    response = Response(render_html(data, lang, links), mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    if token_valid(_token()):
        grant_report_access(response)
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

"""HTTP routes: the three pages, the landing page, short join links, QR codes and /healthz.

Pages are rendered from the UI templates with the context documented in docs/protocol.md §1;
everything they need afterwards comes over the socket. QR codes are SVG made here, so nothing
is fetched from outside the LAN. Only the two QR codes the pages show exist (the join link and
a seat link), each made once and then served from a bounded cache: a QR code of arbitrary text
costs up to a second of CPU, which any phone on the Wi-Fi could ask for in a loop.
"""

from __future__ import annotations

import functools
import io
from typing import Any

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from quiz import __version__, i18n
from quiz.i18n import normalize
from quiz.live.hub import LiveHub
from quiz.live.protocol import VERSION
from quiz.models.live import SEAT_CODE_RE
from quiz.report.web import grant_report_access, host_here, token_valid

bp = Blueprint("pages", __name__)
#: The LED's own language (``/display?lang=``), remembered per display for a year.
DISPLAY_LANG_COOKIE = "quiz_display_lang"
DISPLAY_LANG_MAX_AGE_S = 365 * 24 * 3600
#: Distinct QR codes kept (the join link and every seat of a tournament day, with room to spare).
QR_CACHE_SIZE = 256


def _hub() -> LiveHub:
    hub: LiveHub = current_app.extensions["quiz.hub"]
    return hub


def base_url() -> str:
    """The LAN address phones should use: ``quiz serve``'s choice, else this request's host."""
    configured = current_app.config.get("PUBLIC_URL")
    return (configured or request.host_url).rstrip("/")


def _context(**extra: Any) -> dict[str, Any]:
    hub = _hub()
    base = base_url()
    event = hub.event
    return {
        "event": {"id": event["id"], "title": event["title"], "slogan": event.get("slogan")},
        "join_url": f"{base}/j",
        "join_qr_url": url_for("pages.qr_join"),
        "display_url": f"{base}/display",
        "protocol_version": VERSION,
        "socketio_path": "/socket.io",
        **extra,
    }


@bp.get("/")
def index() -> str:
    return render_template("index.html", host_url=f"{base_url()}/host", **_context())


@bp.get("/host")
def host() -> Response:
    if not host_here():
        # By default the host console works only on the server's own machine: elsewhere
        # its token would cross the Wi-Fi (docs/security.md, quiz serve --remote-host).
        text = i18n.translate("host.error.remote", i18n.negotiate(request.args.get("lang")))
        return Response(text, status=403, mimetype="text/plain")
    response = Response(render_template("host.html", **_context()), mimetype="text/html")
    # Opened with the token (the one address that carries it): the report downloads then
    # need no token in their addresses. host.js removes it from the address bar.
    if token_valid(request.args.get("token", "")):
        grant_report_access(response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/display")
def display() -> Response:
    """The LED page. ``?lang=en`` (or ``zh-CN``) sets its language and is remembered by this
    display (a cookie), so the wall's language can change at any time, not only with the
    event's setting, and survives a reload of the plain ``/display`` address."""
    asked = normalize(request.args.get("lang"))
    lang = asked or normalize(request.cookies.get(DISPLAY_LANG_COOKIE))
    extra = {"lang": lang} if lang else {}
    response = Response(render_template("display.html", **_context(**extra)), mimetype="text/html")
    if asked:
        response.set_cookie(
            DISPLAY_LANG_COOKIE,
            asked,
            max_age=DISPLAY_LANG_MAX_AGE_S,
            samesite="Lax",
            httponly=True,
        )
    return response


@bp.get("/play")
def play() -> str:
    seat = request.args.get("seat", "").strip().upper()
    return render_template("play.html", **_context(seat=seat if SEAT_CODE_RE.match(seat) else ""))


@bp.get("/j")
def join() -> Response:
    return redirect(url_for("pages.play"))  # type: ignore[return-value]


@bp.get("/s/<code>")
def seat_link(code: str) -> Response:
    code = code.strip().upper()
    if not SEAT_CODE_RE.match(code):
        abort(404)
    return redirect(url_for("pages.play", seat=code))  # type: ignore[return-value]


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness, and whether the server can store what it is told (``ok: false`` with
    ``storage.reason`` when it cannot: docs/protocol.md §13); ``loop_lag``: how late the
    event loop woke its probe over the last few seconds (a stamped buzz may be as late)."""
    hub = _hub()
    storage = hub.storage
    storage.check()
    return jsonify(
        ok=storage.ok,
        storage=storage.view(),
        loop_lag=hub.probe.lag.summary(),
        v=VERSION,
        version=__version__,
        async_mode=current_app.config["SOCKETIO_ASYNC_MODE"],
        now=_hub().clock(),
    )


@functools.lru_cache(maxsize=QR_CACHE_SIZE)
def qr_svg_bytes(data: str) -> bytes:
    """The SVG of one QR code; cached, as the same join and seat links are asked for by every
    screen that shows them."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue()


def svg_qr(data: str) -> Response:
    response = Response(qr_svg_bytes(data), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/qr/join.svg")
def qr_join() -> Response:
    return svg_qr(f"{base_url()}/j")


@bp.get("/qr/seat/<code>.svg")
def qr_seat(code: str) -> Response:
    code = code.strip().upper()
    # Only seats in force: a made-up code costs an indexed lookup, never a QR drawing (and
    # the LRU cache of real codes is not flushed by a stream of invented ones).
    if not SEAT_CODE_RE.match(code) or not _hub().matches.seat_in_force(code):
        abort(404)
    return svg_qr(f"{base_url()}/s/{code}")

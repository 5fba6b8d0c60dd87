"""HTTP routes of the LED playlist: the images and QR codes of the playlist in force.

Only what the playlist lists is served (by its file name, from the organiser's folder, image
types only, size-capped: ``quiz.playlist.image_file``); a QR code is made here as SVG from the
slide's content and cached (``quiz.views.qr_svg_bytes``), so nothing is fetched from outside.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, send_file

from quiz.live.hub import LiveHub
from quiz.playlist import image_file
from quiz.views import svg_qr

bp = Blueprint("playlist", __name__)


def _playlist():  # type: ignore[no-untyped-def]
    hub: LiveHub = current_app.extensions["quiz.hub"]
    playlist = hub.playlist.playlist
    if playlist is None:
        abort(404)
    return playlist


@bp.get("/playlist/image/<name>")
def image(name: str) -> Response:
    found = image_file(_playlist(), name)
    if found is None:
        abort(404)
    path, mime = found
    response = send_file(path, mimetype=mime, max_age=60)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/playlist/qr/<int:index>.svg")
def qr(index: int) -> Response:
    slides = _playlist().slides
    if not 0 <= index < len(slides) or slides[index].qr is None:
        abort(404)
    data = slides[index].qr
    assert data is not None
    return svg_qr(data)

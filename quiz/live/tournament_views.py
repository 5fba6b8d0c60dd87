"""HTTP route of the tournament: the host uploads a contestant list (docs/protocol.md §12).

A file does not fit in a socket command (4 KiB), so the list goes up as an ordinary form post
from the host console, with the host token in the ``X-Host-Token`` header: a header a page of
another site cannot set, so no other page can post in the host's name. The answer is JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from quiz.live.hub import LiveHub
from quiz.live.tournament_import import MAX_LIST_BYTES, ListError, read_contestant_list

bp = Blueprint("tournament", __name__)
TOKEN_HEADER = "X-Host-Token"


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify(ok=False, error={"code": code, "message": message}, **extra), status


@bp.post("/host/contestants/import")
def import_contestants() -> tuple[Response, int]:
    hub: LiveHub = current_app.extensions["quiz.hub"]
    if not hub.is_host(request.headers.get(TOKEN_HEADER)):
        return _error(401, "unauthorized", "the host token is missing or wrong")
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        return _error(413, "too_large", f"the file must be at most {MAX_LIST_BYTES} bytes")
    if upload is None:
        return _error(400, "invalid", "send the list as the form field 'file'")
    data = upload.read(MAX_LIST_BYTES + 1)
    try:
        names = read_contestant_list(data, upload.filename or "")
    except ListError as exc:
        problems = [p.to_dict() for p in exc.problems[:50]]
        code = "too_large" if len(data) > MAX_LIST_BYTES else "invalid"
        return _error(413 if code == "too_large" else 400, code, str(exc), problems=problems)
    return jsonify(ok=True, **hub.admin.import_contestants(names)), 200

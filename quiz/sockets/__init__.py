"""Socket.IO handlers: authenticate, validate, forward to the live hub. Nothing else.

Each handler is a few lines; every decision lives in :mod:`quiz.live`.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError

from quiz.extensions import socketio
from quiz.live.hub import LiveHub
from quiz.live.protocol import ProtocolError


def _hub() -> LiveHub:
    hub: LiveHub = current_app.extensions["quiz.hub"]
    return hub


def _sid() -> str:
    return str(request.sid)  # type: ignore[attr-defined]


@socketio.on("connect")
def on_connect(auth: Any = None) -> None:
    try:
        _hub().connect(_sid(), auth)
    except ProtocolError as exc:
        raise ConnectionRefusedError(
            exc.message, {"code": exc.code, "message": exc.message}
        ) from None


@socketio.on("disconnect")
def on_disconnect(*_reason: Any) -> None:
    _hub().disconnect(_sid())


@socketio.on("command")
def on_command(payload: Any = None, *_extra: Any) -> dict[str, Any]:
    hub = _hub()
    return hub.handle_command(_sid(), payload, hub.clock())


@socketio.on("sync")
def on_sync(payload: Any = None, *_extra: Any) -> dict[str, Any]:
    hub = _hub()
    return hub.sync(_sid(), payload, hub.clock())


@socketio.on_error_default
def on_error(exc: Exception) -> dict[str, Any]:
    # Never let a handler bug drop the socket; the sender gets a generic error.
    current_app.logger.exception("socket handler failed", exc_info=exc)
    return {"ok": False, "error": {"code": "internal", "message": "server error"}}

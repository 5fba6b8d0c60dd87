"""Socket.IO handlers: authenticate, validate, forward to the live hub. Nothing else.

Each handler is a few lines; every decision lives in :mod:`quiz.live`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError

from quiz.extensions import socketio
from quiz.live.cluster import Front
from quiz.live.protocol import PEER, ProtocolError, error_ack
from quiz.live.rooms import NAMESPACE

log = logging.getLogger(__name__)
#: Refusals worth a line in the log: someone without the token or with another's seat.
SUSPICIOUS = frozenset({"unauthorized", "seat_taken", "takeover_pending", "host_remote"})
#: Where the transport connection's key is kept in its WSGI environ (one per connection).
PEER_CONNECTION = "quiz.connection"


def _hub() -> Front:
    # Behind a Redis message queue the cluster front forwards to the owning process.
    front: Front = current_app.extensions.get("quiz.front") or current_app.extensions["quiz.hub"]
    return front


def _sid() -> str:
    return str(request.sid)  # type: ignore[attr-defined]


def _replayed() -> bool:
    """True when a connected client sent an event *named* connect or disconnect: the real
    ones run while python-socketio holds the socket as pending, never as connected."""
    return bool(socketio.server.manager.is_connected(_sid(), NAMESPACE))


def _reserved_event() -> dict[str, Any]:
    return error_ack("unknown_event", "connect and disconnect are not events a client sends")


def _with_peer(auth: Any) -> Any:
    """The client's ``auth`` with where it came from, set here and never by the client: the
    address (per-address limits, the host's loopback rule) and a key for the transport
    connection (a socket repeating its connect packet stays one connection for seat lockout)."""
    if not isinstance(auth, dict):
        return auth
    environ = request.environ
    connection = environ.get(PEER_CONNECTION)
    if connection is None:
        connection = environ[PEER_CONNECTION] = secrets.token_hex(8)
    return {**auth, PEER: {"address": request.remote_addr or "", "connection": connection}}


@socketio.on("connect")
def on_connect(auth: Any = None) -> dict[str, Any] | None:
    if _replayed():
        return _reserved_event()
    auth = _with_peer(auth)
    try:
        _hub().connect(_sid(), auth)
    except ProtocolError as exc:
        if exc.code in SUSPICIOUS:
            role = auth.get("role") if isinstance(auth, dict) else None
            log.warning("refused %r connect from %s: %s", role, request.remote_addr, exc.code)
        raise ConnectionRefusedError(
            exc.message, {"code": exc.code, "message": exc.message}
        ) from None
    return None


@socketio.on("disconnect")
def on_disconnect(*_reason: Any) -> dict[str, Any] | None:
    if _replayed():
        return _reserved_event()
    _hub().disconnect(_sid())
    return None


@socketio.on("command")
def on_command(payload: Any = None, *_extra: Any) -> dict[str, Any]:
    # The arrival stamp comes first: a buzz is timed by it (docs/fairness.md).
    hub = _hub()
    received_ms = hub.clock()
    return hub.handle_command(_sid(), payload, received_ms)


@socketio.on("sync")
def on_sync(payload: Any = None, *_extra: Any) -> dict[str, Any]:
    hub = _hub()
    received_ms = hub.clock()
    return hub.sync(_sid(), payload, received_ms)


@socketio.on_error_default
def on_error(exc: Exception) -> dict[str, Any]:
    # Never let a handler bug drop the socket; the sender gets a generic error.
    current_app.logger.exception("socket handler failed", exc_info=exc)
    return {"ok": False, "error": {"code": "internal", "message": "server error"}}

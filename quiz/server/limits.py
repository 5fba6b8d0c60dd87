"""Transport limits: the HTTP body limit in front of everything, and the WebSocket message cap.

Flask's ``MAX_CONTENT_LENGTH`` only acts when a view reads the body, and engine.io answers an
oversized long-polling POST by closing the session and waiting for it to drain, which holds the
request open for the whole ping timeout. Checking ``Content-Length`` here refuses both at once
with a plain ``413`` before anything reads a byte. (A body without ``Content-Length`` is read
as empty by engine.io and bounded by ``MAX_CONTENT_LENGTH`` for the pages.)

WebSocket messages: engine.io checks ``max_http_buffer_size`` only once a whole message has been
received, so a 100 MB message was buffered (twice: bytes, then text) before being refused.
:func:`bound_websockets` hands simple-websocket the same cap, which it checks as each piece of a
frame arrives, and bounds inflation of compressed frames (:mod:`quiz.server.deflate`): the
socket is closed with "message too big" after at most one cap's worth of data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class BodyLimit:
    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > self.limit:
            body = f"request body over {self.limit} bytes\n".encode()
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                    ("Connection", "close"),
                ],
            )
            return [body]
        return self.app(environ, start_response)


def bound_websockets(eio: Any, max_bytes: int) -> bool:
    """Cap every WebSocket message of engine.io server ``eio`` at ``max_bytes`` (inflated),
    before it is buffered. Returns False for a WebSocket layer other than simple-websocket
    (eventlet's own, which bounds frames by its ``max_frame_length``)."""
    from quiz.server import deflate

    deflate.limits["max_inbound"] = max_bytes
    base = eio._async.get("websocket")
    if base is None or not hasattr(base, "close") or getattr(base, "bounded", False):
        return bool(base is not None and getattr(base, "bounded", False))
    if "_websocket_wsgi" not in " ".join(c.__module__ for c in base.__mro__):
        return False

    class Bounded(base):  # type: ignore[misc, valid-type]
        """simple-websocket's server with ``max_message_size`` set."""

        bounded = True

        def __init__(self, handler: Any, server: Any) -> None:
            super().__init__(handler, server)
            self.server_args["max_message_size"] = max_bytes

    # The driver's table is shared by every engine.io server of the process: copy, not edit.
    eio._async = {**eio._async, "websocket": Bounded}
    return True


__all__ = ["BodyLimit", "bound_websockets"]

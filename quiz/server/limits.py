"""The HTTP body limit, enforced in front of everything (pages and the Socket.IO endpoint).

Flask's ``MAX_CONTENT_LENGTH`` only acts when a view reads the body, and engine.io answers an
oversized long-polling POST by closing the session and waiting for it to drain, which holds the
request open for the whole ping timeout. Checking ``Content-Length`` here refuses both at once
with a plain ``413`` before anything reads a byte. (WebSocket messages are bounded separately,
by engine.io's ``max_http_buffer_size``: an oversized one drops that socket.)
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


__all__ = ["BodyLimit"]

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

import logging
import re
import time
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


class LogThrottle:
    """At most one log line per kind every ``every_s`` seconds; the next line that gets through
    says how many were held back. A line per bad packet or refused guess would let any phone
    fill the server's output (and its disk) and bury the lines that matter. Kinds are kept
    up to ``max_kinds`` (the oldest forgotten first), so the throttle itself stays small."""

    def __init__(
        self,
        logger: logging.Logger,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        max_kinds: int = 256,
    ) -> None:
        self.logger = logger
        self.every_s = every_s
        self.clock = clock
        self.max_kinds = max_kinds
        self._kinds: dict[str, tuple[float, int]] = {}  # kind -> (last line at, held back)

    def allow(self, kind: str) -> int | None:
        """None: hold this line back; else the number of lines held back before it."""
        now = self.clock()
        last = self._kinds.get(kind)
        if last is not None and now - last[0] < self.every_s:
            self._kinds[kind] = (last[0], last[1] + 1)
            return None
        self._kinds.pop(kind, None)
        self._kinds[kind] = (now, 0)
        while len(self._kinds) > self.max_kinds:
            del self._kinds[next(iter(self._kinds))]
        return last[1] if last is not None else 0

    def log(self, level: int, kind: str, msg: str, *args: Any) -> bool:
        held = self.allow(kind)
        if held is None:
            return False
        if held:
            msg += f" (and {held} more like it in the last {self.every_s:.0f} s)"
        self.logger.log(level, msg, *args)
        return True

    def warning(self, kind: str, msg: str, *args: Any) -> bool:
        return self.log(logging.WARNING, kind, msg, *args)


# A request line starting with a WebSocket frame's first byte (FIN + opcode: 0x81 text,
# 0x82 binary, 0x88 close, 0x89 ping, 0x8A pong), as gevent quotes it.
_WS_LEFTOVER = re.compile(r"""(Invalid HTTP method: |Got command=)['"]\\x8[0-289a]""")


class QuietErrorLog:
    """The error log of gevent's WSGI server: one line per kind of complaint, throttled.

    After a WebSocket ends, gevent reads what is left on the connection as the next HTTP
    request; the client's close frame (``0x88`` …) then shows up as "Invalid HTTP method" on
    every normal disconnect (or "Expected GET method" when the client's last frames were still
    on their way). That case is dropped; other garbage (a port scanner, a flood of
    bad requests) is kept, one line per kind per interval."""

    def __init__(self, throttle: LogThrottle) -> None:
        self.throttle = throttle

    def write(self, message: str) -> None:
        text = message.rstrip("\n")
        if _WS_LEFTOVER.search(text):
            return  # the tail of a WebSocket read as HTTP: a normal disconnect
        # "<socket …>: (from ('10.0.0.7', 51234)) Invalid HTTP method: …": the kind is the
        # complaint, not the address (which changes with every connection).
        kind = text.split(")) ", 1)[-1].split(":", 1)[0][:40]
        self.throttle.log(logging.WARNING, kind, "%s", text[:300])

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


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


__all__ = ["BodyLimit", "LogThrottle", "QuietErrorLog", "bound_websockets"]

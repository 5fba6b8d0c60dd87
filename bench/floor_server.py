"""The floor: a minimal python-socketio server that only relays, to measure what the transport
alone costs under the same load generator.

It speaks just enough of docs/protocol.md for the benchmark driver: the same connect ``auth``
and rooms (host, display, audience, one room per contestant side), and for every ``command``
one ``state`` per role emitted to those rooms in the same order as the live hub, then the ack.
The state is a real one recorded from ``quiz serve`` (``--state-file``), so that encoding costs
the same. No validation, no engine, no database, no logging. It
runs on the same async mode, listener (TCP_NODELAY) and transport settings as ``quiz serve``.

``python -m bench.floor_server --async gevent --port 5001 --state-file state.json``
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

MOMENTS = {
    "buzz": "buzz_won",
    "show_question": "question_shown",
    "open_buzzing": "buzzing_opened",
    "undo": "undone",
    "void": "question_voided",
}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--async", dest="async_mode", default="gevent", choices=("gevent", "eventlet", "threading")
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--state-file", required=True, help="a state message recorded from quiz serve (JSON)"
    )
    return parser.parse_args()


def build(async_mode: str, template: dict[str, Any]) -> Any:
    """The WSGI app: Socket.IO on /socket.io, ``/healthz`` for readiness."""
    import threading

    import socketio

    from quiz.config import Config

    sio = socketio.Server(
        async_mode=async_mode,
        cors_allowed_origins=Config.SOCKETIO_CORS_ALLOWED_ORIGINS,
        max_http_buffer_size=Config.SOCKETIO_MAX_HTTP_BUFFER_SIZE,
        ping_interval=Config.SOCKETIO_PING_INTERVAL,
        ping_timeout=Config.SOCKETIO_PING_TIMEOUT,
        cookie=None,
    )
    lock = threading.Lock()  # only contended in threading mode; a no-op cost elsewhere
    seq = [0]
    sides = {"RED00": "red", "BLUE0": "blue"}

    def state(role: str, n: int, moment: str | None, you: Any = None) -> dict[str, Any]:
        return {
            **template,
            "seq": n,
            "role": role,
            "moment": {"type": moment} if moment else None,
            "you": you,
        }

    @sio.on("connect")
    def connect(sid: str, _environ: Any, auth: Any) -> None:
        auth = auth if isinstance(auth, dict) else {}
        role = auth.get("role")
        if role == "player" and auth.get("seat") in sides:
            side = sides[auth["seat"]]
            sio.enter_room(sid, f"side:{side}")
            sio.emit("state", state("player", seq[0], None, {"side": side}), to=sid)
            return
        room = role if role in ("host", "display") else "audience"
        sio.enter_room(sid, room)
        sio.emit("state", state(room, seq[0], None), to=sid)

    @sio.on("command")
    def command(_sid: str, data: Any) -> dict[str, Any]:
        kind = data.get("type") if isinstance(data, dict) else None
        moment = MOMENTS.get(str(kind), "x")
        with lock:
            seq[0] += 1
            n = seq[0]
            for room in ("host", "display"):
                sio.emit("state", state(room, n, moment), to=room)
            for side in ("red", "blue"):
                sio.emit("state", state("player", n, moment, {"side": side}), to=f"side:{side}")
            sio.emit("state", state("audience", n, moment), to="audience")
        return {"ok": True, "seq": n, "events": [moment]}

    @sio.on("sync")
    def sync(_sid: str, data: Any) -> dict[str, Any]:
        import time

        now = time.time_ns() // 1_000_000
        return {"t0": data.get("t0") if isinstance(data, dict) else None, "t1": now, "t2": now}

    def health(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true, "floor": true}']
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return socketio.WSGIApp(sio, health)


def main() -> None:
    args = _parse()
    # Patch before anything imports sockets or threads, exactly as quiz.cli does for serve.
    if args.async_mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    elif args.async_mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    from quiz.server.net import raise_open_files_limit

    open_files = raise_open_files_limit()
    from quiz.server.deflate import install as share_deflate

    share_deflate()  # the same WebSocket compression as quiz serve
    import json

    with open(args.state_file, encoding="utf-8") as f:
        app = build(args.async_mode, json.load(f))
    from quiz.server.net import make_listener

    if args.async_mode == "gevent":
        from quiz.server.cli import _no_delay_server

        _no_delay_server()(make_listener("127.0.0.1", args.port), app, log=None).serve_forever()
    elif args.async_mode == "eventlet":
        import eventlet.wsgi

        listener = eventlet.greenio.GreenSocket(make_listener("127.0.0.1", args.port))
        eventlet.wsgi.server(listener, app, log_output=False, max_size=max(open_files, 1024))
    else:
        # The same server quiz serve uses in threading mode (Flask-SocketIO runs Werkzeug).
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", args.port, app, threaded=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)

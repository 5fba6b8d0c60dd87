"""Transport settings against a real ``quiz serve``: WebSocket origins, message size limit,
connect errors as the browser sees them, and TCP_NODELAY on accepted connections."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading

import pytest
import requests
import socketio

from tests.conftest import LiveServer, Peer

pytestmark = pytest.mark.e2e


def _connect_error(
    server: LiveServer, auth: dict[str, object], transport: str = "websocket", **kwargs: object
) -> object:
    """Connect and return the connect_error payload (or None if it connected)."""
    client = socketio.Client(reconnection=False)
    seen: list[object] = []
    done = threading.Event()

    @client.on("connect_error")
    def _error(data: object) -> None:
        seen.append(data)
        done.set()

    try:
        client.connect(server.url, auth=auth, transports=[transport], wait_timeout=5, **kwargs)
    except socketio.exceptions.ConnectionError as exc:
        done.wait(5)
        return seen[0] if seen else str(exc)
    client.disconnect()
    return None


def test_connect_errors_carry_code_and_message(live_server: LiveServer) -> None:
    error = _connect_error(live_server, {"v": 1, "role": "host", "token": "wrong"})
    # The browser client sees this as err.message and err.data.
    assert isinstance(error, dict), error
    assert error["data"]["code"] == "unauthorized" and error["message"]
    error = _connect_error(
        live_server, {"v": 1, "role": "player", "device": "device-xyz", "seat": "AAAAA"}
    )
    assert isinstance(error, dict) and error["data"]["code"] == "unknown_seat"
    assert _connect_error(live_server, {"v": 1, "role": "display"}) is None


def test_foreign_origins_are_refused(live_server: LiveServer) -> None:
    # Long-polling sends exactly the headers given (the WebSocket client adds its own Origin).
    auth = {"v": 1, "role": "display"}
    own = _connect_error(live_server, auth, "polling", headers={"Origin": live_server.url})
    assert own is None
    foreign = _connect_error(
        live_server, auth, "polling", headers={"Origin": "http://evil.example"}
    )
    assert foreign is not None
    response = requests.get(
        f"{live_server.url}/socket.io/?EIO=4&transport=polling",
        headers={"Origin": "http://evil.example"},
        timeout=5,
    )
    assert response.status_code == 400


def test_oversized_messages_drop_only_the_sender(live_server: LiveServer, sio_peer: object) -> None:
    connect = sio_peer  # type: ignore[assignment]
    display: Peer = connect(live_server, "display")  # type: ignore[operator]
    phone: Peer = connect(live_server, "player")  # type: ignore[operator]
    gone = threading.Event()
    phone.client.on("disconnect", lambda *_: gone.set())
    phone.client.emit("command", {"id": "big", "type": "guess", "pad": "x" * 100_000})
    assert gone.wait(10), "a 100 KB message must be refused by the transport"
    assert display.client.call("sync", {"t0": 1}, timeout=5)["t0"] == 1
    assert requests.get(f"{live_server.url}/healthz", timeout=5).json()["ok"]


NODELAY_PROBE = textwrap.dedent(
    """
    from gevent import monkey; monkey.patch_all()
    import json, socket
    from gevent import pywsgi
    from quiz.server.cli import _no_delay_server
    from quiz.server.net import make_listener

    accepted = []
    real_handle = pywsgi.WSGIServer.handle

    def spy(self, sock, address):
        # Runs after quiz's override has tuned the socket: read the option back.
        accepted.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return real_handle(self, sock, address)

    pywsgi.WSGIServer.handle = spy

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    listener = make_listener("127.0.0.1", 0)
    server = _no_delay_server()(listener, app, log=None)
    server.start()
    client = socket.create_connection(listener.getsockname()[:2])
    client.sendall(b"GET / HTTP/1.0\\r\\nHost: x\\r\\n\\r\\n")
    reply = client.recv(100)
    client.close()
    on_listener = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    server.stop()
    print(json.dumps({
        "listener": on_listener,
        "accepted": accepted,
        "reply": reply.decode(errors="replace")[:15],
    }))
    """
)


def test_tcp_nodelay_on_listener_and_accepted_sockets() -> None:
    # In a subprocess: gevent must patch the standard library before anything else imports.
    out = subprocess.run(
        [sys.executable, "-c", NODELAY_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["listener"] != 0
    assert result["accepted"] and all(v != 0 for v in result["accepted"])
    assert result["reply"].startswith("HTTP/1.")

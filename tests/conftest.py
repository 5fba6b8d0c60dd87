"""Shared test fixtures: free ports, a real ``quiz serve`` subprocess, Socket.IO peers.

Fixtures (usable from any test folder):

- ``free_port``: an unused TCP port on 127.0.0.1.
- ``live_server``: a ``quiz serve`` subprocess (gevent) on 127.0.0.1 with a temporary SQLite
  database and the bundled bank; a :class:`LiveServer` with ``url``, ``port``, ``token``,
  ``host_url`` (with the token), ``database_url``.
- ``live_server_factory``: ``start(async_mode="gevent", **kw) -> LiveServer`` for other modes.
- ``sio_peer``: ``connect(server, role, **auth) -> Peer``, a python-socketio client that
  records every message it receives (by event name) and sends commands with acks.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
QUIZ = Path(sys.executable).with_name("quiz")
# A loaded machine may need longer: QUIZ_TEST_START_TIMEOUT (seconds) raises it.
START_TIMEOUT_S = float(os.environ.get("QUIZ_TEST_START_TIMEOUT", "30"))
_ids = itertools.count(1)


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@dataclass
class LiveServer:
    url: str
    port: int
    token: str
    database_url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    @property
    def host_url(self) -> str:
        return f"{self.url}/host?token={self.token}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_server(
    workdir: Path,
    async_mode: str = "gevent",
    database_url: str | None = None,
    token: str | None = None,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    token_arg: bool = True,
    data_dir: Path | None = None,
    quiz: Path | None = None,
    cwd: Path = ROOT,
    healthy: bool = True,
) -> LiveServer:
    """``healthy=False`` is ready once ``/healthz`` answers at all (``ok: false`` too);
    ``token_arg=False`` leaves the token to the server (kept in the data folder) and reads
    it from the banner; ``data_dir`` defaults to ``workdir``; ``database_url=""`` leaves the
    database to the data folder too; ``quiz`` is another installation's console script."""
    port = port or find_free_port()
    token = token or uuid.uuid4().hex
    if database_url is None:
        database_url = f"sqlite:///{workdir / 'quiz.sqlite3'}"
    log_path = workdir / f"server-{port}.log"
    if quiz is None:
        command = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
    else:
        command = [str(quiz)]
    args = [
        *command,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--async",
        async_mode,
        *(["--database-url", database_url] if database_url else []),
        *(["--token", token] if token_arg else []),
        "--quiet-qr",
        *extra_args,
    ]
    # The host token file and anything else of the data folder stay in the test's folder.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "QUIZ_DATA_DIR": str(data_dir or workdir)}
    env.pop("DATABASE_URL", None)
    if quiz is not None:
        env.pop("PYTHONPATH", None)  # that installation only, not this checkout
    with log_path.open("wb") as log:
        proc = subprocess.Popen(args, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = LiveServer(f"http://127.0.0.1:{port}", port, token, database_url, proc, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"quiz serve exited with {proc.returncode}:\n{server.output()}")
        try:
            health = requests.get(f"{server.url}/healthz", timeout=1).json()
            if health.get("ok") or (not healthy and "ok" in health):
                if not token_arg:
                    server.token = banner_token(server.output())
                return server
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"quiz serve did not become ready:\n{server.output()}")


def banner_token(output: str) -> str:
    """The host token in the host console URL that ``quiz serve`` printed."""
    found = re.findall(r"/host\?token=(\S+)", output)
    if not found:
        raise AssertionError(f"no host URL in the server output:\n{output}")
    return str(found[-1])


def stop_server(server: LiveServer) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(**kwargs: Any) -> LiveServer:
        server = start_server(tmp_path, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)


@pytest.fixture
def live_server(live_server_factory: Callable[..., LiveServer]) -> LiveServer:
    return live_server_factory()


@dataclass
class Peer:
    """A Socket.IO client with a record of what it received."""

    client: Any
    role: str
    device: str
    received: dict[str, list[Any]] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def record(self, name: str, data: Any) -> None:
        with self.cond:
            self.received.setdefault(name, []).append(data)
            self.cond.notify_all()

    def all(self, name: str = "state") -> list[Any]:
        with self.cond:
            return list(self.received.get(name, []))

    def last(self, name: str = "state") -> Any:
        items = self.all(name)
        return items[-1] if items else None

    def wait_for(
        self, predicate: Callable[[Any], bool], name: str = "state", timeout: float = 10
    ) -> Any:
        """The first message (oldest first, including earlier ones) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.received.get(name, []):
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.role}: no {name} matched within {timeout}s; last: "
                        f"{str(self.received.get(name, [None])[-1])[:600]}"
                    )
                self.cond.wait(left)

    def wait_latest(
        self, predicate: Callable[[Any], bool], name: str = "state", timeout: float = 10
    ) -> Any:
        """Wait until the newest message matches ``predicate``."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                items = self.received.get(name, [])
                if items and predicate(items[-1]):
                    return items[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.role}: latest {name} did not match within {timeout}s: "
                        f"{str(items[-1] if items else None)[:600]}"
                    )
                self.cond.wait(left)

    def command(self, type: str, timeout: float = 10, **args: Any) -> dict[str, Any]:
        payload = {"id": f"c{next(_ids)}-{uuid.uuid4().hex[:8]}", "type": type, **args}
        ack: dict[str, Any] = self.client.call("command", payload, timeout=timeout)
        return ack

    def host_command(self, type: str, **args: Any) -> dict[str, Any]:
        """A host match command based on the newest state's seq."""
        return self.command(type, seq=self.last()["seq"], **args)

    def disconnect(self) -> None:
        self.client.disconnect()


def connect_peer(
    url: str,
    role: str,
    timeout: float = 10,
    client_options: dict[str, Any] | None = None,
    **auth: Any,
) -> Peer:
    """``client_options`` go to ``socketio.Client`` (e.g. reconnection settings)."""
    import socketio

    device = auth.pop("device", None) or f"dev-{uuid.uuid4().hex[:16]}"
    client = socketio.Client(**{"reconnection": False, **(client_options or {})})
    peer = Peer(client, role, device)
    for name in ("state", "console", "audience"):
        client.on(name, lambda data, _n=name: peer.record(_n, data))
    # Every other event too (audience_round, audience_you, notice...), under its own name.
    client.on("*", lambda event, data=None: peer.record(event, data))
    # Each connection and disconnection, as how many audience rounds had arrived by then: what
    # arrives after a reconnect is then told apart from what was already there.
    for name in ("connect", "disconnect"):
        client.on(
            name,
            lambda *_args, _n=name: peer.record(_n, len(peer.received.get("audience_round", []))),
        )
    client.connect(
        url,
        auth={"v": 1, "role": role, "device": device, **auth},
        transports=["websocket"],
        wait_timeout=timeout,
    )
    return peer


@pytest.fixture
def sio_peer() -> Iterator[Callable[..., Peer]]:
    peers: list[Peer] = []

    def connect(server: LiveServer | str, role: str, **auth: Any) -> Peer:
        url = server if isinstance(server, str) else server.url
        peer = connect_peer(url, role, **auth)
        peers.append(peer)
        return peer

    yield connect
    # In parallel: a client's clean WebSocket close can wait seconds for the closing handshake.
    closers = [threading.Thread(target=_quiet_disconnect, args=(p,)) for p in peers]
    for t in closers:
        t.start()
    for t in closers:
        t.join(timeout=10)


def _quiet_disconnect(peer: Peer) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to clean up
        peer.disconnect()

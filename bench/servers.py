"""Server processes under measurement: ``quiz serve``, the relay-only floor and ``redis-server``.

Each is a subprocess on 127.0.0.1 with a raised file-descriptor limit, started on a free port
and waited for (bounded); :class:`Usage` samples its memory and CPU through psutil.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from quiz.server.net import raise_open_files_limit

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


# The measured server and the driver's key clients run ahead of the audience swarm (and of
# anything else on the machine): in a real venue the phones are other devices, the laptop
# runs the server alone. Needs root; without it everything runs at the same priority.
PRIORITY = -5


def prioritise(niceness: int = PRIORITY) -> bool:
    """Set this process's nice value (absolute, so nesting never compounds); False if not
    allowed."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
    except OSError:
        return False
    return True


def _child_setup() -> None:
    raise_fd_limit()
    prioritise()


def raise_fd_limit() -> None:
    """Every phone is a socket: the generator and the servers need the hard limit."""
    raise_open_files_limit()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quiz_command() -> list[str]:
    script = Path(sys.executable).with_name("quiz")
    return [str(script)] if script.exists() else [sys.executable, "-m", "quiz"]


@dataclass
class Server:
    """A started server subprocess; ``stop()`` ends it (SIGINT, then SIGKILL after 10 s)."""

    name: str
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    token: str = ""
    workdir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def _spawn(
    name: str, args: list[str], port: int, workdir: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], Path]:
    log_path = workdir / f"{name}-{port}.log"
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=full_env,
            preexec_fn=_child_setup,
        )
    return proc, log_path


def _wait_http(server: Server, path: str = "/healthz") -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.proc.returncode}:\n{server.output()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(server.url + path, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{server.name} did not become ready:\n{server.output()[-3000:]}")


def start_quiz(
    async_mode: str,
    workdir: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    token: str | None = None,
) -> Server:
    """``quiz serve`` on 127.0.0.1 with its own (or the given) database."""
    port = free_port()
    token = token or secrets.token_urlsafe(16)
    database_url = database_url or f"sqlite:///{workdir / 'quiz.sqlite3'}"
    args = [
        *_quiz_command(),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--async",
        async_mode,
        "--database-url",
        database_url,
        "--token",
        token,
        "--quiet-qr",
    ]
    env = {"REDIS_URL": redis_url or "", "QUIZ_DATA_DIR": str(workdir)}
    proc, log_path = _spawn(f"quiz-{async_mode}", args, port, workdir, env)
    server = Server(
        f"quiz serve ({async_mode})",
        f"http://127.0.0.1:{port}",
        port,
        proc,
        log_path,
        token,
        workdir,
    )
    _wait_http(server)
    return server


def start_floor(async_mode: str, workdir: Path, state: dict[str, Any]) -> Server:
    """The relay-only python-socketio server of :mod:`bench.floor_server`, relaying ``state``
    (a real state message)."""
    port = free_port()
    state_file = workdir / "state.json"
    state_file.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    args = [
        sys.executable,
        "-m",
        "bench.floor_server",
        "--async",
        async_mode,
        "--port",
        str(port),
        "--state-file",
        str(state_file),
    ]
    proc, log_path = _spawn(f"floor-{async_mode}", args, port, workdir)
    server = Server(
        f"floor ({async_mode})", f"http://127.0.0.1:{port}", port, proc, log_path, "floor", workdir
    )
    _wait_http(server)
    return server


def start_redis(workdir: Path) -> Server:
    """A throw-away ``redis-server`` on 127.0.0.1 (no persistence)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    args = [
        binary,
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    proc, log_path = _spawn("redis", args, port, workdir)
    server = Server("redis-server", f"redis://127.0.0.1:{port}/0", port, proc, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{server.output()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("redis-server did not answer PING")


def workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"quiz-bench-{prefix}-"))


class Usage:
    """CPU and memory of one server process (its threads included)."""

    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self._mark: tuple[float, float] | None = None

    def rss(self) -> int:
        return int(self.proc.memory_info().rss)

    def start(self) -> None:
        times = self.proc.cpu_times()
        self._mark = (time.monotonic(), times.user + times.system)

    def cpu_percent(self) -> float:
        """Percent of one core used since :meth:`start` (100 = one core busy)."""
        assert self._mark is not None, "call start() first"
        times = self.proc.cpu_times()
        wall = time.monotonic() - self._mark[0]
        return 100.0 * (times.user + times.system - self._mark[1]) / max(wall, 1e-6)

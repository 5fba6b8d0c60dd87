"""The attacks of ``docs/security.md`` as small bounded tools for tests and ``bench/attack.py``.

Everything here speaks to a server on the loopback interface only (:func:`require_loopback`)
and every loop is bounded in count and in time: these are probes that show a limit holds, not
load generators.

- :func:`ws_open`: a raw WebSocket (the engine.io endpoint) with or without permessage-deflate,
  so that a test can send frames no well-behaved client library would build;
- :func:`ws_frame`, :func:`deflate_bomb`: a masked client frame, and a compressed payload that
  inflates to many times its size;
- :func:`push_until_closed`: send bytes until the server closes the connection;
- :class:`Probe`: ``/healthz`` latency and the server's resident memory, sampled in a thread
  while an attack runs.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import os
import socket
import statistics
import struct
import threading
import time
import urllib.request
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Every wait in this module ends after this long at most.
MAX_WAIT_S = 10.0


def require_loopback(url: str) -> tuple[str, int]:
    """The (host, port) of ``url``; refuses anything but a loopback address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"attacks run against a loopback server only, not {host}")
    return host, parts.port or 80


#: Another address of this machine (all of 127.0.0.0/8 is loopback on Linux): the attacker
#: "from another phone" whose per-address limits do not touch the tests' own 127.0.0.1.
OTHER_ADDRESS = "127.0.0.2"


def tcp_from(url: str, source: str | None = None, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to ``url``'s server, from ``source`` (a loopback address) if given."""
    host, port = require_loopback(url)
    if source is not None and not ipaddress.ip_address(source).is_loopback:
        raise ValueError(f"attacks come from a loopback address only, not {source}")
    bind = (source, 0) if source is not None else None
    return socket.create_connection((host, port), timeout=timeout, source_address=bind)


def ws_open(
    url: str, deflate: bool = False, timeout: float = 5.0, source: str | None = None
) -> tuple[socket.socket, bool]:
    """A WebSocket to the engine.io endpoint of ``url`` after the handshake and engine.io's
    open packet; returns the socket and whether the server accepted permessage-deflate."""
    host, port = require_loopback(url)
    sock = tcp_from(url, source, timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: http://{host}:{port}",
    ]
    if deflate:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk or len(head) > 16384:
            raise ConnectionError(f"no WebSocket handshake: {head[:200]!r}")
        head += chunk
    status, _, rest = head.partition(b"\r\n\r\n")
    if b" 101 " not in status.split(b"\r\n", 1)[0]:
        raise ConnectionError(f"handshake refused: {status[:200]!r}")
    accepted = b"permessage-deflate" in status.lower()
    _read_frame(sock, rest)  # engine.io's open packet ("0{...}")
    return sock, accepted


def sio_connects(
    sock: socket.socket, auths: list[dict[str, object]], deadline_s: float = MAX_WAIT_S
) -> list[str]:
    """Send one Socket.IO connect packet per ``auth`` on one WebSocket, each after the answer
    to the one before; the code of each answer ("ok" for an accepted connect)."""
    import json

    codes: list[str] = []
    end = time.monotonic() + deadline_s
    buffered = b""
    for auth in auths:
        if time.monotonic() > end:
            break
        sock.sendall(ws_frame(b"40" + json.dumps(auth).encode()))
        while True:
            opcode, payload, buffered = _next_frame(sock, buffered)
            if opcode == 9:  # ping: answer and read on
                sock.sendall(ws_frame(payload, opcode=10))
                continue
            if payload == b"2":  # engine.io ping
                sock.sendall(ws_frame(b"3"))
                continue
            if payload.startswith(b"40"):
                codes.append("ok")
                break
            if payload.startswith(b"44"):
                data = json.loads(payload[2:] or b"{}")
                detail = data.get("data") if isinstance(data, dict) else None
                if isinstance(detail, dict) and "code" in detail:
                    codes.append(str(detail["code"]))
                else:
                    codes.append(str(data.get("message") if isinstance(data, dict) else data))
                break
    return codes


def sio_commands(
    sock: socket.socket, commands: list[dict[str, object]], deadline_s: float = MAX_WAIT_S
) -> list[dict[str, object]]:
    """Send each command (a Socket.IO ``command`` event with an ack id) on a connected
    WebSocket and wait for its ack; the acks in order (fewer if the deadline passed)."""
    import json

    acks: list[dict[str, object]] = []
    end = time.monotonic() + deadline_s
    buffered = b""
    for n, command in enumerate(commands):
        sock.sendall(ws_frame(f"42{n}".encode() + json.dumps(["command", command]).encode()))
        want = f"43{n}[".encode()
        while time.monotonic() < end:
            _opcode, payload, buffered = _next_frame(sock, buffered)
            if payload == b"2":
                sock.sendall(ws_frame(b"3"))
            elif payload.startswith(want):
                acks.append(json.loads(payload[len(want) - 1 :])[0])
                break
    return acks


def _next_frame(sock: socket.socket, data: bytes) -> tuple[int, bytes, bytes]:
    """One unmasked server frame from ``data`` plus what the socket sends; (opcode, payload,
    the bytes after it)."""
    while len(data) < 2:
        data += _recv(sock)
    opcode, length, start = data[0] & 0x0F, data[1] & 0x7F, 2
    if length >= 126:
        start = 4 if length == 126 else 10
        while len(data) < start:
            data += _recv(sock)
        length = int.from_bytes(data[2:start], "big")
    while len(data) < start + length:
        data += _recv(sock)
    return opcode, data[start : start + length], data[start + length :]


def _read_frame(sock: socket.socket, buffered: bytes = b"") -> tuple[int, bytes]:
    data = buffered
    while len(data) < 2:
        data += _recv(sock)
    opcode, length = data[0] & 0x0F, data[1] & 0x7F
    start = 2
    if length == 126:
        while len(data) < 4:
            data += _recv(sock)
        (length,), start = struct.unpack("!H", data[2:4]), 4
    elif length == 127:
        while len(data) < 10:
            data += _recv(sock)
        (length,), start = struct.unpack("!Q", data[2:10]), 10
    while len(data) < start + length:
        data += _recv(sock)
    return opcode, data[start : start + length]


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("closed")
    return chunk


def ws_frame(payload: bytes, opcode: int = 1, fin: bool = True, rsv1: bool = False) -> bytes:
    """One masked client frame (RFC 6455 §5.2)."""
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    mask = os.urandom(4)
    # Masking by whole 4-byte words: a Python loop over megabytes would take seconds.
    words = (len(payload) + 3) // 4
    key = int.from_bytes(mask * words, "big")
    masked = (int.from_bytes(payload.ljust(words * 4, b"\0"), "big") ^ key).to_bytes(
        words * 4, "big"
    )
    return head + mask + masked[:n]


def deflate_bomb(inflated_bytes: int, fill: bytes = b"4" * 1024 * 1024) -> bytes:
    """A permessage-deflate payload (RFC 7692 §7.2.1) that inflates to ``inflated_bytes`` of
    repeated text, about a thousandth of that size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = []
    left = inflated_bytes
    while left > 0:
        piece = fill[: min(left, len(fill))]
        out.append(compressor.compress(piece))
        left -= len(piece)
    out.append(compressor.flush(zlib.Z_SYNC_FLUSH))
    return b"".join(out)[:-4]


def push_until_closed(sock: socket.socket, data: bytes, timeout: float = MAX_WAIT_S) -> float:
    """Send ``data`` in pieces, then read until the server closes; returns the seconds from
    the first byte to the close (``timeout`` if the server never closed)."""
    sock.settimeout(timeout)
    start = time.monotonic()
    deadline = start + timeout
    try:
        for at in range(0, len(data), 65536):
            if time.monotonic() > deadline:
                return timeout
            sock.sendall(data[at : at + 65536])
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            if chunk[0] & 0x0F == 0x8:  # a close frame: the server is closing
                break
        else:
            return timeout
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server closed while the attack was still being sent
    except TimeoutError:
        return timeout
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    return time.monotonic() - start


def memory_kb(pid: int) -> dict[str, int]:
    """The process's resident memory now (``VmRSS``) and at its peak (``VmHWM``), in KiB."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0])
    return out


@dataclass
class Probe:
    """``/healthz`` round trips every ``interval_s`` and the server's memory, in a thread,
    between ``start()`` and ``stop()`` (at most ``MAX_WAIT_S * 6`` seconds)."""

    url: str
    pid: int
    interval_s: float = 0.02
    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    rss_before_kb: int = 0
    peak_before_kb: int = 0
    rss_max_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Probe:
        require_loopback(self.url)
        mem = memory_kb(self.pid)
        self.rss_before_kb, self.peak_before_kb = mem["VmRSS"], mem["VmHWM"]
        self.rss_max_kb = self.rss_before_kb
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        deadline = time.monotonic() + MAX_WAIT_S * 6
        while not self._stop.is_set() and time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    response.read()
                self.latencies_ms.append((time.perf_counter() - t0) * 1000)
            except OSError:
                self.failures += 1
            with contextlib.suppress(OSError):
                self.rss_max_kb = max(self.rss_max_kb, memory_kb(self.pid)["VmRSS"])
            self._stop.wait(self.interval_s)

    def stop(self) -> Probe:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(MAX_WAIT_S)
        return self

    @property
    def peak_growth_kb(self) -> int:
        """How far the server's memory rose above where it stood (or had ever stood) before:
        the larger of the sampled growth and the growth of the kernel's high-water mark."""
        hwm = memory_kb(self.pid)["VmHWM"]
        return max(self.rss_max_kb - self.rss_before_kb, hwm - self.peak_before_kb)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("inf")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("inf")


__all__ = [
    "MAX_WAIT_S",
    "OTHER_ADDRESS",
    "Probe",
    "deflate_bomb",
    "memory_kb",
    "push_until_closed",
    "require_loopback",
    "sio_commands",
    "sio_connects",
    "tcp_from",
    "ws_frame",
    "ws_open",
]

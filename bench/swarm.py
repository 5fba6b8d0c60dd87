"""The load generator: audience phones as python-socketio ``AsyncClient`` swarms spread over
several worker processes, so that one Python process decoding messages is not what is measured.

The parent drives the workers over pipes. Every phone records when it first received each
``state`` ``seq`` with ``time.monotonic_ns()`` (CLOCK_MONOTONIC, one clock for every process on
the machine), so receive times from all workers compare directly with the send time taken by
the driver. Every operation is bounded in count and in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import secrets
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from bench.servers import prioritise, raise_fd_limit

CONNECT_CONCURRENCY = 40  # per worker: enough to saturate the server, few enough for its backlog
CONNECT_WAIT_S = 30  # engine.io handshake + Socket.IO namespace, per phone
# Browsers always offer permessage-deflate and the server accepts it, so the phones here do
# too (aiohttp's window bits); BENCH_DEFLATE=0 measures uncompressed sockets instead.
DEFLATE = 15 if os.environ.get("BENCH_DEFLATE", "1") != "0" else 0


@dataclass
class JoinReport:
    """Outcome of connecting a batch of phones; times are monotonic ns."""

    wanted: int
    began: list[int]  # every attempt
    joined: list[tuple[int, int]]  # (began, first ``state`` received) of the phones that joined
    errors: list[str]

    @property
    def ok(self) -> int:
        return len(self.joined)


class Swarm:
    """``workers`` processes of audience phones; methods are coroutines for the driver's loop."""

    def __init__(self, workers: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs: list[Any] = []
        for index in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, args=(child, index), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
        self.connected = 0

    async def _all(self, messages: list[tuple[str, dict[str, Any]]], timeout: float) -> list[Any]:
        def call(conn: Connection, message: tuple[str, dict[str, Any]]) -> Any:
            conn.send(message)
            if not conn.poll(timeout):
                raise TimeoutError(f"swarm worker did not answer {message[0]} in {timeout:.0f}s")
            return conn.recv()

        return list(
            await asyncio.gather(
                *(asyncio.to_thread(call, c, m) for c, m in zip(self._conns, messages, strict=True))
            )
        )

    async def connect(
        self, url: str, count: int, *, spread_s: float = 0.0, timeout_s: float = 120.0
    ) -> JoinReport:
        """Connect ``count`` more audience phones, staggered evenly over ``spread_s`` seconds
        (0: as fast as the server accepts them); returns when all joined or ``timeout_s``."""
        n = len(self._conns)
        start_ns = time.monotonic_ns() + 200_000_000  # every worker begins at the same instant
        messages = [
            (
                "connect",
                {
                    "url": url,
                    "slots": list(range(w, count, n)),
                    "total": count,
                    "start_ns": start_ns,
                    "spread_s": spread_s,
                    "timeout_s": timeout_s,
                },
            )
            for w in range(n)
        ]
        replies = await self._all(messages, timeout_s + 30)
        report = JoinReport(count, [], [], [])
        for reply in replies:
            report.began += reply["began"]
            report.joined += [tuple(pair) for pair in reply["joined"]]
            report.errors += reply["errors"]
        self.connected += report.ok
        return report

    async def wait_seq(self, seq: int, timeout_s: float = 10.0) -> list[int | None]:
        """Receive time (monotonic ns) of ``state`` ``seq`` at every connected phone; None for
        the phones that had not received it within ``timeout_s``."""
        replies = await self._all(
            [("wait", {"seq": seq, "timeout_s": timeout_s})] * len(self._conns), timeout_s + 30
        )
        return [t for reply in replies for t in reply]

    async def disconnect(self, timeout_s: float = 60.0) -> None:
        await self._all(
            [("disconnect", {"timeout_s": timeout_s})] * len(self._conns), timeout_s + 30
        )
        self.connected = 0

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, EOFError):  # killed below if stuck
            await self._all([("stop", {})] * len(self._conns), 60)
        for proc in self._procs:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)


# --- worker process ------------------------------------------------------------------------------


class _Phone:
    """One audience phone; its ``state`` handler does as little as possible."""

    __slots__ = ("client", "device", "first", "first_ns", "seen", "worker")

    def __init__(self, worker: _Worker, device: str) -> None:
        import socketio

        self.worker = worker
        self.device = device
        self.first_ns: int | None = None
        self.first = asyncio.Event()
        self.seen: dict[int, int] = {}
        self.client = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, websocket_extra_options={"compress": DEFLATE}
        )
        self.client.on("state", self._on_state)

    def _on_state(self, data: Any) -> None:
        now = time.monotonic_ns()
        seq = data.get("seq", 0) if isinstance(data, dict) else 0
        if seq not in self.seen:
            self.seen[seq] = now
            self.worker.arrived(seq)
        if self.first_ns is None:
            self.first_ns = now
            self.first.set()


class _Worker:
    def __init__(self, index: int) -> None:
        self.index = index
        self.phones: list[_Phone] = []
        self.counts: dict[int, int] = {}
        self.target: int | None = None
        self.target_event = asyncio.Event()

    def arrived(self, seq: int) -> None:
        count = self.counts.get(seq, 0) + 1
        self.counts[seq] = count
        if seq == self.target and count >= len(self.phones):
            self.target_event.set()

    async def connect(
        self,
        url: str,
        slots: list[int],
        total: int,
        start_ns: int,
        spread_s: float,
        timeout_s: float,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY if spread_s == 0 else len(slots) or 1)
        began: list[int] = []
        joined: list[tuple[int, int]] = []
        errors: list[str] = []

        async def one(slot: int) -> None:
            at = start_ns + int(spread_s * 1e9 * slot / max(total, 1))
            delay = (at - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            async with limit:
                phone = _Phone(self, f"bench{self.index}x{slot}x{secrets.token_hex(4)}")
                t_begin = time.monotonic_ns()
                began.append(t_begin)
                left = deadline - time.monotonic()
                try:
                    await asyncio.wait_for(
                        phone.client.connect(
                            url,
                            auth={
                                "v": 1,
                                "role": "player",
                                "device": phone.device,
                                "lang": "zh-CN",
                            },
                            transports=["websocket"],
                            wait_timeout=CONNECT_WAIT_S,
                        ),
                        timeout=max(left, 0.1),
                    )
                    left = deadline - time.monotonic()
                    await asyncio.wait_for(phone.first.wait(), timeout=max(left, 0.1))
                except Exception as exc:  # every failure is counted, whatever its kind
                    errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                    await _quiet_disconnect(phone)
                    return
                if phone.first_ns is None:
                    errors.append("connected but no state within the time limit")
                    await _quiet_disconnect(phone)
                    return
                joined.append((t_begin, phone.first_ns))
                self.phones.append(phone)

        await asyncio.gather(*(one(slot) for slot in slots))
        return {"began": began, "joined": joined, "errors": errors}

    async def wait(self, seq: int, timeout_s: float) -> list[int | None]:
        self.target = seq
        self.target_event.clear()
        if self.counts.get(seq, 0) < len(self.phones):
            with contextlib.suppress(TimeoutError):  # the late phones are reported as None
                await asyncio.wait_for(self.target_event.wait(), timeout_s)
        self.target = None
        times = [p.seen.get(seq) for p in self.phones]
        # Older sequence numbers are never asked for again: keep memory flat over long runs.
        for phone in self.phones:
            for old in [s for s in phone.seen if s < seq]:
                del phone.seen[old]
        for old in [s for s in self.counts if s < seq]:
            del self.counts[old]
        return times

    async def disconnect(self, timeout_s: float) -> int:
        phones, self.phones = self.phones, []
        limit = asyncio.Semaphore(CONNECT_CONCURRENCY * 4)

        async def one(phone: _Phone) -> None:
            async with limit:
                await _quiet_disconnect(phone)

        with contextlib.suppress(TimeoutError):  # the worker exits anyway; sockets close with it
            await asyncio.wait_for(asyncio.gather(*(one(p) for p in phones)), timeout_s)
        self.counts.clear()
        return len(phones)


async def _quiet_disconnect(phone: _Phone) -> None:
    with contextlib.suppress(Exception):  # a phone that is already gone has nothing to close
        await asyncio.wait_for(phone.client.disconnect(), 5)


def _worker(conn: Connection, index: int) -> None:
    raise_fd_limit()
    # Back to normal priority: the driver that spawned us runs raised (bench.servers.PRIORITY).
    prioritise(0)
    asyncio.run(_serve(conn, index))


async def _serve(conn: Connection, index: int) -> None:
    worker = _Worker(index)
    while True:
        op, args = await asyncio.to_thread(conn.recv)
        if op == "connect":
            conn.send(await worker.connect(**args))
        elif op == "wait":
            conn.send(await worker.wait(**args))
        elif op == "disconnect":
            conn.send(await worker.disconnect(**args))
        elif op == "stop":
            await worker.disconnect(30)
            conn.send(None)
            return
        else:
            conn.send({"error": f"unknown op {op}"})

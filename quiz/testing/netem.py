"""A latency-injecting TCP proxy: the emulated network between a phone and the server.

Each direction of each connection has its own one-way delay and jitter. A chunk read from one
side is released to the other after ``delay ± jitter`` ms (uniform, floored at 0), but never
before the chunk read ahead of it: jitter varies the delay, it cannot reorder bytes inside a
TCP stream (a real network cannot either; TCP would put them back in order). Everything is
bounded: chunks of at most 64 KiB, at most :data:`MAX_QUEUED` chunks in flight per direction
(the reader then waits, as a full window would), and :meth:`NetemProxy.stop` closes every
connection.

Use it from asyncio (``await proxy.start()``) or, from synchronous code such as pytest or a
Playwright test, through :class:`ProxyThread`, which runs proxies on a loop of its own.
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

MAX_CHUNK = 64 * 1024
MAX_QUEUED = 256
LOOPBACK = "127.0.0.1"
T = TypeVar("T")


@dataclass
class Link:
    """One direction: ``delay_ms`` one way, each chunk ± up to ``jitter_ms``."""

    delay_ms: float
    jitter_ms: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.delay_ms <= 10_000 or not 0 <= self.jitter_ms <= 10_000:
            raise ValueError("delay and jitter must be between 0 and 10000 ms")


@dataclass
class LinkStats:
    chunks: int = 0
    bytes: int = 0
    delays_ms: list[float] = field(default_factory=list)  # scheduled, last 10 000 chunks
    # (loop time, ms) of chunks written later than scheduled by more than 1 ms: the proxy's
    # own loop was late (a starved test harness, not the network it emulates). Last 10 000.
    late: list[tuple[float, float]] = field(default_factory=list)


class NetemProxy:
    """Forward ``127.0.0.1:<port>`` to ``target`` with ``up`` (to the target) and ``down``."""

    def __init__(
        self,
        target_port: int,
        up: Link,
        down: Link,
        *,
        target_host: str = LOOPBACK,
        seed: int | None = None,
    ) -> None:
        self.target = (target_host, target_port)
        self.up = up
        self.down = down
        self.rng = random.Random(seed)
        self.stats = {"up": LinkStats(), "down": LinkStats()}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def start(self) -> NetemProxy:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, 0)
        return self

    async def stop(self) -> None:
        """Close the listener and every connection at once (bounded: never waits on a peer)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            # Newer Pythons wait here for every accepted connection to end: they have been
            # aborted above, but a peer that never reads must not hold the proxy open.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    def late_since(self, since: float) -> float:
        """The most (ms) a chunk of either direction was written late since loop time
        ``since``: how much of a race's delay was the proxy's own, not the emulated link's."""
        return max(
            (ms for stats in self.stats.values() for at, ms in stats.late if at >= since),
            default=0.0,
        )

    def _delay(self, link: Link) -> float:
        if link.jitter_ms == 0:
            return link.delay_ms
        return max(0.0, link.delay_ms + self.rng.uniform(-link.jitter_ms, link.jitter_ms))

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._writers.add(client_w)
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            self._writers.discard(client_w)
            return
        for writer in (client_w, server_w):
            # As the server and browsers do: no Nagle delay on top of the emulated one.
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._writers.update((client_w, server_w))
        pipes = [
            self._spawn(self._pipe(client_r, server_w, "up")),
            self._spawn(self._pipe(server_r, client_w, "down")),
        ]
        await asyncio.gather(*pipes, return_exceptions=True)
        for writer in (client_w, server_w):
            writer.close()
            self._writers.discard(writer)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(MAX_QUEUED)
        stats = self.stats[direction]

        async def deliver() -> None:
            while True:
                release, data = await queue.get()
                wait = release - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                late_ms = (loop.time() - release) * 1000
                if late_ms > 1:
                    stats.late.append((loop.time(), late_ms))
                    if len(stats.late) > 10_000:
                        del stats.late[:5_000]
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        sender = self._spawn(deliver())
        last = 0.0
        try:
            while True:
                data = await reader.read(MAX_CHUNK)
                link = self.up if direction == "up" else self.down
                delay = self._delay(link)
                # Monotonic release: a chunk never overtakes the one read before it.
                last = max(last, loop.time() + delay / 1000)
                await queue.put((last, data))
                if not data:
                    break
                stats.chunks += 1
                stats.bytes += len(data)
                stats.delays_ms.append(delay)
                if len(stats.delays_ms) > 10_000:
                    del stats.delays_ms[:5_000]
            await sender
        except (ConnectionError, asyncio.IncompleteReadError):
            sender.cancel()


class ProxyThread:
    """An event loop in a daemon thread for proxies used from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._proxies: list[NetemProxy] = []

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 10) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def proxy(self, target_port: int, up: Link, down: Link, seed: int | None = None) -> NetemProxy:
        proxy = NetemProxy(target_port, up, down, seed=seed)
        self.run(proxy.start())
        self._proxies.append(proxy)
        return proxy

    def close(self) -> None:
        for proxy in self._proxies:
            self.run(proxy.stop())
        self._proxies.clear()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

"""The latency-injecting proxy: per-direction delays, jitter without reordering, clean stop."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time

import pytest

from quiz.testing.netem import Link, NetemProxy, ProxyThread
from tests.asyncrun import run_async


class Echo:
    """A TCP echo server that notes when (loop time) each chunk arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        while data := await r.read(65536):
            self.arrivals.append(loop.time())
            w.write(data)
            await w.drain()
        w.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def _ping(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> float:
    loop = asyncio.get_running_loop()
    start = loop.time()
    w.write(b"x")
    await w.drain()
    await asyncio.wait_for(r.readexactly(1), 5)
    return (loop.time() - start) * 1000


def test_each_direction_gets_its_own_delay() -> None:
    async def main() -> tuple[float, list[float]]:
        echo = Echo()
        port = await echo.start()
        proxy = await NetemProxy(port, Link(80), Link(20)).start()
        r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
        loop = asyncio.get_running_loop()
        ups = []
        rtts = []
        for _ in range(5):
            sent = loop.time()
            rtts.append(await _ping(r, w))
            ups.append((echo.arrivals[-1] - sent) * 1000)
        w.close()
        await proxy.stop()
        await echo.stop()
        return min(rtts), ups

    rtt, ups = run_async(asyncio.wait_for(main(), 20))
    assert 99 <= rtt < 125
    # Never shorter than the configured 80 ms; the upper bound is on the median because a
    # loaded machine can delay any single wake-up of the event loop.
    assert all(up >= 79 for up in ups), ups
    assert statistics.median(ups) < 100, ups


def test_jitter_varies_delays_but_never_reorders_bytes() -> None:
    async def main() -> tuple[bytes, bytes, list[float]]:
        echo = Echo()
        port = await echo.start()
        proxy = await NetemProxy(port, Link(30, 25), Link(30, 25), seed=5).start()
        r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
        sent = b"".join(b"%05d;" % i for i in range(2000))
        for i in range(0, len(sent), 60):  # many small writes: many chunks, many delays
            w.write(sent[i : i + 60])
            await w.drain()
            await asyncio.sleep(0.0005)
        got = await asyncio.wait_for(r.readexactly(len(sent)), 15)
        w.close()
        await proxy.stop()
        await echo.stop()
        return sent, got, proxy.stats["up"].delays_ms

    sent, got, delays = run_async(asyncio.wait_for(main(), 30))
    assert got == sent
    assert len(delays) > 20
    assert min(delays) < 15 and max(delays) > 45
    assert all(5 <= d <= 55 for d in delays)


def test_stop_closes_connections_and_the_port() -> None:
    async def main() -> tuple[bytes, int]:
        echo = Echo()
        port = await echo.start()
        proxy = await NetemProxy(port, Link(1), Link(1)).start()
        proxy_port = proxy.port
        r, w = await asyncio.open_connection("127.0.0.1", proxy_port)
        await _ping(r, w)
        await proxy.stop()
        rest = await asyncio.wait_for(r.read(), 5)
        await echo.stop()
        return rest, proxy_port

    rest, port = run_async(asyncio.wait_for(main(), 20))
    assert rest == b""
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_an_unreachable_target_closes_the_client() -> None:
    async def main() -> bytes:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            dead = s.getsockname()[1]
        proxy = await NetemProxy(dead, Link(1), Link(1)).start()
        r, w = await asyncio.open_connection("127.0.0.1", proxy.port)
        rest = await asyncio.wait_for(r.read(), 5)
        w.close()
        await proxy.stop()
        return rest

    assert run_async(asyncio.wait_for(main(), 20)) == b""


def test_links_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        Link(-1)
    with pytest.raises(ValueError):
        Link(5, 20_000)


def test_the_proxy_thread_serves_synchronous_code() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        runner = ProxyThread()
        try:
            proxy = runner.proxy(listener.getsockname()[1], Link(40), Link(10))
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client:
                server, _ = listener.accept()
                with server:
                    server.settimeout(5)
                    start = time.perf_counter()
                    client.sendall(b"ping")
                    assert server.recv(4) == b"ping"
                    up = (time.perf_counter() - start) * 1000
                    server.sendall(b"pong")
                    client.settimeout(5)
                    assert client.recv(4) == b"pong"
                    total = (time.perf_counter() - start) * 1000
        finally:
            runner.close()
    assert 39 <= up < 70
    assert 49 <= total < 90

"""The benchmark driver's own clients and the measured scenarios, shared by every live benchmark.

The driver holds the four key clients (host, LED display, red and blue phones) in its asyncio
loop; the audience phones are a :class:`bench.swarm.Swarm` in other processes. Scenarios work
unchanged against ``quiz serve`` and against the floor server, which speaks the same subset of
the protocol; only :func:`setup_quiz` / :func:`setup_floor` differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import socketio

from bench.common import percentile
from bench.swarm import DEFLATE, Swarm

KEY_TIMEOUT_S = 20.0
# The server rate-limits each client to 10 commands a second (burst 20); the driver stays
# under that rather than measuring refusals.
COMMAND_GAP_S = 0.11
_ids = itertools.count(1)


class StaleError(RuntimeError):
    """A host command based on an older seq than the match's."""


class Key:
    """One key client: records the receive time of every ``state`` seq and the newest state."""

    def __init__(self, role: str) -> None:
        self.role = role
        self.client = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, websocket_extra_options={"compress": DEFLATE}
        )
        self.seen: dict[int, int] = {}
        self.last: dict[str, Any] | None = None
        self.consoles: list[dict[str, Any]] = []
        self.seq = 0
        self._last_command = 0.0
        self.sent_ns = 0  # when the newest command left (after any pacing)
        self.client.on("state", self._on_state)
        self.client.on("console", self.consoles.append)

    def _on_state(self, data: dict[str, Any]) -> None:
        now = time.monotonic_ns()
        seq = int(data.get("seq", 0))
        self.seen.setdefault(seq, now)
        self.last = data
        self.seq = max(self.seq, seq)

    async def connect(self, url: str, **auth: Any) -> Key:
        device = f"key-{self.role}-{secrets.token_hex(6)}"
        await self.client.connect(
            url,
            auth={
                "v": 1,
                "role": "player" if self.role in ("red", "blue") else self.role,
                "device": device,
                "lang": "zh-CN",
                **auth,
            },
            transports=["websocket"],
            wait_timeout=KEY_TIMEOUT_S,
        )
        return self

    async def command(self, type: str, **args: Any) -> dict[str, Any]:
        wait = self._last_command + COMMAND_GAP_S - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_command = time.monotonic()
        payload = {"id": f"b{next(_ids)}", "type": type, **args}
        self.sent_ns = time.monotonic_ns()
        try:
            ack: dict[str, Any] = await self.client.call("command", payload, timeout=KEY_TIMEOUT_S)
        except socketio.exceptions.TimeoutError:
            raise TimeoutError(f"{self.role} {type}: no ack within {KEY_TIMEOUT_S:.0f} s") from None
        if not ack.get("ok"):
            if (ack.get("error") or {}).get("code") == "stale":
                raise StaleError(str(ack))
            raise RuntimeError(f"{self.role} {type} refused: {ack}")
        self.seq = max(self.seq, int(ack.get("seq", 0)))
        return ack

    async def host(self, type: str, **args: Any) -> int:
        """A host match command on the newest seq; returns the seq it produced. A ``stale``
        refusal (a change this host had not received yet) waits for that change and retries,
        as the host console does."""
        for _ in range(3):
            based_on = self.seq
            try:
                ack = await self.command(type, seq=based_on, **args)
            except StaleError:
                await self.wait_for(lambda s, seen=based_on: int(s.get("seq", 0)) > seen)
                continue
            return int(ack["seq"])
        raise RuntimeError(f"host {type}: still stale after 3 tries")

    async def time_of(self, seq: int, timeout: float = KEY_TIMEOUT_S) -> int:
        deadline = time.monotonic() + timeout
        while seq not in self.seen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.role} never received state {seq}")
            await asyncio.sleep(0.001)
        return self.seen[seq]

    async def wait_for(self, predicate: Any, timeout: float = KEY_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while self.last is None or not predicate(self.last):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.role}: state never matched; last {str(self.last)[:300]}")
            await asyncio.sleep(0.005)
        return self.last

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # already gone
            await asyncio.wait_for(self.client.disconnect(), 5)


@dataclass
class Keys:
    host: Key
    display: Key
    red: Key
    blue: Key
    extra: list[Key] = field(default_factory=list)

    def all(self) -> list[Key]:
        return [self.host, self.display, self.red, self.blue, *self.extra]

    async def close(self) -> None:
        await asyncio.gather(*(k.close() for k in self.all()))

    async def settle(self, seq: int) -> None:
        await asyncio.gather(*(k.time_of(seq) for k in self.all()))


async def setup_quiz(url: str, token: str, red_url: str | None = None) -> Keys:
    """Host, display and the blue phone on ``url``, the red phone on ``red_url`` (default
    ``url``); a best-of-five match with both phones bound and started, buzzing closed."""
    host = await Key("host").connect(url, token=token)
    display = await Key("display").connect(url)
    red_id = (await host.command("add_contestant", name="红方"))["contestant_id"]
    blue_id = (await host.command("add_contestant", name="蓝方"))["contestant_id"]
    # No commit window: fair buzzing would hold every decision for its window (up to
    # quiz.fair.DEFAULT_CAP_MS) by design; what is measured here is the server's own delay.
    created = await host.command(
        "create_match", red=red_id, blue=blue_id, seed="bench", rules={"commit_window_ms": 0}
    )
    match_id = created["match_id"]
    deadline = time.monotonic() + KEY_TIMEOUT_S
    codes: dict[str, str] = {}
    while len(codes) < 2:
        for console in host.consoles:
            codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}
        if time.monotonic() > deadline:
            raise TimeoutError("the host console never listed the seats")
        await asyncio.sleep(0.01)
    red = await Key("red").connect(red_url or url, seat=codes["red"])
    blue = await Key("blue").connect(url, seat=codes["blue"])
    await host.command("start_match", match_id=match_id)
    keys = Keys(host, display, red, blue)
    for key in keys.all():
        await key.wait_for(lambda s: (s.get("match") or {}).get("id") == match_id)
    await host.wait_for(lambda s: len(s["match"]["engine"].get("devices") or {}) == 2)
    await keys.settle(await host.host("show_question"))
    return keys


async def setup_floor(url: str) -> Keys:
    host = await Key("host").connect(url, token="floor")
    display = await Key("display").connect(url)
    red = await Key("red").connect(url, seat="RED00")
    blue = await Key("blue").connect(url, seat="BLUE0")
    return Keys(host, display, red, blue)


def ms(ns: int) -> float:
    return ns / 1e6


async def buzz_rounds(keys: Keys, swarm: Swarm, rounds: int) -> dict[str, list[float]]:
    """``rounds`` buzzes, alternately red and blue, each on a settled server: open buzzing,
    buzz, undo. Latency is buzz emit → the display / the opponent has the resulting state."""
    out: dict[str, list[float]] = {"display": [], "opponent": [], "ack": []}
    for i in range(rounds):
        opened = await keys.host.host("open_buzzing")
        await keys.settle(opened)
        if swarm.connected:
            await swarm.wait_seq(opened)
        buzzer, opponent = (keys.red, keys.blue) if i % 2 == 0 else (keys.blue, keys.red)
        ack = await buzzer.command("buzz", press_at=None)
        t_ack = time.monotonic_ns()
        t0 = buzzer.sent_ns
        seq = int(ack["seq"])
        out["display"].append(ms(await keys.display.time_of(seq) - t0))
        out["opponent"].append(ms(await opponent.time_of(seq) - t0))
        out["ack"].append(ms(t_ack - t0))
        undone = await keys.host.host("undo")
        await keys.settle(undone)
        if swarm.connected:
            await swarm.wait_seq(undone)
    return out


@dataclass
class FanOut:
    """Per broadcast: ms from the host's emit until 50 %, 95 % and 100 % of phones had it."""

    phones: int
    p50: list[float] = field(default_factory=list)
    p95: list[float] = field(default_factory=list)
    p100: list[float] = field(default_factory=list)
    missing: int = 0


async def fanout_rounds(keys: Keys, swarm: Swarm, rounds: int) -> FanOut:
    """``rounds`` new questions broadcast to every phone (a void in between, not measured)."""
    result = FanOut(swarm.connected)
    for _ in range(rounds):
        voided = await keys.host.host("void")
        await keys.settle(voided)
        await swarm.wait_seq(voided)
        shown = await keys.host.host("show_question")
        t0 = keys.host.sent_ns
        times = await swarm.wait_seq(shown)
        got = sorted(ms(t - t0) for t in times if t is not None)
        result.missing += len(times) - len(got)
        if not got:
            continue
        n = len(times)
        result.p50.append(got[min(len(got) - 1, max(0, -(-n * 50 // 100) - 1))])
        result.p95.append(got[min(len(got) - 1, max(0, -(-n * 95 // 100) - 1))])
        result.p100.append(got[-1] if len(got) == n else float("inf"))
    return result


def join_figures(report: Any) -> dict[str, float]:
    """Success rate, time from the first attempt to the last phone joined, join latency."""
    if not report.joined:
        return {"ok": 0.0, "rate": 0.0, "all_s": float("inf"), "p50": 0.0, "p95": 0.0, "p99": 0.0}
    latencies = [ms(done - began) for began, done in report.joined]
    span = (max(d for _, d in report.joined) - min(report.began)) / 1e9
    return {
        "ok": float(report.ok),
        "rate": 100.0 * report.ok / report.wanted,
        "all_s": span if report.ok == report.wanted else float("inf"),
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }

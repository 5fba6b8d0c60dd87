"""An emulated contestant phone: the live protocol over python-socketio, with its own clock.

It does what ``static/js/fair.js`` and ``play.js`` do on a real phone, in the same order:

- a burst of :data:`~quiz.fair.clock.BURST_SIZE` back-to-back ``sync`` exchanges on connect,
  then one every :data:`~quiz.fair.clock.SYNC_INTERVAL_MS`; each ``sync`` carries the previous
  exchange's ``t0``/``t3`` (so the server can complete its own sample) and the last round trip;
- its own :class:`~quiz.fair.ClockSync` on its own clock (``performance.now()`` on a phone);
- a press timestamped at the press instant on its clock (``event.timeStamp`` of
  ``pointerdown``), converted to server time with its estimate, sent as ``buzz``.

The phone's clock is the host's wall clock (the server's clock on the same machine, which is
what makes "truly first" measurable) moved by a random offset and drift. Presses are scripted
in true time: :meth:`EmulatedPhone.press_at` waits for the instant, then stamps and sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import socketio  # type: ignore[import-untyped]

from quiz.fair import BURST_SIZE, SYNC_INTERVAL_MS, ClockSync

TIMEOUT_S = 10.0
_ids = itertools.count(1)


def true_ms() -> float:
    """The server's clock (epoch ms) as this machine sees it: the reference for fairness."""
    return time.time_ns() / 1e6


@dataclass
class DeviceClock:
    """A phone's monotonic clock: starts near 0 like ``performance.now()``, runs at
    ``1 + drift_ppm`` of true speed."""

    origin_true_ms: float
    start_ms: float = 0.0
    drift_ppm: float = 0.0

    @classmethod
    def random(cls, rng: random.Random) -> DeviceClock:
        return cls(true_ms() - rng.uniform(1_000, 600_000), 0.0, rng.uniform(-50, 50))

    def at(self, true: float) -> float:
        return self.start_ms + (true - self.origin_true_ms) * (1 + self.drift_ppm * 1e-6)

    def now(self) -> float:
        return self.at(true_ms())

    def true_at(self, device: float) -> float:
        """The true instant this clock reads ``device``: the inverse of :meth:`at`."""
        return self.origin_true_ms + (device - self.start_ms) / (1 + self.drift_ppm * 1e-6)

    def true_offset(self, true: float) -> float:
        """server - device at ``true``: what a perfect sync would estimate."""
        return true - self.at(true)


@dataclass
class Press:
    """One scripted press and what became of it."""

    true_ms: float  # when the button went down (server clock, exact)
    device_ms: float  # the same instant on the phone's clock
    press_at: int | None  # the phone's conversion to server time (None: not synced)
    client_offset_error_ms: float | None  # the phone's own estimate minus the truth
    sent_true_ms: float = 0.0
    ack: dict[str, Any] = field(default_factory=dict)


class EmulatedPhone:
    def __init__(
        self,
        url: str,
        seat: str,
        *,
        clock: DeviceClock,
        device: str | None = None,
        send_device_time: bool = True,
        sync_interval_ms: float = SYNC_INTERVAL_MS,
    ) -> None:
        self.url = url
        self.seat = seat
        self.clock = clock
        self.device = device or f"phone-{random.getrandbits(48):012x}"
        self.send_device_time = send_device_time
        self.sync_interval_ms = sync_interval_ms
        self.sync = ClockSync()
        self.client = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self.states: deque[dict[str, Any]] = deque(maxlen=50)  # the newest only: bounded
        self.syncs = 0
        self._prev: dict[str, float] | None = None
        self._rtt: float | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self.client.on("state", self.states.append)

    async def connect(self) -> EmulatedPhone:
        await self.client.connect(
            self.url,
            auth={"v": 1, "role": "player", "device": self.device, "seat": self.seat},
            transports=["websocket"],
            wait_timeout=TIMEOUT_S,
        )
        self._loop_task = asyncio.ensure_future(self._sync_loop())
        return self

    async def close(self) -> None:
        """Stop syncing and disconnect (bounded: a dead link does not hold it up)."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.gather(self._loop_task, return_exceptions=True), 5)
        with contextlib.suppress(Exception):  # already gone
            await asyncio.wait_for(self.client.disconnect(), 5)

    async def sync_once(self) -> None:
        payload: dict[str, Any] = {"t0": self.clock.now()}
        if self._rtt is not None:
            payload["rtt"] = round(self._rtt, 3)
        if self._prev is not None:
            payload["prev"] = self._prev
        t0 = payload["t0"]
        try:
            ack = await self.client.call("sync", payload, timeout=3)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            return
        t3 = self.clock.now()
        if not isinstance(ack, dict) or "t1" not in ack or "t2" not in ack:
            return
        try:
            sample = self.sync.add(t0, ack["t1"], ack["t2"], t3)
        except ValueError:
            return
        self.syncs += 1
        self._rtt = sample.rtt
        self._prev = {"t0": t0, "t3": t3}

    async def burst(self) -> None:
        for _ in range(BURST_SIZE):
            await self.sync_once()

    async def _sync_loop(self) -> None:
        await self.burst()
        while True:
            await asyncio.sleep(self.sync_interval_ms / 1000)
            await self.sync_once()

    def unlock_true_ms(self, opens_at: float) -> float:
        """The true instant this phone shows buzzing open for the server instant ``opens_at``:
        where its own estimate says the server clock reads ``opens_at`` (``fair.js`` unlocks
        there). With a biased estimate (path asymmetry) that is not ``opens_at`` itself."""
        est = self.sync.estimate
        if est is None:
            return opens_at
        device = opens_at - est.offset_ms
        device = opens_at - est.offset_at(device)  # one step of the fixed point is plenty
        return self.clock.true_at(device)

    async def press_at(self, true: float, forged_ms: float = 0.0) -> Press:
        """Press at true time ``true`` (ms); a forger claims ``forged_ms`` earlier."""
        wait = (true - true_ms()) / 1000
        if wait > 0:
            await asyncio.sleep(wait)
        device = self.clock.at(true) - forged_ms
        est = self.sync.estimate
        press = Press(
            true_ms=true,
            device_ms=device,
            press_at=None if est is None else round(est.to_server(device)),
            client_offset_error_ms=None
            if est is None
            else est.offset_at(device) - self.clock.true_offset(true),
        )
        args: dict[str, Any] = {"press_at": press.press_at}
        if self.send_device_time:
            args["press_local"] = round(device, 3)
        press.sent_true_ms = true_ms()
        payload = {"id": f"p{next(_ids)}-{self.device[-6:]}", "type": "buzz", **args}
        press.ack = await self.client.call("command", payload, timeout=TIMEOUT_S)
        return press

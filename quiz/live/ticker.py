"""The background loop that expires deadlines: sleeps until the next one is due or it is woken.

The loop runs :func:`tick` callables of its owner (the hub) and waits for as long as they
answer; a change anywhere (:meth:`Ticker.poke`) wakes it early, so a deadline set by a command
is never slept past. :func:`quiet` tells the garbage collector when a pause hurts nobody.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask_socketio import SocketIO

from quiz.engine import Phase
from quiz.live.collector import MARGIN_MS as COLLECT_MARGIN_MS
from quiz.live.service import MatchService

log = logging.getLogger(__name__)

IDLE_WAKE_S = 1.0
#: Phases in which no clock runs against a player: a pause of the event loop hurts nobody.
QUIET_PHASES = frozenset({Phase.READY, Phase.QUESTION, Phase.TIE, Phase.RESULT, Phase.FINISHED})


#: Phases in which a buzz must be stamped and decided without delay: no console rebuild then.
RACING_PHASES = frozenset({Phase.COUNTDOWN, Phase.BUZZING, Phase.ARBITRATING})


def racing(services: Iterable[MatchService]) -> bool:
    """A buzz race is about to open or is running in some match."""
    return any(service.engine.phase in RACING_PHASES for service in services)


def quiet(services: Iterable[MatchService], now: int) -> bool:
    """No match clock is running against a player, nor about to."""
    for service in services:
        if service.engine.phase not in QUIET_PHASES:
            return False
        deadline = service.engine.next_deadline()
        if deadline is not None and deadline - now < COLLECT_MARGIN_MS:
            return False
    return True


class Ticker:
    """Runs ``tick`` (which returns the seconds to sleep) until stopped."""

    def __init__(self, socketio: SocketIO, tick: Callable[[], float]) -> None:
        self.socketio = socketio
        self.tick = tick
        self.running = False
        self._wake: Any = None

    def start(self) -> bool:
        """Start the loop; False if it already runs."""
        if self.running:
            return False
        self.running = True
        self._wake = self.socketio.server.eio.create_event()
        self.socketio.start_background_task(self._loop)
        return True

    def stop(self) -> None:
        self.running = False
        self.poke()

    def poke(self) -> None:
        """Wake the loop now: something changed that may move the next deadline."""
        if self._wake is not None:
            self._wake.set()

    def _loop(self) -> None:
        while self.running:
            self._wake.clear()
            try:
                timeout = self.tick()
            except Exception:
                log.exception("ticker")
                timeout = IDLE_WAKE_S
            self._wake.wait(timeout)

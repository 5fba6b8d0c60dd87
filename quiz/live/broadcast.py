"""The ``state`` message: built once per change, redacted once per role, one emit per room.

The rooms that decide the match (host, LED, both contestants) go first and the loop is
yielded to once before the audience: their sockets are then written before the thousands of
audience sockets are even queued (docs/performance.md, buzz → LED). No database query and no
per-socket work happens here: seat codes come from the registry's cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_socketio import SocketIO

from quiz.live import rooms
from quiz.live.connections import Client
from quiz.live.matches import MatchRegistry
from quiz.live.protocol import VERSION
from quiz.live.questions import QuestionSource
from quiz.live.redact import redact
from quiz.live.rooms import NAMESPACE
from quiz.live.service import MatchService

AUDIENCE_YOU = {"side": None, "seat": None, "match_id": None}


def state_for(full: dict[str, Any], role: str, you: Any) -> dict[str, Any]:
    out = redact(full, role)
    out["you"] = you
    return out


class Broadcaster:
    """Sends ``state``; ``tournament`` gives the tournament view (host and LED only)."""

    def __init__(
        self,
        socketio: SocketIO,
        matches: MatchRegistry,
        questions: QuestionSource,
        clock: Callable[[], int],
        tournament: Callable[[], dict[str, Any] | None],
    ) -> None:
        self.socketio = socketio
        self.matches = matches
        self.questions = questions
        self.clock = clock
        self.tournament = tournament
        self._audience_cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None

    def full_state(
        self, moment: dict[str, Any] | None = None, service: MatchService | None = None
    ) -> dict[str, Any]:
        """The host's state of ``service`` (by default the match on the display)."""
        service = service or self.matches.current
        return {
            "v": VERSION,
            "seq": service.seq if service else 0,
            "role": "host",
            "now": self.clock(),
            "event": dict(self.matches.event),
            "match": service.view(self.questions) if service else None,
            "you": None,
            "moment": moment,
        }

    def broadcast(self, moment: dict[str, Any] | None = None) -> None:
        """One serialisation per role, one emit per room (order: see the module docstring)."""
        full = self.full_state(moment)
        # Redaction depends on the phase only, not on the non-host role: strip once.
        public = redact(full, "audience")
        event_id = self.matches.event["id"]
        emit = self.socketio.emit
        # The tournament goes to the host and the LED only: phones never show it.
        tournament = self.tournament()
        emit(
            "state",
            {**full, "tournament": tournament},
            to=rooms.room_host(event_id),
            namespace=NAMESPACE,
        )
        emit(
            "state",
            {**public, "role": "display", "you": None, "tournament": tournament},
            to=rooms.room_display(event_id),
            namespace=NAMESPACE,
        )
        service = self.matches.current
        if service is not None:
            seats = self.matches.seat_codes(service.match_id)
            for side in ("red", "blue"):
                you = {"side": side, "seat": seats.get(side), "match_id": service.match_id}
                emit(
                    "state",
                    {**public, "role": "player", "you": you},
                    to=rooms.room_side(service.match_id, side),
                    namespace=NAMESPACE,
                )
        self.socketio.sleep(0)
        emit(
            "state",
            {**public, "role": "audience", "you": AUDIENCE_YOU},
            to=rooms.room_audience(event_id),
            namespace=NAMESPACE,
        )

    def _audience_state(self) -> dict[str, Any]:
        """The state a newly connected audience phone gets: the same for every phone until the
        match changes, so a join storm builds and redacts it once, not once per phone (the
        engine snapshot and the redaction walk were most of a join's work). ``now`` is the
        one field that must be fresh."""
        service = self.matches.current
        key = (
            id(service),
            service.seq if service else 0,
            service.status if service else None,
            tuple(self.matches.event.items()),
        )
        cached = self._audience_cache
        if cached is None or cached[0] != key:
            state = state_for(self.full_state(None), "audience", AUDIENCE_YOU)
            cached = self._audience_cache = (key, state)
        return {**cached[1], "now": self.clock()}

    def _seated_state(self, client: Client) -> dict[str, Any]:
        """The state of a contestant phone whose match is not the one on: no match (not the
        previous match's result), its side and name, ``waiting`` for the start, or the
        ``result`` of its own match when that match finished."""
        you = {
            "side": client.side,
            "seat": client.seat,
            "match_id": client.match_id,
            "name": client.name,
            "waiting": client.result is None,
        }
        if client.result is not None:
            you["result"] = client.result
        return {**self._audience_state(), "role": "player", "seq": 0, "match": None, "you": you}

    def send_to(self, client: Client) -> None:
        """The current state to one socket (just connected)."""
        current = self.matches.current
        if client.role == "host":
            payload = self.full_state(None)
        elif client.role == "display":
            payload = state_for(self.full_state(None), "display", None)
        elif client.role == "player" and client.match_id not in self.matches.aborted:
            own = self.matches.services.get(client.match_id or -1)
            you = {"side": client.side, "seat": client.seat, "match_id": client.match_id}
            if own is not None and (own is current or own.status == "finished"):
                # Its match on the display, or its own finished match (not the next one).
                payload = state_for(self.full_state(None, own), "player", you)
            else:
                payload = self._seated_state(client)
        else:
            payload = self._audience_state()
        if client.role in ("host", "display"):
            payload["tournament"] = self.tournament()
        self.socketio.emit("state", payload, to=client.sid, namespace=NAMESPACE)

"""The host console's admin view (the ``console`` message) and the latency it shows.

Host-only: events, contestants, matches, seat codes with their phones' state, waiting seat
takeovers, the tournament and the question bank. Built from the database on demand (admin
changes are rare); never on the buzz path except when a match is won, ended or undone.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.live.protocol import VERSION
from quiz.models.live import Contestant, QuizEvent, Seat
from quiz.models.live import Match as MatchRow
from quiz.server.bounded import BoundedMap

#: Round trips kept per device for the latency column (the median, until the server holds
#: its own estimate of the phone's round trip).
RTT_SAMPLES = 9
RTT_DEVICES = 1024  # phones whose round trips are kept (the console shows the seated ones)
#: How often the latencies shown are compared with the estimates (the console is re-sent
#: when one moved by more than :data:`LATENCY_MOVED_MS` or a tenth).
LATENCY_REFRESH_MS = 1000
LATENCY_MOVED_MS = 3.0


class Console:
    """The ``console`` payload; ``rev`` grows with every one built."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        public_url: str,
        estimate: Callable[[str], float | None] = lambda _device: None,
    ) -> None:
        self.sessions = sessions
        self.public_url = public_url
        #: The round trip the buzz receipts believe for a phone (None: no estimate yet).
        self.estimate = estimate
        self.rev = 0
        # Any phone may sync and invent device ids: the least recently heard go first.
        self._rtt: BoundedMap[str, deque[float]] = BoundedMap(RTT_DEVICES)
        self._shown: dict[str, float | None] = {}  # device -> latency in the last payload
        self._next_check = 0

    def record_rtt(self, device: str, rtt: float) -> None:
        """A round trip a phone measured (its clock-sync exchanges)."""
        self._rtt.setdefault(device, lambda: deque(maxlen=RTT_SAMPLES), 0).append(rtt)

    def latency(self, device: str | None) -> float | None:
        if not device:
            return None
        believed = self.estimate(device)
        if believed is not None:
            return round(believed, 1)
        samples = self._rtt.get(device, 0)
        return round(statistics.median(samples), 1) if samples else None

    def latency_moved(self, now: int) -> bool:
        """True (at most every :data:`LATENCY_REFRESH_MS`) when a latency shown in the last
        payload no longer matches the estimate: time to send the console again."""
        if now < self._next_check:
            return False
        self._next_check = now + LATENCY_REFRESH_MS
        return any(_moved(shown, self.latency(d)) for d, shown in self._shown.items())

    def payload(
        self,
        event: dict[str, Any],
        online: Iterable[tuple[int | None, str | None]],
        takeovers: list[dict[str, Any]],
        tournament: dict[str, Any] | None,
        bank: Any,
    ) -> dict[str, Any]:
        """The admin view of ``event``; ``online``: ``(match_id, side)`` of connected seats."""
        event_id = event["id"]
        online = set(online)
        with self.sessions() as session:
            events = session.scalars(select(QuizEvent).order_by(QuizEvent.id.desc()).limit(50))
            contestants = session.scalars(
                select(Contestant).where(Contestant.event_id == event_id).order_by(Contestant.id)
            ).all()
            matches = session.scalars(
                select(MatchRow).where(MatchRow.event_id == event_id).order_by(MatchRow.id)
            ).all()
            seats = session.scalars(
                select(Seat)
                .join(MatchRow, Seat.match_id == MatchRow.id)
                .where(MatchRow.event_id == event_id, Seat.revoked.is_(False))
                .order_by(Seat.id)
            ).all()
            self.rev += 1
            self._shown = {s.device_id: self.latency(s.device_id) for s in seats if s.device_id}
            return {
                "v": VERSION,
                "rev": self.rev,
                "event": dict(event),
                "events": [
                    {"id": e.id, "title": e.title, "created": e.created.isoformat()} for e in events
                ],
                "contestants": [{"id": c.id, "name": c.name} for c in contestants],
                "matches": [
                    {
                        "id": m.id,
                        "number": i,
                        "status": m.status,
                        "red": m.red_id,
                        "blue": m.blue_id,
                        "created": m.created.isoformat(),
                        "finished": m.finished.isoformat() if m.finished else None,
                        "outcome": m.outcome,
                    }
                    for i, m in enumerate(matches, start=1)
                ],
                "seats": [
                    {
                        "match_id": s.match_id,
                        "side": s.side,
                        "code": s.code,
                        "url": f"{self.public_url}/s/{s.code}",
                        "qr": f"/qr/seat/{s.code}.svg",
                        "device": s.device_id,
                        "online": (s.match_id, s.side) in online,
                        "latency_ms": self.latency(s.device_id),
                    }
                    for s in seats
                ],
                "takeovers": takeovers,
                "tournament": tournament,
                "bank": bank,
                "join_url": f"{self.public_url}/j",
                "display_url": f"{self.public_url}/display",
            }


def _moved(shown: float | None, now: float | None) -> bool:
    if shown is None or now is None:
        return shown != now
    return abs(now - shown) > max(LATENCY_MOVED_MS, shown / 10)

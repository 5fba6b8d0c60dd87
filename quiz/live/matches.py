"""The match registry: the current event and the matches held in memory.

One registry per hub. It knows which event is current, which matches are live (rebuilt from
their logs at start-up), which one is on the display (``current``), the seat codes of a match
(cached: broadcasts must not query for them) and which questions the event has used. It
decides nothing about a match: commands go through :meth:`MatchService.apply`.

The audience desk reads ``current``, ``event`` and :meth:`MatchRegistry.question_codes_used`;
the tournament desk reads ``services`` and builds services with
:meth:`MatchRegistry.service_for`. Neither sees the hub.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quiz import records
from quiz.engine import Match
from quiz.live.concurrency import make_lock
from quiz.live.fairness import FairMatch, restore
from quiz.live.protocol import ProtocolError
from quiz.live.questions import QuestionSource
from quiz.live.service import SIDE_COLOURS, MatchService, material_seq
from quiz.models.live import Match as MatchRow
from quiz.models.live import MatchLogEntry, QuizEvent, Seat

log = logging.getLogger(__name__)

DEFAULT_EVENT_TITLE = "网络安全知识竞赛"


def event_dict(row: QuizEvent) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "lang": row.lang, "slogan": row.slogan}


def last_ended(session: Session, event_id: int) -> MatchRow | None:
    """The event's finished match that is still on the display: the last match to end, if it
    finished (an aborted one returned the display to attract)."""
    row = session.scalars(
        select(MatchRow)
        .where(MatchRow.event_id == event_id, MatchRow.status.in_(("finished", "aborted")))
        .order_by(MatchRow.finished.desc(), MatchRow.id.desc())
        .limit(1)
    ).first()
    return row if row is not None and row.status == "finished" else None


class MatchRegistry:
    """The current event (``event``), its matches in memory (``services``) and the one on the
    display (``current``). ``audience_question_ids`` gives the ids of the questions the
    event's audience was asked (the audience desk's records)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        questions: QuestionSource,
        async_mode: str,
        audience_question_ids: Callable[[int], Iterable[str]],
    ) -> None:
        self.sessions = sessions
        self.questions = questions
        self.async_mode = async_mode
        self.audience_question_ids = audience_question_ids
        self.event: dict[str, Any] = {"id": None, "title": DEFAULT_EVENT_TITLE, "lang": "zh-CN"}
        self.services: dict[int, MatchService] = {}
        self.current: MatchService | None = None
        # Seat codes change only through a reissue (forget_seats); broadcasts read this cache.
        self._seats: dict[int, dict[str, str]] = {}
        # Matches aborted in this run: their phones watch the match on, as audience (a seat of
        # an aborted match is refused at the next connect anyway).
        self.aborted: set[int] = set()

    # --- start-up and switches ---------------------------------------------------------------

    def load(self) -> None:
        """Pick the current event (creating one on an empty database) and rebuild every live
        match by replaying its log (and the finished one still on the display, if any)."""
        with self.sessions.begin() as session:
            row = session.scalars(select(QuizEvent).order_by(QuizEvent.id.desc()).limit(1)).first()
            if row is None:
                row = QuizEvent(title=DEFAULT_EVENT_TITLE, lang="zh-CN")
                session.add(row)
                session.flush()
            self.event = event_dict(row)
            live = session.scalars(
                select(MatchRow).where(MatchRow.status == "live").order_by(MatchRow.id)
            ).all()
            shown = last_ended(session, self.event["id"])
            if shown is not None and not any(m.event_id == shown.event_id for m in live):
                live = [*live, shown]
            for match in live:
                try:
                    service = self.service_for(session, match)
                    service.engine = records.replay(session, match, rules=service.rules)
                    service.fair = restore(session, match.id, service.fair.compensation)
                except Exception:
                    # Leave the log untouched for inspection rather than guessing a repair.
                    log.exception("match %s could not be replayed; left as is", match.id)
                    continue
                service.status = match.status
                service.material_seq = material_seq(session, match.id)
                self.services[match.id] = service
                if match.event_id == self.event["id"]:
                    self.current = service

    def forget(self) -> None:
        """Drop every match from memory (rebuilt from the log by the next :meth:`load`)."""
        self.services, self.current = {}, None

    def switch_event(self, event: dict[str, Any]) -> None:
        """A new current event, with no match yet."""
        self.event = event
        self.forget()

    def start(self, service: MatchService) -> None:
        """``service`` is the one live match and the one on the display."""
        self.services = {service.match_id: service}
        self.current = service

    def drop(self, match_id: int) -> None:
        """An aborted match leaves memory (and the display, if it was on it)."""
        self.aborted.add(match_id)
        self.services.pop(match_id, None)
        if self.current is not None and self.current.match_id == match_id:
            self.current = None

    # --- reading -----------------------------------------------------------------------------

    def any_live(self) -> bool:
        return any(s.status == "live" for s in self.services.values())

    def live(self, finished_too: bool = False) -> MatchService:
        """The match commands go to; a finished one only if ``finished_too``."""
        service = self.current
        if service is None or not (service.status == "live" or finished_too):
            raise ProtocolError("no_match", "no match is live")
        return service

    def row(self, session: Session, match_id: int) -> MatchRow:
        """The stored match ``match_id`` of the current event."""
        row = session.get(MatchRow, match_id)
        if row is None or row.event_id != self.event["id"]:
            raise ProtocolError("not_found", f"no match {match_id} in this event")
        return row

    def service_for(self, session: Session, row: MatchRow) -> MatchService:
        """A fresh service (engine not replayed) for the stored match ``row``."""
        number = session.scalar(
            select(func.count(MatchRow.id)).where(
                MatchRow.event_id == row.event_id, MatchRow.id <= row.id
            )
        )
        rules, compensation = records.match_rules(row)
        sides = {
            side: {"name": c.name, "colour": SIDE_COLOURS[side], "contestant_id": c.id}
            for side, c in (("red", row.red), ("blue", row.blue))
        }
        return MatchService(
            match_id=row.id,
            event_id=row.event_id,
            number=int(number or 1),
            sides=sides,
            rules=rules,
            question_filter=dict(row.question_filter or {}),
            seed=row.seed,
            engine=Match(rules),
            lock=make_lock(self.async_mode),
            fair=FairMatch(compensation),
        )

    def seat_codes(self, match_id: int) -> dict[str, str]:
        """``{side: code}`` of the match's seats in force (cached)."""
        cached = self._seats.get(match_id)
        if cached is not None:
            return cached
        with self.sessions() as session:
            seats = session.scalars(
                select(Seat).where(Seat.match_id == match_id, Seat.revoked.is_(False))
            )
            codes = self._seats[match_id] = {s.side: s.code for s in seats}
            return codes

    def seat_in_force(self, code: str) -> bool:
        """Whether ``code`` is a seat a phone may take now (not revoked, its match pending or
        live): the seat QR codes are made for these only, so made-up codes cost no drawing."""
        with self.sessions() as session:
            seat = session.scalars(
                select(Seat).where(Seat.code == code, Seat.revoked.is_(False))
            ).first()
            return seat is not None and seat.match.status in ("pending", "live")

    def forget_seats(self, match_id: int) -> None:
        """The match's seat codes changed: read them again next time."""
        self._seats.pop(match_id, None)

    def question_codes_used(self, event_id: int, except_match: int | None = None) -> set[str]:
        """Question codes shown in the event's matches (but ``except_match``) or put to its
        audience: a question drawn for a match or an audience round is new to the event."""
        with self.sessions() as session:
            commands = session.scalars(
                select(MatchLogEntry.command)
                .join(MatchRow, MatchLogEntry.match_id == MatchRow.id)
                .where(MatchRow.event_id == event_id, MatchRow.id != except_match)
            ).all()
        ids = [
            str(command.get("question_id"))
            for command in commands
            if isinstance(command, dict) and command.get("type") == "show_question"
        ]
        used: set[str] = set()
        for question_id in [*ids, *self.audience_question_ids(event_id)]:
            found = self.questions.get(question_id)
            used.add(found.code if found is not None else question_id)
        return used

    def log_entries(self, match_id: int) -> list[MatchLogEntry]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(MatchLogEntry)
                    .where(MatchLogEntry.match_id == match_id)
                    .order_by(MatchLogEntry.index)
                )
            )

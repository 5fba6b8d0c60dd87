"""Persistence of audience play-along: batched answer writes, the event's audience records, and
the reading side the event report uses.

Answers are acknowledged only once they are committed, and 2,000 phones answering within a
few seconds must not mean 2,000 transactions on the event loop: :class:`AnswerWriter` collects
answers for at most ``max_wait_ms`` or ``max_items`` and writes them in one transaction, then
releases every phone waiting for that batch. Everything else (members, rounds, draws,
settings) is rare and written at once by :class:`AudienceStore`.

The rows are the source of truth after a restart: :meth:`AudienceStore.load` returns them and
``quiz.live.audience`` rebuilds its ``Nicknames``, ``Ledger`` and draws from them by replaying
(rounds are re-closed from their answers in arrival order, so the rebuilt results are exactly
the ones shown).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from quiz import records
from quiz.audience import Draw, RoundResult, Scoring, Tally
from quiz.live.concurrency import make_lock
from quiz.models.audience import (
    AudienceAnswer,
    AudienceMember,
    AudienceQuestion,
    AudienceSettings,
    PrizeDraw,
)
from quiz.models.live import Match as MatchRow
from quiz.models.live import utcnow

log = logging.getLogger(__name__)

MAX_BATCH_ITEMS = 500
MAX_BATCH_WAIT_MS = 50
# Core statements (executemany with bound parameters) work on the table itself.
ANSWERS = cast(Table, AudienceAnswer.__table__)


def phone_of(event_id: int, device: str) -> str:
    """The id an audience phone is stored under: a one-way hash of its random device id,
    salted with the event (see ``quiz.models.audience``)."""
    digest = hashlib.sha256(f"quiz-audience\n{event_id}\n{device}".encode()).hexdigest()
    return digest[:40]


# --- batched answer writes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerWrite:
    """One accepted answer to write: a new row, or (``change``) a replacement of the phone's
    earlier answer to the round."""

    round_row: int
    member_id: int
    choices: tuple[str, ...]
    at_ms: int
    seq: int
    change: bool = False


class Batch:
    """Answers written in one transaction; ``wait`` returns whether they were committed."""

    def __init__(self, done: Any) -> None:
        self.items: list[AnswerWrite] = []
        self.done = done  # an event of the server's async mode
        self.ok: bool | None = None
        self.first_at = 0.0

    def wait(self, timeout_s: float) -> bool:
        self.done.wait(timeout_s)
        return bool(self.ok)


class AnswerWriter:
    """Collects answers and commits them in batches (see the module docstring).

    Until :meth:`start` is called (tests that tick by hand) every ``submit`` is written at
    once, so nothing ever waits for a writer that does not run."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        socketio: Any,
        async_mode: str,
        *,
        max_items: int = MAX_BATCH_ITEMS,
        max_wait_ms: int = MAX_BATCH_WAIT_MS,
        on_failure: Callable[[list[AnswerWrite]], None] | None = None,
        side_writes: Callable[[], object] | None = None,
    ) -> None:
        self.sessions = sessions
        self.socketio = socketio
        self.max_items = max_items
        self.max_wait_s = max_wait_ms / 1000
        self.on_failure = on_failure
        # Other small batched writes that ride on this task (audience presence), at most once
        # per wake-up (about a second) and at every flush.
        self.side_writes = side_writes
        self._queue_lock = make_lock(async_mode)
        # Held while a batch is being written, so a synchronous flush waits for one in flight.
        self._write_lock = make_lock(async_mode)
        self._batch = self._new_batch()
        self._inflight: Batch | None = None
        self._wake: Any = None
        self._running = False
        self.batches = 0  # committed batches (for tests and the benchmark)
        self.written = 0  # answers in them

    def _new_batch(self) -> Batch:
        return Batch(self.socketio.server.eio.create_event())

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._wake = self.socketio.server.eio.create_event()
        self.socketio.start_background_task(self._run)

    def stop(self) -> None:
        self._running = False
        if self._wake is not None:
            self._wake.set()

    def submit(self, item: AnswerWrite) -> Batch:
        """Queue one answer; the returned batch tells when (and whether) it is committed."""
        with self._queue_lock:
            batch = self._batch
            first = not batch.items
            if first:
                batch.first_at = time.monotonic()
            batch.items.append(item)
            full = len(batch.items) >= self.max_items
        if not self._running:
            self.flush()
        elif first or full:
            self._wake.set()
        return batch

    def barrier(self) -> Batch | None:
        """A batch that completes once everything submitted so far is committed (None if
        nothing is waiting): a resent answer is acknowledged only after its original."""
        with self._queue_lock:
            if self._batch.items:
                return self._batch
            return self._inflight

    def _run(self) -> None:
        while self._running:
            self._wake.wait(1.0)
            self._wake.clear()
            self._side()
            while self._running:
                with self._queue_lock:
                    batch = self._batch
                    count = len(batch.items)
                    age = time.monotonic() - batch.first_at
                if not count:
                    break
                if count < self.max_items and age < self.max_wait_s:
                    self.socketio.sleep(self.max_wait_s - age)
                    continue
                try:
                    self.flush()
                except Exception:  # flush reports its own failures; keep the writer alive
                    log.exception("audience answer writer")

    def flush(self) -> bool:
        """Write everything queued now, in this task; False if the write failed (the waiting
        phones are told so and ``on_failure`` gets the lost answers)."""
        failed: list[AnswerWrite] = []
        ok = True
        with self._write_lock:
            with self._queue_lock:
                batch, self._batch = self._batch, self._new_batch()
                self._inflight = batch if batch.items else None
            if batch.items:
                try:
                    self._write(batch.items)
                    self.batches += 1
                    self.written += len(batch.items)
                    batch.ok = True
                except Exception:
                    log.exception("could not write %d audience answers", len(batch.items))
                    batch.ok = ok = False
                    failed = batch.items
                with self._queue_lock:
                    self._inflight = None
            else:
                batch.ok = True
            batch.done.set()
        if failed and self.on_failure is not None:
            self.on_failure(failed)
        self._side()
        return ok

    def _side(self) -> None:
        if self.side_writes is not None:
            try:
                self.side_writes()
            except Exception:  # a side write reports its own failures; answers come first
                log.exception("audience side writes")

    def _write(self, items: list[AnswerWrite]) -> None:
        news = [
            {
                "round_id": i.round_row,
                "member_id": i.member_id,
                "choices": list(i.choices),
                "at_ms": i.at_ms,
                "seq": i.seq,
            }
            for i in items
            if not i.change
        ]
        changes = [
            {
                "r": i.round_row,
                "m": i.member_id,
                "choices": list(i.choices),
                "at_ms": i.at_ms,
                "seq": i.seq,
            }
            for i in items
            if i.change
        ]
        table = ANSWERS
        with self.sessions.begin() as session:
            if news:
                session.execute(insert(table), news)
            # In arrival order, after the inserts: a change may replace an answer of this batch.
            for change in changes:
                session.execute(
                    update(table)
                    .where(table.c.round_id == change["r"], table.c.member_id == change["m"])
                    .values(choices=change["choices"], at_ms=change["at_ms"], seq=change["seq"])
                )


# --- the event's records ---------------------------------------------------------------------


@dataclass
class StoredQuestion:
    """A round as stored, with its answers in arrival order (member id, choices, at, seq)."""

    row: AudienceQuestion
    answers: list[tuple[int, tuple[str, ...], int, int]] = field(default_factory=list)

    def replay(self, phone_of_member: dict[int, str], fastest: int) -> Tally:
        """The round's tally rebuilt from its answers (closed again if it was closed)."""
        row = self.row
        tally = Tally(
            f"r{row.id}",
            row.options,
            row.key,
            row.opened_at_ms,
            row.duration_ms,
            allow_change=row.allow_change,
            multiple=row.multiple,
            scoring=Scoring(row.scoring),
        )
        for member, choices, at_ms, _seq in self.answers:
            tally.answer(phone_of_member[member], choices, at_ms)
        if row.status == "closed" and row.closed_at_ms is not None:
            tally.close(row.closed_at_ms, fastest)
        return tally


@dataclass
class EventRecords:
    """Everything stored about one event's audience, oldest first."""

    settings: dict[str, Any]
    session: dict[str, Any] | None
    members: list[AudienceMember]
    questions: list[StoredQuestion]
    draws: list[Draw]


class AudienceStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def load(self, event_id: int) -> EventRecords:
        with self.sessions() as session:
            settings = session.get(AudienceSettings, event_id)
            members = list(
                session.scalars(
                    select(AudienceMember)
                    .where(AudienceMember.event_id == event_id)
                    .order_by(AudienceMember.id)
                )
            )
            rounds = {
                row.id: StoredQuestion(row)
                for row in session.scalars(
                    select(AudienceQuestion)
                    .where(AudienceQuestion.event_id == event_id)
                    .order_by(AudienceQuestion.id)
                )
            }
            answers = session.execute(
                select(
                    AudienceAnswer.round_id,
                    AudienceAnswer.member_id,
                    AudienceAnswer.choices,
                    AudienceAnswer.at_ms,
                    AudienceAnswer.seq,
                )
                .join(AudienceQuestion, AudienceAnswer.round_id == AudienceQuestion.id)
                .where(AudienceQuestion.event_id == event_id)
                .order_by(AudienceAnswer.round_id, AudienceAnswer.seq)
            )
            for round_id, member, choices, at_ms, seq in answers:
                rounds[round_id].answers.append((member, tuple(choices), at_ms, seq))
            draws = records.draws(session, event_id)
        return EventRecords(
            settings=dict(settings.settings) if settings else {},
            session=settings.session if settings else None,
            members=members,
            questions=list(rounds.values()),
            draws=draws,
        )

    def add_member(self, event_id: int, phone: str, handle: int) -> int:
        with self.sessions.begin() as session:
            row = AudienceMember(event_id=event_id, phone=phone, handle=handle)
            session.add(row)
            session.flush()
            return row.id

    def save_names(self, member_id: int, approved: str | None, pending: str | None) -> None:
        with self.sessions.begin() as session:
            row = session.get(AudienceMember, member_id)
            if row is not None:
                row.approved, row.pending = approved, pending

    def save_settings(
        self, event_id: int, settings: dict[str, Any], quiz_session: dict[str, Any] | None
    ) -> None:
        with self.sessions.begin() as session:
            row = session.get(AudienceSettings, event_id)
            if row is None:
                row = AudienceSettings(event_id=event_id)
                session.add(row)
            row.settings, row.session, row.updated = settings, quiz_session, utcnow()

    def open_round(
        self, event_id: int, stage: str, match_id: int | None, tally: Tally, question_id: str
    ) -> int:
        with self.sessions.begin() as session:
            row = AudienceQuestion(
                event_id=event_id,
                stage=stage,
                match_id=match_id,
                question_id=question_id,
                options=list(tally.options),
                key=sorted(tally.key),
                multiple=tally.multiple,
                allow_change=tally.allow_change,
                scoring=tally.scoring.value,
                opened_at_ms=tally.opened_at_ms,
                duration_ms=tally.duration_ms,
                status="open",
            )
            session.add(row)
            session.flush()
            return row.id

    def set_duration(self, round_row: int, duration_ms: int) -> None:
        """A match question's timer, started when buzzing opened (kept for a restart)."""
        with self.sessions.begin() as session:
            row = session.get(AudienceQuestion, round_row)
            if row is not None:
                row.duration_ms = duration_ms

    def close_round(self, round_row: int, closed_at_ms: int, summary: dict[str, Any]) -> None:
        """Mark the round closed with the LED's figures: from here on it is counted (a restart
        re-closes it from its answers at ``closed_at_ms``, so the result is the same)."""
        with self.sessions.begin() as session:
            row = session.get(AudienceQuestion, round_row)
            if row is None:
                raise LookupError(f"audience round {round_row} is not stored")
            row.status, row.closed_at_ms, row.summary = "closed", closed_at_ms, summary

    def save_outcomes(self, round_row: int, result: RoundResult, member_of: dict[str, int]) -> None:
        """Every answer's verdict and points (derived from the answers: rewritten as they are
        after a restart if the server stopped before writing them)."""
        outcomes = [
            {"r": round_row, "m": member_of[phone], "c": o.correct, "p": o.points}
            for phone, o in result.outcomes.items()
        ]
        if not outcomes:
            return
        table = ANSWERS
        with self.sessions.begin() as session:
            session.connection().execute(
                update(table)
                .where(table.c.round_id == bindparam("r"), table.c.member_id == bindparam("m"))
                .values(correct=bindparam("c"), points=bindparam("p")),
                outcomes,
            )

    def rounds_without_outcomes(self, event_id: int) -> set[int]:
        """Closed rounds of the event with an answer whose verdict was never written."""
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(AudienceAnswer.round_id)
                    .join(AudienceQuestion, AudienceAnswer.round_id == AudienceQuestion.id)
                    .where(
                        AudienceQuestion.event_id == event_id,
                        AudienceQuestion.status == "closed",
                        AudienceAnswer.correct.is_(None),
                    )
                    .distinct()
                )
            )

    def cancel_round(self, round_row: int) -> None:
        """A round whose question was taken back (undo): kept, but never counted."""
        with self.sessions.begin() as session:
            row = session.get(AudienceQuestion, round_row)
            if row is not None:
                row.status = "cancelled"

    def answers_of(self, round_row: int) -> list[tuple[int, tuple[str, ...], int, int]]:
        with self.sessions() as session:
            rows = session.execute(
                select(
                    AudienceAnswer.member_id,
                    AudienceAnswer.choices,
                    AudienceAnswer.at_ms,
                    AudienceAnswer.seq,
                )
                .where(AudienceAnswer.round_id == round_row)
                .order_by(AudienceAnswer.seq)
            )
            return [(m, tuple(c), at, seq) for m, c, at, seq in rows]

    def save_draw(self, event_id: int, draw: Draw) -> None:
        with self.sessions.begin() as session:
            row = session.scalars(
                select(PrizeDraw).where(PrizeDraw.event_id == event_id, PrizeDraw.draw == draw.id)
            ).first()
            if row is None:
                row = PrizeDraw(event_id=event_id, draw=draw.id)
                session.add(row)
            row.prize = draw.prize.name
            row.eligible_count = len(draw.eligible)
            row.commitment = draw.commitment
            row.drawn = draw.drawn
            row.record = draw.to_dict()
            row.updated = utcnow()

    def match_numbers(self, event_id: int) -> dict[int, int]:
        """Match id -> its number in the event (第N场), as the live matches count them."""
        with self.sessions() as session:
            ids = session.scalars(
                select(MatchRow.id).where(MatchRow.event_id == event_id).order_by(MatchRow.id)
            )
            return {match_id: n for n, match_id in enumerate(ids, start=1)}

    def question_ids(self, event_id: int) -> list[str]:
        """The question version ids put to the event's audience (counted or not)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(AudienceQuestion.question_id).where(
                        AudienceQuestion.event_id == event_id
                    )
                )
            )


__all__ = [
    "AnswerWrite",
    "AnswerWriter",
    "AudienceStore",
    "Batch",
    "EventRecords",
    "StoredQuestion",
    "phone_of",
]

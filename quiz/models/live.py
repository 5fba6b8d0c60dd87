"""Models of live play: events, contestants, matches, contestant seats and the match log.

The append-only :class:`MatchLogEntry` rows are the source of truth of a match: replaying them
through the engine rebuilds its exact state after a restart. Everything else here is
bookkeeping around that log.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz.models.base import Base

# Re-exported for quiz.live.hub and quiz.live.tournament_import until they import quiz.text.

TITLE_MAX = 80
NAME_MAX = 40
DEVICE_MAX = 64
# Eight symbols of 31 (about 40 bits): with the seat lockout (quiz/live/seats.py) out of reach
# of guessing; still typeable (the seat QR code comes first). Codes of 5, issued before, are
# still accepted.
SEAT_CODE_LENGTH = 8
LEGACY_SEAT_CODE_LENGTH = 5
# No 0/O, 1/I/L: a code read off a screen or typed on a phone must not be ambiguous.
SEAT_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SEAT_CODE_RE = re.compile(
    f"^(?:[{SEAT_ALPHABET}]{{{SEAT_CODE_LENGTH}}}|[{SEAT_ALPHABET}]{{{LEGACY_SEAT_CODE_LENGTH}}})$"
)

MATCH_STATUSES = ("pending", "live", "finished", "aborted")


def utcnow() -> datetime:
    return datetime.now(UTC)


class QuizEvent(Base):
    """One outreach event (e.g. a district's anti-fraud day); the newest one is current."""

    __tablename__ = "quiz_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    lang: Mapped[str] = mapped_column(String(8), default="zh-CN")
    # Shown on the display's attract screen; None uses the catalog's default slogan.
    slogan: Mapped[str | None] = mapped_column(String(TITLE_MAX), default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    contestants: Mapped[list[Contestant]] = relationship(
        back_populates="event", order_by="Contestant.id"
    )
    matches: Mapped[list[Match]] = relationship(back_populates="event", order_by="Match.id")


class Contestant(Base):
    """A person (or team) playing on one side; the name is typed by the host."""

    __tablename__ = "contestant"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[QuizEvent] = relationship(back_populates="contestants")


class Match(Base):
    """A head-to-head match. ``status``: pending → live → finished (or aborted)."""

    __tablename__ = "live_match"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    red_id: Mapped[int] = mapped_column(ForeignKey("contestant.id"))
    blue_id: Mapped[int] = mapped_column(ForeignKey("contestant.id"))
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    question_filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seed: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # Outcome summary for listings; the log stays the source of truth.
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    event: Mapped[QuizEvent] = relationship(back_populates="matches")
    red: Mapped[Contestant] = relationship(foreign_keys=[red_id])
    blue: Mapped[Contestant] = relationship(foreign_keys=[blue_id])
    seats: Mapped[list[Seat]] = relationship(back_populates="match", order_by="Seat.id")
    log: Mapped[list[MatchLogEntry]] = relationship(
        back_populates="match", order_by="MatchLogEntry.index"
    )


class Seat(Base):
    """A contestant phone's pass for one side of one match: a short code, bound to the first
    device that uses it. Re-issuing a seat revokes the old code (a lost or swapped phone)."""

    __tablename__ = "seat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("live_match.id"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    # Unique for ever rather than only while active: the code space is large (31^8) and a
    # global constraint is portable across SQLite and PostgreSQL.
    code: Mapped[str] = mapped_column(String(SEAT_CODE_LENGTH), unique=True)
    device_id: Mapped[str | None] = mapped_column(String(DEVICE_MAX), default=None)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    match: Mapped[Match] = relationship(back_populates="seats")


class MatchLogEntry(Base):
    """One accepted engine command with its server time and the events it produced.

    Append-only. ``index`` is the position in the engine log (0-based, gapless per match);
    ``seq`` is the engine seq after the command. A ``show_question`` command's
    ``question_id`` is the question version id, so a replay shows the very same text.
    """

    __tablename__ = "match_log"
    __table_args__ = (UniqueConstraint("match_id", "index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("live_match.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    command: Mapped[dict[str, Any]] = mapped_column(JSON)
    now_ms: Mapped[int] = mapped_column(BigInteger)
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    seq: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    match: Mapped[Match] = relationship(back_populates="log")

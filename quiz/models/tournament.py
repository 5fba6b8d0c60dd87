"""Models of an event's tournament (两两抢答): its persisted state and its links to matches.

The whole tournament (entrants, schedule, results, undo history) is one JSON document, the
``quiz.tournament.Tournament.to_dict()`` of the pure domain object, rewritten after every
change; ``Tournament.from_dict`` checks it on the way back. A :class:`TournamentMatch` ties a
live match to the pairing (slot id such as ``R1M2``) it was played for, so a report can show
the bracket with its matches and a restart can tell which match decides which pairing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz.models.base import Base
from quiz.models.live import Match, QuizEvent, utcnow

FORMAT_MAX = 32
PAIRING_MAX = 64


class Tournament(Base):
    """One tournament of an event; the newest one of the current event is the one in play
    (creating a new one keeps the old row, and its matches, for the record)."""

    __tablename__ = "tournament"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    format: Mapped[str] = mapped_column(String(FORMAT_MAX))
    #: ``quiz.tournament.Tournament.to_dict()``: the source of truth of the tournament.
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The match rules and question filter every pairing's match is created with.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    question_filter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Bumped on every save; pages drop a tournament view older than the one they show.
    rev: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    event: Mapped[QuizEvent] = relationship()
    matches: Mapped[list[TournamentMatch]] = relationship(
        back_populates="tournament", order_by="TournamentMatch.id"
    )


class TournamentMatch(Base):
    """A live match played for one pairing of a tournament.

    A pairing can have several matches (one aborted or ended without a winner, then played
    again); the newest one counts. ``result`` is the match's own result (``MatchResult``
    JSON, or null while it has none) as last applied to the tournament: a result the engine
    produces later, or one it produced while the server was down, is told apart from a host
    correction by comparing with it.
    """

    __tablename__ = "tournament_match"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tournament_id: Mapped[int] = mapped_column(ForeignKey("tournament.id"), index=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("live_match.id"), unique=True)
    pairing: Mapped[str] = mapped_column(String(PAIRING_MAX))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tournament: Mapped[Tournament] = relationship(back_populates="matches")
    match: Mapped[Match] = relationship()

"""Models of audience play-along (有奖问答): phones, the questions they answered, prize draws.

No personal data is stored. A phone is known by ``phone``, a one-way hash of the random id its
browser made up (never the id itself, so the database cannot be used to take over a phone's
seat or nickname), salted with the event so the same phone cannot be followed from one event
to the next. Everything the server holds in memory for the audience (``quiz.audience``'s
``Nicknames``, ``Ledger`` and ``Draw`` objects) is rebuilt from these rows after a restart;
the rows are also what an event report reads: every answer of every phone to every question,
the rounds with their results, and every prize draw with its fairness record.
"""

from __future__ import annotations

from datetime import datetime
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
from quiz.models.live import utcnow

PHONE_MAX = 64
STAGE_MAX = 64
NICKNAME_MAX = 16
QUESTION_ID_MAX = 100
DRAW_ID_MAX = 64
PRIZE_MAX = 40
ROUND_STATUSES = ("open", "closed", "cancelled")


class AudienceSettings(Base):
    """How the event's audience plays, and the audience-only round in progress, if any."""

    __tablename__ = "audience_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), primary_key=True)
    #: ``{"scoring": "count" | "speed", "allow_change": bool, "timer_ms": int | null}``.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The audience-only round (有奖问答 segment) being run: its stage, filter and seed.
    session: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AudienceMember(Base):
    """One audience phone in one event, with its generated and chosen nicknames."""

    __tablename__ = "audience_member"
    __table_args__ = (
        UniqueConstraint("event_id", "phone", name="uq_audience_member_phone"),
        UniqueConstraint("event_id", "handle", name="uq_audience_member_handle"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    phone: Mapped[str] = mapped_column(String(PHONE_MAX))
    #: The generated nickname (``quiz.audience.Handle.code``: prefix and number).
    handle: Mapped[int] = mapped_column(Integer)
    #: The name the host approved (shown on the LED), and one still waiting for approval.
    approved: Mapped[str | None] = mapped_column(String(NICKNAME_MAX), default=None)
    pending: Mapped[str | None] = mapped_column(String(NICKNAME_MAX), default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AudiencePresence(Base):
    """A phone coming online (its first socket) or going offline (its last socket closed).

    Kept only for the reach figures (到达率: who stayed to the end, how many phones were there
    at once); recorded in memory and written in batches, never one write per connection."""

    __tablename__ = "audience_presence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_member.id"), index=True)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    online: Mapped[bool] = mapped_column(Boolean)


class AudienceQuestion(Base):
    """One question put to the audience: during a match (``match_id``) or in an audience-only
    round. ``stage`` is what prize eligibility can name: ``match-<id>`` or ``quiz-<n>``.

    The key and options are fixed when the round opens; ``summary`` is what the LED showed at
    close (share correct, distribution, fastest correct nicknames)."""

    __tablename__ = "audience_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    stage: Mapped[str] = mapped_column(String(STAGE_MAX))
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("live_match.id"), default=None, index=True
    )
    #: The question version id, as a match log's ``show_question`` stores it.
    question_id: Mapped[str] = mapped_column(String(QUESTION_ID_MAX))
    options: Mapped[list[str]] = mapped_column(JSON)
    key: Mapped[list[str]] = mapped_column(JSON)
    multiple: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_change: Mapped[bool] = mapped_column(Boolean, default=False)
    scoring: Mapped[str] = mapped_column(String(8), default="count")
    opened_at_ms: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(12), default="open")
    closed_at_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    answers: Mapped[list[AudienceAnswer]] = relationship(
        back_populates="round", order_by="AudienceAnswer.seq"
    )


class AudienceAnswer(Base):
    """A phone's answer to one round, written before the phone is told it was received.

    ``seq`` is the arrival order among the round's answers (it breaks ties between equally
    fast answers); ``correct`` and ``points`` are filled in when the round closes."""

    __tablename__ = "audience_answer"
    __table_args__ = (UniqueConstraint("round_id", "member_id", name="uq_audience_answer_member"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("audience_round.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_member.id"), index=True)
    choices: Mapped[list[str]] = mapped_column(JSON)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer)
    correct: Mapped[bool | None] = mapped_column(Boolean, default=None)
    points: Mapped[int | None] = mapped_column(Integer, default=None)

    round: Mapped[AudienceQuestion] = relationship(back_populates="answers")
    member: Mapped[AudienceMember] = relationship()


class PrizeDraw(Base):
    """A prize draw (抽奖), from its commitment on: ``record`` is ``quiz.audience.Draw``'s full
    ``to_dict()`` (eligible phones, seed material, winners with claim codes), kept whether or
    not the draw was run, so a discarded commitment shows in the record too."""

    __tablename__ = "prize_draw"
    __table_args__ = (UniqueConstraint("event_id", "draw", name="uq_prize_draw_draw"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    draw: Mapped[str] = mapped_column(String(DRAW_ID_MAX))
    prize: Mapped[str] = mapped_column(String(PRIZE_MAX))
    eligible_count: Mapped[int] = mapped_column(Integer)
    commitment: Mapped[str] = mapped_column(String(64))
    drawn: Mapped[bool] = mapped_column(Boolean, default=False)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

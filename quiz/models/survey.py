"""Models of the satisfaction survey (满意率): the survey put to an event's audience and the
phones' answers.

Answers are anonymous: a phone is known only by the same salted one-way hash as in
``quiz.models.audience`` (needed to keep one answer per phone), never by its nickname. The
free text is stored as typed (cleaned of control and invisible characters) and is shown only
to the organiser, in the report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quiz.models.base import Base
from quiz.models.live import utcnow

PHONE_MAX = 64
COMMENT_MAX = 200


class SurveyRun(Base):
    """The survey as put to an event's audience (the file's contents at that time); the last
    one of an event names the questions the report counts."""

    __tablename__ = "survey_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    #: ``quiz.audience.survey.Survey.to_dict()``.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at_ms: Mapped[int] = mapped_column(BigInteger)
    closed_at_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SurveyAnswer(Base):
    """One phone's answer in one event (a resend replaces it: one row per phone)."""

    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("event_id", "phone", name="uq_survey_answer_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("quiz_event.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("survey_run.id"), index=True)
    phone: Mapped[str] = mapped_column(String(PHONE_MAX))
    rating: Mapped[int] = mapped_column(Integer)
    #: ``{question id: option key or null}``.
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX), default=None)
    at_ms: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

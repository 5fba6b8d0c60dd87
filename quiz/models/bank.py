"""Models of the imported question bank: a question and its immutable versions.

A :class:`Question` is the stable id from the YAML files; each distinct content it has had is
a :class:`QuestionVersion` (keyed by the SHA-256 of its canonical JSON) that is never changed
or deleted, so a match that showed a question refers to the exact version it showed (by the
version's ``id``), even after the bank is edited and imported again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quiz.models.base import Base

QUESTION_ID_MAX = 16
CATEGORY_MAX = 32


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Question(Base):
    """A bank question by its stable id (``AF-001``)."""

    __tablename__ = "question"

    id: Mapped[str] = mapped_column(String(QUESTION_ID_MAX), primary_key=True)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX), index=True)
    #: The ``version`` number of the content the bank has now.
    current_version: Mapped[int] = mapped_column(Integer)
    #: Removed from the bank (kept because past matches refer to its versions).
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.version"
    )

    @property
    def current(self) -> QuestionVersion:
        """The version the bank has now (loads the versions)."""
        for version in self.versions:
            if version.version == self.current_version:
                return version
        raise LookupError(f"question {self.id} has no version {self.current_version}")


class QuestionVersion(Base):
    """One content of a question, as shown to players; never changed once written."""

    __tablename__ = "question_version"
    __table_args__ = (
        UniqueConstraint("question_id", "version", name="uq_question_version_number"),
        UniqueConstraint("question_id", "content_hash", name="uq_question_version_content"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("question.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: SHA-256 (hex) of the canonical JSON of ``content``.
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The whole question as validated: texts in zh/en, options, answer, explanation, fact.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)

    question: Mapped[Question] = relationship(back_populates="versions")

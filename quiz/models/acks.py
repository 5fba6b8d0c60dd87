"""The stored acks of commands: which command ids a sender has had applied, and what it was told.

One row per command that changed the database, written in the same transaction as the first
change the command caused (quiz/live/ledger.py), so that a command resent after a restart is
answered with its original ack and never applied twice. Rows are kept for
``quiz.live.ledger.RETENTION_HOURS`` and pruned at start-up.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from quiz.models.base import Base
from quiz.models.live import utcnow

#: ``role:device`` (quiz.live.connections.Client.key): role, a colon and a device id or sid.
SENDER_MAX = 80
COMMAND_ID_MAX = 64


class CommandAck(Base):
    __tablename__ = "command_ack"
    __table_args__ = (UniqueConstraint("sender", "command_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sender: Mapped[str] = mapped_column(String(SENDER_MAX))
    command_id: Mapped[str] = mapped_column(String(COMMAND_ID_MAX))
    type: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(Integer, default=None)
    ack: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

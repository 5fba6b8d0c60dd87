"""When audience phones come online and go offline, for the reach figures (到达率).

A phone is online while it has at least one socket. Only the two edges are recorded (its
first socket opened, its last socket closed), appended in memory under the audience lock the
caller already holds: no database work on the connection path. The answer writer
(``quiz.live.audience_store.AnswerWriter``) drains the log in its own task, one multi-row
insert per second at most, so a join storm of a thousand phones costs one insert.
``quiz.report.reach`` turns the rows into "stayed to the end" and the peak concurrency.
"""

from __future__ import annotations

import logging
import threading
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, sessionmaker

from quiz.models.audience import AudiencePresence

log = logging.getLogger(__name__)
PRESENCE = cast(Table, AudiencePresence.__table__)
#: Rows kept at most while the database cannot be written (a phone flapping for hours on a
#: server whose disk is full must not grow memory without bound); the oldest go first.
MAX_PENDING = 200_000


class PresenceLog:
    """Online/offline edges waiting to be written."""

    def __init__(self) -> None:
        self._rows: list[dict[str, object]] = []
        # A plain lock, held for a list swap only (never across I/O), so it is safe with
        # gevent and threads alike.
        self._lock = threading.Lock()

    def online(self, member_id: int, at_ms: int) -> None:
        self._add(member_id, at_ms, True)

    def offline(self, member_id: int, at_ms: int) -> None:
        self._add(member_id, at_ms, False)

    def _add(self, member_id: int, at_ms: int, online: bool) -> None:
        with self._lock:
            self._rows.append({"member_id": member_id, "at_ms": at_ms, "online": online})
            if len(self._rows) > MAX_PENDING:
                del self._rows[: len(self._rows) - MAX_PENDING]

    @property
    def pending(self) -> int:
        return len(self._rows)

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Insert everything recorded so far in one transaction (called by the answer writer's
        task, never on a connection path); on failure the rows go back and are retried."""
        with self._lock:
            rows, self._rows = self._rows, []
        if not rows:
            return 0
        try:
            with sessions.begin() as session:
                session.execute(insert(PRESENCE), rows)
        except Exception:
            log.exception("could not write %d audience presence rows", len(rows))
            with self._lock:
                self._rows[:0] = rows
                del self._rows[: max(0, len(self._rows) - MAX_PENDING)]
            return 0
        return len(rows)

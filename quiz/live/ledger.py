"""Command ids that survive a restart: each applied command's ack, stored with its change.

While a command runs, the hub marks it as *pending* (a context variable: one per greenlet or
thread). The first transaction that command commits with a change in it also inserts a
``command_ack`` row holding the sender, the command id and the ack (``before_commit`` hook on
the session factory), so the change and the record of it are one write: after a SIGKILL either
both are on disk or neither is. Handlers whose ack carries what the transaction created (a
contestant id, a seat code, the match seq) :func:`provide` it before their commit; when the
final ack differs from the stored one (a command that wrote more after its first commit), the
row is updated once more afterwards.

Looking up an id costs no query on the hot path: acks live in memory (a bounded map of senders,
each a bounded map of ids); a sender's stored acks are read once per server run, on its first
command (one indexed query, then memory). Rows older than :data:`RETENTION_HOURS` are pruned at
start-up. A command that changed nothing in the database (a refused command, a denied takeover)
has no row: after a restart it is decided again, with the same answer.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session, sessionmaker

from quiz.models.acks import CommandAck
from quiz.models.live import utcnow
from quiz.server.bounded import BoundedMap

log = logging.getLogger(__name__)

#: Acks remembered per sender (in memory, and read back from the table after a restart).
ACK_MEMORY = 256
#: Senders remembered in memory; the least recently active go first (they are read back from
#: the table if they come back).
MAX_SENDERS = 4096  # as many as the gate keeps locks and buckets for
#: How long a stored ack is kept: longer than any event day; pruned at start-up.
RETENTION_HOURS = 72


@dataclass
class Pending:
    """The command being run in this greenlet or thread."""

    sender: str
    command_id: str
    type: str
    event_id: int | None
    seq: int
    extra: dict[str, Any] = field(default_factory=dict)
    stored: dict[str, Any] | None = None  # the ack written with the command's first change

    def ack(self) -> dict[str, Any]:
        return {"ok": True, "seq": self.seq, **self.extra}


_PENDING: ContextVar[Pending | None] = ContextVar("quiz_pending_command", default=None)


def provide(**extra: Any) -> None:
    """Add to the ack of the command being run (if any) before its change is committed."""
    pending = _PENDING.get()
    if pending is not None:
        pending.extra.update(extra)


class CommandLedger:
    """Remembered acks, in memory and in ``command_ack``."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self._senders: BoundedMap[str, BoundedMap[str, dict[str, Any]]] = BoundedMap(MAX_SENDERS)
        self.loads = 0  # senders read back from the table (one query each)
        event.listen(sessions, "after_flush", _wrote)
        event.listen(sessions, "do_orm_execute", _executed)
        event.listen(sessions, "before_commit", _record)

    def answered(self, sender: str, command_id: str) -> dict[str, Any] | None:
        """The ack already given to this command id, from memory or (once per sender and run)
        from the table."""
        now = self.clock()
        acks = self._senders.get(sender, now)
        if acks is None:
            acks = self._load(sender, now)
        return acks.get(command_id, now)

    def remember(self, sender: str, command_id: str, ack: dict[str, Any]) -> None:
        """Remember an ack in memory (refusals too: they are answered the same within a run)."""
        now = self.clock()
        acks = self._senders.get(sender, now)
        if acks is None:
            acks = self._load(sender, now)
        acks.set(command_id, ack, now)

    @contextlib.contextmanager
    def running(
        self, sender: str, command_id: str, type_: str, event_id: int | None, seq: int
    ) -> Iterator[Pending]:
        """Mark a command as pending while its handler runs."""
        pending = Pending(sender, command_id, type_, event_id, seq)
        token = _PENDING.set(pending)
        try:
            yield pending
        finally:
            _PENDING.reset(token)

    def settle(self, pending: Pending, ack: dict[str, Any]) -> None:
        """The handler returned ``ack``: store it if the row written with the change differs
        (one more write, only for commands whose ack was not complete at their first commit)."""
        if pending.stored is None or pending.stored == ack:
            return
        try:
            with self.sessions.begin() as session:
                session.execute(
                    update(CommandAck)
                    .where(
                        CommandAck.sender == pending.sender,
                        CommandAck.command_id == pending.command_id,
                    )
                    .values(ack=ack)
                )
        except Exception:  # the change itself is stored; its row keeps the first ack
            log.warning("could not update the stored ack of %s", pending.type, exc_info=True)

    def prune(self) -> int:
        """Drop stored acks older than :data:`RETENTION_HOURS`; how many went."""
        cutoff = utcnow() - timedelta(hours=RETENTION_HOURS)
        with self.sessions.begin() as session:
            result = session.execute(delete(CommandAck).where(CommandAck.created < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    def forget(self) -> None:
        self._senders = BoundedMap(MAX_SENDERS)

    def _load(self, sender: str, now: float) -> BoundedMap[str, dict[str, Any]]:
        acks: BoundedMap[str, dict[str, Any]] = BoundedMap(ACK_MEMORY)
        with self.sessions() as session:
            rows = session.execute(
                select(CommandAck.command_id, CommandAck.ack)
                .where(CommandAck.sender == sender)
                .order_by(CommandAck.id.desc())
                .limit(ACK_MEMORY)
            ).all()
        for command_id, ack in reversed(rows):
            acks.set(command_id, ack, now)
        self.loads += 1
        self._senders.set(sender, acks, now)
        return acks


_WROTE = "quiz.ledger.wrote"


def _wrote(session: Session, _context: Any) -> None:
    """``after_flush``: this transaction changed rows (flushed objects)."""
    session.info[_WROTE] = True


def _executed(state: Any) -> None:
    """``do_orm_execute``: an INSERT, UPDATE or DELETE statement changes rows too."""
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _record(session: Session) -> None:
    """``before_commit``: the pending command's first change carries its ack row."""
    wrote = session.info.pop(_WROTE, False)
    pending = _PENDING.get()
    if pending is None or pending.stored is not None:
        return
    if not (wrote or session.new or session.dirty or session.deleted):
        return
    pending.stored = pending.ack()
    session.add(
        CommandAck(
            sender=pending.sender,
            command_id=pending.command_id,
            type=pending.type,
            event_id=pending.event_id,
            ack=pending.stored,
        )
    )


__all__ = ["ACK_MEMORY", "RETENTION_HOURS", "CommandLedger", "Pending", "provide"]

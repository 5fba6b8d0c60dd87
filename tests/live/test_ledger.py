"""The command ledger (quiz/live/ledger.py) on a real SQLite file, without a server: acks
stored in the transaction of the change, read back by a new ledger (a restart), bounded in
memory, pruned. The socket-level behaviour is tests/reliability/test_crash_idempotency.py."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from quiz.db import make_engine, make_session_factory, migrate
from quiz.live.ledger import ACK_MEMORY, RETENTION_HOURS, CommandLedger, provide
from quiz.models import CommandAck, Contestant, QuizEvent
from quiz.models.live import utcnow


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        session.add(QuizEvent(title="t", lang="zh-CN"))
    return factory


def _add(
    ledger: CommandLedger, sessions: sessionmaker[Session], command_id: str, name: str
) -> dict:
    with ledger.running("host:laptop", command_id, "add_contestant", 1, 0) as pending:
        with sessions.begin() as session:
            row = Contestant(event_id=1, name=name)
            session.add(row)
            session.flush()
            provide(contestant_id=row.id)
        ack = {"ok": True, "seq": 0, "contestant_id": row.id}
    ledger.settle(pending, ack)
    ledger.remember("host:laptop", command_id, ack)
    return ack


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_ack_is_stored_with_its_change_and_read_back_after_a_restart(
    sessions: sessionmaker[Session],
) -> None:
    ledger = CommandLedger(sessions)
    ack = _add(ledger, sessions, "c1", "甲")
    assert _count(sessions, CommandAck) == 1
    restarted = CommandLedger(sessions)
    assert restarted.answered("host:laptop", "c1") == ack
    assert restarted.answered("host:other", "c1") is None
    # One query per sender and run: the second look-up is memory.
    restarted.answered("host:laptop", "c2")
    assert restarted.loads == 2  # host:laptop once, host:other once


def test_a_rolled_back_change_stores_no_ack_and_a_read_stores_none(
    sessions: sessionmaker[Session],
) -> None:
    ledger = CommandLedger(sessions)
    with ledger.running("host:laptop", "c1", "add_contestant", 1, 0):
        with pytest.raises(RuntimeError), sessions.begin() as session:
            session.add(Contestant(event_id=1, name="甲"))
            session.flush()
            raise RuntimeError("refused after the flush")
        with sessions.begin() as session:  # reads only
            session.scalars(select(Contestant)).all()
    assert _count(sessions, CommandAck) == 0 and _count(sessions, Contestant) == 0
    assert CommandLedger(sessions).answered("host:laptop", "c1") is None


def test_a_statement_write_counts_and_a_later_ack_is_settled(
    sessions: sessionmaker[Session],
) -> None:
    ledger = CommandLedger(sessions)
    with (
        ledger.running("host:laptop", "c1", "create_event", 1, 3) as pending,
        sessions.begin() as session,
    ):
        session.execute(update(QuizEvent).values(title="renamed"))
    assert pending.stored == {"ok": True, "seq": 3}
    ledger.settle(pending, {"ok": True, "seq": 5, "event_id": 1})
    assert CommandLedger(sessions).answered("host:laptop", "c1") == {
        "ok": True,
        "seq": 5,
        "event_id": 1,
    }


def test_memory_is_bounded_per_sender(sessions: sessionmaker[Session]) -> None:
    ledger = CommandLedger(sessions)
    ledger.remember("host:h", "c0", {"ok": True, "seq": 1})
    assert ledger.answered("host:h", "c0") == {"ok": True, "seq": 1}
    for n in range(1, ACK_MEMORY + 1):
        ledger.remember("host:h", f"c{n}", {"ok": True})
    assert ledger.answered("host:h", "c0") is None
    assert ledger.answered("host:h", f"c{ACK_MEMORY}") == {"ok": True}


def test_old_acks_are_pruned(sessions: sessionmaker[Session]) -> None:
    ledger = CommandLedger(sessions)
    _add(ledger, sessions, "old", "甲")
    _add(ledger, sessions, "new", "乙")
    with sessions.begin() as session:
        session.execute(
            update(CommandAck)
            .where(CommandAck.command_id == "old")
            .values(created=utcnow() - timedelta(hours=RETENTION_HOURS + 1))
        )
    assert ledger.prune() == 1
    restarted = CommandLedger(sessions)
    assert restarted.answered("host:laptop", "old") is None
    assert restarted.answered("host:laptop", "new") is not None

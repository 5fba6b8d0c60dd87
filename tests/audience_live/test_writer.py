"""The batched answer writer: answers are committed in few transactions, a phone is told only
after its answer is committed, and a failed write is reported and loses nothing on record."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from quiz.audience import Tally
from quiz.live.audience_store import AnswerWrite, AnswerWriter, AudienceStore
from quiz.live.hub import LiveHub
from quiz.models.audience import AudienceAnswer
from tests.audience_live.conftest import Live, answer, open_round, show


def _round_with_members(hub: LiveHub, n: int) -> tuple[int, list[int]]:
    store = AudienceStore(hub.sessions)
    event = hub.event["id"]
    members = [store.add_member(event, f"writer-phone-{i}", 100 + i) for i in range(n)]
    tally = Tally("r0", ("A", "B"), {"A"}, 0)
    return store.open_round(event, "quiz-1", None, tally, "501"), members


def _stored(hub: LiveHub, member: int | None = None) -> int:
    query = select(func.count(AudienceAnswer.id))
    if member is not None:
        query = query.where(AudienceAnswer.member_id == member)
    with hub.sessions() as session:
        return int(session.scalar(query) or 0)


def test_answers_are_written_in_batches_and_acknowledged_after_the_commit(hub: LiveHub) -> None:
    round_row, members = _round_with_members(hub, 250)
    writer = AnswerWriter(hub.sessions, hub.socketio, "threading", max_items=100, max_wait_ms=30)
    writer.start()
    committed_before_ack: list[bool] = []
    start = threading.Barrier(25)

    def phone_group(group: int) -> None:
        start.wait(timeout=10)
        for member in members[group::25]:
            batch = writer.submit(AnswerWrite(round_row, member, ("A",), 1000, member))
            ok = batch.wait(10)
            # What the phone is told must already be in the database.
            committed_before_ack.append(ok and _stored(hub, member) == 1)

    try:
        threads = [threading.Thread(target=phone_group, args=(g,)) for g in range(25)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        writer.stop()
    assert committed_before_ack == [True] * 250
    assert _stored(hub) == 250 == writer.written
    # Batched: at most 100 to a transaction, far fewer transactions than answers.
    assert 3 <= writer.batches <= 60, writer.batches


def test_a_change_replaces_the_answer_of_the_same_batch(hub: LiveHub) -> None:
    round_row, (member,) = _round_with_members(hub, 1)
    writer = AnswerWriter(hub.sessions, hub.socketio, "threading")  # not started: at once
    writer.submit(AnswerWrite(round_row, member, ("A",), 1000, 1))
    assert writer.submit(AnswerWrite(round_row, member, ("B",), 1200, 2, change=True)).wait(1)
    with hub.sessions() as session:
        row = session.scalars(select(AudienceAnswer)).one()
        assert (row.choices, row.at_ms, row.seq) == (["B"], 1200, 2)


def test_a_failed_batch_is_reported_to_every_waiting_phone(hub: LiveHub) -> None:
    round_row, members = _round_with_members(hub, 3)
    lost: list[list[AnswerWrite]] = []
    writer = AnswerWriter(hub.sessions, hub.socketio, "threading", on_failure=lost.append)

    def broken(_items: Any) -> None:
        raise OSError("disk full")

    writer._write = broken  # type: ignore[method-assign]
    batch = writer.submit(AnswerWrite(round_row, members[0], ("A",), 1000, 1))
    assert batch.wait(1) is False
    assert [len(items) for items in lost] == [1]
    assert _stored(hub) == 0


def test_a_lost_answer_is_not_counted_and_can_be_sent_again(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    show(live, "501")
    ref = open_round(live.audience)["round"]
    real = AnswerWriter._write

    def broken(self: AnswerWriter, items: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(AnswerWriter, "_write", broken)
    ack = answer(live.audience, ["B"], ref)
    assert ack["error"]["code"] == "internal"
    desk = live.hub.audience
    assert desk.audience.current is not None and desk.audience.current.tally.answered == 0
    monkeypatch.setattr(AnswerWriter, "_write", real)
    # A new command id: the failed one is remembered with its error, like every command.
    assert answer(live.audience, ["B"], ref)["verdict"] == "accepted"
    assert desk.audience.current.tally.answered == 1 and _stored(live.hub) == 1


def test_presence_edges_are_written_in_batches_not_per_connection(
    hub: LiveHub, connect: Any, clock: Any
) -> None:
    """A phone's first socket and its last socket closing are two rows (a second tab of the
    same phone adds none), written only when the writer flushes."""
    from quiz.models.audience import AudiencePresence

    def rows() -> list[tuple[int, bool]]:
        with hub.sessions() as session:
            found = session.execute(
                select(AudiencePresence.at_ms, AudiencePresence.online).order_by(
                    AudiencePresence.id
                )
            ).all()
            return [(int(at), bool(on)) for at, on in found]

    desk = hub.audience
    before = len(rows())
    phone = connect("player", device="presence-phone-1")
    tab = connect("player", device="presence-phone-1")
    assert desk.presence.pending == 1  # two sockets, one phone online
    clock.advance(5_000)
    tab.client.disconnect()
    assert desk.presence.pending == 1  # still online through the first socket
    phone.client.disconnect()
    assert desk.presence.pending == 2
    assert len(rows()) == before  # nothing written on the connection path
    desk.writer.flush()
    assert desk.presence.pending == 0
    written = rows()[before:]
    assert [on for _at, on in written] == [True, False]
    assert written[1][0] - written[0][0] == 5_000

"""The match log: written before every broadcast, gapless, and enough to rebuild the match
after a restart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from quiz.app import hub_of
from quiz.engine import command_from_dict
from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from quiz.live.service import MatchService
from quiz.models.live import Match as MatchRow
from quiz.models.live import MatchLogEntry
from tests.server.conftest import TC, TOKEN, Live


def _log_count(hub: LiveHub, match_id: int) -> int:
    with hub.sessions() as session:
        return int(
            session.scalar(
                select(func.count(MatchLogEntry.id)).where(MatchLogEntry.match_id == match_id)
            )
            or 0
        )


def test_the_log_is_written_before_the_state_goes_out(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []
    emit = live.hub.socketio.emit

    def checking_emit(event: str, data: Any, **kwargs: Any) -> Any:
        if event == "state" and data.get("match"):
            # seq counts accepted commands, so the log must already hold that many rows.
            assert _log_count(live.hub, data["match"]["id"]) == data["seq"]
            checked.append(data["seq"])
        return emit(event, data, **kwargs)

    monkeypatch.setattr(live.hub.socketio, "emit", checking_emit)
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    live.host.host("pause")
    assert len(set(checked)) == 4


def test_log_rows_mirror_the_engine_log(live: Live) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.blue.command("buzz", press_at=None)
    service = live.hub.current
    assert service is not None
    rows = live.hub.matches.log_entries(live.match_id)
    assert [r.index for r in rows] == list(range(len(service.engine.log)))
    assert [(command_from_dict(r.command), r.now_ms) for r in rows] == service.engine.log
    assert rows[-1].seq == service.seq
    assert {e["type"] for e in rows[-1].events} >= {"buzz_won"}
    shown = [r.command for r in rows if r.command["type"] == "show_question"]
    assert shown[0]["question_id"] == live.host.last()["match"]["question"]["id"]


def test_a_restart_replays_the_log_and_pauses_running_clocks(
    live: Live, make_app: Callable[..., Flask], clock: ManualClock, app: Flask
) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    before = live.hub.current
    assert before is not None and before.phase == "answering"
    snapshot = before.engine.snapshot()
    hub_of(app).stop()

    clock.advance(60_000)  # the outage: far longer than the answer time
    restarted = hub_of(make_app())
    service = restarted.current
    assert service is not None and service.match_id == live.match_id
    after = service.engine.snapshot()
    # Same match, same question, same answering side; only the pause was added.
    assert after["phase"] == "answering" and after["paused"] is True
    assert after["question"]["answering"] == "red"
    assert after["question"]["id"] == snapshot["question"]["id"]
    assert after["seq"] == snapshot["seq"] + 1
    assert after["question"]["remaining_ms"]["answer_deadline"] == (
        snapshot["question"]["answer_deadline"] - snapshot["clock"]
    )
    assert restarted.matches.log_entries(live.match_id)[-1].command == {"type": "pause"}


def test_a_failed_write_leaves_the_match_as_it_was(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.host.host("show_question")
    seq = live.host.last()["seq"]

    def broken(*_args: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(MatchService, "_persist", broken)
    ack = live.host.host("open_buzzing")
    assert ack["error"]["code"] == "internal"
    service = live.hub.current
    assert service is not None and service.seq == seq and service.phase == "question"
    assert live.host.last()["seq"] == seq  # nothing was broadcast
    monkeypatch.undo()
    assert live.host.host("open_buzzing")["ok"]
    assert _log_count(live.hub, live.match_id) == service.seq


def test_finishing_marks_the_match_row(connect: Callable[..., TC], hub: LiveHub) -> None:
    from tests.server.conftest import start_match

    live = start_match(connect, hub, hub.clock, rules={"games_to_win": 1})  # type: ignore[arg-type]
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    live.host.host("judge", correct=True)
    with hub.sessions() as session:
        row = session.get(MatchRow, live.match_id)
        assert row is not None and row.status == "finished" and row.finished is not None
        assert row.outcome == {
            "winner": "red",
            "termination": "games",
            "games": {"red": 1, "blue": 0},
        }
    console = live.host.last("console")
    assert next(m for m in console["matches"] if m["id"] == live.match_id)["status"] == "finished"
    assert live.host.host("undo")["ok"]  # an undo reopens it
    with hub.sessions() as session:
        assert session.get(MatchRow, live.match_id).status == "live"  # type: ignore[union-attr]
    assert TOKEN


def test_a_restart_with_a_running_clock_logs_no_error(
    live: Live,
    make_app: Callable[..., Flask],
    app: Flask,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The recovery pause is a match change the audience follows: it must find its event
    loaded (it used to fail on ``assert audience.event_id is not None`` and log a traceback)."""
    live.host.host("show_question")
    live.host.host("open_buzzing")
    hub_of(app).stop()
    caplog.clear()
    restarted = hub_of(make_app())
    assert restarted.current is not None and restarted.current.engine.snapshot()["paused"]
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, [r.getMessage() for r in errors]


def test_an_undo_says_what_it_took_back(live: Live) -> None:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    live.red.command("buzz", press_at=None)
    live.host.host("judge", correct=True)
    ack = live.host.host("undo")
    assert ack["ok"] and ack["undone"]["command"] == "judge"
    ack = live.host.host("undo")
    assert (
        ack["ok"] and ack["undone"]["command"] == "open_buzzing"
    )  # a buzz is not the host's to undo

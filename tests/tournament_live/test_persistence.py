"""A tournament survives a restart like a match does: its saved JSON is reloaded, a live
tournament match is replayed by the match service and still decides its pairing, a result the
server missed in a crash is caught up, and a saved state that does not restore is left alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from quiz.app import hub_of
from quiz.live.clock import ManualClock
from quiz.live.ledger import CommandLedger
from quiz.live.tournament import TournamentDesk, load_tournament
from quiz.models.tournament import Tournament as TournamentRow
from tests.server.conftest import TC, TOKEN
from tests.tournament_live.conftest import STEP_MS, Desk


def restart(make_app: Callable[..., Flask], old: Flask) -> Flask:
    hub_of(old).stop()
    return make_app()


def test_a_restart_in_the_middle_of_a_tournament_match_keeps_everything(
    desk: Desk, make_app: Callable[..., Flask], app: Flask, clock: ManualClock
) -> None:
    ids = desk.contestants("A队", "B队", "C队", "D队")
    desk.ok("create_tournament", format="single_elimination", entrants=ids, third_place=True)
    desk.play_next("red")  # R1M1: A v D -> A
    started = desk.ok("start_next_match")  # R1M2: B v C, left live
    desk.match("adjust_games", side="blue", delta=2)
    before = desk.tournament()

    new = restart(make_app, app)
    hub = hub_of(new)
    assert hub.current is not None and hub.current.match_id == started["match_id"]
    display = TC(new, {"v": 1, "role": "display", "device": "wall-device-2"})
    after = display.last()["tournament"]
    assert after == before and after["live"] == "R1M2"

    # The replayed match goes on and its result still reaches the bracket.
    host = TC(new, {"v": 1, "role": "host", "token": TOKEN, "device": "host-device-2"})
    clock.advance(STEP_MS)
    assert host.host("adjust_games", side="blue", delta=1)["ok"]
    view = display.last()["tournament"]
    assert [m["result"]["winner"] for m in view["matches"] if m["id"] == "R1M2"] == ["blue"]
    assert view["next"] == "3P"
    assert host.last("console")["tournament"]["next"] == "3P"


def test_a_result_the_server_missed_is_caught_up_on_restart(
    desk: Desk,
    make_app: Callable[..., Flask],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    connect: Callable[..., TC],
) -> None:
    ids = desk.contestants("红星队", "蓝天队", "清朗队")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    started = desk.ok("start_next_match")
    pairing = started["pairing"]
    blue = connect("player", seat=started["seats"]["blue"], device="blue-phone-1")
    desk.match("show_question")
    assert blue.command("buzz", press_at=None)["events"] == ["early_buzz"]
    desk.match("void")

    def crash(*_args: Any) -> None:
        raise OSError("disk full")

    # The match ends and is saved; the tournament save fails (as if the server died).
    monkeypatch.setattr(TournamentDesk, "_save", crash)
    desk.match("adjust_games", side="red", delta=3)
    monkeypatch.undo()
    assert desk.pairing(pairing)["result"] is None
    with desk.hub.sessions() as session:
        saved = load_tournament(session, desk.hub.event["id"])
        assert saved is not None and saved.results == {}
    # Another match ends after it (aborted), so the restart does not keep the tournament
    # match in memory: its result has to come from replaying its log.
    plain = desk.ok("create_match", red=ids[0], blue=ids[2])
    desk.ok("start_match", match_id=plain["match_id"])
    desk.ok("abort_match", match_id=plain["match_id"])

    hub = hub_of(restart(make_app, app))
    assert hub.current is None
    view = hub.tournament.view()
    assert view is not None
    result = next(m["result"] for m in view["matches"] if m["id"] == pairing)
    assert result == {"winner": "red", "games": [3, 0], "violations": [0, 1], "forfeit": False}
    with hub.sessions() as session:
        saved = load_tournament(session, hub.event["id"])
        assert saved is not None and list(saved.results) == [pairing]


def test_a_saved_state_that_does_not_restore_is_left_alone(
    desk: Desk, make_app: Callable[..., Flask], app: Flask
) -> None:
    ids = desk.contestants("甲", "乙")
    created = desk.ok("create_tournament", format="round_robin", entrants=ids)
    with desk.hub.sessions.begin() as session:
        row = session.get(TournamentRow, created["tournament_id"])
        assert row is not None
        row.state = {**row.state, "results": {"R1M1": {"red": "1"}}}
        broken = row.state

    new = restart(make_app, app)
    hub = hub_of(new)
    assert hub.tournament.view() is None
    console = hub.tournament.console_view()
    assert console is not None and "results" in console["broken"]
    host = TC(new, {"v": 1, "role": "host", "token": TOKEN, "device": "host-device-9"})
    ack = host.command("create_tournament", format="round_robin", entrants=ids)
    assert ack["ok"] and ack["tournament_id"] != created["tournament_id"]
    with hub.sessions() as session:
        assert session.get(TournamentRow, created["tournament_id"]).state == broken


@pytest.mark.parametrize("reuse", [False, True], ids=["new match", "pending match reused"])
def test_start_next_match_resent_after_a_crash_between_its_writes_gets_the_whole_ack(
    desk: Desk,
    make_app: Callable[..., Flask],
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    reuse: bool,
) -> None:
    """``start_next_match`` writes twice (the match and its link, then the start). A crash
    between the two must not leave a stored ack without the pairing and the seat codes."""
    ids = desk.contestants("甲队", "乙队")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    if reuse:

        def refused(*_args: Any) -> None:
            raise RuntimeError("killed between the writes")

        # The first attempt creates the match and dies before starting it: a pending match
        # for the pairing, reused by the next attempt (whose first write is then the start).
        monkeypatch.setattr(desk.hub.tournament, "start_match", refused)
        assert not desk.admin("start_next_match")["ok"]
        monkeypatch.undo()
    payload = {"id": "next-after-crash", "type": "start_next_match"}
    real_settle = CommandLedger.settle
    monkeypatch.setattr(CommandLedger, "settle", lambda *_args: None)  # the process dies here
    desk.clock.advance(STEP_MS)
    first = desk.host.send(payload)
    monkeypatch.setattr(CommandLedger, "settle", real_settle)
    assert first["ok"] and sorted(first["seats"]) == ["blue", "red"]

    new = restart(make_app, app)
    host = TC(new, {"v": 1, "role": "host", "token": TOKEN, "device": "host-device-1"})
    again = host.send(payload)
    assert {k: again.get(k) for k in ("match_id", "pairing", "seats")} == {
        k: first[k] for k in ("match_id", "pairing", "seats")
    }

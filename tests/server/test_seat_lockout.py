"""The seat door's lockout at the hub: locked-out guesses never reach the database, and only
pending or live matches' seats admit a phone (a finished match's own phone comes back to see
its result, and acts no more)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from quiz.live.hub import LiveHub
from quiz.live.protocol import PEER, ProtocolError
from tests.server.conftest import TC, Live, start_match


def _guess(hub: LiveHub, code: str, n: int, address: str = "10.0.0.9") -> str:
    auth = {
        "v": 1,
        "role": "player",
        "device": "guesser-01",
        "seat": code,
        PEER: {"address": address, "connection": "conn-1"},
    }
    try:
        hub.connect(f"sid-{n}", auth)
    except ProtocolError as exc:
        return exc.code
    return "ok"


def test_locked_out_guesses_never_reach_the_database(hub: LiveHub) -> None:
    answers = [_guess(hub, "ABCDEFGH", n) for n in range(400)]
    assert answers[:4] == ["unknown_seat"] * 4
    assert set(answers[4:]) == {"seat_locked"}
    assert hub.seats.lookups == 4  # one query per checked guess, none once locked out


def test_a_finished_match_seat_admits_only_its_own_phone_to_see_the_result(
    connect: Callable[..., TC], hub: LiveHub
) -> None:
    live: Live = start_match(connect, hub, hub.clock)  # type: ignore[arg-type]
    assert live.host.host("end_match", reason="forfeit", winner="blue")["ok"]
    assert hub.matches.services[live.match_id].status == "finished"
    log_before = hub.matches.services[live.match_id].engine.state
    # Any other phone: the match is over, its seat is no longer a way in.
    stranger = {"v": 1, "role": "player", "device": "late-phone-9", "seat": live.codes["red"]}
    with pytest.raises(ProtocolError) as refused:
        hub.connect("late-9", stranger)
    assert refused.value.code == "unknown_seat"
    # The phone that held the seat, reloaded: it sees its result and can no longer act.
    phone = connect("player", seat=live.codes["red"], device="red-phone-1")
    assert phone.connected
    assert phone.last()["match"]["phase"] == "finished"
    assert phone.command("buzz")["error"]["code"] == "no_match"
    assert hub.matches.services[live.match_id].engine.state == log_before
    # Once the next match has started, it still gets its own result (not 等待比赛开始).
    people = [live.host.command("add_contestant", name=n)["contestant_id"] for n in ("丙", "丁")]
    made = live.host.command("create_match", red=people[0], blue=people[1])
    assert live.host.command("start_match", match_id=made["match_id"])["ok"]
    again = connect("player", seat=live.codes["red"], device="red-phone-1")
    you = again.last()["you"]
    assert again.last()["match"] is None and you["waiting"] is False
    assert you["result"]["winner"] == "blue" and set(you["result"]["names"]) == {"red", "blue"}

"""The seat door's lockout at the hub: locked-out guesses never reach the database, and only
pending or live matches' seats admit a phone."""

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


def test_a_finished_match_seat_is_refused(connect: Callable[..., TC], hub: LiveHub) -> None:
    live: Live = start_match(connect, hub, hub.clock)  # type: ignore[arg-type]
    assert live.host.host("end_match", reason="forfeit", winner="blue")["ok"]
    assert hub.matches.services[live.match_id].status == "finished"
    # Even the phone that held the seat: the match is over, its buzzer is no longer a seat.
    auth = {"v": 1, "role": "player", "device": "red-phone-1", "seat": live.codes["red"]}
    with pytest.raises(ProtocolError) as refused:
        hub.connect("late-red", auth)
    assert refused.value.code == "unknown_seat"

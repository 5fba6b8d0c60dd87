"""A whole tournament over real WebSockets against ``quiz serve`` in a subprocess: five teams
in a knockout (three byes), every match played question by question by two python-socketio
phones, winners advancing by themselves, a restart in the middle of a match, the champion,
then a correction that resets the final and its undo."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import LiveServer, Peer, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TEAMS = ["红星队", "蓝天队", "清朗队", "护网队", "反诈队"]
RETRIES = 30


class Host:
    """The host console: admin commands and engine commands, resent if rate limited."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer

    def do(self, type: str, engine: bool = False, **args: Any) -> dict[str, Any]:
        for _ in range(RETRIES):
            ack = (
                self.peer.host_command(type, **args) if engine else self.peer.command(type, **args)
            )
            if ack.get("error", {}).get("code") != "rate_limited":
                assert ack["ok"], (type, ack)
                return ack
            time.sleep(0.2)
        raise AssertionError(f"{type} stayed rate limited")

    def state(self, match_id: int, predicate: Callable[[dict[str, Any]], bool]) -> Any:
        return self.peer.wait_latest(
            lambda s: s["match"] is not None and s["match"]["id"] == match_id and predicate(s)
        )


def tournament_of(peer: Peer, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    state = peer.wait_latest(
        lambda s: s.get("tournament") is not None and predicate(s["tournament"])
    )
    view: dict[str, Any] = state["tournament"]
    return view


def pairing(view: dict[str, Any], pairing_id: str) -> dict[str, Any]:
    return next(m for m in view["matches"] if m["id"] == pairing_id)


def phones(
    server: LiveServer, sio_peer: Callable[..., Peer], seats: dict[str, str], match_id: int
) -> dict[str, Peer]:
    """Both contestant phones of a match, with device ids that survive a restart."""
    return {
        side: sio_peer(server, "player", seat=code, device=f"phone-{match_id}-{side}")
        for side, code in seats.items()
    }


def play_question(
    host: Host, match_id: int, players: dict[str, Peer], winner: str, early: str | None = None
) -> None:
    """One question: ``early`` buzzes before buzzing opens (违规), ``winner`` buzzes first
    and answers right on the phone."""
    host.do("show_question", engine=True)
    state = host.state(match_id, lambda s: s["match"]["phase"] == "question")
    answer = state["match"]["question"]["answer"]
    if early is not None:
        assert players[early].command("buzz", press_at=None)["events"] == ["early_buzz"]
        host.state(match_id, lambda s: bool(s["match"]["engine"]["violations"]))
    host.do("open_buzzing", engine=True)
    host.state(match_id, lambda s: s["match"]["phase"] == "buzzing")
    assert "buzz_won" in players[winner].command("buzz", press_at=None)["events"]
    host.state(match_id, lambda s: s["match"]["phase"] == "answering")
    assert players[winner].command("choice", choices=answer)["ok"]
    host.state(match_id, lambda s: s["match"]["phase"] in ("result", "finished"))


def play_match(
    host: Host,
    server: LiveServer,
    sio_peer: Callable[..., Peer],
    winner: str,
    lose_one: bool = False,
) -> dict[str, Any]:
    """Start the next pairing and play it: ``winner`` wins 3:0 (3:1 with ``lose_one``); the
    loser buzzes early once."""
    started = host.do("start_next_match")
    match_id = started["match_id"]
    players = phones(server, sio_peer, started["seats"], match_id)
    host.state(match_id, lambda s: len(s["match"]["engine"]["devices"]) == 2)
    loser = "blue" if winner == "red" else "red"
    play_question(host, match_id, players, winner, early=loser)
    if lose_one:
        play_question(host, match_id, players, loser)
    play_question(host, match_id, players, winner)
    play_question(host, match_id, players, winner)
    host.state(match_id, lambda s: s["match"]["phase"] == "finished")
    for peer in players.values():
        peer.disconnect()
    return started


def test_a_knockout_over_websockets_with_a_restart(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    server = live_server_factory()
    host = Host(sio_peer(server, "host", token=server.token))
    display = sio_peer(server, "display")
    host.peer.wait_for(lambda c: True, name="console")
    ids = [host.do("add_contestant", name=name)["contestant_id"] for name in TEAMS]
    created = host.do(
        "create_tournament",
        format="single_elimination",
        entrants=ids,
        rules={"games_to_win": 3, "pre_countdown_ms": 0},
        filter={"kinds": ["single", "truefalse"]},
    )
    assert created["next"] == "R1M2"
    view = tournament_of(display, lambda t: t["id"] == created["tournament_id"])
    assert [m["status"] for m in view["matches"]] == [
        "bye",
        "ready",
        "bye",
        "bye",
        "waiting",
        "ready",  # two byes meet: the second semi-final can be played at once
        "waiting",
    ]

    # R1M2: 护网队 (4) v 反诈队 (5): an upset, 3:1, with a 违规 by the loser.
    first = play_match(host, server, sio_peer, "blue", lose_one=True)
    assert first["pairing"] == "R1M2"
    view = tournament_of(display, lambda t: t["next"] == "R2M1")
    assert pairing(view, "R1M2")["result"] == {
        "winner": "blue",
        "games": [1, 3],
        "violations": [1, 0],
        "forfeit": False,
    }
    semi = pairing(view, "R2M1")
    assert (semi["red"]["name"], semi["blue"]["name"]) == ("红星队", "反诈队")

    # R2M1: 红星队 beats 反诈队.
    play_match(host, server, sio_peer, "red")
    view = tournament_of(display, lambda t: t["next"] == "R2M2")

    # R2M2: 蓝天队 beats 清朗队, with a restart of the server after the first question.
    started = host.do("start_next_match")
    match_id = started["match_id"]
    players = phones(server, sio_peer, started["seats"], match_id)
    host.state(match_id, lambda s: len(s["match"]["engine"]["devices"]) == 2)
    play_question(host, match_id, players, "red")
    for peer in (*players.values(), host.peer, display):
        peer.disconnect()
    stop_server(server)
    server = live_server_factory(database_url=server.database_url, token=server.token)
    host = Host(sio_peer(server, "host", token=server.token))
    display = sio_peer(server, "display")
    view = tournament_of(display, lambda t: True)
    assert view["live"] == "R2M2" and pairing(view, "R1M2")["result"]["winner"] == "blue"
    players = phones(server, sio_peer, started["seats"], match_id)
    state = host.state(match_id, lambda s: s["match"]["engine"]["score"] == {"red": 1, "blue": 0})
    if state["match"]["paused"]:
        host.do("resume", engine=True)
    play_question(host, match_id, players, "red")
    play_question(host, match_id, players, "red")
    view = tournament_of(display, lambda t: t["next"] == "R3M1")
    final = pairing(view, "R3M1")
    assert (final["red"]["name"], final["blue"]["name"]) == ("红星队", "蓝天队")

    # The final: 蓝天队 wins it.
    play_match(host, server, sio_peer, "blue")
    view = tournament_of(display, lambda t: t["finished"])
    assert view["champion"]["name"] == "蓝天队"
    places = {p["name"]: p["place"] for p in view["placements"]}
    assert places == {"蓝天队": 1, "红星队": 2, "反诈队": 3, "清朗队": 3, "护网队": 5}
    console = host.peer.wait_latest(lambda c: (c["tournament"] or {}).get("finished"), "console")
    assert console["tournament"]["champion"]["name"] == "蓝天队"

    # The host corrects the second semi-final: 清朗队 won it. The final is reset.
    fixed = host.do("correct_result", pairing="R2M2", winner="blue", games=[2, 3])
    assert fixed["reset"] == ["R3M1"]
    view = tournament_of(display, lambda t: not t["finished"])
    assert view["champion"] is None and view["next"] == "R3M1"
    assert pairing(view, "R3M1")["blue"]["name"] == "清朗队"
    # ...and takes it back.
    assert host.do("undo_tournament")["reset"] == ["R3M1"]
    view = tournament_of(display, lambda t: t["finished"])
    assert view["champion"]["name"] == "蓝天队"

"""The tournament through the live server's socket handlers (in process): creating one,
playing its pairings as real matches, results recorded from the engine, corrections, undo,
the views the host and the LED receive, and bad input refused with the documented codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from quiz.app import hub_of
from tests.server.conftest import TC, TOKEN
from tests.tournament_live.conftest import STEP_MS, Desk


def test_a_knockout_with_byes_and_a_third_place_match_is_played_to_the_end(desk: Desk) -> None:
    ids = desk.contestants("一队", "二队", "三队", "四队", "五队")
    ack = desk.ok("create_tournament", format="single_elimination", entrants=ids, third_place=True)
    assert ack["next"] == "R1M2"
    view = desk.tournament()
    # 5 entrants in a bracket of 8: seeds 1-3 have byes, 4 v 5 is the one first-round match.
    byes = [m for m in view["matches"] if m["status"] == "bye"]
    assert [m["round"] for m in byes] == [1, 1, 1]
    assert {(b["red"] or b["blue"])["name"] for b in byes} == {"一队", "二队", "三队"}
    first = desk.pairing("R1M2")
    assert (first["red"]["name"], first["blue"]["name"]) == ("四队", "五队")
    assert view["next"] == "R1M2" and view["champion"] is None

    started = desk.play_next("blue")  # 五队 beats 四队
    assert started["pairing"] == "R1M2" and set(started["seats"]) == {"red", "blue"}
    assert desk.pairing("R1M2")["result"] == {
        "winner": "blue",
        "games": [0, 3],
        "violations": [0, 0],
        "forfeit": False,
    }
    # The winner advances into the semi-final against the top seed.
    semi = desk.pairing("R2M1")
    assert (semi["red"]["name"], semi["blue"]["name"]) == ("一队", "五队")
    assert desk.tournament()["next"] == "R2M1"

    desk.play_next("red", loser_games=2)  # 一队 3:2 五队
    desk.play_next("blue", loser_games=1)  # R2M2: 二队 v 三队 -> 三队
    assert desk.tournament()["next"] == "3P"
    desk.play_next("red")  # third place: 五队 v 二队
    assert desk.tournament()["next"] == "R3M1"
    desk.play_next("red")  # final: 一队 v 三队
    view = desk.tournament()
    assert view["finished"] and view["next"] is None
    assert view["champion"]["name"] == "一队"
    places = {p["name"]: p["place"] for p in view["placements"]}
    assert places == {"一队": 1, "三队": 2, "五队": 3, "二队": 4, "四队": 5}
    assert desk.admin("start_next_match")["error"]["code"] == "nothing_ready"
    # Every pairing that was played points at its match, and the console agrees.
    played = [m for m in view["matches"] if m["status"] == "done"]
    assert len(played) == 5 and all(isinstance(m["match_id"], int) for m in played)
    assert desk.console()["champion"]["name"] == "一队"


def test_only_the_host_and_the_led_receive_the_tournament(desk: Desk) -> None:
    ids = desk.contestants("甲", "乙")
    desk.ok("create_tournament", format="single_elimination", entrants=ids)
    desk.play_next("red")
    assert desk.host.last()["tournament"]["champion"]["name"] == "甲"
    assert desk.display.last()["tournament"]["champion"]["name"] == "甲"
    assert all("tournament" not in s for s in desk.phone.all())
    late = desk.connect("display")  # a wall connecting later gets it at once
    assert late.last()["tournament"]["champion"]["name"] == "甲"


def test_the_match_decides_its_pairing_with_violations_forfeit_and_undo(
    desk: Desk, connect: Callable[..., TC]
) -> None:
    ids = desk.contestants("红星队", "蓝天队")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    started = desk.ok("start_next_match")
    red = connect("player", seat=started["seats"]["red"], device="red-phone-1")
    blue = connect("player", seat=started["seats"]["blue"], device="blue-phone-1")
    desk.match("show_question")
    desk.clock.advance(100)
    assert blue.command("buzz", press_at=None)["events"] == ["early_buzz"]
    desk.match("end_match", reason="forfeit", winner="red")
    result = desk.pairing("R1M1")["result"]
    assert result == {"winner": "red", "games": [0, 0], "violations": [0, 1], "forfeit": True}
    standings = desk.tournament()["standings"]
    assert [(r["name"], r["wins"], r["violations"]) for r in standings] == [
        ("红星队", 1, 0),
        ("蓝天队", 0, 1),
    ]
    # Undoing the end of the match reopens it, and its pairing is unplayed again.
    desk.match("undo")
    assert desk.pairing("R1M1")["result"] is None
    assert desk.tournament()["live"] == "R1M1"
    desk.match("end_match", reason="forfeit", winner="blue")
    assert desk.pairing("R1M1")["result"]["winner"] == "blue"
    assert desk.tournament()["champion"]["name"] == "蓝天队"
    assert red.connected and blue.connected


def test_a_correction_resets_what_depended_on_it_and_undo_puts_it_back(desk: Desk) -> None:
    ids = desk.contestants("A队", "B队", "C队", "D队")
    desk.ok("create_tournament", format="single_elimination", entrants=ids)
    desk.play_next("red")  # R1M1: A v D -> A
    desk.play_next("red")  # R1M2: B v C -> B
    desk.play_next("red")  # final: A v B -> A
    assert desk.tournament()["champion"]["name"] == "A队"
    rev = desk.tournament()["rev"]

    # The host finds that D won the first match 3:2: the final no longer stands.
    ack = desk.ok("correct_result", pairing="R1M1", winner="blue", games=[2, 3], violations=[1, 0])
    assert ack["reset"] == ["R2M1"] and ack["action"] == "correct"
    view = desk.tournament()
    assert view["rev"] > rev
    assert view["champion"] is None and view["next"] == "R2M1"
    final = desk.pairing("R2M1")
    assert (final["red"]["name"], final["blue"]["name"], final["result"]) == ("D队", "B队", None)

    undo = desk.ok("undo_tournament")
    assert undo["undone"] and undo["pairing"] == "R1M1" and undo["reset"] == ["R2M1"]
    assert desk.tournament()["champion"]["name"] == "A队"
    assert desk.pairing("R1M1")["result"]["winner"] == "red"

    # A score-only fix keeps the winner and resets nothing.
    fix = desk.ok("correct_result", pairing="R2M1", winner="red", games=[3, 1])
    assert fix["reset"] == []
    assert desk.pairing("R2M1")["result"]["games"] == [3, 1]
    assert desk.console()["undo"]["last"] == {"action": "correct", "match": "R2M1", "reset": []}


def test_a_host_correction_stands_until_the_match_itself_changes(
    desk: Desk, make_app: Callable[..., Flask], app: Flask
) -> None:
    ids = desk.contestants("甲队", "乙队")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    started = desk.play_next("red")
    desk.ok("correct_result", pairing="R1M1", winner="red", games=[3, 0], violations=[0, 2])
    # A finished match takes no new phone (its seat codes are refused), so nothing reaches it.
    late = desk.connect("player", seat=started["seats"]["red"], device="late-phone-1")
    assert not late.connected
    assert desk.pairing("R1M1")["result"]["violations"] == [0, 2]
    # A restart replays the finished match from its log; what the engine gives again is what the
    # correction replaced, not a change of the match, so the correction stands.
    hub_of(app).stop()
    new = make_app()
    display = TC(new, {"v": 1, "role": "display", "device": "wall-device-2"})
    [pairing] = [m for m in display.last()["tournament"]["matches"] if m["id"] == "R1M1"]
    assert pairing["result"]["violations"] == [0, 2]
    # Reopening the match does change its result: the pairing is unplayed again.
    host = TC(new, {"v": 1, "role": "host", "token": TOKEN, "device": "host-device-2"})
    desk.clock.advance(STEP_MS)
    assert host.host("undo")["ok"]
    [pairing] = [m for m in display.last()["tournament"]["matches"] if m["id"] == "R1M1"]
    assert pairing["result"] is None


def test_round_robin_standings_follow_the_tie_rule(desk: Desk) -> None:
    ids = desk.contestants("一", "二", "三")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    schedule = [
        (m["id"], m["red"]["name"], m["blue"]["name"]) for m in desk.tournament()["matches"]
    ]
    assert len(schedule) == 3
    # A three-way tie on one win each, one win each among them too, so games won over all
    # matches decide: 二 3+2 = 5, 一 3+1 = 4, 三 3+0 = 3.
    winners = {frozenset({"一", "三"}): ("一", 0), frozenset({"二", "一"}): ("二", 1)}
    winners[frozenset({"三", "二"})] = ("三", 2)
    for pairing_id, red, blue in schedule:
        winner, loser_games = winners[frozenset({red, blue})]
        started = desk.play_next("red" if winner == red else "blue", loser_games)
        assert started["pairing"] == pairing_id
    rows = desk.tournament()["standings"]
    assert [(r["rank"], r["name"], r["wins"], r["decided_by"]) for r in rows] == [
        (1, "二", 1, None),
        (2, "一", 1, "games_won"),
        (3, "三", 1, "games_won"),
    ]
    assert desk.tournament()["champion"]["name"] == "二"


def test_manual_pairing(desk: Desk) -> None:
    a, b, c = desk.contestants("甲", "乙", "丙")
    desk.ok("create_tournament", format="manual", entrants=[a, b, c], pairings=[[a, b]])
    assert [m["id"] for m in desk.tournament()["matches"]] == ["M1"]
    assert desk.admin("add_pairing", red=c, blue=a)["error"]["code"] == "busy"
    assert desk.ok("add_pairing", red=c, blue=a, round=2)["pairing"] == "M2"
    desk.play_next("blue")
    assert desk.tournament()["next"] == "M2"
    desk.play_next("red")
    assert desk.ok("undo_tournament")["pairing"] == "M2"  # the record of M2
    assert desk.pairing("M2")["status"] == "ready"


def test_the_next_match_uses_the_tournament_rules_and_a_pending_match_is_reused(
    desk: Desk,
) -> None:
    ids = desk.contestants("甲", "乙")
    rules = {"games_to_win": 2, "answer_time_ms": 15000}
    desk.ok("create_tournament", format="round_robin", entrants=ids, rules=rules)
    started = desk.ok("start_next_match")
    state = desk.host.last()
    assert state["match"]["id"] == started["match_id"]
    assert state["match"]["rules"]["games_to_win"] == 2
    assert state["match"]["rules"]["answer_time_ms"] == 15000
    assert state["tournament"]["live"] == "R1M1"
    # Aborted: the pairing is still to be played, by a new match.
    desk.ok("abort_match", match_id=started["match_id"])
    assert desk.tournament()["live"] is None and desk.pairing("R1M1")["status"] == "ready"
    again = desk.ok("start_next_match")
    assert again["match_id"] != started["match_id"] and again["pairing"] == "R1M1"


def test_commands_while_a_tournament_match_is_live_are_refused(desk: Desk) -> None:
    ids = desk.contestants("甲", "乙", "丙")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    desk.ok("start_next_match")
    for type, args in (
        ("start_next_match", {}),
        ("correct_result", {"pairing": "R1M1", "winner": "red", "games": [3, 0]}),
        ("undo_tournament", {}),
        ("create_tournament", {"format": "round_robin", "entrants": ids, "replace": True}),
    ):
        assert desk.admin(type, **args)["error"]["code"] == "conflict", type


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("create_tournament", {"format": "swiss", "entrants": [1, 2]}, "invalid"),
    ("create_tournament", {"format": "round_robin", "entrants": [1]}, "invalid"),
    ("create_tournament", {"format": "round_robin", "entrants": ["1", "2"]}, "invalid"),
    ("create_tournament", {"format": "round_robin", "entrants": [1, 1]}, "invalid"),
    ("create_tournament", {"format": "round_robin", "entrants": [1, 999]}, "not_found"),
    ("create_tournament", {"format": "round_robin", "entrants": [1, 2], "x": 1}, "invalid"),
    (
        "create_tournament",
        {"format": "round_robin", "entrants": [1, 2], "third_place": True},
        "bad_option",
    ),
    (
        "create_tournament",
        {"format": "single_elimination", "entrants": [1, 2], "third_place": True},
        "too_few",
    ),
    (
        "create_tournament",
        {"format": "round_robin", "entrants": [1, 2], "rules": {"games_to_win": 0}},
        "invalid",
    ),
    ("create_tournament", {"format": "round_robin", "entrants": [1, 2], "seed": ""}, "invalid"),
    ("create_tournament", {"format": "manual", "entrants": [1, 2], "pairings": [[1]]}, "invalid"),
    (
        "create_tournament",
        {"format": "manual", "entrants": [1, 2], "pairings": [[1, 1]]},
        "same_entrant",
    ),
    (
        "create_tournament",
        {"format": "manual", "entrants": [1, 2], "pairings": [[1, 3]]},
        "unknown_entrant",
    ),
    ("start_next_match", {}, "no_tournament"),
    ("undo_tournament", {}, "no_tournament"),
    ("correct_result", {"pairing": "R1M1", "winner": "red", "games": [3, 0]}, "no_tournament"),
]


@pytest.mark.parametrize(("type", "args", "code"), BAD)
def test_bad_tournament_commands_are_refused(
    desk: Desk, type: str, args: dict[str, Any], code: str
) -> None:
    desk.contestants("甲", "乙", "丙")
    ack = desk.admin(type, **args)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert desk.tournament() is None
    assert desk.console() is None


BAD_EDITS: list[tuple[str, dict[str, Any], str]] = [
    ("correct_result", {"pairing": "R9M9", "winner": "red", "games": [3, 0]}, "unknown_match"),
    ("correct_result", {"pairing": "R1M1", "winner": "red", "games": [1, 3]}, "invalid"),
    ("correct_result", {"pairing": "R1M1", "winner": "green", "games": [3, 0]}, "invalid"),
    ("correct_result", {"pairing": "R1M1", "winner": "red", "games": [3, -1]}, "invalid"),
    ("correct_result", {"pairing": "R1M1<b>", "winner": "red", "games": [3, 0]}, "invalid"),
    ("correct_result", {"pairing": "R2M1", "winner": "red", "games": [3, 0]}, "not_ready"),
    (
        "correct_result",
        {"pairing": "R1M1", "winner": "red", "games": [3, 0], "violations": [1]},
        "invalid",
    ),
    ("clear_result", {"pairing": "R1M1"}, "not_recorded"),
    ("undo_tournament", {}, "nothing_to_undo"),
    ("start_next_match", {"pairing": "R2M1"}, "not_ready"),
    ("start_next_match", {"pairing": "nope"}, "unknown_match"),
    ("add_pairing", {"red": 1, "blue": 2}, "wrong_format"),
    ("create_tournament", {"format": "round_robin", "entrants": [1, 2]}, "tournament_exists"),
]


@pytest.mark.parametrize(("type", "args", "code"), BAD_EDITS)
def test_bad_edits_leave_the_tournament_unchanged(
    desk: Desk, type: str, args: dict[str, Any], code: str
) -> None:
    ids = desk.contestants("甲", "乙", "丙", "丁")
    desk.ok("create_tournament", format="single_elimination", entrants=ids)
    before = desk.tournament()
    ack = desk.admin(type, **args)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    assert desk.tournament() == before


def test_only_the_host_may_run_the_tournament(desk: Desk, connect: Callable[..., TC]) -> None:
    ids = desk.contestants("甲", "乙")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    for client in (desk.display, desk.phone):
        ack = client.command("undo_tournament")
        assert ack["error"]["code"] == "forbidden"
    assert connect("host", token="wrong-token").connected is False
    assert desk.tournament()["undo"]["depth"] == 0


def test_replacing_a_tournament_keeps_the_old_one_on_record(desk: Desk) -> None:
    ids = desk.contestants("甲", "乙", "丙")
    first = desk.ok("create_tournament", format="round_robin", entrants=ids)
    desk.play_next("red")
    rev = desk.tournament()["rev"]
    second = desk.ok(
        "create_tournament", format="single_elimination", entrants=ids, replace=True, shuffle=True
    )
    assert second["tournament_id"] != first["tournament_id"]
    view = desk.tournament()
    assert view["format"] == "single_elimination" and view["rev"] > rev
    assert desk.console()["draw_seed"]  # a shuffle records the seed that made it
    from quiz.models.tournament import Tournament as Row

    with desk.hub.sessions() as session:
        assert session.get(Row, first["tournament_id"]).state["results"]  # still there


def test_names_are_sent_as_typed_for_the_pages_to_escape(desk: Desk) -> None:
    ids = desk.contestants("<img src=x onerror=alert(1)>", "A&B队")
    desk.ok("create_tournament", format="round_robin", entrants=ids)
    names = {e["name"] for e in desk.tournament()["entrants"]}
    assert names == {"<img src=x onerror=alert(1)>", "A&B队"}


def test_duplicate_names_cannot_meet_in_one_tournament(desk: Desk) -> None:
    ids = desk.contestants("张三", "张三")
    ack = desk.admin("create_tournament", format="round_robin", entrants=ids)
    assert ack["error"]["code"] == "duplicate_name"

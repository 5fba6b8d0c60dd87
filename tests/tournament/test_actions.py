"""Host actions: recording, the correction rule, undo, manual pairing and refusals."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine.rules import Side
from quiz.tournament import (
    ActionKind,
    Format,
    MatchResult,
    Status,
    Tournament,
    TournamentError,
)
from tests.tournament.helpers import entrants, play_out, result


def snapshot(t: Tournament) -> dict[str, Any]:
    """Everything but the history (which undo shortens on purpose)."""
    data = t.to_dict()
    data.pop("history")
    return data


def test_winners_advance_and_a_correction_resets_what_they_played_later() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(4))
    t.record("R1M1", result(Side.RED))  # e1 beats e4
    t.record("R1M2", result(Side.RED))  # e2 beats e3
    assert t.pairing("R2M1") == ("e1", "e2")
    t.record("R2M1", result(Side.BLUE))
    assert t.champion() == "e2"

    action = t.correct("R1M1", result(Side.BLUE))  # it was e4 who won
    assert action.kind is ActionKind.CORRECT
    assert action.reset == ("R2M1",)
    assert t.pairing("R2M1") == ("e4", "e2")
    assert t.status("R2M1") is Status.READY
    assert t.champion() is None
    assert t.next_match() == "R2M1"


def test_a_correction_that_keeps_the_winner_resets_nothing() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(4))
    t.record("R1M1", MatchResult(Side.RED, 3, 0))
    t.record("R1M2", result(Side.RED))
    t.record("R2M1", result(Side.RED))
    action = t.correct("R1M1", MatchResult(Side.RED, 3, 2, red_violations=1))
    assert action.reset == ()
    assert t.champion() == "e1"
    assert t.results["R1M1"].result.blue_games == 2


def test_clearing_a_result_resets_downstream_and_undo_brings_everything_back() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(8), third_place=True)
    play_out(t, random.Random(5))
    before = snapshot(t)
    action = t.clear("R1M3")
    # Its winner played the semi-final, whose two entrants fed the third-place match and
    # the final: all three lose their pairing.
    assert action.reset == ("R2M2", "3P", "R3M1")
    assert "R1M3" not in t.results
    assert t.champion() is None
    assert t.pairing("R2M2")[0] is None
    undone = t.undo()
    assert undone is action
    assert snapshot(t) == before


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(list(Format)[:2]),
    n=st.integers(2, 12),
    moves=st.lists(
        st.tuples(st.sampled_from(["record", "correct", "clear", "undo"]), st.integers(0, 99)),
        max_size=40,
    ),
    seed=st.integers(0, 1000),
)
def test_undo_restores_the_state_before_each_action(
    fmt: Format, n: int, moves: list[tuple[str, int]], seed: int
) -> None:
    rng = random.Random(seed)
    t = Tournament.create(fmt, entrants(n))
    states = [snapshot(t)]  # states[i] = state after i actions still in the history
    for kind, pick in moves:
        if kind == "undo":
            if not t.history:
                with pytest.raises(TournamentError):
                    t.undo()
                continue
            t.undo()
            states.pop()
            assert snapshot(t) == states[-1]
            continue
        done = [m for m in t.results]
        ready = [s.id for s in t.matches if t.status(s.id) is Status.READY]
        pool = ready if kind == "record" else done
        if not pool:
            continue
        match_id = pool[pick % len(pool)]
        if kind == "record":
            t.record(match_id, result(rng.choice([Side.RED, Side.BLUE]), rng))
        elif kind == "correct":
            t.correct(match_id, result(rng.choice([Side.RED, Side.BLUE]), rng))
        else:
            t.clear(match_id)
        states.append(snapshot(t))
        assert len(t.history) == len(states) - 1
        # The bracket never disagrees with its results.
        for m, played in t.results.items():
            assert (played.red, played.blue) == t.pairing(m)
    # Undoing everything returns to the fresh schedule.
    while t.history:
        t.undo()
    assert snapshot(t) == states[0]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 16), seed=st.integers(0, 1000), third=st.booleans())
def test_json_round_trip_at_any_point_keeps_state_and_undo(n: int, seed: int, third: bool) -> None:
    rng = random.Random(seed)
    t = Tournament.create(
        Format.SINGLE_ELIMINATION, entrants(n), third_place=third and n >= 4, seed=str(seed)
    )
    for _ in range(rng.randrange(n + 2)):
        match_id = t.next_match()
        if match_id is None:
            break
        t.record(match_id, result(rng.choice([Side.RED, Side.BLUE]), rng))
    if t.results:
        t.correct(rng.choice(sorted(t.results)), result(Side.BLUE, rng))
    data = json.loads(json.dumps(t.to_dict(), ensure_ascii=False))
    restored = Tournament.from_dict(data)
    assert restored.to_dict() == t.to_dict()
    while t.history:
        assert restored.undo().kind == t.undo().kind
        assert restored.to_dict() == t.to_dict()


def test_round_robin_and_manual_round_trip() -> None:
    rr = Tournament.create(Format.ROUND_ROBIN, entrants(5))
    play_out(rr, random.Random(1))
    assert Tournament.from_dict(json.loads(json.dumps(rr.to_dict()))).to_dict() == rr.to_dict()
    manual = Tournament.create(Format.MANUAL, entrants(4), pairings=[("e1", "e2"), ("e3", "e4")])
    manual.record("M1", result(Side.RED))
    manual.add_match("e1", "e3", 2)
    manual.record("M3", result(Side.BLUE))
    restored = Tournament.from_dict(json.loads(json.dumps(manual.to_dict())))
    assert restored.to_dict() == manual.to_dict()
    restored.undo()
    restored.undo()
    assert [s.id for s in restored.matches] == ["M1", "M2"]


def _tampered(t: Tournament, change: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(t.to_dict()))
    change(data)
    return data


def test_from_dict_refuses_inconsistent_data() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(4))
    t.record("R1M1", result(Side.RED))

    def flip_result(d: dict[str, Any]) -> None:
        d["results"]["R1M1"]["winner"] = "blue"

    def drop_history(d: dict[str, Any]) -> None:
        d["history"] = []

    def swap_entrant(d: dict[str, Any]) -> None:
        d["matches"][0]["red"] = {"entrant": "e2"}

    def unknown_key(d: dict[str, Any]) -> None:
        d["extra"] = 1

    def bad_version(d: dict[str, Any]) -> None:
        d["v"] = 99

    def bidi_name(d: dict[str, Any]) -> None:
        d["entrants"][0]["name"] = "选手\u202e1"

    def bool_games(d: dict[str, Any]) -> None:
        d["results"]["R1M1"]["games"] = [True, 0]

    for change in (
        flip_result,
        drop_history,
        swap_entrant,
        unknown_key,
        bad_version,
        bidi_name,
        bool_games,
    ):
        with pytest.raises(ValueError):
            Tournament.from_dict(_tampered(t, change))
    for junk in (None, [], "x", {"v": 1}):
        with pytest.raises(ValueError):
            Tournament.from_dict(junk)


def test_refusals_change_nothing() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(3))
    t.record("R1M2", result(Side.RED))
    before = t.to_dict()
    cases = [
        (lambda: t.record("R1M1", result(Side.RED)), "bye"),
        (lambda: t.record("R1M2", result(Side.RED)), "already_recorded"),
        (lambda: t.correct("R2M1", result(Side.RED)), "not_recorded"),
        (lambda: t.clear("R2M1"), "not_recorded"),
        (lambda: t.record("R9M9", result(Side.RED)), "unknown_match"),
        (lambda: t.add_match("e1", "e2"), "wrong_format"),
        (lambda: t.standings(), "wrong_format"),
    ]
    for call, code in cases:
        with pytest.raises(TournamentError) as err:
            call()
        assert err.value.code == code
        assert t.to_dict() == before
    fresh = Tournament.create(Format.SINGLE_ELIMINATION, entrants(4))
    with pytest.raises(TournamentError) as err:
        fresh.record("R2M1", result(Side.RED))
    assert err.value.code == "not_ready"
    with pytest.raises(TournamentError) as err:
        fresh.undo()
    assert err.value.code == "nothing_to_undo"


def test_results_are_checked() -> None:
    with pytest.raises(ValueError, match="more games"):
        MatchResult(Side.RED, 1, 3)
    assert MatchResult(Side.RED, 1, 2, forfeit=True).forfeit
    with pytest.raises(ValueError):
        MatchResult(Side.RED, 3, -1)
    with pytest.raises(ValueError):
        MatchResult(Side.RED, True, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MatchResult("red", 3, 0)  # type: ignore[arg-type]


def test_entrant_names_are_cleaned_and_checked() -> None:
    t = Tournament.create(Format.ROUND_ROBIN, [("a", "  红星\u200b 队\u202e "), ("b", "蓝天\n队")])
    assert [e.name for e in t.entrants] == ["红星 队", "蓝天 队"]
    bad = [
        ([("a", "")], "bad_name"),
        ([("a", "x" * 41), ("b", "y")], "bad_name"),
        ([("a", "X"), ("a", "Y")], "duplicate_entrant"),
        ([("a", "Team"), ("b", "team")], "duplicate_name"),
        ([("a", "X")], "too_few"),
        ([("", "X"), ("b", "Y")], "bad_entrant"),
    ]
    for listed, code in bad:
        with pytest.raises(TournamentError) as err:
            Tournament.create(Format.ROUND_ROBIN, listed)
        assert err.value.code == code
    with pytest.raises(TournamentError) as err:
        Tournament.create("swiss", entrants(4))
    assert err.value.code == "bad_format"


def test_manual_pairing() -> None:
    t = Tournament.create(Format.MANUAL, entrants(4), pairings=[("e1", "e2")])
    assert t.next_match() == "M1"
    action = t.add_match("e3", "e4")
    assert action.kind is ActionKind.ADD_MATCH and t.pairing("M2") == ("e3", "e4")
    for args, code in [
        (("e1", "e3", 1), "busy"),
        (("e1", "e1", 2), "same_entrant"),
        (("e1", "zz", 2), "unknown_entrant"),
        (("e1", "e3", 0), "bad_round"),
    ]:
        with pytest.raises(TournamentError) as err:
            t.add_match(*args)
        assert err.value.code == code
    t.add_match("e1", "e3", 2)
    t.undo()
    assert [s.id for s in t.matches] == ["M1", "M2"]
    assert not t.finished
    t.record("M1", result(Side.RED))
    t.record("M2", result(Side.RED))
    assert t.finished
    assert t.champion() == "e1"  # two winners on one win each: e1 is the better seed
    assert t.standings()[0].decided_by is None
    assert t.standings()[1].decided_by is not None

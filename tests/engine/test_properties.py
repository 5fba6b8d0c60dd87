"""Property tests over random command sequences (hypothesis).

Invariants: scores never exceed games_to_win; at most one winner; seq strictly increases;
replay(log) == live state; serialising the log to JSON and back changes nothing; undoing the
last N host actions returns to the state before them (deadlines shifted by the time elapsed).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine import (
    IllegalCommand,
    Match,
    MatchRules,
    Side,
    command_from_dict,
    command_to_dict,
)
from quiz.engine import commands as C
from quiz.engine.rules import EarlyPenalty, OpenMode, Rebound, TieRule
from tests.engine.helpers import normalised

sides = st.sampled_from([Side.RED, Side.BLUE])
devices = st.sampled_from(["r1", "b1", "r2", "zz"])

commands = st.one_of(
    st.builds(
        C.ShowQuestion,
        question_id=st.sampled_from(["Q1", "Q2", "Q3"]),
        kind=st.sampled_from(["open", "choice"]),
        answer=st.sampled_from([("A",), ("B",), ("A", "C")]),
        option_count=st.just(4),
    ),
    st.just(C.OpenBuzzing()),
    st.just(C.BeginAnswer()),
    st.builds(C.Judge, correct=st.booleans()),
    st.just(C.Void()),
    st.builds(C.Override, winner=st.none() | sides),
    st.builds(C.AdjustGames, side=sides, delta=st.sampled_from([-1, 1])),
    st.builds(C.ResolveTie, side=sides),
    st.builds(C.EndMatch, reason=st.just("r"), winner=st.none() | sides),
    st.just(C.Pause()),
    st.just(C.Resume()),
    st.just(C.Undo()),
    st.builds(C.BindDevice, side=sides, device_id=devices),
    st.builds(C.UnbindDevice, device_id=devices),
    st.builds(
        C.Buzz,
        device_id=devices,
        press_at=st.none() | st.integers(0, 200_000),
        uncertainty_ms=st.integers(0, 30),
    ),
    st.builds(
        C.SubmitChoice, device_id=devices, choices=st.sampled_from([("A",), ("B",), ("A", "C")])
    ),
    st.just(C.Tick()),
)
# Buzz/judge-heavy: the interesting races need many player commands.
# The typical flow, so that random sequences reach every phase often, not by luck.
flow = st.sampled_from(
    [
        C.ShowQuestion(question_id="Q1", kind="choice", answer=("B",), option_count=4),
        C.OpenBuzzing(),
        C.Buzz(device_id="r1"),
        C.Buzz(device_id="b1"),
        C.Judge(correct=False),
        C.Judge(correct=True),
        C.SubmitChoice(device_id="b1", choices=("B",)),
        C.Pause(),
        C.Resume(),
    ]
)
weighted = st.one_of(commands, flow, flow)
steps = st.lists(st.tuples(weighted, st.integers(0, 4000)), min_size=1, max_size=80)

rules_strategy = st.builds(
    MatchRules,
    games_to_win=st.integers(1, 4),
    open_mode=st.sampled_from(list(OpenMode)),
    pre_countdown_ms=st.sampled_from([0, 3000]),
    rebound=st.sampled_from(list(Rebound)),
    early_penalty=st.sampled_from(list(EarlyPenalty)),
    commit_window_ms=st.sampled_from([0, 150]),
    tie_rule=st.sampled_from(list(TieRule)),
    answer_begin_ms=st.sampled_from([None, 5000]),
    seed=st.just("s"),
)


def run(rules: MatchRules, script: list[tuple[C.Command, int]]) -> tuple[Match, list[Any]]:
    match = Match(rules)
    match.apply(C.BindDevice(Side.RED, "r1"), 0)
    match.apply(C.BindDevice(Side.BLUE, "b1"), 0)
    now = 0
    history: list[Any] = []  # (seq, snapshot, now, was_host_undoable)
    for command, dt in script:
        now += dt
        seq_before = match.seq
        try:
            events = match.apply(command, now)
        except IllegalCommand:
            continue
        if events:
            assert match.seq > seq_before
        else:
            assert match.seq == seq_before
        history.append((command, now))
    return match, history


@settings(max_examples=300, deadline=None)
@given(rules=rules_strategy, script=steps)
def test_invariants(rules: MatchRules, script: list[tuple[C.Command, int]]) -> None:
    match, _ = run(rules, script)
    snap = match.snapshot()
    red, blue = snap["score"]["red"], snap["score"]["blue"]
    assert 0 <= red <= rules.games_to_win and 0 <= blue <= rules.games_to_win
    assert not (red >= rules.games_to_win and blue >= rules.games_to_win)
    at_target = [s for s in ("red", "blue") if snap["score"][s] >= rules.games_to_win]
    assert len(at_target) <= 1  # at most one side can have won the match
    if snap["phase"] == "finished":
        outcome = snap["outcome"]
        assert outcome is not None
        if outcome["termination"] == "games":
            assert [outcome["winner"]] == at_target
    else:
        assert snap["outcome"] is None
        assert red < rules.games_to_win and blue < rules.games_to_win
    # Replay from the log, and from the log through JSON, gives the exact same state.
    assert Match.replay(rules, match.log).state == match.state
    wire = json.dumps([(command_to_dict(c), t) for c, t in match.log])
    decoded = [(command_from_dict(c), t) for c, t in json.loads(wire)]
    assert Match.replay(MatchRules.from_dict(rules.to_dict()), decoded).state == match.state


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, script=steps, n=st.integers(1, 5), gap=st.integers(0, 5000))
def test_undo_n_host_actions_returns_to_the_state_before_them(
    rules: MatchRules, script: list[tuple[C.Command, int]], n: int, gap: int
) -> None:
    match = Match(rules)
    match.apply(C.BindDevice(Side.RED, "r1"), 0)
    match.apply(C.BindDevice(Side.BLUE, "b1"), 0)
    now = 0
    before_host: list[tuple[dict[str, Any], int]] = []  # state seen by each undoable command
    for command, dt in script:
        if isinstance(command, (C.Undo, C.BindDevice, C.UnbindDevice)):
            continue  # keep the undo history linear and the devices fixed for this property
        now += dt
        match.apply(C.Tick(), now)
        candidate = (match.snapshot(), now)
        try:
            events = match.apply(command, now)
        except IllegalCommand:
            continue
        if command.undoable and events:
            before_host.append(candidate)
    if not before_host:
        return
    n = min(n, len(before_host))
    target, taken_at = before_host[-n]
    now += gap
    for _ in range(n):
        match.apply(C.Undo(), now)
    assert normalised(match.snapshot(), now) == normalised(target, taken_at)

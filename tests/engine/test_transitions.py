"""Table-driven transitions: every (phase, host command) pair the table forbids raises and
leaves the snapshot unchanged; every pair it allows is at least not refused for the phase."""

from __future__ import annotations

import pytest

from quiz.engine import ALLOWED, ALLOWED_WHILE_PAUSED, IllegalCommand, Phase, Side
from quiz.engine import commands as C
from tests.engine.helpers import match_in

# One instance of every host command, with arguments that are valid in some phase.
HOST_COMMANDS: list[C.Command] = [
    C.ShowQuestion(question_id="Q9", kind="open"),
    C.OpenBuzzing(),
    C.BeginAnswer(),
    C.Judge(correct=True),
    C.Void(),
    C.Override(winner=Side.BLUE),
    C.AdjustGames(side=Side.RED, delta=1),
    C.ResolveTie(side=Side.RED),
    C.EndMatch(reason="x"),
    C.Pause(),
    C.Resume(),
    C.Undo(),
    C.BindDevice(side=Side.RED, device_id="r-new"),
    C.UnbindDevice(device_id="b1"),
]
PLAYER_COMMANDS: list[C.Command] = [
    C.Buzz(device_id="r1"),
    C.SubmitChoice(device_id="r1", choices=("A",)),
    C.Tick(),
]


def test_table_covers_every_command() -> None:
    assert set(ALLOWED) == set(C.ALL_COMMANDS)
    assert {type(c) for c in HOST_COMMANDS + PLAYER_COMMANDS} == set(C.ALL_COMMANDS)


def _forbidden() -> list[object]:
    cases = []
    for phase in Phase:
        for command in HOST_COMMANDS:
            if phase not in ALLOWED[type(command)]:
                cases.append(
                    pytest.param(phase, command, False, id=f"{phase}-{type(command).__name__}")
                )
            if phase in ALLOWED[Pause_phases()] and type(command) not in ALLOWED_WHILE_PAUSED:
                cases.append(
                    pytest.param(
                        phase, command, True, id=f"{phase}-paused-{type(command).__name__}"
                    )
                )
    return cases


def Pause_phases() -> type[C.Command]:
    return C.Pause


@pytest.mark.parametrize(("phase", "command", "paused"), _forbidden())
def test_forbidden_pairs_raise_and_change_nothing(
    phase: Phase, command: C.Command, paused: bool
) -> None:
    match = match_in(phase, paused=paused)
    assert match.phase is phase
    before_snapshot = match.snapshot()
    before_state = match.state
    before_log = match.log
    with pytest.raises(IllegalCommand) as info:
        match.apply(command, 1_041)  # before any deadline of match_in() falls due
    assert info.value.code in {"wrong_phase", "paused"}
    assert match.snapshot() == before_snapshot
    assert match.state is before_state
    assert match.log == before_log


@pytest.mark.parametrize("phase", list(Phase))
@pytest.mark.parametrize("command", PLAYER_COMMANDS, ids=lambda c: type(c).__name__)
def test_player_commands_never_raise(phase: Phase, command: C.Command) -> None:
    match = match_in(phase)
    match.apply(command, 1_000_050)  # events or nothing, never an exception


@pytest.mark.parametrize("phase", list(Phase))
def test_every_phase_is_reachable(phase: Phase) -> None:
    assert match_in(phase).phase is phase

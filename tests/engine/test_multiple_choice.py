"""Multiple-choice questions answered on a contestant phone: the question says it is multiple,
the whole set of letters is judged at once, and logs written before the flag replay as before."""

from __future__ import annotations

import pytest

from quiz.engine import IllegalCommand, Match
from quiz.engine import commands as C
from quiz.engine.serde import command_from_dict, command_to_dict
from tests.engine.helpers import new_match


def _answering(answer: tuple[str, ...], multiple: bool) -> Match:
    m = new_match()
    m.apply(C.ShowQuestion("Q1", "choice", answer, 4, multiple=multiple), 10)
    m.apply(C.OpenBuzzing(), 20)
    m.apply(C.Buzz("r1"), 30)
    return m


def _verdict(m: Match) -> bool | None:
    attempts = m.snapshot()["question"]["attempts"]
    return attempts[-1]["correct"] if attempts else None


def test_the_snapshot_says_multiple() -> None:
    m = _answering(("A", "C"), multiple=True)
    assert m.snapshot()["question"]["multiple"] is True
    assert _answering(("B",), multiple=False).snapshot()["question"]["multiple"] is False


@pytest.mark.parametrize(
    ("choices", "correct"),
    [(("C", "A"), True), (("A", "C"), True), (("A",), False), (("A", "B", "C"), False)],
)
def test_the_set_is_judged(choices: tuple[str, ...], correct: bool) -> None:
    m = _answering(("A", "C"), multiple=True)
    m.apply(C.SubmitChoice("r1", choices), 40)
    assert _verdict(m) is correct


def test_only_a_choice_question_can_be_multiple() -> None:
    m = new_match()
    with pytest.raises(IllegalCommand):
        m.apply(C.ShowQuestion("Q1", "open", (), 0, multiple=True), 10)
    assert m.snapshot()["question"] is None


def test_old_logs_without_the_flag_replay() -> None:
    old = {"type": "show_question", "question_id": "Q1", "kind": "choice", "answer": ["A", "C"]}
    old["option_count"] = 4
    command = command_from_dict(old)
    assert isinstance(command, C.ShowQuestion) and command.multiple is False
    assert command_to_dict(command)["multiple"] is False
    new = command_from_dict({**old, "multiple": True})
    assert isinstance(new, C.ShowQuestion) and new.multiple is True

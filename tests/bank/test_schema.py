"""The question models as the server sees them: typed access and the engine's plain view."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank.schema import (
    MultipleQuestion,
    OpenQuestion,
    SingleQuestion,
    TrueFalseQuestion,
    engine_view,
)
from quiz.bank.validate import load_bank
from tests.bank.helpers import question, write_bank


@pytest.fixture
def loaded(tmp_path: Path) -> dict[str, object]:
    folder = write_bank(
        tmp_path,
        [
            question(1, kind="single", time_limit=15, tags=["impersonation"]),
            question(2, kind="multiple", answer=["C", "A"]),
            question(3, kind="truefalse"),
            question(4, kind="open"),
        ],
    )
    result = load_bank([folder])
    assert result.problems == ()
    return dict(result.by_id())


def test_each_type_loads_as_its_model(loaded: dict[str, object]) -> None:
    assert isinstance(loaded["AF-001"], SingleQuestion)
    assert isinstance(loaded["AF-002"], MultipleQuestion)
    assert isinstance(loaded["AF-003"], TrueFalseQuestion)
    assert isinstance(loaded["AF-004"], OpenQuestion)
    single = loaded["AF-001"]
    assert isinstance(single, SingleQuestion)
    assert single.prompt.zh == "接到自称公安的电话，要求把钱转到安全账户，这是？"
    assert single.prompt.get("en-GB") == single.prompt.en
    assert single.options[1].en == "Telecom fraud"


def test_engine_view_of_choice_questions(loaded: dict[str, object]) -> None:
    single = loaded["AF-001"]
    assert isinstance(single, SingleQuestion)
    view = engine_view(single)
    assert view["kind"] == "choice"
    assert view["answer"] == ("B",)
    assert view["option_count"] == 3
    assert view["options"][0] == {"zh": "正常办案流程", "en": "A normal procedure"}
    assert view["accepted"] == []
    assert view["answer_time_ms"] == 15_000
    assert view["tags"] == ["impersonation"]

    multiple = loaded["AF-002"]
    assert isinstance(multiple, MultipleQuestion)
    # Letters in a fixed order, whatever order the writer used.
    assert engine_view(multiple)["answer"] == ("A", "C")

    truefalse = loaded["AF-003"]
    assert isinstance(truefalse, TrueFalseQuestion)
    assert engine_view(truefalse)["kind"] == "choice"
    assert engine_view(truefalse)["option_count"] == 2


def test_engine_view_of_open_questions(loaded: dict[str, object]) -> None:
    open_question = loaded["AF-004"]
    assert isinstance(open_question, OpenQuestion)
    view = engine_view(open_question)
    assert view["kind"] == "open"
    assert view["answer"] == ()
    assert view["option_count"] == 0
    assert view["options"] == []
    assert view["accepted"] == [{"zh": "12377", "en": "12377"}]
    assert view["answer_time_ms"] is None


def test_texts_are_trimmed(tmp_path: Path) -> None:
    folder = write_bank(tmp_path, [question(1, prompt={"zh": "  题干？ \n", "en": " Prompt? "})])
    (loaded,) = load_bank([folder]).questions
    assert (loaded.prompt.zh, loaded.prompt.en) == ("题干？", "Prompt?")


def test_normalise_keeps_decimal_points_between_digits() -> None:
    from quiz.bank.schema import normalise

    assert normalise("6.5 million") != normalise("65 million")
    assert normalise("Call 110.") == normalise("call 110")

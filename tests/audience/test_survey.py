"""The satisfaction survey's pure rules: the file's checks, one answer per phone, the tally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quiz.audience.survey import (
    Survey,
    SurveyError,
    SurveyTally,
    check_answer,
    parse_survey,
)
from quiz.organiser_files import default_survey, load_survey

SPEC: dict[str, Any] = {
    "title": {"zh": "满意度调查", "en": "Survey"},
    "rating": "满意吗？",
    "questions": [
        {"id": "learned", "prompt": "了解举报渠道吗？", "options": ["了解", "一些", "不了解"]},
        {"prompt": {"zh": "再来吗？", "en": "Again?"}, "options": ["愿意", "不愿意"]},
    ],
    "comment": {"zh": "意见", "en": "Comments"},
    "comment_max": 10,
}


def survey() -> Survey:
    found, problems = parse_survey(SPEC)
    assert problems == [] and found is not None
    return found


def test_parse_gives_keys_ids_and_fallbacks() -> None:
    s = survey()
    assert [q.id for q in s.questions] == ["learned", "q2"]
    assert s.questions[0].option_keys() == ("A", "B", "C")
    assert s.rating.en == "满意吗？"  # en falls back to zh
    assert Survey.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        (
            {"questions": [{"prompt": "x", "options": ["a"]}] * 1},
            ("questions", 0, "options"),
            "2-6",
        ),
        ({"questions": [{"prompt": "x", "options": ["a", "b"]}] * 4}, ("questions",), "at most 3"),
        ({"colour": "red"}, ("colour",), "unknown key"),
        ({"comment_max": 500}, ("comment_max",), "between 1 and 200"),
        ({"rating": {"en": "only english"}}, ("rating",), "zh text is required"),
        ({"title": {"zh": "\u202e" * 3}}, ("title", "zh"), "empty"),
    ],
)
def test_parse_problems_name_where(
    change: dict[str, Any], loc: tuple[Any, ...], words: str
) -> None:
    found, problems = parse_survey({**SPEC, **change})
    assert found is None
    assert any(p.loc == loc and words in p.message for p in problems), problems


def test_one_answer_per_phone_and_the_tally() -> None:
    s = survey()
    tally = SurveyTally()
    assert tally.submit("p1", check_answer(s, 5, {"learned": "A"}, None)) == "accepted"
    assert tally.submit("p2", check_answer(s, 3, {"learned": "A", "q2": "B"}, "好")) == "accepted"
    assert tally.submit("p3", check_answer(s, 4, {}, "")) == "accepted"
    # A resend replaces the phone's earlier answer; the same answer again changes nothing.
    assert tally.submit("p1", check_answer(s, 2, {"learned": "C"}, None)) == "changed"
    assert tally.submit("p1", check_answer(s, 2, {"learned": "C"}, None)) == "unchanged"
    result = tally.result(s)
    assert result["answered"] == 3
    assert result["mean"] == 3.0  # (2 + 3 + 4) / 3
    assert result["distribution"] == {"1": 0, "2": 1, "3": 1, "4": 1, "5": 0}
    assert result["questions"][0] == {
        "id": "learned",
        "counts": {"A": 1, "B": 0, "C": 1},
        "answered": 2,
    }
    assert result["questions"][1]["counts"] == {"A": 0, "B": 1}
    assert result["comments"] == 1


def test_empty_tally_has_no_mean() -> None:
    assert SurveyTally().result(survey())["mean"] is None


@pytest.mark.parametrize(
    ("rating", "choices", "comment", "code"),
    [
        (0, {}, None, "invalid"),
        (True, {}, None, "invalid"),
        (3, {"nope": "A"}, None, "invalid"),
        (3, {"learned": "D"}, None, "invalid"),
        (3, ["A"], None, "invalid"),
        (3, {}, "这条意见显然超过了十个字的限制", "comment_too_long"),
        (3, {}, 12, "invalid"),
    ],
)
def test_bad_answers_are_refused(rating: Any, choices: Any, comment: Any, code: str) -> None:
    with pytest.raises(SurveyError) as exc:
        check_answer(survey(), rating, choices, comment)
    assert exc.value.code == code


def test_comment_is_cleaned() -> None:
    answer = check_answer(survey(), 4, {}, "  很\u200b好\u202e  ")
    assert answer.comment == "很好"


def test_shipped_survey_is_valid() -> None:
    found, problems = load_survey(default_survey())
    assert problems == [] and found is not None
    assert len(found.questions) <= 3 and found.comment is not None


def test_file_problems_are_reported_at_their_line(tmp_path: Path) -> None:
    path = tmp_path / "survey.yaml"
    path.write_text(
        "title: 调查\nquestions:\n  - prompt: 好吗\n    options: [只有一个]\ncomment_max: 0\n",
        encoding="utf-8",
    )
    found, problems = load_survey(path)
    assert found is None
    assert f"{path}:4:14: options: a list of 2-6 texts" in problems
    assert any(p.startswith(f"{path}:5:") and "comment_max" in p for p in problems)
    path.write_text("title: [unclosed\n", encoding="utf-8")
    found, problems = load_survey(path)
    assert found is None and problems[0].startswith(f"{path}:")

"""Audience answers to one question: verdicts, exact counting, results and scoring."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.audience import AudienceError, Scoring, Tally, Verdict, speed_points

OPTIONS = ("A", "B", "C", "D")


def round_(**kw: object) -> Tally:
    args: dict[str, object] = {"opened_at_ms": 1_000, "duration_ms": 10_000}
    args.update(kw)
    return Tally("q1", OPTIONS, {"B"}, **args)  # type: ignore[arg-type]


def test_first_answer_wins_unless_changing_is_allowed() -> None:
    q = round_()
    assert q.answer("p1", "A", 2_000) is Verdict.ACCEPTED
    assert q.answer("p1", "A", 2_500) is Verdict.UNCHANGED  # a resend
    assert q.answer("p1", "B", 3_000) is Verdict.DUPLICATE
    result = q.close(5_000)
    assert result.outcomes["p1"].choices == ("A",) and not result.outcomes["p1"].correct

    q = round_(allow_change=True)
    assert q.answer("p1", "A", 2_000) is Verdict.ACCEPTED
    assert q.answer("p1", ["B"], 3_000) is Verdict.CHANGED
    result = q.close(5_000)
    assert result.outcomes["p1"].correct and result.outcomes["p1"].t_ms == 2_000
    assert result.answered == 1 and result.distribution == {"A": 0, "B": 1, "C": 0, "D": 0}


def test_late_closed_and_invalid_answers_are_refused_with_a_reason() -> None:
    q = round_()
    assert q.answer("p1", "B", 11_000) is Verdict.ACCEPTED  # the deadline itself counts
    assert q.answer("p2", "B", 11_001) is Verdict.LATE
    for bad in ("E", ["A", "B"], [], "", ["A"] * 5, 7):
        assert q.answer("p3", bad, 2_000) is Verdict.INVALID  # type: ignore[arg-type]
    q.close(11_500)
    assert q.answer("p4", "B", 11_600) is Verdict.CLOSED
    assert q.answered == 1
    assert q.refused == {Verdict.LATE: 1, Verdict.INVALID: 6, Verdict.CLOSED: 1}


def test_multiple_answer_question_needs_the_exact_set() -> None:
    q = Tally("q2", OPTIONS, {"A", "C"}, 0, 10_000)
    assert q.multiple
    q.answer("exact", ["C", "A"], 100)
    q.answer("partial", ["A"], 100)
    q.answer("over", ["A", "C", "D"], 100)
    result = q.close(1_000)
    assert {p for p, o in result.outcomes.items() if o.correct} == {"exact"}
    assert result.distribution == {"A": 3, "B": 0, "C": 2, "D": 1}
    assert result.key == ("A", "C")


def test_true_false_is_two_options() -> None:
    q = Tally("tf", ("T", "F"), {"F"}, 0, 5_000)
    q.answer("p1", "F", 10)
    q.answer("p2", "T", 20)
    result = q.close(100)
    assert (result.answered, result.correct, result.share_correct) == (2, 1, 0.5)


def test_speed_formula() -> None:
    assert speed_points(0, 10_000) == 1_000
    assert speed_points(5_000, 10_000) == 750
    assert speed_points(10_000, 10_000) == 500
    assert speed_points(12_345, 10_000) == 500
    assert speed_points(-5, 10_000) == 1_000
    assert speed_points(3_333, 10_000) == 500 + (500 * 6_667) // 10_000 == 833


def test_speed_scoring_and_fastest_correct() -> None:
    q = round_(scoring=Scoring.SPEED)
    q.answer("slow", "B", 9_000)  # t = 8000
    q.answer("wrong-fast", "A", 1_001)
    q.answer("tie-first", "B", 3_000)  # t = 2000, arrived first
    q.answer("tie-second", "B", 3_000)
    q.answer("instant", "B", 1_000)
    result = q.close(11_000, fastest=3)
    assert result.fastest == (("instant", 0), ("tie-first", 2_000), ("tie-second", 2_000))
    assert result.outcomes["instant"].points == 1_000
    assert result.outcomes["slow"].points == 500 + 500 * 2_000 // 10_000
    assert result.outcomes["wrong-fast"].points == 0
    summary = result.summary()
    assert summary["correct"] == 4 and summary["share_correct"] == 0.8


def test_without_a_timer_speed_uses_how_long_the_question_was_open() -> None:
    q = round_(duration_ms=None, scoring=Scoring.SPEED)
    q.answer("p1", "B", 3_000)  # t = 2000 of an open time of 4000
    assert q.answer("p2", "B", 999_999) is Verdict.ACCEPTED  # no timer: nothing is late
    result = q.close(5_000)
    assert result.limit_ms == 4_000
    assert result.outcomes["p1"].points == 750


def test_close_is_idempotent_and_empty_rounds_work() -> None:
    q = round_()
    first = q.close(2_000)
    assert q.close(9_999) is first
    assert (first.answered, first.correct, first.share_correct, first.fastest) == (0, 0, 0.0, ())


def test_bad_setup_is_refused() -> None:
    for kwargs in (
        {"options": ("A",), "key": {"A"}},
        {"options": ("A", "A"), "key": {"A"}},
        {"options": OPTIONS, "key": {"E"}},
        {"options": OPTIONS, "key": set()},
        {"options": OPTIONS, "key": {"A", "B"}, "multiple": False},
        {"options": OPTIONS, "key": {"A"}, "duration_ms": 0},
    ):
        with pytest.raises(AudienceError):
            Tally("q", opened_at_ms=0, **kwargs)  # type: ignore[arg-type]


answers = st.lists(
    st.tuples(
        st.sampled_from([f"p{i}" for i in range(12)]),
        st.sampled_from(["A", "B", "C", "D", "E", ("A", "B"), ("B",)]),
        st.integers(0, 12_000),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(answers=answers, allow_change=st.booleans(), close_after=st.integers(0, 80))
def test_counts_exactly_the_accepted_answers(
    answers: list[tuple[str, str | tuple[str, ...], int]], allow_change: bool, close_after: int
) -> None:
    """A model of the rules (first answer wins unless changing is allowed; late and invalid
    answers refused; nothing after closing) agrees with the aggregator on every count."""
    q = Tally("q", OPTIONS, {"B"}, 0, 10_000, allow_change=allow_change)
    model: dict[str, frozenset[str]] = {}
    verdicts: list[Verdict] = []
    for n, (phone, choice, at) in enumerate(answers):
        if n == close_after:
            q.close(at)
        v = q.answer(phone, choice, at)
        verdicts.append(v)
        picked = frozenset((choice,) if isinstance(choice, str) else choice)
        if n >= close_after:
            expected = Verdict.CLOSED
        elif at > 10_000:
            expected = Verdict.LATE
        elif len(picked) != 1 or not picked <= set(OPTIONS):
            expected = Verdict.INVALID
        elif phone not in model:
            expected = Verdict.ACCEPTED
        elif model[phone] == picked:
            expected = Verdict.UNCHANGED
        else:
            expected = Verdict.CHANGED if allow_change else Verdict.DUPLICATE
        assert v is expected
        if expected in (Verdict.ACCEPTED, Verdict.CHANGED):
            model[phone] = picked
    result = q.close(12_000)
    assert result.answered == len(model) == q.answered
    assert result.correct == sum(1 for c in model.values() if c == {"B"})
    for option in OPTIONS:
        assert result.distribution[option] == sum(1 for c in model.values() if option in c)
    assert {p: frozenset(o.choices) for p, o in result.outcomes.items()} == model
    assert sum(q.refused.values()) == sum(1 for v in verdicts if not v.on_record)


def test_two_thousand_answers_are_all_counted() -> None:
    q = Tally("big", OPTIONS, {"C"}, 0, 10_000, scoring=Scoring.SPEED)
    for i in range(2_000):
        assert q.answer(f"phone-{i:04d}", OPTIONS[i % 4], i * 5) is Verdict.ACCEPTED
    result = q.close(10_000)
    assert result.answered == 2_000
    assert result.distribution == {"A": 500, "B": 500, "C": 500, "D": 500}
    assert result.correct == 500 and result.share_correct == 0.25
    assert [p for p, _ in result.fastest] == [f"phone-{i:04d}" for i in range(2, 42, 4)]
    assert sum(o.points for o in result.outcomes.values()) == sum(
        speed_points(i * 5, 10_000) for i in range(2, 2_000, 4)
    )


def test_a_timer_started_later_refuses_answers_after_it() -> None:
    """A match question is open untimed while it is read; its timer starts with buzzing."""
    tally = Tally("r1", "ABCD", "B", opened_at_ms=1000)
    assert tally.answer("early", ("B",), 50_000) is Verdict.ACCEPTED
    tally.start_timer(60_000)  # buzzing opened at 51_000, then ten seconds
    assert tally.deadline_ms == 61_000
    assert tally.answer("in-time", ("B",), 61_000) is Verdict.ACCEPTED
    assert tally.answer("late", ("B",), 61_001) is Verdict.LATE
    with pytest.raises(AudienceError):
        tally.start_timer(70_000)  # once only
    with pytest.raises(AudienceError):
        Tally("r2", "AB", "A", opened_at_ms=0).start_timer(0)

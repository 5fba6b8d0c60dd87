"""满意率 across venues: per venue and pooled, each phone counted once (docs/report.md)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from quiz.report.campaign import satisfaction_grid, satisfaction_rows
from quiz.report.labels import Words
from quiz.report.survey import SurveyReport


def _survey(counts: dict[int, int]) -> SurveyReport:
    answered = sum(counts.values())
    mean = sum(r * n for r, n in counts.items()) / answered if answered else None
    distribution = tuple((r, counts.get(r, 0)) for r in (5, 4, 3, 2, 1))
    return SurveyReport(answered, mean, distribution, (), ())


def test_per_venue_and_pooled() -> None:
    rows = satisfaction_rows(
        [("A", _survey({5: 3, 4: 1, 2: 1})), ("B", None), ("C", _survey({3: 4, 5: 1}))], "Total"
    )
    assert [r[0] for r in rows] == ["A", "C", "Total"]  # a venue without a survey adds no row
    assert rows[0][1:] == (5, 4.2, 0.8)
    assert rows[1][1:] == (5, 3.4, 0.2)
    assert rows[2][1:] == (10, 3.8, 0.5)  # pooled by phone, not an average of the venues


def test_no_survey_anywhere_gives_no_rows() -> None:
    assert satisfaction_rows([("A", None)], "Total") == []
    assert satisfaction_grid([], Words("zh-CN")).table().rows == ()


counts = st.dictionaries(st.integers(1, 5), st.integers(0, 50))


@given(st.lists(counts, min_size=1, max_size=6))
def test_the_total_never_exceeds_the_venues_and_is_order_independent(
    venues: list[dict[int, int]],
) -> None:
    named = [(f"V{i}", _survey(c)) for i, c in enumerate(venues)]
    rows = satisfaction_rows(named, "T")
    again = satisfaction_rows(list(reversed(named)), "T")
    assert rows[-1][1] == sum(sum(c.values()) for c in venues)
    assert rows[-1][1:] == again[-1][1:]
    share = rows[-1][3]
    assert share is None or 0 <= share <= 1

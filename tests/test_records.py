"""``quiz.records``: the one read side of stored matches. The report, export and live tests
exercise it against real databases; here are the rules of a match row on their own."""

from __future__ import annotations

import pytest

from quiz.engine import MatchRules
from quiz.models.live import Match as MatchRow
from quiz.records import match_rules


@pytest.mark.parametrize(
    ("stored", "compensation"),
    [
        ({}, True),
        ({"compensation": True}, True),
        ({"compensation": False}, False),
        ({"compensation": None}, True),  # only an explicit False turns it off
    ],
)
def test_compensation_is_on_unless_turned_off(
    stored: dict[str, object], compensation: bool
) -> None:
    assert match_rules(MatchRow(rules=stored)) == (MatchRules(), compensation)


def test_engine_gets_only_its_own_rules() -> None:
    defaults = MatchRules().to_dict()
    changed = next(k for k, v in defaults.items() if isinstance(v, int) and not isinstance(v, bool))
    stored = {changed: defaults[changed] + 1, "compensation": False, "a_later_switch": 1}
    rules, compensation = match_rules(MatchRow(rules=stored))
    assert rules.to_dict() == {**defaults, changed: defaults[changed] + 1}
    assert compensation is False


def test_a_row_without_rules_gets_the_defaults() -> None:
    assert match_rules(MatchRow(rules=None)) == (MatchRules(), True)


def test_bad_engine_values_still_raise() -> None:
    defaults = MatchRules().to_dict()
    key = next(k for k, v in defaults.items() if isinstance(v, int) and not isinstance(v, bool))
    with pytest.raises(ValueError):
        match_rules(MatchRow(rules={key: "soon"}))

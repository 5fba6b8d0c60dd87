"""Event scores: leaderboard with shared ranks, own rank, eligibility, persistence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.audience import AudienceError, Eligibility, Ledger, Scoring, eligible
from tests.audience.helpers import judged, ledger_from


def test_leaderboard_shares_ranks_and_keeps_a_stable_order() -> None:
    ledger = Ledger()
    judged(ledger, "q1", "s", {"c": "A", "a": "A", "b": "B", "d": "A"})
    judged(ledger, "q2", "s", {"b": "A", "a": "A", "d": "B", "e": "B"})
    rows = [(r.rank, r.phone, r.points) for r in ledger.table()]
    # a 2; c, b, d 1 each (in order of first answer); e 0
    assert rows == [(1, "a", 2), (2, "c", 1), (2, "b", 1), (2, "d", 1), (5, "e", 0)]
    assert ledger.rank_of("d") == ledger.table()[3]
    assert ledger.rank_of("nobody") is None
    assert [r.phone for r in ledger.leaderboard(2)] == ["a", "c"]


def test_top_ten_and_own_rank_far_below() -> None:
    ledger = Ledger()
    for q in range(3):
        judged(ledger, f"q{q}", "s", {f"p{i:03d}": "A" if i % 3 > q else "B" for i in range(300)})
    top = ledger.leaderboard()
    assert len(top) == 10 and all(r.points == 2 for r in top)
    last = ledger.rank_of("p000")
    assert last is not None and last.points == 0 and last.rank == 201


def test_speed_points_add_up() -> None:
    ledger = Ledger()
    judged(ledger, "q1", "s", {"fast": "A", "slow": "A"}, scoring=Scoring.SPEED)
    fast, slow = ledger.table()
    assert (fast.phone, fast.points, slow.points) == ("fast", 1_000, 999)


def test_a_question_is_counted_once() -> None:
    ledger = Ledger()
    judged(ledger, "q1", "s", {"a": "A"})
    with pytest.raises(AudienceError) as err:
        judged(ledger, "q1", "s", {"a": "A"})
    assert err.value.code == "already_counted"
    assert ledger.correct("a") == 1


tables = st.dictionaries(
    st.sampled_from([f"p{i}" for i in range(15)]),
    st.fixed_dictionaries({}, optional={f"s{s}": st.integers(0, 3) for s in range(3)}),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(table=tables, k=st.integers(0, 5), stage=st.sampled_from([None, "s0", "s1", "s2"]))
def test_eligibility_is_exactly_the_rule(
    table: dict[str, dict[str, int]], k: int, stage: str | None
) -> None:
    ledger = ledger_from(table)
    rule = Eligibility(k, stage)
    expected = sorted(
        p
        for p, row in table.items()
        if (sum(row.values()) if stage is None else row.get(stage, 0)) >= k
    )
    assert eligible(ledger, rule) == expected
    skip = expected[:1]
    assert eligible(ledger, rule, exclude=skip) == expected[1:]
    for p, row in table.items():
        assert ledger.correct(p) == sum(row.values())
    assert "stranger" not in eligible(ledger, Eligibility(0))


@settings(max_examples=30, deadline=None)
@given(table=tables)
def test_ledger_round_trips(table: dict[str, dict[str, int]]) -> None:
    ledger = ledger_from(table)
    restored = Ledger.from_dict(json.loads(json.dumps(ledger.to_dict())))
    assert restored.to_dict() == ledger.to_dict()
    assert restored.table() == ledger.table()


def test_restoring_refuses_counts_that_do_not_add_up() -> None:
    ledger = ledger_from({"a": {"s0": 2}, "b": {"s1": 1}})
    for change in (
        lambda d: d["phones"][0].update(correct=5),
        lambda d: d["phones"][0]["stages"].update(s9=1),
        lambda d: d["phones"][0].update(answered=99),
        lambda d: d["phones"].append(dict(d["phones"][0])),
        lambda d: d.update(v=2),
    ):
        data = json.loads(json.dumps(ledger.to_dict()))
        change(data)
        with pytest.raises(ValueError):
            Ledger.from_dict(data)


def test_bad_rules_are_refused() -> None:
    with pytest.raises(ValueError):
        Eligibility(-1)
    with pytest.raises(AudienceError):
        Eligibility(1, "")

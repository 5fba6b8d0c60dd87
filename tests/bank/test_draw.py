"""Drawing: reproducible from the seed, no repeats in an event, filters, a clear exhaustion."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.bank.draw import DrawFilter, PoolExhausted, draw, event_order, remaining
from quiz.bank.validate import load_bank
from tests.bank.helpers import question, write_bank


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    type: str
    difficulty: int


CATEGORY_NAMES = ("reporting", "anti-fraud", "rumours")
TYPE_NAMES = ("single", "multiple", "truefalse", "open")


def pool(size: int) -> list[Item]:
    return [
        Item(f"AF-{n:03d}", CATEGORY_NAMES[n % 3], TYPE_NAMES[n % 4], 1 + n % 3)
        for n in range(1, size + 1)
    ]


def play_event(
    questions: list[Item], seed: int | str, flt: DrawFilter | None = None
) -> tuple[list[str], PoolExhausted]:
    """Draw one question at a time until the pool runs out (bounded by the pool size)."""
    used: list[str] = []
    for _ in range(len(questions) + 1):
        try:
            (chosen,) = draw(questions, seed=seed, used=set(used), filter=flt)
        except PoolExhausted as exhausted:
            return used, exhausted
        used.append(chosen.id)
    raise AssertionError("the pool never ran out")


def test_same_seed_same_questions_whatever_the_input_order() -> None:
    questions = pool(30)
    shuffled = questions[:]
    random.Random(99).shuffle(shuffled)
    first = [q.id for q in draw(questions, seed=7, used=set(), count=10)]
    again = [q.id for q in draw(shuffled, seed=7, used=frozenset(), count=10)]
    assert first == again
    other_seed = [q.id for q in draw(questions, seed=8, used=set(), count=10)]
    assert other_seed != first
    assert len(set(first)) == 10


def test_string_seeds_are_reproducible() -> None:
    questions = pool(20)
    assert event_order(questions, "event-2025-03") == event_order(
        list(reversed(questions)), "event-2025-03"
    )


def test_no_question_repeats_across_an_event() -> None:
    questions = pool(25)
    used, exhausted = play_event(questions, seed=3)
    assert sorted(used) == sorted(q.id for q in questions)
    assert (exhausted.matched, exhausted.used, exhausted.remaining) == (25, 25, 0)


def test_filter_by_category_difficulty_and_type() -> None:
    questions = pool(60)
    flt = DrawFilter.of(categories=["anti-fraud", "rumours"], difficulties=[2], types=["single"])
    expected = {
        q.id
        for q in questions
        if q.category in ("anti-fraud", "rumours") and q.difficulty == 2 and q.type == "single"
    }
    assert expected  # the pool is built so that the filter matches something
    used, exhausted = play_event(questions, seed=11, flt=flt)
    assert set(used) == expected and len(used) == len(expected)
    assert exhausted.matched == len(expected)


def test_exhaustion_says_how_many_matched_and_were_used() -> None:
    questions = pool(12)
    flt = DrawFilter.of(categories=["reporting"])
    matched = [q for q in questions if q.category == "reporting"]
    used = {matched[0].id, matched[1].id, "RU-999"}  # an id of another filter counts for nothing
    assert remaining(questions, used, flt) == len(matched) - 2
    with pytest.raises(PoolExhausted) as caught:
        draw(questions, seed=1, used=used, filter=flt, count=len(matched))
    error = caught.value
    assert (error.matched, error.used, error.requested, error.remaining) == (4, 2, 4, 2)
    assert str(error) == (
        "not enough questions left: 4 requested, but only 2 of the 4 questions matching the "
        "filter (categories=reporting; difficulties=any; types=any) are unused; 2 of them "
        "were already used in this event (or share a fact or group with one that was)"
    )


def test_a_filter_matching_nothing_is_exhausted_at_once() -> None:
    with pytest.raises(PoolExhausted) as caught:
        draw(pool(5), seed=1, used=set(), filter=DrawFilter.of(difficulties=[9]))
    assert (caught.value.matched, caught.value.used) == (0, 0)


def test_duplicate_ids_are_refused() -> None:
    questions = pool(3) + pool(1)
    with pytest.raises(ValueError, match="AF-001 appears twice"):
        draw(questions, seed=1, used=set())


def test_draws_loaded_bank_questions(tmp_path: Path) -> None:
    folder = write_bank(
        tmp_path, [question(1, kind="single"), question(2, kind="open", fact="F002")]
    )
    questions = load_bank([folder]).questions
    (chosen,) = draw(questions, seed=5, used={"AF-001"}, filter=DrawFilter.of(types=["open"]))
    assert chosen.id == "AF-002"


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32) | st.text(max_size=12),
    categories=st.frozensets(st.sampled_from(CATEGORY_NAMES)),
    difficulties=st.frozensets(st.integers(min_value=1, max_value=3)),
    batch=st.integers(min_value=1, max_value=4),
)
def test_property_every_match_exactly_once_then_exhausted(
    size: int,
    seed: int | str,
    categories: frozenset[str],
    difficulties: frozenset[int],
    batch: int,
) -> None:
    questions = pool(size)
    flt = DrawFilter(categories, difficulties)
    matching = {q.id for q in questions if flt.matches(q)}
    used: list[str] = []
    for _ in range(size + 1):
        left = remaining(questions, set(used), flt)
        assert left == len(matching) - len(used)
        if left < batch:
            with pytest.raises(PoolExhausted) as caught:
                draw(questions, seed=seed, used=set(used), filter=flt, count=batch)
            assert (caught.value.matched, caught.value.used) == (len(matching), len(used))
            break
        chosen = draw(questions, seed=seed, used=set(used), filter=flt, count=batch)
        # Reproducible: the same state gives the same draw.
        assert chosen == draw(questions, seed=seed, used=set(used), filter=flt, count=batch)
        assert len(chosen) == batch
        assert all(flt.matches(q) and q.id not in used for q in chosen)
        used.extend(q.id for q in chosen)
    else:
        raise AssertionError("drawing did not end")
    assert len(used) == len(set(used))
    assert set(used) <= matching
    assert len(matching) - len(used) < batch


@dataclass(frozen=True)
class Sourced:
    id: str
    category: str
    type: str
    difficulty: int
    fact: str
    group: str | None = None


def test_one_question_per_fact_or_group_per_event() -> None:
    # Six facts, each behind three questions; two groups joining questions of other facts.
    questions = [
        Sourced(f"AF-{n:03d}", "anti-fraud", "single", 1, f"F{n % 6:03d}") for n in range(18)
    ] + [
        Sourced("RP-001", "reporting", "single", 1, "F100", "hotline-12381"),
        Sourced("RP-002", "reporting", "single", 1, "F101", "hotline-12381"),
        Sourced("RP-003", "reporting", "single", 1, "F102", "hotline-12381"),
    ]
    for seed in range(50):
        shown: list[Sourced] = []
        while True:
            try:
                (chosen,) = draw(questions, seed=seed, used={q.id for q in shown})
            except PoolExhausted as exhausted:
                assert exhausted.remaining == 0
                break
            shown.append(chosen)
        facts = [q.fact for q in shown]
        groups = [q.group for q in shown if q.group]
        assert sorted(facts) == sorted(set(facts)) and len(groups) == 1
        # Every fact and the group are asked once: nothing is left unasked for no reason.
        assert len(shown) == 6 + 1
    # A batch of several keeps its members apart too.
    batch = draw(questions, seed=3, used=set(), count=7)
    assert len({q.fact for q in batch}) == 7
    with pytest.raises(PoolExhausted):
        draw(questions, seed=3, used=set(), count=8)


def test_keys_of_questions_gone_from_the_bank_still_count() -> None:
    questions = [Sourced("AF-001", "anti-fraud", "single", 1, "F001")]
    assert remaining(questions, set(), keys={"fact:F001"}) == 0
    with pytest.raises(PoolExhausted):
        draw(questions, seed=1, used={"AF-900"}, keys={"fact:F001"})
    assert draw(questions, seed=1, used={"AF-900"}, keys={"fact:F002"}) == questions


def test_the_shipped_bank_asks_each_fact_once_per_event() -> None:
    questions = load_bank().questions
    for seed in ("event-1", "event-2"):
        used: set[str] = set()
        facts: list[str] = []
        groups: list[str] = []
        while True:
            try:
                (chosen,) = draw(questions, seed=seed, used=used)
            except PoolExhausted:
                break
            used.add(chosen.id)
            facts.append(chosen.fact)
            groups.extend([chosen.group] if chosen.group else [])
        assert len(facts) == len(set(facts)) and len(groups) == len(set(groups))
        # Each question left out shares a fact or a group with one that was asked.
        for item in questions:
            if item.id not in used:
                assert item.fact in facts or (item.group and item.group in groups)

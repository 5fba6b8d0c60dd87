"""Schedule properties: knockout brackets (seeding, byes, one champion) and round robins
(every pair once, nobody twice in a round)."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.engine.rules import Side
from quiz.tournament import (
    THIRD_PLACE_ID,
    Feed,
    Format,
    Status,
    Tournament,
    TournamentError,
    bracket_positions,
    round_robin,
    seeded_order,
    single_elimination,
)
from tests.tournament.helpers import entrants, play_out, result

sizes = st.integers(min_value=2, max_value=64)


@pytest.mark.parametrize("size", [1, 2, 4, 8, 16, 32, 64, 128])
def test_bracket_positions_keep_top_seeds_apart(size: int) -> None:
    order = bracket_positions(size)
    assert sorted(order) == list(range(1, size + 1))
    for i in range(0, size - 1, 2):
        assert order[i] + order[i + 1] == size + 1
    # The top 2**k seeds sit in 2**k different blocks of the bracket.
    k = 1
    while 2**k <= size:
        block = size // 2**k
        blocks = {order.index(seed) // block for seed in range(1, 2**k + 1)}
        assert len(blocks) == 2**k
        k += 1


def test_bracket_positions_refuses_other_sizes() -> None:
    for size in (0, 3, 6, 12):
        with pytest.raises(ValueError):
            bracket_positions(size)


def test_eight_entrants_pair_like_the_textbook() -> None:
    slots = single_elimination([f"s{i}" for i in range(1, 9)])
    first = [(s.red.ref, s.blue.ref) for s in slots if s.round == 1 if s.red and s.blue]
    assert first == [("s1", "s8"), ("s4", "s5"), ("s2", "s7"), ("s3", "s6")]


@settings(max_examples=80, deadline=None)
@given(n=sizes, third=st.booleans(), seed=st.integers(0, 2**32))
def test_knockout_properties(n: int, third: bool, seed: int) -> None:
    third = third and n >= 4
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(n), third_place=third)
    ids = [e.id for e in t.entrants]
    size = 1 << (n - 1).bit_length()

    # Round 1 holds every entrant exactly once; byes are only in round 1 and go to the
    # top seeds; no later match is fed by two byes.
    first = [s for s in t.matches if s.round == 1]
    listed = [src.ref for s in first for src in (s.red, s.blue) if src is not None]
    assert sorted(listed) == sorted(ids)
    byes = [s for s in t.matches if s.is_bye]
    assert all(s.round == 1 for s in byes)
    assert not any(s.red is None and s.blue is None for s in t.matches)
    with_bye = {(s.red or s.blue).ref for s in byes if (s.red or s.blue) is not None}
    assert with_bye == set(ids[: size - n])
    for s in t.matches:
        if s.round > 1:
            assert s.red is not None and s.blue is not None
            assert s.red.feed is not Feed.ENTRANT and s.blue.feed is not Feed.ENTRANT

    played = play_out(t, random.Random(seed))
    assert played == n - 1 + (1 if third else 0)
    assert t.finished and t.next_match() is None

    # Every contestant plays at least one real match, and exactly one never loses.
    appearances: Counter[str] = Counter()
    losses: Counter[str] = Counter()
    for match_id, p in t.results.items():
        appearances.update([p.red, p.blue])
        if match_id != THIRD_PLACE_ID:
            losses[p.loser] += 1
    assert set(appearances) == set(ids)
    unbeaten = [e for e in ids if losses[e] == 0]
    assert unbeaten == [t.champion()]
    assert all(losses[e] == 1 for e in ids if e != t.champion())
    places = {p.entrant: p.place for p in t.placements()}
    assert [e for e, p in places.items() if p == 1] == [t.champion()]
    assert all(p is not None for p in places.values())
    if third:
        assert sorted(p for p in places.values() if p is not None and p <= 4) == [1, 2, 3, 4]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 64))
def test_top_seeds_meet_late(n: int) -> None:
    """If the better seed always wins, the final is seed 1 against seed 2 and the
    semi-finals hold seeds 1-4."""
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(n))
    rank = {e.id: i for i, e in enumerate(t.entrants)}
    for _ in range(n):
        match_id = t.next_match()
        if match_id is None:
            break
        red, blue = t.pairing(match_id)
        assert red is not None and blue is not None
        t.record(match_id, result(Side.RED if rank[red] < rank[blue] else Side.BLUE))
    final = t.results[t.matches[-1].id]
    assert {rank[final.red], rank[final.blue]} == {0, 1}
    if n >= 4:
        semis = [p for m, p in t.results.items() if t.slot(m).round == t.matches[-1].round - 1]
        assert {rank[e] for p in semis for e in (p.red, p.blue)} == {0, 1, 2, 3}


def test_third_place_needs_four_entrants_and_a_knockout() -> None:
    with pytest.raises(TournamentError) as err:
        Tournament.create(Format.SINGLE_ELIMINATION, entrants(3), third_place=True)
    assert err.value.code == "too_few"
    with pytest.raises(TournamentError) as err:
        Tournament.create(Format.ROUND_ROBIN, entrants(4), third_place=True)
    assert err.value.code == "bad_option"


def test_third_place_is_played_before_the_final() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(4), third_place=True)
    assert [s.id for s in t.matches] == ["R1M1", "R1M2", "3P", "R2M1"]
    t.record("R1M1", result(Side.RED))
    t.record("R1M2", result(Side.BLUE))
    assert t.pairing("3P") == ("e4", "e2")
    assert t.next_match() == "3P"


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 40))
def test_round_robin_properties(n: int) -> None:
    ids = [f"e{i}" for i in range(n)]
    slots = round_robin(ids)
    pairs = [frozenset((s.red.ref, s.blue.ref)) for s in slots if s.red and s.blue]
    assert len(pairs) == len(set(pairs)) == n * (n - 1) // 2
    rounds = sorted({s.round for s in slots})
    assert rounds == list(range(1, (n if n % 2 else n - 1) + 1))
    red: Counter[str] = Counter()
    blue: Counter[str] = Counter()
    for r in rounds:
        playing = [e for s in slots if s.round == r for e in (s.red, s.blue) if e is not None]
        names = [src.ref for src in playing]
        assert len(names) == len(set(names)), f"someone plays twice in round {r}"
        assert len(names) == n - n % 2  # one entrant rests each round when n is odd
    for s in slots:
        assert s.red is not None and s.blue is not None
        red[s.red.ref] += 1
        blue[s.blue.ref] += 1
    assert all(abs(red[e] - blue[e]) <= 1 for e in ids)


def test_round_robin_odd_count_gives_each_entrant_one_rest() -> None:
    ids = ["a", "b", "c", "d", "e"]
    slots = round_robin(ids)
    for e in ids:
        rests = [
            r
            for r in range(1, 6)
            if e not in {x.ref for s in slots if s.round == r for x in (s.red, s.blue) if x}
        ]
        assert len(rests) == 1


@given(n=st.integers(1, 30), seed=st.text(min_size=1, max_size=20))
def test_seeded_order_is_a_reproducible_permutation(n: int, seed: str) -> None:
    ids = [f"e{i}" for i in range(n)]
    order = seeded_order(ids, seed)
    assert sorted(order) == sorted(ids)
    assert seeded_order(ids, seed) == order
    assert seeded_order(ids, None) == ids


def test_seeded_tournament_is_reproducible_and_differs_from_host_order() -> None:
    a = Tournament.create(Format.SINGLE_ELIMINATION, entrants(16), seed="2024 城市网信办")
    b = Tournament.create(Format.SINGLE_ELIMINATION, entrants(16), seed="2024 城市网信办")
    host = Tournament.create(Format.SINGLE_ELIMINATION, entrants(16))
    assert a.to_dict() == b.to_dict()
    assert [e.id for e in a.entrants] != [e.id for e in host.entrants]
    assert [e.id for e in host.entrants] == [f"e{i}" for i in range(1, 17)]


def test_statuses_through_a_small_bracket() -> None:
    t = Tournament.create(Format.SINGLE_ELIMINATION, entrants(3))
    assert [t.status(s.id) for s in t.matches] == [Status.BYE, Status.READY, Status.WAITING]
    assert t.pairing("R2M1") == ("e1", None)
    t.record("R1M2", result(Side.BLUE))
    assert t.pairing("R2M1") == ("e1", "e3")
    assert t.status("R2M1") is Status.READY

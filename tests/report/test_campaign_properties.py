"""Properties of the campaign figures (hypothesis): reach counts never exceed joins and count
a phone once; awareness counts a phone once per message; adding venues up is order-independent
and, through ``pick``, idempotent."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.ops.archive import Archive
from quiz.records import JudgedQuestion
from quiz.report.awareness import add_up, awareness_of, wilson
from quiz.report.data import EventInfo, Rate, ReportData
from quiz.report.merge import Venue, combine, pick
from quiz.report.reach import Reach, intervals, peak_online, reach_of

PHONES = st.sampled_from([f"p{i}" for i in range(12)])
MESSAGES = st.lists(st.sampled_from(["knows-12377", "knows-96110", "task-scam"]), max_size=2)
EDGES = st.lists(st.tuples(PHONES, st.integers(0, 10_000), st.booleans()), max_size=60)
SMALL = settings(max_examples=150, deadline=None)


@SMALL
@given(
    joined=st.dictionaries(PHONES, st.integers(0, 10_000_000)),
    answered=st.lists(PHONES),
    edges=st.none() | EDGES,
    end=st.none() | st.tuples(st.integers(0, 5_000), st.integers(5_000, 10_000)),
    surveyed=st.none() | st.lists(PHONES),
)
def test_reach_never_exceeds_joins(joined, answered, edges, end, surveyed) -> None:
    r = reach_of(joined, answered, edges, end, surveyed)
    assert r.joined == len(joined)
    assert 0 <= r.answered <= r.joined
    assert r.answered == len(set(answered) & set(joined))  # a phone counted once
    for part in (r.stayed, r.surveyed, r.peak):
        assert part is None or 0 <= part <= r.joined
    assert sum(n for _at, n in r.joins) == r.joined
    if edges is None:
        assert r.stayed is None and r.peak is None


@SMALL
@given(edges=EDGES)
def test_spans_never_overlap_for_one_phone(edges) -> None:
    spans = intervals(edges, 10_000)
    for phone_spans in spans.values():
        ordered = sorted(phone_spans)
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(ordered))
        assert all(start <= stop for start, stop in ordered)
    assert peak_online(spans) <= len(spans)


QUESTIONS = st.lists(
    st.tuples(MESSAGES, st.dictionaries(PHONES, st.booleans(), max_size=8)), max_size=8
)


def judged(questions) -> tuple[list[JudgedQuestion], dict[str, list[str]]]:
    out, tags = [], {}
    for n, (messages, verdicts) in enumerate(questions):
        out.append(JudgedQuestion("quiz-1", None, str(n), verdicts))
        tags[str(n)] = messages
    return out, tags


@SMALL
@given(questions=QUESTIONS)
def test_awareness_counts_a_phone_once_per_message(questions) -> None:
    items, tags = judged(questions)
    rates = awareness_of(items, lambda q: tags[q])
    for rate in rates:
        tagged = [q for q in items if rate.message in tags[q.question_id]]
        phones = {p for q in tagged for p in q.verdicts}
        assert rate.phones == len(phones)
        assert rate.knew == sum(
            1 for p in phones if all(q.verdicts[p] for q in tagged if p in q.verdicts)
        )
        assert rate.answers == sum(len(q.verdicts) for q in tagged)
        interval = rate.interval
        if rate.phones:
            assert interval is not None and interval[0] <= rate.knew / rate.phones <= interval[1]


def test_wilson_matches_a_worked_example() -> None:
    # 8 of 10: the textbook Wilson interval is 0.4902 to 0.9433.
    low, high = wilson(8, 10) or (0, 0)
    assert round(low, 4) == 0.4902 and round(high, 4) == 0.9433
    assert wilson(0, 0) is None and wilson(0, 5)[0] == 0.0  # type: ignore[index]


def venue(n: int, joined: int, answered: int, questions) -> Venue:
    items, tags = judged(questions)
    data = ReportData(
        event=EventInfo(n, f"E{n}", "zh-CN", datetime(2026, 1, 1, tzinfo=UTC), None, None),
        generated=datetime(2026, 1, 1, tzinfo=UTC),
        matches=(),
        contestants=(),
        plays=(),
        categories=(),
        questions=(),
        hardest=(),
        easiest=(),
        min_sample=2,
        audience=None,
        bracket=None,
        draws=None,
        reach=Reach(joined, min(joined, answered), None, None, None),
        awareness=awareness_of(items, lambda q: tags[q]),
    )
    return Venue(f"venue {n}", f"source {n}", f"hash {n}", data)


VENUES = st.lists(
    st.builds(
        venue,
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 50),
        QUESTIONS,
    ),
    max_size=5,
    unique_by=lambda v: v.data.event.id,
)


@SMALL
@given(venues=VENUES, order=st.randoms(use_true_random=False))
def test_merging_is_order_independent(venues, order) -> None:
    shuffled = list(venues)
    order.shuffle(shuffled)
    one, two = combine(venues), combine(shuffled)
    assert one.venues == two.venues and one.reach == two.reach
    assert one.awareness == two.awareness
    assert one.awareness == add_up(v.data.awareness for v in venues)
    if venues:
        assert one.reach is not None
        assert one.reach.joined == sum(v.data.reach.joined for v in venues)  # type: ignore[union-attr]
        assert one.reach.answered <= one.reach.joined


def archive(n: int, source: int, exported: int) -> Archive:
    manifest = {"content_sha256": f"h{n}", "source": f"s{source}", "venue": f"v{source}",
                "exported": f"2026-01-01T00:00:{exported:02}", "event_id": 1}  # fmt: skip
    return Archive(f"{n}.zip", manifest, {})


ARCHIVES = st.lists(
    st.builds(archive, st.integers(0, 6), st.integers(0, 3), st.integers(0, 59)), max_size=8
).map(lambda items: list({a.content_hash: a for a in items}.values()))


@SMALL
@given(archives=ARCHIVES, repeat=st.lists(st.integers(0, 7), max_size=6), order=st.randoms())
def test_pick_is_idempotent_and_order_independent(archives, repeat, order) -> None:
    kept, _dups, _replaced = pick(archives)
    given_more = archives + [archives[i % len(archives)] for i in repeat] if archives else []
    order.shuffle(given_more)
    again, _dups2, _replaced2 = pick(given_more)
    assert sorted(a.content_hash for a in again) == sorted(a.content_hash for a in kept)
    # One archive per source, and it is the newest export of that source.
    assert len({a.source for a in kept}) == len(kept)
    for a in kept:
        same = [b for b in archives if b.source == a.source]
        assert (a.manifest["exported"], a.content_hash) == max(
            (b.manifest["exported"], b.content_hash) for b in same
        )
    assert pick(kept)[0] == kept or sorted(x.content_hash for x in pick(kept)[0]) == sorted(
        x.content_hash for x in kept
    )


def test_reach_adds_up_and_keeps_not_recorded() -> None:
    a = Reach(3, 2, None, None, None)
    b = Reach(5, 4, 3, None, 4)
    assert a + b == b + a == Reach(8, 6, 3, None, 4)
    assert replace(a, joins=((0, 3),)) + a == Reach(6, 4, None, None, None)
    assert Rate(1, 2) + Rate(1, 1) == Rate(2, 3)

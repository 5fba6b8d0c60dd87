"""Audience answers, the bracket and prize draws: the report reads them through
``quiz.report.sources`` and says "none recorded" when there are none.

The records here are made with the real domain modules (``quiz.audience``,
``quiz.tournament``), as the server will make them once it stores them, and attached to the
questions the played event really showed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session, sessionmaker

from quiz.audience import (
    ClaimCodes,
    Draw,
    Eligibility,
    Ledger,
    Prize,
    Tally,
)
from quiz.engine import Side
from quiz.models.audience import AudienceAnswer, AudienceMember, PrizeDraw
from quiz.models.audience import AudienceQuestion as AudienceQuestionRow
from quiz.models.live import QuizEvent
from quiz.models.tournament import Tournament as TournamentRow
from quiz.report import AudienceTally, Rate, collect, question_stats, render_html
from quiz.report.sources import NoneRecorded, StoredRecords
from quiz.report.tables import to_csv
from quiz.tournament import MatchResult, Tournament
from tests.report.conftest import EVIL_NAME, Played


def audience_round(round_id: str, key: str, answers: dict[str, str]) -> Tally:
    rnd = Tally(round_id, ("A", "B", "C", "D"), {key}, opened_at_ms=0)
    for at, (phone, choice) in enumerate(answers.items(), start=1):
        rnd.answer(phone, choice, at_ms=at * 100)
    return rnd


class Recorded(NoneRecorded):
    """Audience answers to three questions of the played event, a knockout and one draw."""

    def __init__(self, played: Played) -> None:
        v = played.versions_one
        m1, m2 = played.matches[0], played.matches[1]
        af001 = audience_round("m1-q1", "C", {"p1": "C", "p2": "C", "p3": "C", "p4": "A"})
        rp001 = audience_round("m1-q2", "C", {"p1": "A", "p5": "B"})
        ls001 = audience_round("m2-q5", "C", {"p1": "C", "p2": "C", "p6": "D"})
        results = [af001.close(1_000), rp001.close(1_000), ls001.close(1_000)]
        self.tallies = [
            AudienceTally.of_round(m1, v["AF-001"], results[0]),
            AudienceTally.of_round(m1, v["RP-001"], results[1]),
            AudienceTally.of_round(m2, v["LS-001"], results[2]),
        ]
        ledger = Ledger()
        for result in results:
            ledger.add(result, stage="event")
        prize = Prize.create("p1", "纪念U盘 <img src=x>", 2)
        draw = Draw.prepare(
            "d1", prize, ledger, Eligibility(1), at_ms=5_000, rng=random.Random(7)
        ).run(ClaimCodes(rng=random.Random(8)), at_ms=6_000, nickname=lambda p: f"护网卫士-{p}")
        self._draws = [draw]
        knockout = Tournament.create("single_elimination", [("a", EVIL_NAME), ("b", "李四")])
        knockout.record("R1M1", MatchResult(Side.RED, 3, 1))
        self._tournament = knockout
        self.event_id = played.event_one

    def audience(self, session: Session, event_id: int) -> Sequence[AudienceTally] | None:
        return self.tallies if event_id == self.event_id else None

    def tournament(self, session: Session, event_id: int) -> Tournament | None:
        return self._tournament

    def draws(self, session: Session, event_id: int) -> Sequence[Draw] | None:
        return self._draws


def test_audience_rates_per_category_and_phones(played: Played) -> None:
    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=Recorded(played))
    assert data.audience is not None
    # Phones p1..p6 answered: 3 of 4 right, then 0 of 2, then 2 of 3.
    assert data.audience.phones == 6
    assert data.audience.answers == Rate(5, 9)
    audience = {c.category: c.audience for c in data.categories}
    assert audience == {
        "anti-fraud": Rate(3, 4),
        "reporting": Rate(0, 2),
        "rumours": Rate(0, 0),
        "personal-information": Rate(0, 0),
        "laws-and-safety": Rate(2, 3),
    }
    # Pooled with the contestants: AF-001 1/1 + 3/4, RP-001 1/2 + 0/2, LS-001 1/2 + 2/3.
    pooled = {q.question.code: q.pooled for q in data.questions if q.audience and q.audience.total}
    assert pooled == {"AF-001": Rate(4, 5), "RP-001": Rate(1, 4), "LS-001": Rate(3, 5)}
    assert data.plays[0].audience == Rate(3, 4)
    # Eligible (>= 2 answers): AF-004 0/2, RU-001 0/2, RP-001 1/4, LS-001 3/5, AF-001 4/5.
    assert [q.question.code for q in data.hardest] == ["AF-004", "RU-001", "RP-001"]
    assert [q.question.code for q in data.easiest] == ["AF-001", "LS-001"]


def test_bracket_and_draws_are_shown_without_claim_codes(played: Played) -> None:
    recorded = Recorded(played)
    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=recorded)
    assert data.bracket is not None
    assert data.bracket.champion == EVIL_NAME
    assert [
        (m.id, m.red, m.blue, m.red_games, m.blue_games, m.status) for m in data.bracket.matches
    ] == [("R1M1", EVIL_NAME, "李四", 3, 1, "done")]
    assert [(r.place, r.name) for r in data.bracket.ranking] == [(1, EVIL_NAME), (2, "李四")]
    assert data.draws is not None and len(data.draws) == 1
    draw = data.draws[0]
    assert (draw.prize, draw.count, draw.drawn, len(draw.winners)) == (
        "纪念U盘 <img src=x>",
        2,
        True,
        2,
    )
    assert all(w.startswith("护网卫士-p") for w in draw.winners)
    html = render_html(data, "zh-CN")
    assert "纪念U盘 &lt;img src=x&gt;" in html and "<img" not in html
    codes = [w.claim_code for d in recorded._draws for w in d.winners or ()]
    tables = to_csv(data)
    for code in codes:  # claim codes are the prize itself: never printed or exported
        assert code not in html and all(code not in text for text in tables.values())
    assert {"bracket.csv", "ranking.csv", "draws.csv"} <= set(tables)


def test_nothing_recorded_says_so(played: Played) -> None:
    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=NoneRecorded())
    assert data.audience is None and data.bracket is None and data.draws is None
    html = render_html(data, "en")
    assert html.count("None recorded") >= 4  # phones, audience rate, draws, audience column
    assert "No tournament recorded" in html
    assert {"bracket.csv", "ranking.csv", "draws.csv"}.isdisjoint(to_csv(data))


def test_a_record_that_cannot_be_read_is_a_warning(played: Played) -> None:
    class Broken(NoneRecorded):
        def tournament(self, session: Session, event_id: int) -> Tournament | None:
            return Tournament.from_dict({"format": "nonsense"})

    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=Broken())
    assert data.bracket is None
    assert len(data.warnings) == 1 and "tournament record could not be read" in data.warnings[0]


def test_stats_across_events_add_audience_answers(played: Played) -> None:
    with played.sessions() as session:
        stats = question_stats(session, supplements=Recorded(played))
    by_code = {(q.question.code, q.question.version): q for q in stats}
    assert (by_code[("AF-001", 1)].audience, by_code[("AF-001", 1)].shown) == (Rate(3, 4), 1)
    assert by_code[("AF-001", 1)].pooled == Rate(4, 5)
    # Audience answers were recorded (for event 1), so a question without any has 0 of 0.
    assert by_code[("AF-001", 2)].audience == Rate(0, 0)
    assert by_code[("PI-001", 1)].audience == Rate(0, 0)


def test_stored_records_are_read_from_their_tables(
    played: Played, copy_sessions: sessionmaker[Session]
) -> None:
    stored = StoredRecords()
    with copy_sessions() as session:
        # Tables there, nothing stored: no tournament, no draw held.
        assert stored.tournament(session, played.event_one) is None
        assert stored.draws(session, played.event_one) == []
    knockout = Tournament.create("single_elimination", [("a", "甲"), ("b", "乙"), ("c", "丙")])
    knockout.record(knockout.next_match() or "", MatchResult(Side.BLUE, 1, 3))
    draw = Recorded(played)._draws[0]
    with copy_sessions.begin() as session:
        session.add(
            TournamentRow(
                event_id=played.event_one, format="single_elimination", state=knockout.to_dict()
            )
        )
        session.add(TournamentRow(event_id=played.event_two, format="manual", state={"x": 1}))
        session.add(
            PrizeDraw(
                event_id=played.event_one,
                draw=draw.id,
                prize=draw.prize.name,
                eligible_count=len(draw.eligible),
                commitment=draw.commitment,
                drawn=draw.drawn,
                record=draw.to_dict(),
            )
        )
    with copy_sessions() as session:
        one = collect(session, played.event_one)
        two = collect(session, played.event_two)
    assert one.bracket is not None and one.bracket.format == "single_elimination"
    assert [(m.status, m.winner) for m in one.bracket.matches][:2] == [
        ("bye", None),
        ("done", "丙"),
    ]
    assert one.draws is not None and [d.prize for d in one.draws] == ["纪念U盘 <img src=x>"]
    assert one.draws[0].winners == tuple(w.nickname for w in draw.winners or ())
    # Event 2's tournament state is unreadable: a warning, and the rest of the report stands.
    assert two.bracket is None and "tournament record could not be read" in two.warnings[0]
    assert two.draws == () and two.contestant_rate == Rate(1, 2)
    # Its one question was put to the audience, and nobody answered.
    assert two.audience is not None and (two.audience.phones, two.audience.answers) == (
        0,
        Rate(0, 0),
    )


def test_only_closed_rounds_count_for_the_audience(
    played: Played, copy_sessions: sessionmaker[Session]
) -> None:
    v = played.versions_one
    with copy_sessions.begin() as session:
        # An audience-only segment (有奖问答) in an event of its own, without matches.
        event = QuizEvent(title="有奖问答专场")
        session.add(event)
        session.flush()
        members = [AudienceMember(event_id=event.id, phone=f"hash-{i}", handle=i) for i in range(4)]
        session.add_all(members)
        session.flush()
        # A closed round (3 of 4 right), a cancelled one and one still open: only the closed
        # round's judged answers count.
        for status, question, verdicts in (
            ("closed", "PI-001", [True, True, True, False]),
            ("cancelled", "RP-001", [True, False]),
            ("open", "RU-001", [None]),
        ):
            row = AudienceQuestionRow(
                event_id=event.id,
                stage="quiz-1",
                match_id=None,
                question_id=v[question],
                options=["A", "B"],
                key=["B"],
                opened_at_ms=0,
                status=status,
            )
            session.add(row)
            session.flush()
            for seq, (member, correct) in enumerate(zip(members, verdicts, strict=False)):
                session.add(
                    AudienceAnswer(
                        round_id=row.id,
                        member_id=member.id,
                        choices=["B"],
                        at_ms=seq,
                        seq=seq,
                        correct=correct,
                    )
                )
        event_id = event.id
    with copy_sessions() as session:
        data = collect(session, event_id)
        stats = {q.question.code: q for q in question_stats(session)}
    assert data.matches == () and data.plays == ()
    assert data.audience is not None and (data.audience.phones, data.audience.answers) == (
        4,
        Rate(3, 4),
    )
    assert [(c.category, c.shown, c.audience) for c in data.categories] == [
        ("personal-information", 0, Rate(3, 4))
    ]
    # Across events: PI-001 was shown once in a match (1 of 1) and asked here (3 of 4).
    assert (stats["PI-001"].contestants, stats["PI-001"].audience) == (Rate(1, 1), Rate(3, 4))
    assert stats["PI-001"].events == 2


def test_an_audience_only_round_counts_for_its_category(played: Played) -> None:
    class AudienceOnly(NoneRecorded):
        def audience(self, session: Session, event_id: int) -> Sequence[AudienceTally] | None:
            pi = played.versions_one["PI-001"]
            return [AudienceTally(None, pi, 5, 4, frozenset("abcde"))]

    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=AudienceOnly())
    assert {c.category: c.audience for c in data.categories}["personal-information"] == Rate(4, 5)
    assert all(p.audience is None for p in data.plays)  # not asked in a match


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_recorded_sections_render(played: Played, lang: str) -> None:
    with played.sessions() as session:
        data = collect(session, played.event_one, supplements=Recorded(played))
    html = render_html(data, lang)
    assert "护网卫士-p" in html
    assert ("冠军" if lang == "zh-CN" else "Champion") in html
    assert "75.0% (3/4)" in html  # anti-fraud, audience

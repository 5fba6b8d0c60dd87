"""``collect`` and ``question_stats`` on the event played in ``conftest.py``.

Every expected number below is worked out by hand from the script ``EVENT_ONE`` (a ✓ is a
right answer, a ✗ a wrong one, ``r`` a rebound):

match 1 (best of five)            match 2 (first to two games)
  AF-001  red ✓           1:0       AF-003  nobody buzzes      void
  RP-001  blue ✗, red r✓  2:0       AF-004  blue ✗, red r✗     void
  RU-001  red ✗, blue r✗  void      RP-002  blue early, red ✓  1:0
  AF-002  blue ✓          2:1       RU-002  blue ✓             1:1
  PI-001  red ✓           3:1       LS-001  red ✗, blue r✓     1:2

audience phones a1-a4 (every question is put to the audience; these got answers)
  AF-001  a1 ✓ a2 ✓ a3 ✗    RP-001  a1 ✗ a2 ✗    AF-003  a2 ✓    LS-001  a1 ✓ a3 ✓ a4 ✗
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from quiz.models.live import Match as MatchRow
from quiz.models.live import MatchLogEntry
from quiz.report import ReportError, collect, question_stats, render_html, resolve_event
from quiz.report.data import Rate, ReportData
from tests.report.conftest import EVIL_NAME, FORMULA_NAME, Played


@pytest.fixture(scope="module")
def data(played: Played) -> ReportData:
    with played.sessions() as session:
        return collect(session, played.event_one)


def test_matches_come_from_the_replayed_logs(data: ReportData) -> None:
    rows = [
        (m.number, m.red, m.blue, m.red_games, m.blue_games, m.winner, m.status, m.termination)
        for m in data.matches
    ]
    assert rows == [
        (1, EVIL_NAME, "李四", 3, 1, "red", "finished", "games"),
        (2, "王五", FORMULA_NAME, 1, 2, "blue", "finished", "games"),
    ]
    assert [(m.questions, m.voids, m.red_violations, m.blue_violations) for m in data.matches] == [
        (5, 1, 0, 0),
        (5, 2, 0, 1),
    ]
    assert all(m.replayed for m in data.matches) and data.warnings == ()
    assert data.finished_matches == 2


def test_every_question_shown_is_listed_with_its_game_and_outcome(data: ReportData) -> None:
    rows = [
        (p.match_number, p.game, p.number, p.question.code, p.winner, p.void_reason)
        for p in data.plays
    ]
    assert rows == [
        (1, 1, 1, "AF-001", "red", None),
        (1, 2, 1, "RP-001", "red", None),
        (1, 3, 1, "RU-001", None, "both_wrong"),
        (1, 3, 2, "AF-002", "blue", None),
        (1, 4, 1, "PI-001", "red", None),
        (2, 1, 1, "AF-003", None, "no_buzz"),
        (2, 1, 2, "AF-004", None, "both_wrong"),
        (2, 1, 3, "RP-002", "red", None),
        (2, 2, 1, "RU-002", "blue", None),
        (2, 3, 1, "LS-001", "blue", None),
    ]
    rp001 = data.plays[1]
    assert [(a.name, a.correct, a.rebound, a.by) for a in rp001.attempts] == [
        ("李四", False, False, "phone"),
        (EVIL_NAME, True, True, "phone"),
    ]
    assert data.plays[7].violations == 1  # blue's early buzz on RP-002
    assert all(p.concluded for p in data.plays)
    assert data.plays[0].question.version == 1 and data.plays[0].question.category == "anti-fraud"


def test_category_rates_are_correct_answers_over_answers(data: ReportData) -> None:
    # anti-fraud: AF-001 ✓, AF-002 ✓, AF-004 ✗ ✗ (AF-003 had no answer) -> 2/4
    # reporting: RP-001 ✗ ✓, RP-002 ✓ -> 2/3; rumours: RU-001 ✗ ✗, RU-002 ✓ -> 1/3
    # personal-information: PI-001 ✓ -> 1/1; laws-and-safety: LS-001 ✗ ✓ -> 1/2
    got = {
        c.category: (c.shown, c.contestants.correct, c.contestants.total) for c in data.categories
    }
    assert got == {
        "anti-fraud": (4, 2, 4),
        "reporting": (2, 2, 3),
        "rumours": (2, 1, 3),
        "personal-information": (1, 1, 1),
        "laws-and-safety": (1, 1, 2),
    }
    # In the bank's own category order.
    assert [c.category for c in data.categories] == [
        "reporting",
        "anti-fraud",
        "rumours",
        "personal-information",
        "laws-and-safety",
    ]
    assert data.contestant_rate == Rate(7, 13)
    assert data.categories[1].contestants.value == pytest.approx(0.5)


def test_audience_rates_come_from_the_stored_rounds(data: ReportData) -> None:
    # anti-fraud: AF-001 2/3 + AF-003 1/1; reporting: RP-001 0/2; laws-and-safety: LS-001 2/3;
    # rumours and personal-information were put to the audience but nobody answered.
    assert data.audience is not None
    assert (data.audience.phones, data.audience.answers) == (4, Rate(5, 9))
    assert {c.category: c.audience for c in data.categories} == {
        "reporting": Rate(0, 2),
        "anti-fraud": Rate(3, 4),
        "rumours": Rate(0, 0),
        "personal-information": Rate(0, 0),
        "laws-and-safety": Rate(2, 3),
    }
    audience = {p.question.code: p.audience for p in data.plays}
    assert audience["AF-001"] == Rate(2, 3) and audience["AF-003"] == Rate(1, 1)
    assert audience["RU-002"] == Rate(0, 0)
    # Pooled with the contestants' answers: AF-001 1/1 + 2/3, AF-003 0/0 + 1/1.
    pooled = {q.question.code: q.pooled for q in data.questions}
    assert pooled["AF-001"] == Rate(3, 4) and pooled["AF-003"] == Rate(1, 1)


def test_contestants_are_credited_with_their_own_answers(data: ReportData) -> None:
    # red 1: AF-001 ✓, RP-001 r✓, RU-001 ✗, PI-001 ✓; blue 1: RP-001 ✗, RU-001 r✗, AF-002 ✓
    # red 2: AF-004 r✗, RP-002 ✓, LS-001 ✗; blue 2: AF-004 ✗, RU-002 ✓, LS-001 r✓, one early
    rows = [
        (c.name, c.matches, c.wins, c.answers.correct, c.answers.total, c.violations)
        for c in data.contestants
    ]
    assert rows == [
        (EVIL_NAME, 1, 1, 3, 4, 0),
        ("李四", 1, 0, 1, 3, 0),
        ("王五", 1, 0, 1, 3, 0),
        (FORMULA_NAME, 1, 1, 2, 3, 1),
    ]


def test_hardest_and_easiest_need_the_minimum_sample(played: Played, data: ReportData) -> None:
    # Two answers or more (contestants and audience): AF-004 0/2, RU-001 0/2, RP-001 1/4,
    # LS-001 3/5, AF-001 3/4. The lower half (rounded up) is the hardest; ties go to the
    # larger sample, then the code.
    assert [q.question.code for q in data.hardest] == ["AF-004", "RU-001", "RP-001"]
    assert [q.question.code for q in data.easiest] == ["AF-001", "LS-001"]
    assert data.min_sample == 2
    with played.sessions() as session:
        loose = collect(session, played.event_one, min_sample=1)
        strict = collect(session, played.event_one, min_sample=3)
    # One answer is enough: all ten; the five others are right every time (1 of 1).
    assert [q.question.code for q in loose.hardest] == [
        *("AF-004", "RU-001", "RP-001", "LS-001", "AF-001")
    ]
    assert [q.question.code for q in loose.easiest] == [
        *("AF-002", "AF-003", "PI-001", "RP-002", "RU-002")
    ]
    # Three or more: RP-001 1/4, LS-001 3/5, AF-001 3/4.
    assert [q.question.code for q in strict.hardest] == ["RP-001", "LS-001"]
    assert [q.question.code for q in strict.easiest] == ["AF-001"]


def test_a_report_covers_one_event_only(played: Played) -> None:
    with played.sessions() as session:
        two = collect(session, played.event_two)
    assert [(m.red, m.blue, m.winner) for m in two.matches] == [("周七", "吴八", "blue")]
    assert [p.question.code for p in two.plays] == ["AF-001"]
    assert two.plays[0].question.version == 2  # the edited question, as it was shown
    assert two.contestant_rate == Rate(1, 2)
    assert two.event.lang == "en"


def test_events_are_named_by_id_or_latest(played: Played) -> None:
    with played.sessions() as session:
        assert resolve_event(session, "latest") == played.event_two
        assert resolve_event(session, None) == played.event_two
        assert resolve_event(session, str(played.event_one)) == played.event_one
        for bad, message in (("abc", "a number or 'latest'"), ("999", "no event 999")):
            with pytest.raises(ReportError, match=message):
                resolve_event(session, bad)
        with pytest.raises(ReportError, match="no event 12345"):
            collect(session, 12345)


def test_question_stats_count_every_event_per_version(played: Played) -> None:
    with played.sessions() as session:
        stats = question_stats(session)
    by_key = {(q.question.code, q.question.version): q for q in stats}
    # Ten versions in event 1, the new AF-001 in event 2.
    assert len(stats) == 11
    v1, v2 = by_key[("AF-001", 1)], by_key[("AF-001", 2)]
    assert (v1.shown, v1.events, v1.contestants) == (1, 1, Rate(1, 1))
    # Event 2: red ✗, blue r✓.
    assert (v2.shown, v2.events, v2.voided, v2.contestants) == (1, 1, 0, Rate(1, 2))
    assert v2.question.version_id == played.af001_v2
    assert "（修订）" in v2.question.prompt_zh and "（修订）" not in v1.question.prompt_zh
    voided = {code: q.void_rate for (code, _), q in by_key.items() if q.voided}
    assert voided == {"AF-003": 1.0, "AF-004": 1.0, "RU-001": 1.0}
    # Audience: AF-001 as first worded 2/3 (event 1); the new wording had no answers.
    assert (v1.audience, v2.audience) == (Rate(2, 3), Rate(0, 0))


def test_an_unreplayable_log_is_reported_not_hidden(
    played: Played, copy_sessions: sessionmaker[Session]
) -> None:
    # The first match's log gets a command the engine cannot take.
    with copy_sessions.begin() as session:
        session.execute(
            update(MatchLogEntry)
            .where(MatchLogEntry.match_id == played.matches[0], MatchLogEntry.index == 5)
            .values(command={"type": "no_such_command"})
        )
    with copy_sessions() as session:
        data = collect(session, played.event_one)
    first, second = data.matches
    assert not first.replayed and second.replayed
    assert len(data.warnings) == 1 and "match 1" in data.warnings[0]
    # The stored outcome still gives the score; only match 2's questions are counted.
    assert (first.red_games, first.blue_games, first.winner) == (3, 1, "red")
    assert {p.match_number for p in data.plays} == {2}
    assert data.contestant_rate == Rate(3, 6)


def test_a_match_still_in_play(played: Played, copy_sessions: sessionmaker[Session]) -> None:
    # Match 2 as it stood right after blue's wrong answer to AF-004 (red about to rebound).
    match_id = played.matches[1]
    with copy_sessions.begin() as session:
        rows = session.scalars(
            select(MatchLogEntry)
            .where(MatchLogEntry.match_id == match_id)
            .order_by(MatchLogEntry.index)
        ).all()
        shows = [r.index for r in rows if r.command["type"] == "show_question"]
        cut = next(
            r.index for r in rows if r.index > shows[1] and r.command["type"] == "submit_choice"
        )
        session.execute(
            delete(MatchLogEntry).where(
                MatchLogEntry.match_id == match_id, MatchLogEntry.index > cut
            )
        )
        session.execute(
            update(MatchRow)
            .where(MatchRow.id == match_id)
            .values(status="live", outcome=None, finished=None)
        )
    with copy_sessions() as session:
        data = collect(session, played.event_one)
    live = data.matches[1]
    assert (live.status, live.red_games, live.blue_games, live.winner, live.termination) == (
        "live",
        0,
        0,
        None,
        None,
    )
    assert (live.questions, live.voids) == (2, 1)
    last = data.plays[-1]
    assert (last.question.code, last.concluded, last.winner, last.void_reason) == (
        "AF-004",
        False,
        None,
        None,
    )
    assert [(a.side, a.correct) for a in last.attempts] == [("blue", False)]
    # Match 1's 7 answers (4 right) and blue's wrong one.
    assert data.contestant_rate == Rate(4, 8)
    assert data.finished_matches == 1
    assert "未完成" in render_html(data, "zh-CN")

"""Building a report from the database: replay every match log, then count.

The match log is the source of truth: each match's log is replayed through
:meth:`quiz.engine.Match.replay`, so undone commands, overrides and an interrupted last
question come out exactly as the engine decided them. The ``outcome`` column of a match row is
only a fallback for a log that cannot be replayed, and that case is reported as a warning
rather than hidden.

Rates (``docs/report.md``): a contestant rate is correct answers / answers, counting every
judged answer (first answers and rebounds, by phone, by the host or timed out); an audience
rate is correct / answered phones. Questions are ranked on both pooled, and only once they
have at least ``min_sample`` answers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz import records
from quiz.audience import AudienceError
from quiz.bank.schema import CATEGORIES
from quiz.bank.shuffle import split_id
from quiz.engine import IllegalCommand, MatchState, Side
from quiz.engine.state import Attempt
from quiz.live.questions import QuestionSource
from quiz.models.bank import QuestionVersion
from quiz.models.live import Contestant, QuizEvent
from quiz.models.live import Match as MatchRow
from quiz.report.awareness import awareness_of
from quiz.report.data import (
    MIN_SAMPLE,
    TOP,
    AttemptInfo,
    AudienceSummary,
    CategoryRate,
    ContestantSummary,
    EventInfo,
    MatchSummary,
    QuestionInfo,
    QuestionPlay,
    QuestionRate,
    Rate,
    ReportData,
    ReportError,
)
from quiz.report.reach import collect_reach
from quiz.report.sources import (
    AudienceTally,
    StoredRecords,
    Supplements,
    bracket_of,
    draw_summary,
)
from quiz.report.survey import survey_report
from quiz.tournament import TournamentError

T = TypeVar("T")


def resolve_event(session: Session, ref: str | int | None) -> int:
    """An event id from ``ref``: an id, ``"latest"`` or ``None`` (both the newest event)."""
    if ref is None or (isinstance(ref, str) and ref.strip().lower() in ("", "latest")):
        newest = session.scalar(select(QuizEvent.id).order_by(QuizEvent.id.desc()).limit(1))
        if newest is None:
            raise ReportError("the database has no event yet")
        return int(newest)
    text = str(ref).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise ReportError(f"an event is a number or 'latest', not {text[:40]!r}")
    event_id = int(text)
    if session.get(QuizEvent, event_id) is None:
        raise ReportError(f"there is no event {event_id}")
    return event_id


# --- questions --------------------------------------------------------------------------------


class QuestionLookup:
    """Question versions by the id the match log stores, read once each.

    The database is asked first (it keeps every version ever shown); ``fallback`` is the live
    server's question source for questions held outside the database."""

    def __init__(self, session: Session, fallback: QuestionSource | None = None) -> None:
        self.session = session
        self.fallback = fallback
        self._seen: dict[str, QuestionInfo] = {}

    def __call__(self, version_id: str) -> QuestionInfo:
        found = self._seen.get(version_id)
        if found is None:
            found = self._seen[version_id] = self._find(version_id)
        return found

    def _find(self, shown_id: str) -> QuestionInfo:
        # A drawn question is shown under its version id and option order ("123~CADB"); it is
        # counted with its version, whatever order it was shown in.
        version_id, _order = split_id(shown_id)
        if version_id.isascii() and version_id.isdigit() and len(version_id) <= 18:
            row = self.session.get(QuestionVersion, int(version_id))
            if row is not None:
                content = row.content if isinstance(row.content, dict) else {}
                prompt = content.get("prompt")
                prompt = prompt if isinstance(prompt, dict) else {}
                return QuestionInfo(
                    version_id=version_id,
                    code=row.question_id,
                    version=row.version,
                    category=str(content.get("category") or ""),
                    kind=str(content.get("type") or ""),
                    prompt_zh=str(prompt.get("zh") or ""),
                    prompt_en=str(prompt.get("en") or ""),
                    messages=tuple(str(m) for m in content.get("messages") or ()),
                )
        view = self.fallback.get(shown_id) if self.fallback is not None else None
        if view is not None:
            return QuestionInfo(
                version_id=version_id,
                code=view.code,
                version=None,
                category=view.category,
                kind=view.kind,
                prompt_zh=view.prompt.get("zh", ""),
                prompt_en=view.prompt.get("en", ""),
                messages=tuple(getattr(view, "messages", None) or ()),
            )
        return QuestionInfo(version_id, version_id, None, "", "", "", "")


def category_order(category: str) -> tuple[int, str]:
    """The bank's category order, then unknown categories by name, uncategorised last."""
    if category in CATEGORIES:
        return (CATEGORIES.index(category), "")
    return (len(CATEGORIES) + (1 if not category else 0), category)


# --- replaying matches ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Asked:
    """One question of a replayed match: a concluded record or the question left in play."""

    question_id: str
    game: int
    number: int
    winner: str | None
    void_reason: str | None
    concluded: bool
    attempts: tuple[Attempt, ...]
    violations: tuple[str, ...]  # the side of each early buzz


@dataclass(frozen=True)
class _Replayed:
    row: MatchRow
    number: int
    state: MatchState | None
    asked: tuple[_Asked, ...]
    error: str | None


def _replay(session: Session, row: MatchRow, number: int) -> _Replayed:
    try:
        match = records.replay(session, row)
    except (IllegalCommand, ValueError, TypeError, KeyError) as exc:
        return _Replayed(row, number, None, (), f"{type(exc).__name__}: {exc}"[:200])
    return _Replayed(row, number, match.state, _asked(match.state), None)


def _asked(state: MatchState) -> tuple[_Asked, ...]:
    out = [
        _Asked(
            question_id=q.question_id,
            game=game.number,
            number=q.number,
            winner=q.winner.value if q.winner else None,
            void_reason=q.void_reason,
            concluded=True,
            attempts=q.attempts,
            violations=tuple(v.side.value for v in q.violations),
        )
        for game in state.games
        for q in game.questions
    ]
    play = state.play
    if play is not None and play.winner is None and play.void_reason is None:
        # Shown but never concluded (the match was ended, or is still running).
        out.append(
            _Asked(
                question_id=play.spec.question_id,
                game=len(state.games),
                number=play.number,
                winner=None,
                void_reason=None,
                concluded=False,
                attempts=play.attempts,
                violations=tuple(v.side.value for v in play.violations),
            )
        )
    return tuple(out)


def _replay_event(session: Session, event_id: int) -> list[_Replayed]:
    rows = session.scalars(
        select(MatchRow).where(MatchRow.event_id == event_id).order_by(MatchRow.id)
    ).all()
    # Numbered like the live server does (第N场): every match of the event, in creation order.
    return [_replay(session, row, number) for number, row in enumerate(rows, start=1)]


# --- rates --------------------------------------------------------------------------------------


def _question_rates(
    plays: Iterable[QuestionPlay], tallies: Sequence[AudienceTally] | None, lookup: QuestionLookup
) -> list[QuestionRate]:
    shown: dict[str, int] = {}
    voided: dict[str, int] = {}
    contestants: dict[str, Rate] = {}
    audience: dict[str, Rate] = {}
    infos: dict[str, QuestionInfo] = {}
    for play in plays:
        key = play.question.version_id
        infos[key] = play.question
        shown[key] = shown.get(key, 0) + 1
        voided[key] = voided.get(key, 0) + (1 if play.void_reason else 0)
        contestants[key] = contestants.get(key, Rate()) + play.contestants
    for tally in tallies or ():
        info = lookup(tally.question_id)
        key = info.version_id
        infos.setdefault(key, info)
        audience[key] = audience.get(key, Rate()) + tally.rate
    return [
        QuestionRate(
            question=infos[key],
            shown=shown.get(key, 0),
            voided=voided.get(key, 0),
            contestants=contestants.get(key, Rate()),
            audience=audience.get(key, Rate()) if tallies is not None else None,
        )
        for key in sorted(infos, key=lambda k: (infos[k].code, infos[k].version or 0, k))
    ]


def rank(
    rates: Sequence[QuestionRate], min_sample: int, top: int = TOP
) -> tuple[tuple[QuestionRate, ...], tuple[QuestionRate, ...]]:
    """The hardest and the easiest questions by pooled rate, never one question in both.

    With fewer than ``2 * top`` eligible questions the hardest half (rounded up) goes to the
    hardest list and the rest to the easiest; ties go to the larger sample, then the code."""
    eligible = [r for r in rates if r.pooled.total >= max(1, min_sample)]

    def rate(r: QuestionRate) -> float:
        value = r.pooled.value
        assert value is not None  # eligible rates have at least one answer
        return value

    ascending = sorted(eligible, key=lambda r: (rate(r), -r.pooled.total, r.question.code))
    hard_count = min(top, math.ceil(len(ascending) / 2))
    hardest = ascending[:hard_count]
    rest = sorted(
        ascending[hard_count:], key=lambda r: (-rate(r), -r.pooled.total, r.question.code)
    )
    return tuple(hardest), tuple(rest[:top])


def _categories(
    plays: Sequence[QuestionPlay], rates: Sequence[QuestionRate], audience_recorded: bool
) -> list[CategoryRate]:
    shown: dict[str, int] = {}
    contestants: dict[str, Rate] = {}
    audience: dict[str, Rate] = {}
    for play in plays:
        category = play.question.category
        shown[category] = shown.get(category, 0) + 1
        contestants[category] = contestants.get(category, Rate()) + play.contestants
    for rate in rates:
        if rate.audience is not None:
            category = rate.question.category
            audience[category] = audience.get(category, Rate()) + rate.audience
    names = sorted(set(shown) | set(audience), key=category_order)
    return [
        CategoryRate(
            category=name,
            shown=shown.get(name, 0),
            contestants=contestants.get(name, Rate()),
            audience=audience.get(name, Rate()) if audience_recorded else None,
        )
        for name in names
    ]


# --- the event report ---------------------------------------------------------------------------


def _plays(
    replayed: _Replayed,
    lookup: QuestionLookup,
    names: dict[str, str],
    audience: dict[tuple[int, str], Rate] | None,
) -> list[QuestionPlay]:
    out: list[QuestionPlay] = []
    attached: set[str] = set()
    for asked in replayed.asked:
        tally = None
        if audience is not None and asked.question_id not in attached:
            # A question shown twice in one match carries its audience answers once.
            tally = audience.get((replayed.row.id, asked.question_id))
            attached.add(asked.question_id)
        out.append(
            QuestionPlay(
                match_id=replayed.row.id,
                match_number=replayed.number,
                game=asked.game,
                number=asked.number,
                question=lookup(asked.question_id),
                winner=asked.winner,
                winner_name=names[asked.winner] if asked.winner else None,
                void_reason=asked.void_reason,
                concluded=asked.concluded,
                attempts=tuple(
                    AttemptInfo(
                        side=a.side.value,
                        name=names[a.side.value],
                        correct=a.correct,
                        rebound=a.rebound,
                        by=a.by,
                    )
                    for a in asked.attempts
                ),
                violations=len(asked.violations),
                audience=tally,
            )
        )
    return out


def _summary(replayed: _Replayed, names: dict[str, str]) -> MatchSummary:
    row = replayed.row
    state = replayed.state
    red_games = blue_games = 0
    winner: str | None = None
    termination: str | None = None
    reason = ""
    if state is not None:
        red_games, blue_games = state.score(Side.RED), state.score(Side.BLUE)
        if state.outcome is not None:
            winner = state.outcome.winner.value if state.outcome.winner else None
            termination = state.outcome.termination.value
            reason = state.outcome.reason
    elif isinstance(row.outcome, dict):
        games = row.outcome.get("games") or {}
        red_games, blue_games = int(games.get("red", 0)), int(games.get("blue", 0))
        winner = row.outcome.get("winner") if row.outcome.get("winner") in names else None
        termination = str(row.outcome.get("termination") or "") or None
    violations = [side for asked in replayed.asked for side in asked.violations]
    return MatchSummary(
        id=row.id,
        number=replayed.number,
        status=row.status,
        red=names["red"],
        blue=names["blue"],
        red_games=red_games,
        blue_games=blue_games,
        winner=winner,
        winner_name=names[winner] if winner else None,
        termination=termination,
        reason=reason,
        questions=len(replayed.asked),
        voids=sum(1 for a in replayed.asked if a.void_reason),
        red_violations=violations.count("red"),
        blue_violations=violations.count("blue"),
        started=_aware(row.created) or row.created,
        finished=_aware(row.finished),
        replayed=replayed.error is None,
    )


def _contestants(
    rows: Sequence[Contestant],
    matches: Sequence[MatchRow],
    summaries: Sequence[MatchSummary],
    plays: Sequence[QuestionPlay],
) -> list[ContestantSummary]:
    answers: dict[tuple[int, str], Rate] = {}
    for play in plays:
        for a in play.attempts:
            key = (play.match_id, a.side)
            answers[key] = answers.get(key, Rate()) + Rate(1 if a.correct else 0, 1)
    seats: dict[int, list[tuple[MatchSummary, str]]] = {}
    for row, summary in zip(matches, summaries, strict=True):
        if summary.status != "pending":
            seats.setdefault(row.red_id, []).append((summary, "red"))
            seats.setdefault(row.blue_id, []).append((summary, "blue"))
    out = []
    for contestant in rows:
        mine = seats.get(contestant.id, [])
        total = Rate()
        for summary, side in mine:
            total += answers.get((summary.id, side), Rate())
        out.append(
            ContestantSummary(
                id=contestant.id,
                name=contestant.name,
                matches=len(mine),
                wins=sum(1 for summary, side in mine if summary.winner == side),
                answers=total,
                violations=sum(
                    s.red_violations if side == "red" else s.blue_violations for s, side in mine
                ),
            )
        )
    return out


def _read(load: Callable[[], T | None], what: str, warnings: list[str]) -> T | None:
    """A supplement, or None with a warning when its record cannot be read back."""
    try:
        return load()
    except (ValueError, TypeError, KeyError, TournamentError, AudienceError) as exc:
        warnings.append(f"the {what} record could not be read ({exc}); shown as not recorded")
        return None


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; the server stores UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def collect(
    session: Session,
    event_id: int,
    *,
    supplements: Supplements | None = None,
    questions: QuestionSource | None = None,
    min_sample: int = MIN_SAMPLE,
    now: datetime | None = None,
) -> ReportData:
    """Everything the organiser's report shows about one event."""
    event = session.get(QuizEvent, event_id)
    if event is None:
        raise ReportError(f"there is no event {event_id}")
    extra = supplements or StoredRecords()
    lookup = QuestionLookup(session, questions)
    warnings: list[str] = []
    tallies = _read(partial(extra.audience, session, event_id), "audience answers", warnings)
    audience_by_play: dict[tuple[int, str], Rate] | None = None
    if tallies is not None:
        audience_by_play = {}
        for tally in tallies:
            if tally.match_id is not None:
                key = (tally.match_id, tally.question_id)
                audience_by_play[key] = audience_by_play.get(key, Rate()) + tally.rate

    replayed = _replay_event(session, event_id)
    warnings += [
        f"match {r.number} (id {r.row.id}): the log could not be replayed ({r.error}); "
        "its score comes from the stored outcome and its questions are not counted"
        for r in replayed
        if r.error is not None
    ]
    summaries: list[MatchSummary] = []
    plays: list[QuestionPlay] = []
    for r in replayed:
        names = {"red": r.row.red.name, "blue": r.row.blue.name}
        summaries.append(_summary(r, names))
        plays.extend(_plays(r, lookup, names, audience_by_play))

    rates = _question_rates(plays, tallies, lookup)
    hardest, easiest = rank(rates, min_sample)
    contestants = session.scalars(
        select(Contestant).where(Contestant.event_id == event_id).order_by(Contestant.id)
    ).all()
    audience = None
    if tallies is not None:
        phones: set[str] = set()
        answers = Rate()
        for tally in tallies:
            phones |= tally.phones
            answers += tally.rate
        audience = AudienceSummary(phones=len(phones), answers=answers)
    tournament = _read(partial(extra.tournament, session, event_id), "tournament", warnings)
    reach = collect_reach(session, event_id)
    awareness = (
        awareness_of(records.judged_questions(session, event_id), lambda q: lookup(q).messages)
        if reach is not None
        else ()
    )
    draws = _read(partial(extra.draws, session, event_id), "prize draws", warnings)
    survey = _read(partial(survey_report, session, event_id), "survey", warnings)
    moments = sorted(
        t for s in summaries if s.status != "pending" for t in (s.started, s.finished) if t
    )
    return ReportData(
        event=EventInfo(
            id=event.id,
            title=event.title,
            lang=event.lang,
            created=_aware(event.created) or datetime.now(UTC),
            first_play=moments[0] if moments else None,
            last_play=moments[-1] if moments else None,
        ),
        generated=now or datetime.now(UTC),
        matches=tuple(summaries),
        contestants=tuple(_contestants(contestants, [r.row for r in replayed], summaries, plays)),
        plays=tuple(plays),
        categories=tuple(_categories(plays, rates, tallies is not None)),
        questions=tuple(rates),
        hardest=hardest,
        easiest=easiest,
        min_sample=min_sample,
        audience=audience,
        bracket=bracket_of(tournament) if tournament is not None else None,
        draws=tuple(draw_summary(d) for d in draws) if draws is not None else None,
        warnings=tuple(warnings),
        reach=reach,
        awareness=awareness,
        survey=survey,
    )


# --- across events ------------------------------------------------------------------------------


def question_stats(
    session: Session,
    *,
    supplements: Supplements | None = None,
    questions: QuestionSource | None = None,
) -> list[QuestionRate]:
    """Per question version, over every event: times shown, voided, contestants' (and the
    audience's) correct rate, and in how many events it was shown. Logs that cannot be
    replayed are left out (``collect`` names them)."""
    extra = supplements or StoredRecords()
    lookup = QuestionLookup(session, questions)
    totals: dict[str, QuestionRate] = {}
    audience_recorded = False
    for event_id in session.scalars(select(QuizEvent.id).order_by(QuizEvent.id)):
        tallies = _read(partial(extra.audience, session, event_id), "audience answers", [])
        audience_recorded = audience_recorded or tallies is not None
        plays: list[QuestionPlay] = []
        for r in _replay_event(session, event_id):
            names = {"red": r.row.red.name, "blue": r.row.blue.name}
            plays.extend(_plays(r, lookup, names, None))
        for rate in _question_rates(plays, tallies, lookup):
            key = rate.question.version_id
            before = totals.get(key)
            if before is None:
                totals[key] = rate
                continue
            audience = (
                None
                if before.audience is None and rate.audience is None
                else (before.audience or Rate()) + (rate.audience or Rate())
            )
            totals[key] = QuestionRate(
                question=rate.question,
                shown=before.shown + rate.shown,
                voided=before.voided + rate.voided,
                contestants=before.contestants + rate.contestants,
                audience=audience,
                events=before.events + 1,
            )
    out = sorted(
        totals.values(),
        key=lambda r: (r.question.code, r.question.version or 0, r.question.version_id),
    )
    if audience_recorded:
        return [r if r.audience is not None else _with_audience(r, Rate()) for r in out]
    return out


def _with_audience(rate: QuestionRate, audience: Rate) -> QuestionRate:
    return QuestionRate(
        question=rate.question,
        shown=rate.shown,
        voided=rate.voided,
        contestants=rate.contestants,
        audience=audience,
        events=rate.events,
    )

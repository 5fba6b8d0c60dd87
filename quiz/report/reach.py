"""到达率 (reach): how many phones an event reached, and how far they went along.

Per event, counted in distinct phones (``docs/report.md`` "Reach" has the definitions):
joined, answered at least one audience question, stayed to the end, took the survey; the
peak number of phones online at once; joins over time. :func:`reach_of` does the counting on
plain values (the property tests drive it directly); :func:`collect_reach` reads the rows
through :mod:`quiz.records`. A figure the database cannot give (a database from before the
presence or survey tables) is ``None`` and prints as "none recorded", never as zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz import records
from quiz.models.audience import (
    AudienceAnswer,
    AudienceMember,
    AudiencePresence,
    AudienceQuestion,
)
from quiz.models.survey import SurveyAnswer

#: The survey's answers (another part of the campaign measures): one row per phone and event.
#: Bucket widths the joins chart picks from, in minutes, so it has at most ``MAX_BUCKETS`` bars.
BUCKET_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 1440)
MAX_BUCKETS = 24


@dataclass(frozen=True, slots=True)
class Reach:
    """One event's (or, added up, several venues') reach, in distinct phones.

    ``stayed``, ``peak`` and ``surveyed`` are None when not recorded; ``joins`` are
    (bucket start in ms since the epoch, phones that joined in it) with ``bucket_ms`` wide
    buckets (empty for a sum over venues, whose clocks and days differ)."""

    joined: int
    answered: int
    stayed: int | None
    surveyed: int | None
    peak: int | None
    #: The last audience question's (opened, closed) times: "the end".
    end: tuple[int, int] | None = None
    joins: tuple[tuple[int, int], ...] = ()
    bucket_ms: int = 60_000

    def __add__(self, other: Reach) -> Reach:
        """Venues added up: their phones are different phones (a phone id is salted with its
        event), so counts add; the peak adds too (an upper bound of phones online at once)."""

        def both(a: int | None, b: int | None) -> int | None:
            return None if a is None and b is None else (a or 0) + (b or 0)

        return Reach(
            joined=self.joined + other.joined,
            answered=self.answered + other.answered,
            stayed=both(self.stayed, other.stayed),
            surveyed=both(self.surveyed, other.surveyed),
            peak=both(self.peak, other.peak),
        )


def intervals(
    edges: Iterable[tuple[str, int, bool]], horizon: int
) -> dict[str, list[tuple[int, int]]]:
    """Per phone, the (start, stop) spans it was online, from (phone, at_ms, online) edges in
    recording order. A span never closed (the server stopped) lasts until ``horizon``; a
    repeated edge (online twice) changes nothing; a clock stepped back never makes a phone's
    spans overlap (a span starts no earlier than the phone's previous one ended)."""
    opened: dict[str, int] = {}
    ended: dict[str, int] = {}
    out: dict[str, list[tuple[int, int]]] = {}
    for phone, at_ms, online in edges:
        if online:
            opened.setdefault(phone, max(at_ms, ended.get(phone, at_ms)))
        elif phone in opened:
            start = opened.pop(phone)
            ended[phone] = stop = max(start, at_ms)
            out.setdefault(phone, []).append((start, stop))
    for phone, start in opened.items():
        out.setdefault(phone, []).append((start, max(start, horizon)))
    return out


def peak_online(spans: Mapping[str, Sequence[tuple[int, int]]]) -> int:
    """The most phones online at one moment (a phone going off as another comes on at the
    same millisecond is not counted twice)."""
    moves = sorted(
        (at, step)
        for phone_spans in spans.values()
        for start, stop in phone_spans
        for at, step in ((start, 1), (stop, -1))
    )
    now = peak = 0
    for _at, step in moves:
        now += step
        peak = max(peak, now)
    return peak


def bucket_width(first_ms: int, last_ms: int) -> int:
    span = max(0, last_ms - first_ms)
    for minutes in BUCKET_MINUTES:
        if span < minutes * 60_000 * MAX_BUCKETS:
            return minutes * 60_000
    return BUCKET_MINUTES[-1] * 60_000


def join_buckets(joined_ms: Iterable[int]) -> tuple[tuple[tuple[int, int], ...], int]:
    """Joins counted per bucket, every bucket from the first join to the last (empty ones too,
    so the chart's time axis is even); the bucket width in ms."""
    times = sorted(joined_ms)
    if not times:
        return (), 60_000
    width = bucket_width(times[0], times[-1])
    start = times[0] - times[0] % width
    counts = [0] * ((times[-1] - start) // width + 1)
    for at in times:
        counts[(at - start) // width] += 1
    return tuple((start + i * width, n) for i, n in enumerate(counts)), width


def reach_of(
    joined: Mapping[str, int],
    answered: Iterable[str],
    edges: Sequence[tuple[str, int, bool]] | None,
    end: tuple[int, int] | None,
    surveyed: Iterable[str] | None,
) -> Reach:
    """Reach from plain values: ``joined`` maps each phone to when it joined (ms), ``edges``
    are presence edges (None: not recorded), ``end`` when the event's last audience question
    opened and closed (None: none closed). A phone stayed to the end if it was online at any
    moment while that question was open (a socket that drops for a second at the close does
    not undo that). Only phones that joined are counted anywhere."""
    phones = set(joined)
    stayed: int | None = None
    peak: int | None = None
    if edges is not None:
        horizon = max([end[1] if end else 0, *(at for _p, at, _o in edges)], default=0)
        spans = intervals(((p, at, on) for p, at, on in edges if p in phones), horizon)
        peak = peak_online(spans)
        if end is not None:
            opened, closed = end
            stayed = sum(
                1
                for phone_spans in spans.values()
                if any(start <= closed and stop >= opened for start, stop in phone_spans)
            )
    joins, width = join_buckets(joined.values())
    return Reach(
        joined=len(phones),
        answered=len(phones & set(answered)),
        stayed=stayed,
        surveyed=None if surveyed is None else len(phones & set(surveyed)),
        peak=peak,
        end=end,
        joins=joins,
        bucket_ms=width,
    )


# --- reading the database ----------------------------------------------------------------------


def survey_recorded(session: Session) -> bool:
    """The database has the survey's table (an archive from before the survey may not)."""
    return records.has_tables(session, SurveyAnswer)


def survey_phones(session: Session, event_id: int) -> set[str]:
    """The phones that took the event's survey (empty where the survey's table is missing)."""
    if not survey_recorded(session):
        return set()
    rows = session.scalars(
        select(SurveyAnswer.phone).where(SurveyAnswer.event_id == event_id).distinct()
    )
    return {str(phone) for phone in rows}


def _ms(moment: object) -> int:
    from datetime import UTC, datetime

    assert isinstance(moment, datetime)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def collect_reach(session: Session, event_id: int) -> Reach | None:
    """The event's reach; None when the database has no audience tables at all."""
    if not records.has_tables(session, AudienceMember, AudienceQuestion, AudienceAnswer):
        return None
    members = session.execute(
        select(AudienceMember.id, AudienceMember.phone, AudienceMember.created).where(
            AudienceMember.event_id == event_id
        )
    ).all()
    joined = {phone: _ms(created) for _id, phone, created in members}
    answered = session.scalars(
        select(AudienceMember.phone)
        .join(AudienceAnswer, AudienceAnswer.member_id == AudienceMember.id)
        .where(AudienceMember.event_id == event_id)
        .distinct()
    ).all()
    last = session.execute(
        select(AudienceQuestion.opened_at_ms, AudienceQuestion.closed_at_ms)
        .where(AudienceQuestion.event_id == event_id, AudienceQuestion.status == "closed")
        .order_by(AudienceQuestion.closed_at_ms.desc(), AudienceQuestion.id.desc())
        .limit(1)
    ).first()
    end = None if last is None or last[1] is None else (int(last[0]), int(last[1]))
    edges: list[tuple[str, int, bool]] | None = None
    if records.has_tables(session, AudiencePresence):
        rows = session.execute(
            select(AudienceMember.phone, AudiencePresence.at_ms, AudiencePresence.online)
            .join(AudienceMember, AudienceMember.id == AudiencePresence.member_id)
            .where(AudienceMember.event_id == event_id)
            .order_by(AudiencePresence.id)
        ).all()
        # An event whose phones all joined before presence was recorded has no edges at all.
        edges = [(p, int(at), bool(on)) for p, at, on in rows] if rows or not joined else None
    surveyed = survey_phones(session, event_id) if survey_recorded(session) else None
    return reach_of(joined, answered, edges, end, surveyed)

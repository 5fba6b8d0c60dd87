"""The tables the event report and the report across venues share, and those of the report
across venues alone: the rates per category, reach (到达率), awareness per key message
(知晓率) and the venues merged (``quiz.report.merge``). Each is defined once as a
``quiz.report.grid.Grid`` and rendered like every table of ``quiz.report.tables``: CSV, XLSX
and the printed page (``render.py``; the ``grid`` macro of ``templates/report_parts.html``).

A reach or awareness table has one row per venue (or one for the event) and, across venues,
one for the totals; the page shows the venue column only across venues.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from quiz import i18n
from quiz.report.awareness import MessageRate, message_label
from quiz.report.charts import percent
from quiz.report.data import CategoryRate, Rate, ReportData
from quiz.report.grid import (
    BREAK,
    Cell,
    Field,
    Grid,
    Piece,
    Shown,
    Span,
    Table,
    both,
    fraction,
    rate_fields,
)
from quiz.report.labels import AUDIENCE_RATE, CONTESTANT_RATE, Words, when
from quiz.report.reach import Reach
from quiz.report.survey import SurveyReport

if TYPE_CHECKING:
    from quiz.report.merge import Merged, Venue


def categories_grid(categories: Sequence[CategoryRate], t: Words) -> Grid[CategoryRate]:
    return Grid(
        "categories",
        (
            Field("report.col.category_id", lambda c: c.category),
            both(
                "report.col.category",
                lambda c: t.category(c.category),
            ),
            both("report.col.shown", lambda c: c.shown, cls="num"),
            *rate_fields(lambda c: c.contestants, CONTESTANT_RATE),
            *rate_fields(lambda c: c.audience, AUDIENCE_RATE),
            Field("report.contestant_rate", page=lambda c: t.rate(c.contestants), cls="num"),
            Field("report.audience_rate", page=lambda c: t.rate(c.audience), cls="num"),
        ),
        tuple(categories),
        page_order=(
            "report.col.category",
            "report.col.shown",
            "report.contestant_rate",
            "report.audience_rate",
        ),
    )


_VENUE = "report.col.venue"


def _share(part: int | None, whole: int, t: Words) -> Shown:
    """``12 (40.0%)`` of the phones that joined; "none recorded" when not measured."""
    if part is None:
        return Span(t("report.none_recorded"), tag="small")
    if not whole:
        return part
    return (part, Span(f"({percent(part / whole)})", tag="small"))


def _count(value: int | None, t: Words) -> Shown:
    return Span(t("report.none_recorded"), tag="small") if value is None else value


def reach_grid(
    rows: Sequence[tuple[str, Reach | None]], t: Words, *, venues: bool = False
) -> Grid[tuple[str, Reach]]:
    """Reach per venue (or of the event): one row per (name, reach) that was recorded; the
    files keep the counts, the page adds each one's share of the phones that joined."""

    def shared(key: str, get: Callable[[Reach], int | None]) -> Field[tuple[str, Reach]]:
        return Field(
            key, lambda r: get(r[1]), lambda r: _share(get(r[1]), r[1].joined, t), cls="num"
        )

    return Grid(
        "reach",
        (
            Field(_VENUE, lambda r: r[0], lambda r: r[0]),
            both("report.reach.joined", lambda r: r[1].joined, cls="num"),
            shared("report.reach.answered", lambda r: r.answered),
            shared("report.reach.stayed", lambda r: r.stayed),
            shared("report.reach.surveyed", lambda r: r.surveyed),
            Field(
                "report.reach.peak", lambda r: r[1].peak, lambda r: _count(r[1].peak, t), cls="num"
            ),
        ),
        tuple((name, reach) for name, reach in rows if reach is not None),
        page_order=(
            *((_VENUE,) if venues else ()),
            "report.reach.joined",
            "report.reach.answered",
            "report.reach.stayed",
            "report.reach.surveyed",
            "report.reach.peak",
        ),
        css="fixed",  # long headers (en) wrap instead of widening the table
    )


def _interval(m: MessageRate) -> str:
    return "—" if m.interval is None else f"{percent(m.interval[0])} – {percent(m.interval[1])}"


def awareness_grid(
    rows: Sequence[tuple[str, Sequence[MessageRate]]], t: Words, *, venues: bool = False
) -> Grid[tuple[str, MessageRate]]:
    """Awareness per key message, per venue (or of the event): phones, how many knew, the
    share and its 95 % Wilson interval (the files: the interval's two ends as fractions)."""

    def bound(end: int) -> Callable[[tuple[str, MessageRate]], Cell]:
        return lambda r: None if r[1].interval is None else fraction(r[1].interval[end])

    return Grid(
        "awareness",
        (
            Field(_VENUE, lambda r: r[0], lambda r: r[0]),
            Field("report.col.message_id", lambda r: r[1].message),
            Field(
                "report.col.message",
                lambda r: message_label(r[1].message, t.lang),
                lambda r: (message_label(r[1].message, t.lang), Span(r[1].message, "ci")),
            ),
            both("report.col.phones", lambda r: r[1].phones, cls="num"),
            both("report.col.knew", lambda r: r[1].knew, cls="num"),
            Field(
                "report.col.awareness",
                lambda r: fraction(r[1].value),
                lambda r: percent(r[1].value),
                rate=True,
                cls="num",
            ),
            Field("report.col.ci_low", bound(0), rate=True),
            Field("report.col.ci_high", bound(1), rate=True),
            both("report.col.audience_answers", lambda r: r[1].answers, cls="num"),
            Field("report.col.ci95", page=lambda r: _interval(r[1]), cls="num"),
        ),
        tuple((name, m) for name, rates in rows for m in rates),
        page_order=(
            *((_VENUE,) if venues else ()),
            "report.col.message",
            "report.col.phones",
            "report.col.knew",
            "report.col.awareness",
            "report.col.ci95",
            "report.col.audience_answers",
        ),
    )


def _venue_shown(v: Venue) -> Shown:
    parts: list[Piece] = [v.name]
    if v.name != v.data.event.title:
        parts += [BREAK, Span(v.data.event.title, "ci")]
    return (*parts, BREAK, Span(v.content_hash[:12], "ci"))


def venues_grid(venues: Sequence[Venue], t: Words) -> Grid[Venue]:
    """The venues merged: which event each archive holds and its answer rates (their reach
    and awareness are rows of the reach and awareness tables)."""
    return Grid(
        "venues",
        (
            Field(_VENUE, lambda v: v.name, _venue_shown),
            Field("report.col.event", lambda v: v.data.event.title),
            Field("report.event_id", lambda v: v.data.event.id),
            both(
                "report.date",
                lambda v: when(v.data.event.first_play or v.data.event.created, with_time=False),
                cls="nowrap",
            ),
            both("report.matches_total", lambda v: len(v.data.matches), cls="num"),
            both("report.contestants", lambda v: len(v.data.contestants), cls="num"),
            *rate_fields(lambda v: v.data.contestant_rate, CONTESTANT_RATE),
            *rate_fields(lambda v: _audience(v.data), AUDIENCE_RATE),
            Field("report.col.archive", lambda v: v.content_hash),
            Field(
                "report.contestant_rate", page=lambda v: t.rate(v.data.contestant_rate), cls="num"
            ),
            Field("report.audience_rate", page=lambda v: t.rate(_audience(v.data)), cls="num"),
        ),
        tuple(venues),
        page_order=(
            _VENUE,
            "report.date",
            "report.matches_total",
            "report.contestants",
            "report.contestant_rate",
            "report.audience_rate",
        ),
        css="fixed",
    )


def _audience(data: ReportData) -> Rate | None:
    return data.audience.answers if data.audience else None


def merged_grids(merged: Merged, lang: str = i18n.DEFAULT) -> dict[str, Grid[Any]]:
    """Every table of the report across venues by name, in file order: the venues, reach
    and awareness per venue and in total, the rates per category in total, and satisfaction
    per venue and in total."""
    t = Words(lang)
    total = t("report.section.totals")
    return {
        g.name: g
        for g in (
            venues_grid(merged.venues, t),
            reach_grid(
                [*((v.name, v.data.reach) for v in merged.venues), (total, merged.reach)],
                t,
                venues=True,
            ),
            awareness_grid(
                [*((v.name, v.data.awareness) for v in merged.venues), (total, merged.awareness)],
                t,
                venues=True,
            ),
            categories_grid(merged.categories, t),
            satisfaction_grid(
                satisfaction_rows([(v.name, v.data.survey) for v in merged.venues], total), t
            ),
        )
    }


#: One row of the satisfaction table: (venue, phones that answered, mean rating 1-5, share of
#: the answering phones that rated 4 or 5: the campaign's 满意率).
Satisfaction = tuple[str, int, float | None, float | None]
SATISFIED = (4, 5)


def satisfaction_rows(
    rows: Sequence[tuple[str, SurveyReport | None]], total: str
) -> list[Satisfaction]:
    """满意率 per venue and in total, pooled over the phones that answered (a venue without a
    survey adds nothing; the total's mean weighs each phone once)."""
    out: list[Satisfaction] = []
    pooled: dict[int, int] = {}
    for name, survey in rows:
        if survey is None:
            continue
        for rating, phones in survey.distribution:
            pooled[rating] = pooled.get(rating, 0) + phones
        out.append((name, *_satisfaction(dict(survey.distribution))))
    if out:
        out.append((total, *_satisfaction(pooled)))
    return out


def _satisfaction(counts: dict[int, int]) -> tuple[int, float | None, float | None]:
    answered = sum(counts.values())
    if not answered:
        return 0, None, None
    mean = sum(r * n for r, n in counts.items()) / answered
    return answered, mean, sum(counts.get(r, 0) for r in SATISFIED) / answered


def satisfaction_grid(rows: Sequence[Satisfaction], t: Words) -> Grid[Satisfaction]:
    """满意率 per venue and in total (docs/report.md)."""
    fields: tuple[Field[Satisfaction], ...] = (
        both(_VENUE, lambda r: r[0]),
        both("report.survey.answered", lambda r: r[1], cls="num"),
        Field(
            "report.survey.mean",
            lambda r: None if r[2] is None else round(r[2], 2),
            lambda r: "—" if r[2] is None else f"{r[2]:.2f}",
            cls="num",
        ),
        Field(
            "report.col.satisfied",
            lambda r: fraction(r[3]),
            lambda r: percent(r[3]),
            rate=True,
            cls="num",
        ),
    )
    return Grid("satisfaction", fields, tuple(rows), tuple(f.key for f in fields))


def merged_tables(merged: Merged, lang: str = i18n.DEFAULT) -> list[Table]:
    """Every table of the report across venues as the files write it."""
    return [grid.table() for grid in merged_grids(merged, lang).values()]

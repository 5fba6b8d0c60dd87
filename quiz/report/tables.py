"""The report's tables, each defined once (``quiz.report.grid``) and rendered three ways:
CSV files, one XLSX workbook (one sheet per table) and the printed page (``render.py``).
The event report's tables are :func:`report_grids`; the rates per category, reach and
awareness (shared with the report across venues) are defined in ``quiz.report.campaign``.

Files: headers are in the report's language; rates are fractions (0-1, four decimals in CSV, a
percent format in Excel) next to the counts they come from, and an empty cell means "no
answers". Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is
prefixed with an apostrophe (``quiz.celltext``): contestant names and titles are typed by
people. The page shows fewer columns, combined and coloured (see each table's ``page_order``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from quiz import i18n
from quiz.report.campaign import awareness_grid, categories_grid, reach_grid
from quiz.report.charts import percent
from quiz.report.data import (
    BracketMatch,
    ContestantSummary,
    DrawSummary,
    MatchSummary,
    QuestionPlay,
    QuestionRate,
    Ranking,
    ReportData,
)
from quiz.report.grid import (
    BREAK,
    Cell,
    Column,
    Field,
    Grid,
    PageTable,
    Piece,
    R,
    Shown,
    Span,
    Table,
    both,
    fraction,
    rate_fields,
    table_csv,
    write_xlsx,
)
from quiz.report.labels import AUDIENCE_RATE, CONTESTANT_RATE, Words, prompt_of, when
from quiz.report.survey import SurveyReport


def _summary(data: ReportData, t: Words) -> Grid[tuple[str, Cell]]:
    none = t("report.none_recorded")
    ev = data.event
    total = data.contestant_rate
    rows: tuple[tuple[str, Cell], ...] = (
        (t("report.event_id"), ev.id),
        (t("report.event_title"), ev.title),
        (t("report.date"), when(ev.first_play or ev.created, with_time=False)),
        (t("report.first_play"), when(ev.first_play)),
        (t("report.last_play"), when(ev.last_play)),
        (t("report.matches_finished"), data.finished_matches),
        (t("report.matches_total"), len(data.matches)),
        (t("report.contestants"), len(data.contestants)),
        (t("report.audience_phones"), data.audience.phones if data.audience else none),
        (t("report.questions_shown"), len(data.plays)),
        (t("report.col.answers"), total.total),
        (t("report.col.correct"), total.correct),
        (t("report.contestant_rate"), percent(total.value, "")),
        (
            t("report.audience_rate"),
            percent(data.audience.answers.value, "") if data.audience else none,
        ),
        (t("report.draws"), len(data.draws) if data.draws is not None else none),
        (t("report.generated_at"), when(data.generated)),
    )
    return Grid(
        "summary",
        (Field("report.col.item", lambda r: r[0]), Field("report.col.value", lambda r: r[1])),
        rows,
    )


def _match_fields(
    number: Callable[[R], int], match_id: Callable[[R], int], t: Words
) -> tuple[Field[R], Field[R]]:
    """The match a row belongs to: its number ("Match 2" on the page) and its id."""
    return (
        Field(
            "report.col.match", number, lambda row: t("match.number", n=number(row)), cls="nowrap"
        ),
        Field("report.col.match_id", match_id),
    )


def _match_status(m: MatchSummary, t: Words) -> Shown:
    parts: list[Piece] = [Span(t(f"host.match_status.{m.status}"), "nowrap")]
    if m.termination and m.termination != "games":
        parts.append(f"· {t(f'report.termination.{m.termination}')}")
    if not m.replayed:
        parts += ["·", Span(t("report.replay_failed"), "bad")]
    return tuple(parts)


def _matches(data: ReportData, t: Words) -> Grid[MatchSummary]:
    return Grid(
        "matches",
        (
            *_match_fields(lambda m: m.number, lambda m: m.id, t),
            Field("report.col.status", lambda m: m.status),
            Field("side.red", lambda m: m.red, lambda m: Span(m.red, "red")),
            Field("side.blue", lambda m: m.blue, lambda m: Span(m.blue, "blue")),
            Field("report.col.red_games", lambda m: m.red_games),
            Field("report.col.blue_games", lambda m: m.blue_games),
            Field("report.col.winner_side", lambda m: m.winner),
            Field(
                "report.col.winner",
                lambda m: m.winner_name,
                lambda m: Span(m.winner_name or "", m.winner) if m.winner else "—",
            ),
            Field("report.col.termination", lambda m: m.termination),
            both("report.col.questions", lambda m: m.questions, cls="num"),
            both("report.col.voids", lambda m: m.voids, cls="num"),
            Field("report.col.red_violations", lambda m: m.red_violations),
            Field("report.col.blue_violations", lambda m: m.blue_violations),
            Field("report.col.started", lambda m: when(m.started)),
            Field("report.col.finished", lambda m: when(m.finished) if m.finished else None),
            # The page only: a score and the violations as "red : blue", the status in words.
            Field("report.col.score", page=lambda m: f"{m.red_games} : {m.blue_games}", cls="num"),
            Field("report.col.status", page=lambda m: _match_status(m, t)),
            Field(
                "report.col.violations",
                page=lambda m: f"{m.red_violations} : {m.blue_violations}",
                cls="num",
            ),
        ),
        data.matches,
        page_order=(
            "report.col.match",
            "side.red",
            "side.blue",
            "report.col.score",
            "report.col.winner",
            "report.col.status",
            "report.col.questions",
            "report.col.voids",
            "report.col.violations",
        ),
    )


def _questions(
    name: str,
    rates: Sequence[QuestionRate],
    t: Words,
    *,
    with_events: bool,
    ranked: Callable[[QuestionRate], Cell] | None = None,
) -> Grid[QuestionRate]:
    """Per question version: the event's ``questions`` table (with ``ranked``) and the
    statistics across events (``with_events``). The page shows it as the hardest and
    easiest lists (``Grid.page(data.hardest)``)."""
    return Grid(
        name,
        (
            both(
                "report.col.code",
                lambda q: q.question.code,
                cls="nowrap",
                width="10%",
            ),
            Field("report.col.version", lambda q: q.question.version),
            Field("report.col.version_id", lambda q: q.question.version_id),
            Field("report.col.category_id", lambda q: q.question.category),
            Field("report.col.prompt_zh", lambda q: q.question.prompt_zh),
            Field("report.col.prompt_en", lambda q: q.question.prompt_en),
            *((Field("report.col.events", lambda q: q.events),) if with_events else ()),
            Field("report.col.shown", lambda q: q.shown),
            Field("report.col.voids", lambda q: q.voided),
            Field("report.col.void_rate", lambda q: fraction(q.void_rate), rate=True),
            *rate_fields(lambda q: q.contestants, CONTESTANT_RATE),
            *rate_fields(lambda q: q.audience, AUDIENCE_RATE),
            Field("report.col.pooled_rate", lambda q: fraction(q.pooled.value), rate=True),
            *((Field("report.col.ranked", ranked),) if ranked is not None else ()),
            Field(
                "report.col.category", page=lambda q: t.category(q.question.category), width="15%"
            ),
            Field("report.col.prompt", page=lambda q: prompt_of(q.question, t.lang)),
            Field(
                "report.contestants", page=lambda q: t.rate(q.contestants), cls="num", width="14%"
            ),
            Field("report.audience", page=lambda q: t.rate(q.audience), cls="num", width="14%"),
            Field(
                "report.col.rate",
                page=lambda q: Span(percent(q.pooled.value), tag="strong"),
                cls="num",
                width="11%",
            ),
        ),
        tuple(rates),
        page_order=(
            "report.col.code",
            "report.col.category",
            "report.col.prompt",
            "report.contestants",
            "report.audience",
            "report.col.rate",
        ),
        css="fixed",
    )


def _contestants(data: ReportData, t: Words) -> Grid[ContestantSummary]:
    return Grid(
        "contestants",
        (
            Field("report.col.contestant_id", lambda c: c.id),
            both("report.col.name", lambda c: c.name),
            both("report.col.matches", lambda c: c.matches, cls="num"),
            both("report.col.wins", lambda c: c.wins, cls="num"),
            *rate_fields(lambda c: c.answers, CONTESTANT_RATE),
            both("report.col.violations", lambda c: c.violations, cls="num"),
            Field("report.col.answers", page=lambda c: c.answers.total, cls="num"),
            Field("report.col.rate", page=lambda c: t.rate(c.answers), cls="num"),
        ),
        data.contestants,
        page_order=(
            "report.col.name",
            "report.col.matches",
            "report.col.wins",
            "report.col.answers",
            "report.col.rate",
            "report.col.violations",
        ),
    )


def _outcome(play: QuestionPlay) -> str:
    if play.winner:
        return play.winner
    return play.void_reason or "unfinished"


def _attempts_text(play: QuestionPlay, t: Words) -> str:
    parts = []
    for a in play.attempts:
        text = f"{a.name} {t('report.right') if a.correct else t('report.wrong')}"
        if a.rebound:
            text += f" ({t('report.rebound')})"
        if a.by != "phone":
            text += f" ({t('report.by.' + a.by)})"
        parts.append(text)
    return "; ".join(parts)


def _attempts_shown(play: QuestionPlay, t: Words) -> Shown:
    parts: list[Piece] = []
    for a in play.attempts:
        if parts:
            parts.append(BREAK)
        parts.append(Span(a.name, a.side))
        parts.append(Span(t("report.right"), "ok") if a.correct else Span(t("report.wrong"), "bad"))
        if a.rebound:
            parts.append(f"({t('report.rebound')})")
        if a.by != "phone":
            parts.append(f"({t('report.by.' + a.by)})")
    if not parts:
        parts.append("—")
    if play.violations:
        parts += [BREAK, f"{t('report.col.violations')}: {play.violations}"]
    return tuple(parts)


def _outcome_shown(play: QuestionPlay, t: Words) -> Shown:
    if play.winner:
        return t("report.won_by", name=play.winner_name)
    if play.void_reason:
        return t(f"report.void.{play.void_reason}")
    return t("report.unfinished")


def _asked(data: ReportData, t: Words) -> Grid[QuestionPlay]:
    return Grid(
        "asked",
        (
            *_match_fields(lambda p: p.match_number, lambda p: p.match_id, t),
            Field("report.col.game", lambda p: p.game, lambda p: f"{p.game}.{p.number}", cls="num"),
            Field("report.col.number", lambda p: p.number),
            both(
                "report.col.code",
                lambda p: p.question.code,
                cls="nowrap",
            ),
            Field("report.col.version", lambda p: p.question.version),
            Field("report.col.category_id", lambda p: p.question.category),
            Field("report.col.outcome", _outcome, lambda p: _outcome_shown(p, t)),
            Field("report.col.winner", lambda p: p.winner_name),
            Field(
                "report.col.attempts",
                lambda p: _attempts_text(p, t),
                lambda p: _attempts_shown(p, t),
            ),
            *rate_fields(lambda p: p.contestants, CONTESTANT_RATE),
            Field("report.col.violations", lambda p: p.violations),
            *rate_fields(lambda p: p.audience, AUDIENCE_RATE),
            Field("report.col.category", page=lambda p: t.category(p.question.category)),
            Field(
                "report.audience",
                page=lambda p: t.rate(p.audience) if p.audience and p.audience.total else "—",
                cls="num",
            ),
        ),
        data.plays,
        page_order=(
            "report.col.match",
            "report.col.game",
            "report.col.code",
            "report.col.category",
            "report.col.attempts",
            "report.col.outcome",
            "report.audience",
        ),
    )


def _bracket_winner(s: BracketMatch, t: Words) -> Shown:
    if not s.winner:
        return Span(t(f"report.slot.{s.status}"), "muted")
    if s.forfeit:
        return (s.winner, f"({t('report.termination.forfeit')})")
    return s.winner


def _bracket(data: ReportData, t: Words) -> Grid[BracketMatch]:
    matches = data.bracket.matches if data.bracket else ()
    return Grid(
        "bracket",
        (
            Field(
                "report.col.round",
                lambda s: s.round,
                lambda s: t("report.round_no", n=s.round),
                cls="nowrap",
            ),
            Field("report.col.slot", lambda s: s.id),
            Field("side.red", lambda s: s.red, lambda s: s.red or "—"),
            Field("side.blue", lambda s: s.blue, lambda s: s.blue or "—"),
            Field("report.col.status", lambda s: s.status),
            Field("report.col.red_games", lambda s: s.red_games),
            Field("report.col.blue_games", lambda s: s.blue_games),
            Field("report.col.winner", lambda s: s.winner, lambda s: _bracket_winner(s, t)),
            Field("report.termination.forfeit", lambda s: 1 if s.forfeit else 0),
            Field(
                "report.col.score",
                page=lambda s: "" if s.red_games is None else f"{s.red_games} : {s.blue_games}",
                cls="num",
            ),
        ),
        matches,
        page_order=(
            "report.col.round",
            "side.red",
            "side.blue",
            "report.col.score",
            "report.col.winner",
        ),
        page_rows=tuple(sorted(matches, key=lambda s: s.round)),  # round by round
    )


def _ranking(data: ReportData) -> Grid[Ranking]:
    # A knockout ranks by how far one got; the page shows wins and games for a league only.
    league = data.bracket is not None and data.bracket.format != "single_elimination"
    return Grid(
        "ranking",
        (
            Field(
                "report.col.place",
                lambda r: r.place,
                lambda r: "—" if r.place is None else r.place,
                cls="num",
                width="15%",
            ),
            both("report.col.name", lambda r: r.name),
            Field("report.col.wins", lambda r: r.wins, lambda r: r.wins or 0, cls="num"),
            Field("report.col.losses", lambda r: r.losses, lambda r: r.losses or 0, cls="num"),
            Field("report.col.games_won", lambda r: r.games_won),
            Field("report.col.games_lost", lambda r: r.games_lost),
            Field("report.col.games", page=lambda r: f"{r.games_won} : {r.games_lost}", cls="num"),
        ),
        data.bracket.ranking if data.bracket else (),
        page_order=(
            "report.col.place",
            "report.col.name",
            *(("report.col.wins", "report.col.losses", "report.col.games") if league else ()),
        ),
    )


def _draws_shown(d: DrawSummary, t: Words) -> Shown:
    if not d.drawn:
        return Span(t("report.not_drawn"), "muted")
    return ("、" if t.lang == "zh-CN" else ", ").join(d.winners)


def _draws(data: ReportData, t: Words) -> Grid[DrawSummary]:
    return Grid(
        "draws",
        (
            Field("report.col.draw_id", lambda d: d.id),
            both("report.col.prize", lambda d: d.prize),
            both("report.col.count", lambda d: d.count, cls="num"),
            both("report.col.eligible", lambda d: d.eligible, cls="num"),
            Field("report.col.drawn", lambda d: 1 if d.drawn else 0),
            Field(
                "report.col.winners", lambda d: "; ".join(d.winners), lambda d: _draws_shown(d, t)
            ),
            Field("report.col.commitment", lambda d: d.commitment),
        ),
        data.draws or (),
        page_order=(
            "report.col.prize",
            "report.col.count",
            "report.col.eligible",
            "report.col.winners",
        ),
    )


def report_grids(data: ReportData, lang: str = i18n.DEFAULT) -> dict[str, Grid[Any]]:
    """Every table of the event report by name, in file order; bracket, ranking and draws
    only when recorded."""
    t = Words(lang)

    def ranked(q: QuestionRate) -> Cell:
        if q in data.hardest:
            return t("report.hardest")
        if q in data.easiest:
            return t("report.easiest")
        return None

    grids: list[Grid[Any]] = [
        _summary(data, t),
        _matches(data, t),
        categories_grid(data.categories, t),
        _questions("questions", data.questions, t, with_events=False, ranked=ranked),
        _contestants(data, t),
        _asked(data, t),
    ]
    if data.bracket is not None:
        grids += [_bracket(data, t), _ranking(data)]
    if data.draws is not None:
        grids.append(_draws(data, t))
    if data.reach is not None:
        venue = [(data.event.title, data.reach)]
        grids += [reach_grid(venue, t), awareness_grid([(data.event.title, data.awareness)], t)]
    if data.survey is not None:
        grids += _survey(data.survey, t)
    return {g.name: g for g in grids}


#: One row of the survey's counts: (item, answer, phones, share of the phones that answered).
SurveyRow = tuple[str, str, Cell, float | None]


def _survey(survey: SurveyReport, t: Words) -> list[Grid[Any]]:
    """The satisfaction survey: the rating distribution and mean, then each question's options;
    and the free text for the organiser, one row per comment (escaped like every typed text)."""
    zh = t.lang.startswith("zh")
    rows: list[SurveyRow] = [
        (t("report.survey.rating"), f"{r}", n, survey.share(n)) for r, n in survey.distribution
    ]
    rows.append((t("report.survey.mean"), "", survey.mean, None))
    for q in survey.questions:
        prompt = q.zh if zh else q.en
        rows += [
            (prompt, f"{o.key} {o.zh if zh else o.en}", o.count, survey.share(o.count))
            for o in q.options
        ]
    share = Field[SurveyRow](
        "report.col.survey_share",
        lambda r: fraction(r[3]),
        lambda r: percent(r[3]),
        rate=True,
        cls="num",
    )
    fields: tuple[Field[SurveyRow], ...] = (
        both("report.col.survey_item", lambda r: r[0]),
        both("report.col.survey_answer", lambda r: r[1]),
        both("report.col.survey_count", lambda r: r[2], cls="num"),
        share,
    )
    counts = Grid("survey", fields, tuple(rows), tuple(f.key for f in fields))
    comment = both("report.col.comment", lambda c: c)
    comments = Grid("survey_comments", (comment,), tuple(survey.comments), (comment.key,))
    return [counts, comments]


def report_tables(data: ReportData, lang: str = i18n.DEFAULT) -> list[Table]:
    """Every table of the event report as the files write it."""
    return [grid.table() for grid in report_grids(data, lang).values()]


def stats_table(rates: Sequence[QuestionRate], lang: str = i18n.DEFAULT) -> Table:
    """The per-question statistics across events (``quiz report --questions``)."""
    return _questions("question_stats", rates, Words(lang), with_events=True).table()


# --- writing ------------------------------------------------------------------------------------


def to_csv(data: ReportData, lang: str = i18n.DEFAULT) -> dict[str, str]:
    """``{"matches.csv": text, ...}``: one CSV per table of the report."""
    return {f"{t.name}.csv": table_csv(t, lang) for t in report_tables(data, lang)}


def to_xlsx(data: ReportData, path: Path | BinaryIO, lang: str = i18n.DEFAULT) -> None:
    """The report as one workbook, one sheet per table (``path`` may be a binary stream)."""
    write_xlsx(report_tables(data, lang), path, lang)


__all__ = [
    "Cell",
    "Column",
    "Grid",
    "PageTable",
    "Table",
    "report_grids",
    "report_tables",
    "stats_table",
    "table_csv",
    "to_csv",
    "to_xlsx",
    "write_xlsx",
]

"""The report as tables, written as CSV files or as one XLSX workbook (one sheet per table).

Both formats come from the same :class:`Table` values, so a CSV file and its sheet always
hold the same rows. Headers are in the report's language; rates are fractions (0-1, four
decimals in CSV, a percent format in Excel) next to the counts they come from, and an empty
cell means "no answers". Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``,
``@``) is prefixed with an apostrophe: contestant names and titles are typed by people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from quiz import i18n
from quiz.celltext import cell_text, is_formula_like
from quiz.report.awareness import MessageRate, message_label
from quiz.report.charts import percent
from quiz.report.data import CategoryRate, QuestionPlay, QuestionRate, Rate, ReportData
from quiz.report.reach import Reach
from quiz.report.render import category_label, when
from quiz.report.survey import SurveyReport

if TYPE_CHECKING:
    from quiz.report.merge import Merged

Cell = str | int | float | None
RATE_DIGITS = 4


@dataclass(frozen=True)
class Column:
    key: str  # catalog key of the header
    rate: bool = False  # a 0-1 fraction, shown as a percent in Excel


@dataclass(frozen=True)
class Table:
    name: str  # file stem and the catalog key report.table.<name>
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


def _cols(*keys: str) -> tuple[Column, ...]:
    return tuple(Column(k.removesuffix("%"), rate=k.endswith("%")) for k in keys)


def _rate(rate: Rate | None) -> tuple[Cell, Cell, Cell]:
    """answers, correct, rate: all empty when nothing was recorded."""
    if rate is None:
        return None, None, None
    value = rate.value
    return rate.total, rate.correct, None if value is None else round(value, RATE_DIGITS)


_CONTESTANT_RATE = ("report.col.answers", "report.col.correct", "report.contestant_rate%")
_AUDIENCE_RATE = (
    "report.col.audience_answers",
    "report.col.audience_correct",
    "report.audience_rate%",
)


def _outcome(play: QuestionPlay) -> str:
    if play.winner:
        return play.winner
    return play.void_reason or "unfinished"


def _attempts_text(play: QuestionPlay, lang: str) -> str:
    def t(key: str) -> str:
        return i18n.translate(key, lang)

    parts = []
    for a in play.attempts:
        text = f"{a.name} {t('report.right') if a.correct else t('report.wrong')}"
        if a.rebound:
            text += f" ({t('report.rebound')})"
        if a.by != "phone":
            text += f" ({t('report.by.' + a.by)})"
        parts.append(text)
    return "; ".join(parts)


def report_tables(data: ReportData, lang: str = i18n.DEFAULT) -> list[Table]:
    """Every table of the event report; bracket, ranking and draws only when recorded."""

    def t(key: str, **params: object) -> str:
        return i18n.translate(key, lang, **params)

    none = t("report.none_recorded")
    ev = data.event
    total = data.contestant_rate
    summary_rows: list[tuple[Cell, ...]] = [
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
    ]
    tables = [
        Table("summary", _cols("report.col.item", "report.col.value"), tuple(summary_rows)),
        Table(
            "matches",
            _cols(
                "report.col.match",
                "report.col.match_id",
                "report.col.status",
                "side.red",
                "side.blue",
                "report.col.red_games",
                "report.col.blue_games",
                "report.col.winner_side",
                "report.col.winner",
                "report.col.termination",
                "report.col.questions",
                "report.col.voids",
                "report.col.red_violations",
                "report.col.blue_violations",
                "report.col.started",
                "report.col.finished",
            ),
            tuple(
                (
                    m.number,
                    m.id,
                    m.status,
                    m.red,
                    m.blue,
                    m.red_games,
                    m.blue_games,
                    m.winner,
                    m.winner_name,
                    m.termination,
                    m.questions,
                    m.voids,
                    m.red_violations,
                    m.blue_violations,
                    when(m.started),
                    when(m.finished) if m.finished else None,
                )
                for m in data.matches
            ),
        ),
        categories_table(data.categories, lang),
        Table(
            "questions",
            _question_columns(with_events=False),
            tuple(
                (*_question_row(q, lang, with_events=False), _ranked(q, data, lang))
                for q in data.questions
            ),
        ),
        Table(
            "contestants",
            _cols(
                "report.col.contestant_id",
                "report.col.name",
                "report.col.matches",
                "report.col.wins",
                *_CONTESTANT_RATE,
                "report.col.violations",
            ),
            tuple(
                (c.id, c.name, c.matches, c.wins, *_rate(c.answers), c.violations)
                for c in data.contestants
            ),
        ),
        Table(
            "asked",
            _cols(
                "report.col.match",
                "report.col.match_id",
                "report.col.game",
                "report.col.number",
                "report.col.code",
                "report.col.version",
                "report.col.category_id",
                "report.col.outcome",
                "report.col.winner",
                "report.col.attempts",
                *_CONTESTANT_RATE,
                "report.col.violations",
                *_AUDIENCE_RATE,
            ),
            tuple(
                (
                    p.match_number,
                    p.match_id,
                    p.game,
                    p.number,
                    p.question.code,
                    p.question.version,
                    p.question.category,
                    _outcome(p),
                    p.winner_name,
                    _attempts_text(p, lang),
                    *_rate(p.contestants),
                    p.violations,
                    *_rate(p.audience),
                )
                for p in data.plays
            ),
        ),
    ]
    if data.bracket is not None:
        b = data.bracket
        tables.append(
            Table(
                "bracket",
                _cols(
                    "report.col.round",
                    "report.col.slot",
                    "side.red",
                    "side.blue",
                    "report.col.status",
                    "report.col.red_games",
                    "report.col.blue_games",
                    "report.col.winner",
                    "report.termination.forfeit",
                ),
                tuple(
                    (
                        s.round,
                        s.id,
                        s.red,
                        s.blue,
                        s.status,
                        s.red_games,
                        s.blue_games,
                        s.winner,
                        1 if s.forfeit else 0,
                    )
                    for s in b.matches
                ),
            )
        )
        tables.append(
            Table(
                "ranking",
                _cols(
                    "report.col.place",
                    "report.col.name",
                    "report.col.wins",
                    "report.col.losses",
                    "report.col.games_won",
                    "report.col.games_lost",
                ),
                tuple(
                    (r.place, r.name, r.wins, r.losses, r.games_won, r.games_lost)
                    for r in b.ranking
                ),
            )
        )
    if data.draws is not None:
        tables.append(
            Table(
                "draws",
                _cols(
                    "report.col.draw_id",
                    "report.col.prize",
                    "report.col.survey_count",
                    "report.col.eligible",
                    "report.col.drawn",
                    "report.col.winners",
                    "report.col.commitment",
                ),
                tuple(
                    (
                        d.id,
                        d.prize,
                        d.count,
                        d.eligible,
                        1 if d.drawn else 0,
                        "; ".join(d.winners),
                        d.commitment,
                    )
                    for d in data.draws
                ),
            )
        )
    if data.reach is not None:
        tables += [
            reach_table([(ev.title, data.reach)], lang),
            awareness_table([(ev.title, data.awareness)], lang),
        ]
    if data.survey is not None:
        tables.extend(survey_tables(data.survey, lang))
    return tables


def categories_table(categories: Sequence[CategoryRate], lang: str) -> Table:
    return Table(
        "categories",
        _cols(
            "report.col.category_id",
            "report.col.category",
            "report.col.shown",
            *_CONTESTANT_RATE,
            *_AUDIENCE_RATE,
        ),
        tuple(
            (
                c.category,
                category_label(c.category, lang),
                c.shown,
                *_rate(c.contestants),
                *_rate(c.audience),
            )
            for c in categories
        ),
    )


def merged_tables(merged: Merged, lang: str = i18n.DEFAULT) -> list[Table]:
    """The report across venues as tables: the venues, reach and awareness per venue and in
    total, and the rates per category in total."""
    total = i18n.translate("report.section.totals", lang)
    venues = Table(
        "venues",
        _cols(
            "report.col.venue",
            "report.col.event",
            "report.event_id",
            "report.date",
            "report.matches_total",
            "report.contestants",
            *_CONTESTANT_RATE,
            *_AUDIENCE_RATE,
            "report.col.archive",
        ),
        tuple(
            (
                v.name,
                v.data.event.title,
                v.data.event.id,
                when(v.data.event.first_play or v.data.event.created, with_time=False),
                len(v.data.matches),
                len(v.data.contestants),
                *_rate(v.data.contestant_rate),
                *_rate(v.data.audience.answers if v.data.audience else None),
                v.content_hash,
            )
            for v in merged.venues
        ),
    )
    return [
        venues,
        reach_table(
            [*((v.name, v.data.reach) for v in merged.venues), (total, merged.reach)], lang
        ),
        awareness_table(
            [*((v.name, v.data.awareness) for v in merged.venues), (total, merged.awareness)], lang
        ),
        categories_table(merged.categories, lang),
    ]


def reach_table(rows: Sequence[tuple[str, Reach | None]], lang: str) -> Table:
    """Reach per venue (or event): one row per (name, reach); empty cells: not recorded."""
    return Table(
        "reach",
        _cols(
            "report.col.venue",
            "report.reach.joined",
            "report.reach.answered",
            "report.reach.stayed",
            "report.reach.surveyed",
            "report.reach.peak",
        ),
        tuple(
            (name, r.joined, r.answered, r.stayed, r.surveyed, r.peak)
            for name, r in rows
            if r is not None
        ),
    )


def awareness_table(rows: Sequence[tuple[str, Sequence[MessageRate]]], lang: str) -> Table:
    """Awareness per key message, per venue (or event): phones, right, share, 95 % interval."""

    def cells(m: MessageRate) -> tuple[Cell, ...]:
        low, high = m.interval or (None, None)
        value = m.value
        return (
            m.message,
            message_label(m.message, lang),
            m.phones,
            m.knew,
            None if value is None else round(value, RATE_DIGITS),
            None if low is None else round(low, RATE_DIGITS),
            None if high is None else round(high, RATE_DIGITS),
            m.answers,
        )

    return Table(
        "awareness",
        _cols(
            "report.col.venue",
            "report.col.message_id",
            "report.col.message",
            "report.col.phones",
            "report.col.knew",
            "report.col.awareness%",
            "report.col.ci_low%",
            "report.col.ci_high%",
            "report.col.audience_answers",
        ),
        tuple((name, *cells(m)) for name, rates in rows for m in rates),
    )


def survey_tables(survey: SurveyReport, lang: str) -> list[Table]:
    """The survey's counts (the rating distribution, then each question's options) and the
    free text, one row per comment."""
    zh = lang.startswith("zh")
    rows: list[tuple[Cell, ...]] = [
        (i18n.translate("report.survey.rating", lang), f"{r}", n, _share(survey.share(n)))
        for r, n in survey.distribution
    ]
    rows.append((i18n.translate("report.survey.mean", lang), "", survey.mean, None))
    for q in survey.questions:
        prompt = q.zh if zh else q.en
        rows.extend(
            (prompt, f"{o.key} {o.zh if zh else o.en}", o.count, _share(survey.share(o.count)))
            for o in q.options
        )
    return [
        Table(
            "survey",
            _cols(
                "report.col.survey_item",
                "report.col.survey_answer",
                "report.col.survey_count",
                "report.col.survey_share%",
            ),
            tuple(rows),
        ),
        Table("survey_comments", _cols("report.col.comment"), tuple((c,) for c in survey.comments)),
    ]


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, RATE_DIGITS)


def _ranked(q: QuestionRate, data: ReportData, lang: str) -> Cell:
    if q in data.hardest:
        return i18n.translate("report.hardest", lang)
    if q in data.easiest:
        return i18n.translate("report.easiest", lang)
    return None


def _question_columns(with_events: bool) -> tuple[Column, ...]:
    return _cols(
        "report.col.code",
        "report.col.version",
        "report.col.version_id",
        "report.col.category_id",
        "report.col.prompt_zh",
        "report.col.prompt_en",
        *(("report.col.events",) if with_events else ()),
        "report.col.shown",
        "report.col.voids",
        "report.col.void_rate%",
        *_CONTESTANT_RATE,
        *_AUDIENCE_RATE,
        "report.col.pooled_rate%",
        *(() if with_events else ("report.col.ranked",)),
    )


def _question_row(q: QuestionRate, lang: str, with_events: bool) -> tuple[Cell, ...]:
    info = q.question
    void_rate = q.void_rate
    pooled = q.pooled.value
    return (
        info.code,
        info.version,
        info.version_id,
        info.category,
        info.prompt_zh,
        info.prompt_en,
        *((q.events,) if with_events else ()),
        q.shown,
        q.voided,
        None if void_rate is None else round(void_rate, RATE_DIGITS),
        *_rate(q.contestants),
        *_rate(q.audience),
        None if pooled is None else round(pooled, RATE_DIGITS),
    )


def stats_table(rates: Sequence[QuestionRate], lang: str = i18n.DEFAULT) -> Table:
    """The per-question statistics across events (``quiz report --questions``)."""
    return Table(
        "question_stats",
        _question_columns(with_events=True),
        tuple(_question_row(q, lang, with_events=True) for q in rates),
    )


# --- writing ------------------------------------------------------------------------------------


def table_csv(table: Table, lang: str = i18n.DEFAULT) -> str:
    """One table as CSV text (write it with a UTF-8 BOM so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([i18n.translate(c.key, lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(v) for v in row])
    return out.getvalue()


def to_csv(data: ReportData, lang: str = i18n.DEFAULT) -> dict[str, str]:
    """``{"matches.csv": text, ...}``: one CSV per table of the report."""
    return {f"{t.name}.csv": table_csv(t, lang) for t in report_tables(data, lang)}


def write_xlsx(tables: Iterable[Table], path: Path | BinaryIO, lang: str = i18n.DEFAULT) -> None:
    """One sheet per table, headers bold and frozen, rates as percents."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    for table in tables:
        title = i18n.translate(f"report.table.{table.name}", lang)
        # Sheet titles: at most 31 characters and none of []:*?/\ (Excel's rules).
        sheet = book.create_sheet(title="".join(c for c in title if c not in "[]:*?/\\")[:31])
        headers = [i18n.translate(c.key, lang) for c in table.columns]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            for cell in sheet[letter][1:]:
                if is_formula_like(cell.value):
                    # openpyxl takes "=..." for a formula; typed text must stay text.
                    cell.data_type = "s"
                if column.rate:
                    cell.number_format = "0.0%"
            texts = [headers[index - 1], *(str(r[index - 1] or "") for r in table.rows)]
            sheet.column_dimensions[letter].width = min(max(8, *map(_width, texts)) + 2, 60)
        sheet.freeze_panes = "A2"
    book.save(path)


def _width(text: str) -> int:
    # Excel column widths count narrow characters; a CJK character takes two.
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def to_xlsx(data: ReportData, path: Path | BinaryIO, lang: str = i18n.DEFAULT) -> None:
    """The report as one workbook, one sheet per table (``path`` may be a binary stream)."""
    write_xlsx(report_tables(data, lang), path, lang)

"""The ``quiz report`` command: an event's printable report, its tables, and the per-question
statistics across every event.

    quiz report latest -o report.html --csv tables/ --xlsx report.xlsx
    quiz report --questions -o stats.csv
    quiz report --merge east.zip west.zip -o venues.html --xlsx venues.xlsx

The database is only read. Each file is written to a temporary name and renamed when complete,
so a failure never leaves half a report where a good one was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

from quiz import i18n
from quiz.report.data import MIN_SAMPLE, ReportError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

LANGS = click.Choice(list(i18n.SUPPORTED))


def _write(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str, bom: bool = False) -> None:
    data = text.encode("utf-8-sig" if bom else "utf-8")
    _write(path, lambda out: out.write(data))


def _open_database(url: str | None) -> sessionmaker[Session]:
    """A session factory for an existing quiz database; a clear error if there is none."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from quiz.db import default_database_url, make_engine, make_session_factory

    url = url or default_database_url()
    parsed = make_url(url)
    database = parsed.database or ""
    # Opening a missing SQLite file would create an empty one.
    sqlite_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if sqlite_file and not Path(database).exists():
        raise click.ClickException(f"no quiz database at {database}")
    engine = make_engine(url)
    if not inspect(engine).has_table("quiz_event"):
        engine.dispose()
        raise click.ClickException(
            f"{parsed.render_as_string(hide_password=True)} has no quiz tables "
            "(start `quiz serve` once to create them)"
        )
    return make_session_factory(engine)


@click.command("report")
@click.argument("event", nargs=-1)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML report, or with --questions the statistics (.csv or .xlsx).",
)
@click.option("--lang", type=LANGS, default=None, help="Report language (default: the event's).")
@click.option(
    "--csv",
    "csv_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write every table as a CSV file into this folder.",
)
@click.option(
    "--xlsx",
    "xlsx_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every table into one Excel workbook.",
)
@click.option(
    "--questions",
    is_flag=True,
    help="Per-question statistics across all events instead of one event's report.",
)
@click.option(
    "--min-sample",
    type=click.IntRange(1, 100_000),
    default=MIN_SAMPLE,
    show_default=True,
    help="Answers a question needs to be ranked among the hardest or easiest.",
)
@click.option(
    "--merge",
    is_flag=True,
    help="One report across venues from event archives (quiz export --archive) given as "
    "arguments; the same archive given twice counts once.",
)
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: instance/ SQLite).")
def report(
    event: tuple[str, ...],
    output: Path,
    lang: str | None,
    csv_dir: Path | None,
    xlsx_file: Path | None,
    questions: bool,
    min_sample: int,
    merge: bool,
    database_url: str | None,
) -> None:
    """Write the organiser's report of EVENT (an event id or `latest`), or with --merge one
    report across the venues of the archives given."""
    if merge:
        if questions or csv_dir is not None:
            raise click.UsageError("--merge takes archives, -o, --xlsx and --lang")
        _merged([Path(p) for p in event], output, lang, xlsx_file)
        return
    if len(event) > 1:
        raise click.UsageError("name one EVENT (to report on several archives, use --merge)")
    single = event[0] if event else None
    if questions:
        if single is not None or csv_dir is not None or xlsx_file is not None:
            raise click.UsageError("--questions takes only -o (and --lang, --database-url)")
        if output.suffix.lower() not in (".csv", ".xlsx"):
            raise click.UsageError("with --questions, -o must name a .csv or .xlsx file")
    elif single is None:
        raise click.UsageError("name an EVENT (its id, or `latest`), or use --questions")
    elif output.suffix.lower() not in (".html", ".htm"):
        raise click.UsageError("-o must name an .html file")
    if xlsx_file is not None and xlsx_file.suffix.lower() != ".xlsx":
        raise click.UsageError("--xlsx must name an .xlsx file")

    sessions = _open_database(database_url)
    if questions:
        _questions(sessions, output, lang or i18n.DEFAULT)
    else:
        assert single is not None
        _event(sessions, single, output, lang, csv_dir, xlsx_file, min_sample)


def _event(
    sessions: sessionmaker[Session],
    event: str,
    output: Path,
    lang: str | None,
    csv_dir: Path | None,
    xlsx_file: Path | None,
    min_sample: int,
) -> None:
    from quiz.report.collect import collect, resolve_event
    from quiz.report.render import render_html
    from quiz.report.tables import report_tables, table_csv, write_xlsx

    with sessions() as session:
        try:
            data = collect(session, resolve_event(session, event), min_sample=min_sample)
        except ReportError as exc:
            raise click.ClickException(str(exc)) from None
    chosen = lang or i18n.normalize(data.event.lang) or i18n.DEFAULT
    _write_text(output, render_html(data, chosen))
    written = [str(output)]
    tables = report_tables(data, chosen)
    if csv_dir is not None:
        for table in tables:
            path = csv_dir / f"{table.name}.csv"
            _write_text(path, table_csv(table, chosen), bom=True)
            written.append(str(path))
    if xlsx_file is not None:
        _write(xlsx_file, lambda out: write_xlsx(tables, out, chosen))
        written.append(str(xlsx_file))
    for warning in data.warnings:
        click.echo(f"warning: {warning}", err=True)
    answers = data.contestant_rate
    click.echo(
        f"event {data.event.id} ({data.event.title}): {len(data.matches)} match(es), "
        f"{len(data.plays)} question(s) shown, {answers.total} contestant answer(s)"
    )
    for name in written:
        click.echo(f"wrote {name}")


def _merged(archives: list[Path], output: Path, lang: str | None, xlsx_file: Path | None) -> None:
    from quiz.ops.archive import ArchiveError
    from quiz.report.campaign import merged_tables
    from quiz.report.grid import write_xlsx
    from quiz.report.merge import merge_archives
    from quiz.report.render import render_merged

    if not archives:
        raise click.UsageError("--merge needs at least one archive (.zip)")
    if output.suffix.lower() not in (".html", ".htm"):
        raise click.UsageError("-o must name an .html file")
    if xlsx_file is not None and xlsx_file.suffix.lower() != ".xlsx":
        raise click.UsageError("--xlsx must name an .xlsx file")
    try:
        merged = merge_archives(archives)
    except (ArchiveError, ReportError) as exc:
        raise click.ClickException(str(exc)) from None
    chosen = lang or (merged.venues[0].data.event.lang if merged.venues else None)
    chosen = i18n.normalize(chosen) or i18n.DEFAULT
    _write_text(output, render_merged(merged, chosen))
    written = [str(output)]
    if xlsx_file is not None:
        tables = merged_tables(merged, chosen)
        _write(xlsx_file, lambda out: write_xlsx(tables, out, chosen))
        written.append(str(xlsx_file))
    for name in merged.duplicates:
        click.echo(f"warning: {name}: imported more than once, counted once", err=True)
    for name in merged.replaced:
        click.echo(f"warning: {name}: an older export of the same event was left out", err=True)
    reach = merged.reach
    click.echo(
        f"{len(merged.venues)} venue(s): "
        + (f"{reach.joined} phone(s) joined, {reach.answered} answered" if reach else "no audience")
    )
    for name in written:
        click.echo(f"wrote {name}")


def _questions(sessions: sessionmaker[Session], output: Path, lang: str) -> None:
    from quiz.report.collect import question_stats
    from quiz.report.tables import stats_table, table_csv, write_xlsx

    with sessions() as session:
        table = stats_table(question_stats(session), lang)
    if output.suffix.lower() == ".xlsx":
        _write(output, lambda out: write_xlsx([table], out, lang))
    else:
        _write_text(output, table_csv(table, lang), bom=True)
    click.echo(f"{len(table.rows)} question version(s) shown across all events")
    click.echo(f"wrote {output}")

"""``quiz export`` and ``quiz backup``: thin click wrappers over :mod:`quiz.ops.export` and
:mod:`quiz.ops.backup`. Errors are one clear line and exit status 1; nothing is half-written.
"""

from __future__ import annotations

from pathlib import Path

import click

from quiz.datadir import data_dir_option, dated_path

_DATABASE = click.option(
    "--database-url",
    default=None,
    help="SQLAlchemy URL (default: $DATABASE_URL, else the data folder's SQLite).",
)


@click.command()
@click.option("--event", "event_id", type=int, default=None, help="Only this event (default: all).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: one file; csv: a folder with one file per table.",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(path_type=Path),
    help="Where to (default: exports/ in the data folder).",
)
@click.option(
    "--archive",
    is_flag=True,
    help="One event as a self-contained archive (.zip) for `quiz report --merge`.",
)
@click.option("--venue", default=None, help="With --archive: the venue's name in merged reports.")
@_DATABASE
@data_dir_option
def export(
    event_id: int | None,
    fmt: str,
    output: Path | None,
    archive: bool,
    venue: str | None,
    database_url: str | None,
) -> None:
    """Export events, matches, questions shown, buzzes, receipts and judgements."""
    if archive:
        _archive(event_id, output, venue, database_url)
        return
    if venue is not None:
        raise click.UsageError("--venue goes with --archive")
    if output is None:
        output = dated_path("exports", ".json" if fmt == "json" else "")
    from quiz.db import default_database_url, make_engine, make_session_factory
    from quiz.ops.export import ExportError, collect, write

    engine = make_engine(database_url or default_database_url())
    try:
        with make_session_factory(engine)() as session:
            tables = collect(session, event_id)
        written = write(tables, fmt, output)
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    counts = ", ".join(f"{name} {len(rows)}" for name, rows in tables.items())
    click.echo(f"exported {counts}")
    for path in written:
        click.echo(f"  {path}")


def _archive(
    event_id: int | None, output: Path | None, venue: str | None, database_url: str | None
) -> None:
    """``quiz export --archive``: the event (default: the newest) as one ZIP."""
    from quiz.db import default_database_url, make_engine, make_session_factory
    from quiz.ops.archive import ArchiveError, write_archive
    from quiz.report.collect import resolve_event
    from quiz.report.data import ReportError

    if output is None:
        output = dated_path("exports", ".zip")
    if output.suffix.lower() != ".zip":
        raise click.UsageError("with --archive, -o must name a .zip file")
    engine = make_engine(database_url or default_database_url())
    try:
        with make_session_factory(engine)() as session:
            chosen = resolve_event(session, event_id)
            manifest = write_archive(session, chosen, output, venue)
    except (ArchiveError, ReportError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.dispose()
    rows = ", ".join(f"{name} {n}" for name, n in manifest["rows"].items() if n)
    click.echo(f"archived event {chosen} ({manifest['venue']}): {rows}")
    click.echo(f"  {output}  sha256 {manifest['content_sha256'][:16]}…")


@click.command()
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(path_type=Path),
    help="Backup file (default: backups/ in the data folder).",
)
@click.option("--force", is_flag=True, help="Replace an existing file at --output.")
@_DATABASE
@data_dir_option
def backup(output: Path | None, force: bool, database_url: str | None) -> None:
    """Copy the live database (safe while quiz serve is running)."""
    if output is None:
        output = dated_path("backups", ".sqlite3")
    from quiz.db import default_database_url
    from quiz.ops.backup import BackupError, backup_sqlite, pg_dump_command, sqlite_path

    url = database_url or default_database_url()
    try:
        source = sqlite_path(url)
        if source is None:
            click.echo("PostgreSQL: back it up with its own tool, for example:")
            click.echo(f"  {pg_dump_command(url, output)}")
            return
        result = backup_sqlite(source, output, overwrite=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backup written: {result.path} ({result.bytes} bytes, {result.matches} matches, "
        f"{result.match_log_rows} log entries); restore: quiz serve --database-url "
        f"sqlite:///{result.path.resolve()}"
    )

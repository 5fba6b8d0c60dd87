"""``quiz bank ...`` commands: check, stats, cues, calibrate, import, template, convert.

Every command that reads a bank prints each problem as ``file:line:column: message`` and exits
with status 1 when there is an error (or, with ``--strict``, a warning); 0 otherwise.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from quiz.bank.facts import BUNDLED_BANK
from quiz.bank.problems import Problem

if TYPE_CHECKING:
    from quiz.bank.validate import BankResult, Freshness

# pydantic, SQLAlchemy and openpyxl are imported inside the commands: `quiz --help` and the
# other command groups do not pay for them.

_PATHS = click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="[PATH]..."
)
_STRICT = click.option(
    "--strict", is_flag=True, help="Warnings fail too (the shipped bank must have none)."
)
_FACTS = click.option(
    "--facts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="FACTS.md to resolve fact IDs (default: the one next to the files, else the bundled one).",
)
_ALLOW_MISSING_EN = click.option(
    "--allow-missing-en",
    is_flag=True,
    help="Accept texts without English (a zh-only local bank; never for the shipped bank).",
)


@click.group()
def bank() -> None:
    """Question bank: check, stats, cues, calibrate, import, template, convert."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _load(
    paths: Sequence[Path],
    facts: Path | None,
    allow_missing_en: bool,
    freshness: Freshness | None = None,
) -> BankResult:
    from quiz.bank.validate import load_bank

    return load_bank(
        paths or [BUNDLED_BANK],
        facts=facts,
        require_en=not allow_missing_en,
        freshness=freshness,
    )


def _row(label: str, count: int) -> str:
    # Chinese characters take two columns in a terminal: pad by display width, not length.
    width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in label)
    return f"  {label}{' ' * max(1, 44 - width)}{count:>5}"


def _report(problems: Sequence[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem))


def _summary(result: BankResult) -> str:
    return (
        f"{_plural(len(result.files), 'file')}, {_plural(len(result.questions), 'question')}: "
        f"{_plural(len(result.errors), 'error')}, {_plural(len(result.warnings), 'warning')}"
        + (f", {_plural(len(result.notes), 'note')}" if result.notes else "")
    )


@bank.command()
@_PATHS
@_STRICT
@_FACTS
@_ALLOW_MISSING_EN
@click.option(
    "--max-age-years",
    type=click.IntRange(0, 50),
    default=2,
    show_default=True,
    help="Warn when a question's as_of is older than this.",
)
@click.option(
    "--date",
    "on_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The date figures are judged on, YYYY-MM-DD (default: today).",
)
def check(
    paths: tuple[Path, ...],
    strict: bool,
    facts: Path | None,
    allow_missing_en: bool,
    max_age_years: int,
    on_date: datetime | None,
) -> None:
    """Check bank files or folders (default: the bundled question_bank/)."""
    from quiz.bank.validate import Freshness

    today = on_date.date() if on_date is not None else date.today()
    result = _load(paths, facts, allow_missing_en, Freshness(today, max_age_years))
    _report(result.problems)
    click.echo(_summary(result))
    if not result.ok(strict=strict):
        if result.ok() and strict:
            click.echo("warnings fail the check with --strict")
        raise SystemExit(1)


@bank.command()
@_PATHS
@_FACTS
@_ALLOW_MISSING_EN
def stats(paths: tuple[Path, ...], facts: Path | None, allow_missing_en: bool) -> None:
    """Count questions by category, type and difficulty, and the facts they cite."""
    from quiz.bank.schema import CATEGORIES, CATEGORY_ZH, QUESTION_TYPES, RANGES

    result = _load(paths, facts, allow_missing_en)
    questions = result.questions
    cited = {question.fact for question in questions}
    verified = sum(sheet.verified_count for sheet in result.fact_sheets)
    click.echo(
        f"{_plural(len(questions), 'question')} in {_plural(len(result.files), 'file')}; "
        f"{_plural(len(cited), 'fact')} cited"
        + (f" (of {verified} verified)" if len(result.fact_sheets) == 1 else "")
    )
    by_category: Counter[str] = Counter(question.category for question in questions)
    by_type: Counter[str] = Counter(question.type for question in questions)
    by_difficulty: Counter[int] = Counter(question.difficulty for question in questions)
    click.echo("\nby category:")
    for category in CATEGORIES:
        click.echo(_row(f"{category} ({CATEGORY_ZH[category]})", by_category[category]))
    click.echo("\nby type:")
    for kind in QUESTION_TYPES:
        click.echo(_row(kind, by_type[kind]))
    click.echo("\nby difficulty:")
    low, high = RANGES["difficulty"]
    for level in range(low, high + 1):
        click.echo(_row(str(level), by_difficulty[level]))
    if result.errors:
        click.echo(
            f"\n{_plural(len(result.errors), 'error')} in the bank: only valid questions are "
            "counted; run `quiz bank check`",
            err=True,
        )
        raise SystemExit(1)


@bank.command()
@_PATHS
@_FACTS
@_ALLOW_MISSING_EN
@click.option(
    "--draws",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Simulated events for the key letters after shuffling.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Bigram Jaccard index from which prompts are listed as near-duplicates (default 0.3).",
)
def cues(
    paths: tuple[Path, ...],
    facts: Path | None,
    allow_missing_en: bool,
    draws: int,
    threshold: float | None,
) -> None:
    """Measure the cues that give answers away: key letters, longest option, absolute words."""
    from quiz.bank.cues import REVIEW_SIMILARITY, measure, report_lines

    result = _load(paths, facts, allow_missing_en)
    report = measure(
        result.questions,
        draws=draws,
        threshold=REVIEW_SIMILARITY if threshold is None else threshold,
    )
    for line in report_lines(report):
        click.echo(line)
    if result.errors:
        click.echo(
            f"\n{_plural(len(result.errors), 'error')} in the bank: only valid questions are "
            "measured; run `quiz bank check`",
            err=True,
        )
        raise SystemExit(1)


@bank.command()
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--bank",
    "bank_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Bank files or folders to change (default: the bundled question_bank/).",
)
@click.option(
    "--min-answers",
    type=click.IntRange(1, None),
    default=30,
    show_default=True,
    help="Questions with fewer answers (contestants and audience) are left as they are.",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("."),
    help="Paths in the diff are relative to this folder (default: the current one).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the diff here (default: standard output).",
)
def calibrate(
    report: Path,
    bank_paths: tuple[Path, ...],
    min_answers: int,
    root: Path,
    output: Path | None,
) -> None:
    """Propose difficulty changes from a `quiz report --questions` CSV, as a diff.

    Levels: at least 85 % correct -> 1, 50-85 % -> 2, below 50 % -> 3, for questions with at
    least --min-answers answers. Review the diff, then apply it with `git apply` (or
    `patch -p1`) from --root.
    """
    import os

    from quiz.bank.calibrate import CalibrationError, bank_diff, propose, read_stats
    from quiz.bank.validate import bank_files
    from quiz.bank.yamlio import read_bank_file

    raw = report.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    try:
        observed = read_stats(text)
    except CalibrationError as exc:
        raise click.ClickException(f"{report}: {exc}") from exc
    files, problems = bank_files(bank_paths or [BUNDLED_BANK])
    _report(problems)
    current: dict[str, int] = {}
    places: dict[str, tuple[Path, int]] = {}
    texts: dict[Path, str] = {}
    for path, display in files:
        document, _problems = read_bank_file(path, display)
        if document is None or not isinstance(document.data, list):
            continue
        texts[path] = path.read_text(encoding="utf-8")
        for index, item in enumerate(document.data):
            level = item.get("difficulty") if isinstance(item, dict) else None
            code = item.get("id") if isinstance(item, dict) else None
            where = document.values.get((index, "difficulty"))
            if isinstance(code, str) and type(level) is int and where is not None:
                current[code] = level
                places[code] = (path, where[0])
    changes = propose(observed, current, min_answers)
    lines: dict[Path, dict[int, int]] = {}
    for change in changes:
        path, line = places[change.code]
        lines.setdefault(path, {})[line] = change.proposed
        click.echo(
            f"{change.code}: {change.observed.correct}/{change.observed.answers} correct "
            f"({change.observed.rate:.0%}): difficulty {change.current} -> {change.proposed}",
            err=True,
        )
    diff = bank_diff(
        [
            (Path(os.path.relpath(path.resolve(), root.resolve())).as_posix(), texts[path], found)
            for path, found in lines.items()
        ]
    )
    counted = sum(1 for seen in observed if seen.answers >= min_answers)
    unknown = sorted(seen.code for seen in observed if seen.code not in current)
    click.echo(
        f"{_plural(len(observed), 'question')} in the report, {counted} with at least "
        f"{min_answers} answers: {_plural(len(changes), 'change')} proposed",
        err=True,
    )
    if unknown:
        click.echo(f"not in the bank (left out): {', '.join(unknown)}", err=True)
    if output is None:
        click.echo(diff, nl=False)
    else:
        output.write_text(diff, encoding="utf-8", newline="\n")
        click.echo(f"wrote {output}", err=True)


@bank.command("import")
@_PATHS
@_STRICT
@_FACTS
@_ALLOW_MISSING_EN
@click.option(
    "--retire-missing",
    is_flag=True,
    help="Retire questions that are in the database but no longer in the bank.",
)
def import_(
    paths: tuple[Path, ...],
    strict: bool,
    facts: Path | None,
    allow_missing_en: bool,
    retire_missing: bool,
) -> None:
    """Import the bank into the database (idempotent; a changed question gets a new version)."""
    from sqlalchemy import inspect

    from quiz.bank.importer import import_bank
    from quiz.db import default_database_url, make_engine, make_session_factory, migrate

    result = _load(paths, facts, allow_missing_en)
    _report(result.problems)
    if not result.ok(strict=strict):
        # Refused before the database is even opened.
        click.echo(f"{_summary(result)}; nothing imported")
        raise SystemExit(1)
    engine = make_engine(default_database_url())
    try:
        migrate(engine)
        tables = inspect(engine)
        if not (tables.has_table("question") and tables.has_table("question_version")):
            click.echo(
                "the database has no question tables: no migration creates them yet "
                "(quiz/migrations/versions); nothing imported"
            )
            raise SystemExit(1)
        report = import_bank(
            make_session_factory(engine), result, strict=strict, retire_missing=retire_missing
        )
    finally:
        engine.dispose()
    click.echo(
        f"imported {_plural(len(result.questions), 'question')}: {len(report.added)} new, "
        f"{len(report.changed)} changed (new version), {len(report.restored)} back to an "
        f"earlier version, {len(report.unchanged)} unchanged"
    )
    for label, ids in (
        ("new version", report.changed),
        ("earlier version again", report.restored),
        ("back from retirement", report.returned),
        ("retired", report.retired),
    ):
        if ids:
            click.echo(f"{label}: {', '.join(ids)}")
    if report.absent:
        click.echo(
            f"{_plural(len(report.absent), 'question')} in the database but not in this bank "
            f"(kept; --retire-missing retires them): {', '.join(report.absent)}"
        )


@bank.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The .xlsx file to write.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def template(output: Path, force: bool) -> None:
    """Write an Excel template for organisers (columns, drop-down lists, instructions)."""
    from quiz.bank.sheet import write_template

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("the template is an .xlsx file", param_hint="-o")
    if output.exists() and not force:
        raise click.ClickException(f"{output} already exists; use --force to overwrite it")
    write_template(output)
    click.echo(f"wrote {output}")


@bank.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="CATEGORY.yaml (every row of that category), or a folder: one file per category.",
)
@_STRICT
@_FACTS
@_ALLOW_MISSING_EN
@click.option("--force", is_flag=True, help="Overwrite existing YAML files.")
def convert(
    source: Path,
    output: Path,
    strict: bool,
    facts: Path | None,
    allow_missing_en: bool,
    force: bool,
) -> None:
    """Convert a filled .xlsx or .csv sheet to bank YAML; nothing is written if it has errors."""
    from quiz.bank.sheet import OutputNameError
    from quiz.bank.sheet import convert as convert_sheet

    try:
        conversion = convert_sheet(
            source,
            output,
            facts=facts,
            require_en=not allow_missing_en,
            strict=strict,
            force=force,
        )
    except OutputNameError as exc:
        raise click.BadParameter(str(exc), param_hint="-o") from exc
    for note in conversion.notes:
        click.echo(f"note: {note}", err=True)
    _report(conversion.problems)
    errors = sum(1 for problem in conversion.problems if problem.is_error)
    warnings = sum(1 for problem in conversion.problems if problem.severity == "warning")
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if not conversion.written:
        click.echo(
            f"{_plural(len(conversion.questions), 'valid question')}, {counts}; nothing written"
        )
        raise SystemExit(1)
    click.echo(f"{_plural(len(conversion.questions), 'question')}, {counts}")
    for path in conversion.written:
        click.echo(f"wrote {path}")

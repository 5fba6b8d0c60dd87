"""Database preparation for ``quiz serve``: migrate, then import the bundled bank once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from quiz.db import default_database_url, make_engine, make_session_factory, migrate


def prepare_database(
    url: str | None, bank_path: str | None, echo: Callable[[str], None] = print
) -> str:
    """Create or upgrade the schema, import the bank on first run; returns the URL used."""
    url = url or default_database_url()
    engine = make_engine(url)
    try:
        migrate(engine)
        _import_bank_once(engine, bank_path, echo)
    finally:
        engine.dispose()
    return url


def _import_bank_once(engine: Engine, path: str | None, echo: Callable[[str], None]) -> None:
    """Import the bank into an empty question table (the first run); later runs leave the
    bank to ``quiz bank import``, so a host's edits are never overwritten by a restart."""
    from quiz.bank.importer import BankNotImportable, import_bank
    from quiz.bank.validate import load_bank
    from quiz.models.bank import Question

    sessions = make_session_factory(engine)
    with sessions() as session:
        count = session.scalar(select(func.count()).select_from(Question)) or 0
    if count:
        echo(f"question bank: {count} questions in the database")
        return
    bank = load_bank(None if path is None else [Path(path)])
    try:
        report = import_bank(sessions, bank)
    except BankNotImportable as exc:
        echo(f"WARNING: the question bank was not imported: {exc}")
        for problem in exc.problems[:20]:
            echo(f"  {problem}")
        return
    echo(f"question bank: imported {len(report.added)} questions")

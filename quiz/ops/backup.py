"""Online backups: a consistent copy of the live database while ``quiz serve`` keeps writing.

SQLite: the ``sqlite3`` online backup API copies the database page by page under SQLite's own
locking, so the copy is a snapshot of committed transactions (the WAL included) even while
matches are being played; the copy is then checked with ``PRAGMA integrity_check``. A backup
is restored by pointing ``quiz serve --database-url`` at it (or copying it over the instance
database while the server is stopped).

PostgreSQL: its own tool does this best; we print the ``pg_dump`` command to run.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

#: Pages copied per step; between steps the server's writers get the lock back.
PAGES_PER_STEP = 256


class BackupError(Exception):
    """A clear, user-facing reason the backup was not made."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    match_log_rows: int
    matches: int


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(parsed.database)


def backup_sqlite(source: Path, target: Path, overwrite: bool = False) -> BackupResult:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists: choose another name (or --force to replace it)")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must not be the live database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=10)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            check = dst.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
            rows = _count(dst, "match_log")
            matches = _count(dst, "live_match")
            # One self-contained file: fold the copy's own WAL back in before it is moved.
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite refused the backup: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, rows, matches)


def _count(db: sqlite3.Connection, table: str) -> int:
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:  # an empty database without the schema yet
        return 0


def pg_dump_command(url: str, target: Path) -> str:
    """The ``pg_dump`` command for a PostgreSQL URL, with the password left out (give it as
    ``PGPASSWORD`` or in ``~/.pgpass``, never on a command line that others can see)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise BackupError(f"backups of {parsed.get_backend_name()} databases are not supported")
    parts = ["pg_dump", "--format=custom", f"--file={target}"]
    if parsed.host:
        parts.append(f"--host={parsed.host}")
    if parsed.port:
        parts.append(f"--port={parsed.port}")
    if parsed.username:
        parts.append(f"--username={parsed.username}")
    parts.append(parsed.database or "")
    return " ".join(parts)


__all__ = [
    "BackupError",
    "BackupResult",
    "backup_sqlite",
    "pg_dump_command",
    "sqlite_path",
]

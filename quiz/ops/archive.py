"""One event as a self-contained, versioned archive (``quiz export --archive``), and reading
one back into a database of its own (``quiz report --merge``).

A ZIP with two members: ``manifest.json`` (format and version, the event id, title and
venue, ``source``: the event as its database knows it, and ``content_sha256``: the hash of
``data.json``) and ``data.json`` (the event's rows, table by table, in primary-key order).
Which rows: the event; every row that names it (an ``event_id`` column) and, transitively,
every row that points at one of those (match logs, audience answers, presence, draws, and
any table added later, such as the survey's); the question versions its matches and audience
questions showed. The same event exported twice without a change has the same content hash.

Personal data: nothing beyond what the organiser chose to collect. Seats (device ids and
seat codes) are left out; device ids inside match logs are replaced by a one-way hash (the
log still replays: a device keeps one stand-in); an audience phone is stored, as in the
database, only as a salted hash; a nickname waiting for approval is dropped (approved ones
were shown on the LED). No IP address is stored anywhere.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Table, create_engine, insert, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from quiz.bank.shuffle import split_id
from quiz.models import Base  # the package: every model registered on Base.metadata

FORMAT = "quiz-event-archive"
VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.json"
#: Tables left out of every archive: seats hold device ids and seat codes, and no figure needs them.
LEFT_OUT = frozenset({"seat"})
#: The bank's tables: only the versions an event showed go in.
BANK = ("question", "question_version")
#: Keys whose values in logged JSON are device ids (hashed) or network addresses (dropped).
DEVICE_KEYS = frozenset({"device_id", "device"})
ADDRESS_KEYS = frozenset({"ip", "remote_addr", "address", "user_agent"})
#: Columns cleared because the organiser never approved showing them.
CLEARED = {"audience_member": ("pending",)}
#: Archives bigger than this (uncompressed) are refused rather than read into memory.
MAX_DATA_BYTES = 512 * 1024 * 1024


class ArchiveError(Exception):
    """An archive cannot be made or read; the message says why."""


@dataclass(frozen=True)
class Archive:
    """An archive as read back: its manifest, its tables and where it came from."""

    name: str  # the file it was read from, for messages
    manifest: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]

    @property
    def content_hash(self) -> str:
        return str(self.manifest["content_sha256"])

    @property
    def source(self) -> str:
        return str(self.manifest["source"])

    @property
    def event_id(self) -> int:
        return int(self.manifest["event_id"])

    @property
    def venue(self) -> str:
        return str(self.manifest.get("venue") or self.manifest.get("title") or self.name)


# --- writing ----------------------------------------------------------------------------------


def _scrub(value: Any, salt: str) -> Any:
    """Logged JSON with device ids hashed and network addresses dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in ADDRESS_KEYS:
                continue
            if key in DEVICE_KEYS and isinstance(item, str):
                out[key] = "d-" + hashlib.sha256(f"{salt}\n{item}".encode()).hexdigest()[:20]
            else:
                out[key] = _scrub(item, salt)
        return out
    if isinstance(value, list):
        return [_scrub(item, salt) for item in value]
    return value


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.isoformat()
    return value


def _rows(session: Session, table: Table, where: Any, salt: str) -> list[dict[str, Any]]:
    query = select(table).where(where).order_by(*table.primary_key.columns)
    cleared = CLEARED.get(table.name, ())
    out = []
    for row in session.execute(query).mappings():
        item = {k: None if k in cleared else _scrub(_cell(v), salt) for k, v in row.items()}
        out.append(item)
    return out


def _shown_versions(tables: dict[str, list[dict[str, Any]]]) -> set[int]:
    """Ids of the question versions the event's match logs and audience questions name."""
    shown: list[str] = []
    for entry in tables.get("match_log", ()):
        command = entry.get("command")
        if isinstance(command, dict) and isinstance(command.get("question_id"), str):
            shown.append(command["question_id"])
    shown += [str(r["question_id"]) for r in tables.get("audience_round", ())]
    ids = set()
    for text in shown:
        version, _order = split_id(text)
        if version.isascii() and version.isdigit() and len(version) <= 18:
            ids.add(int(version))
    return ids


def source_of(event_id: int, created: datetime) -> str:
    """The event as its database knows it: its id and creation time (a new database numbers
    its events from 1 again, and the creation time tells those apart)."""
    return hashlib.sha256(f"quiz-event\n{event_id}\n{_cell(created)}".encode()).hexdigest()[:32]


def event_tables(session: Session, event_id: int) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """The event row and every table of its archive (see the module docstring)."""
    metadata = Base.metadata
    event_table = metadata.tables["quiz_event"]
    event = session.execute(select(event_table).where(event_table.c.id == event_id)).first()
    if event is None:
        raise ArchiveError(f"there is no event {event_id}")
    salt = source_of(event_id, event.created)
    tables: dict[str, list[dict[str, Any]]] = {}
    chosen: dict[str, set[Any]] = {"quiz_event": {event_id}}
    tables["quiz_event"] = _rows(session, event_table, event_table.c.id == event_id, salt)
    for table in metadata.sorted_tables:
        if table.name in LEFT_OUT or table.name in BANK or table.name == "quiz_event":
            continue
        where = None
        if "event_id" in table.c:
            where = table.c.event_id == event_id
        else:
            for fk in table.foreign_keys:
                parent = fk.column.table.name
                if parent in chosen and parent != "quiz_event":
                    where = fk.parent.in_(sorted(chosen[parent]))
                    break
        if where is None:
            continue
        rows = _rows(session, table, where, salt)
        tables[table.name] = rows
        keys = list(table.primary_key.columns)
        if len(keys) == 1:
            chosen[table.name] = {r[keys[0].name] for r in rows}
    versions = metadata.tables["question_version"]
    ids = sorted(_shown_versions(tables))
    tables["question_version"] = _rows(session, versions, versions.c.id.in_(ids), salt)
    codes = sorted({r["question_id"] for r in tables["question_version"]})
    questions = metadata.tables["question"]
    tables["question"] = _rows(session, questions, questions.c.id.in_(codes), salt)
    return event, tables


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def write_archive(
    session: Session,
    event_id: int,
    out: Path,
    venue: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write the event's archive to ``out`` (a ZIP); returns its manifest."""
    event, tables = event_tables(session, event_id)
    data = _canonical({"tables": tables})
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "event_id": event_id,
        "title": event.title,
        "lang": event.lang,
        "venue": (venue or "").strip() or event.title,
        "event_created": _cell(event.created),
        "source": source_of(event_id, event.created),
        "content_sha256": hashlib.sha256(data).hexdigest(),
        "exported": _cell(now or datetime.now(UTC)),
        "rows": {name: len(rows) for name, rows in sorted(tables.items())},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.part")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            archive.writestr(DATA, data)
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)
    return manifest


# --- reading ----------------------------------------------------------------------------------


def read_archive(path: Path) -> Archive:
    """An archive read and checked: its format, version and content hash."""
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            info = archive.getinfo(DATA)
            if info.file_size > MAX_DATA_BYTES:
                raise ArchiveError(f"{path.name}: data.json is too large ({info.file_size} bytes)")
            data = archive.read(DATA)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ArchiveError(f"{path.name}: not an event archive ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path.name}: not an event archive (no {FORMAT} manifest)")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
        raise ArchiveError(
            f"{path.name}: archive version {manifest.get('version')!r} is newer than this "
            f"program reads ({VERSION}); update quiz"
        )
    if hashlib.sha256(data).hexdigest() != manifest.get("content_sha256"):
        raise ArchiveError(f"{path.name}: the content does not match its hash (damaged file?)")
    body = json.loads(data)
    tables = body.get("tables") if isinstance(body, dict) else None
    if not isinstance(tables, dict):
        raise ArchiveError(f"{path.name}: data.json has no tables")
    return Archive(path.name, manifest, tables)


def _typed(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for column in table.columns:
        if column.name not in row:
            continue
        value = row[column.name]
        if isinstance(column.type, DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[column.name] = value
    return out


def load(archives: Iterable[Archive]) -> sessionmaker[Session]:
    """A private in-memory database holding the archives' rows (ids as exported: load one
    archive per database, or archives of one source database)."""
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    metadata = Base.metadata
    metadata.create_all(engine)
    with engine.begin() as connection:
        for archive in archives:
            for table in metadata.sorted_tables:
                rows = archive.tables.get(table.name)
                if rows:
                    connection.execute(insert(table), [_typed(table, r) for r in rows])
    return sessionmaker(engine, expire_on_commit=False)


__all__ = ["Archive", "ArchiveError", "load", "read_archive", "write_archive"]

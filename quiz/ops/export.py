"""The raw record of an event, derived from the database and the match logs: events,
contestants, matches, every log entry, the questions shown (with the exact text of the
version shown), buzzes, buzz receipts and judgements.

Unlike ``quiz report`` (aggregates for the organiser), this is the audit trail: one row per
thing that happened, in log order, nothing summarised away. Undone actions stay in (an
``undone`` row follows them), as they did happen on the screens.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz import records
from quiz.bank.shuffle import shown_content, split_id
from quiz.celltext import cell_text
from quiz.live.fairness import load_receipts
from quiz.models.bank import QuestionVersion
from quiz.models.live import Contestant, Match, MatchLogEntry, QuizEvent

FORMAT = "quiz-export"
VERSION = 1
TABLES = (
    "events",
    "contestants",
    "matches",
    "log",
    "questions_shown",
    "buzzes",
    "receipts",
    "judgements",
)
BUZZ_EVENTS = frozenset(
    {"buzz_accepted", "buzz_rejected", "early_buzz", "arbitration_started", "buzz_won"}
)
JUDGEMENT_EVENTS = frozenset(
    {
        "tie_declared",
        "choice_submitted",
        "answer_judged",
        "rebound_offered",
        "question_voided",
        "overridden",
        "games_adjusted",
        "game_won",
        "match_won",
        "match_ended",
        "undone",
    }
)
#: Event fields that get their own column; the rest go to ``detail`` (JSON).
_EVENT_COLUMNS = ("side", "device_id", "correct", "by")


class ExportError(Exception):
    """A clear, user-facing reason the export could not be made."""


def collect(session: Session, event_id: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every table of the export for one event (or all of them)."""
    query = select(QuizEvent).order_by(QuizEvent.id)
    if event_id is not None:
        query = query.where(QuizEvent.id == event_id)
    events = session.scalars(query).all()
    if event_id is not None and not events:
        raise ExportError(f"there is no event {event_id}")
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    versions: dict[str, QuestionVersion | None] = {}
    for event in events:
        tables["events"].append(
            {
                "event_id": event.id,
                "title": event.title,
                "lang": event.lang,
                "slogan": event.slogan,
                "created": _iso(event.created),
            }
        )
        for c in session.scalars(select(Contestant).where(Contestant.event_id == event.id)):
            tables["contestants"].append(
                {"event_id": event.id, "contestant_id": c.id, "name": c.name}
            )
        matches = session.scalars(
            select(Match).where(Match.event_id == event.id).order_by(Match.id)
        ).all()
        for number, match in enumerate(matches, start=1):
            _match(session, match, number, tables, versions)
    return tables


def _match(
    session: Session,
    match: Match,
    number: int,
    tables: dict[str, list[dict[str, Any]]],
    versions: dict[str, QuestionVersion | None],
) -> None:
    entries = records.log_entries(session, match.id)
    replay = _replay(session, match, entries)
    tables["matches"].append(
        {
            "event_id": match.event_id,
            "match_id": match.id,
            "number": number,
            "status": match.status,
            "red": match.red.name,
            "blue": match.blue.name,
            "rules": match.rules,
            "filter": match.question_filter,
            "created": _iso(match.created),
            "finished": _iso(match.finished),
            "log_entries": len(entries),
            "final_phase": replay.get("phase"),
            "games": replay.get("score"),
            "outcome": replay.get("outcome"),
            "replay_error": replay.get("error"),
        }
    )
    question = None
    for entry in entries:
        command = entry.command if isinstance(entry.command, dict) else {}
        events = [e for e in entry.events or () if isinstance(e, dict)]
        base = {"match_id": match.id, "log_index": entry.index, "seq": entry.seq}
        tables["log"].append(
            {
                **base,
                "now_ms": entry.now_ms,
                "command": command.get("type"),
                "args": {k: v for k, v in command.items() if k != "type"},
                "events": [e.get("type") for e in events],
            }
        )
        for e in events:
            if e.get("type") == "question_shown":
                question = e.get("number")
        if command.get("type") == "show_question":
            tables["questions_shown"].append(
                {
                    **base,
                    "at": entry.now_ms,
                    "number": question,
                    **_question(session, command, versions),
                }
            )
        for e in events:
            kind = e.get("type")
            table = (
                "buzzes"
                if kind in BUZZ_EVENTS
                else "judgements"
                if kind in JUDGEMENT_EVENTS
                else None
            )
            if table is not None:
                tables[table].append({**base, "question": question, **_event_row(e)})
    for receipt in load_receipts(session, match.id):
        tables["receipts"].append({"match_id": match.id, **receipt.to_dict()})


def _replay(session: Session, match: Match, entries: Sequence[MatchLogEntry]) -> dict[str, Any]:
    try:
        snap = records.replay(session, match, entries=entries).snapshot()
    except Exception as exc:  # a log that no longer replays is reported, not hidden
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return {"phase": snap["phase"], "score": snap["score"], "outcome": snap["outcome"]}


def _question(
    session: Session, command: dict[str, Any], versions: dict[str, QuestionVersion | None]
) -> dict[str, Any]:
    """The shown question's version, with its text exactly as stored and its options and key
    in the order they were shown (a drawn question's id carries it: ``"123~CADB"``)."""
    shown = str(command.get("question_id", ""))
    version_id, order = split_id(shown)
    if version_id not in versions:
        found = session.get(QuestionVersion, int(version_id)) if version_id.isdigit() else None
        versions[version_id] = found
    version = versions[version_id]
    content: dict[str, Any] = version.content if version is not None else {}
    if order is not None:
        content = shown_content(content, order)
    prompt = content.get("prompt") or {}
    explanation = content.get("explanation") or {}
    return {
        "version_id": version_id,
        "option_order": order,
        "code": version.question_id if version else None,
        "version": version.version if version else None,
        "content_hash": version.content_hash if version else None,
        "category": content.get("category"),
        "type": content.get("type"),
        "prompt_zh": prompt.get("zh") if isinstance(prompt, dict) else None,
        "prompt_en": prompt.get("en") if isinstance(prompt, dict) else None,
        "options": content.get("options"),
        "answer": content.get("answer", list(command.get("answer") or ())),
        "explanation_zh": explanation.get("zh") if isinstance(explanation, dict) else None,
        "explanation_en": explanation.get("en") if isinstance(explanation, dict) else None,
    }


def _event_row(event: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"type": event.get("type"), "at": event.get("at")}
    for key in _EVENT_COLUMNS:
        row[key] = event.get(key)
    row["detail"] = {k: v for k, v in event.items() if k not in ("type", "at", *_EVENT_COLUMNS)}
    return row


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives naive datetimes back; they were stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


# --- writing -----------------------------------------------------------------------------------


def to_json(tables: dict[str, list[dict[str, Any]]]) -> str:
    document = {
        "format": FORMAT,
        "v": VERSION,
        "exported": datetime.now(UTC).isoformat(),
        "tables": tables,
    }
    return json.dumps(document, ensure_ascii=False, indent=1)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One table as CSV; nested values are JSON in their cell."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        value = json.dumps(value, ensure_ascii=False)
    return "" if value is None else cell_text(value)


def write(tables: dict[str, list[dict[str, Any]]], fmt: str, path: Path) -> list[Path]:
    """Write the export: ``json`` to the file ``path``; ``csv`` to one file per table in the
    directory ``path``. Each file is complete or absent (written aside, then renamed)."""
    if fmt == "json":
        _atomic(path, to_json(tables), "utf-8")
        return [path]
    if fmt != "csv":
        raise ExportError(f"unknown format {fmt!r}: use json or csv")
    if path.exists() and not path.is_dir():
        raise ExportError(f"{path} is a file: CSV export writes a folder of tables")
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        target = path / f"{name}.csv"
        # With a BOM, Excel opens the Chinese text as UTF-8.
        _atomic(target, to_csv(tables[name]), "utf-8-sig")
        written.append(target)
    return written


def _atomic(path: Path, text: str, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding=encoding, newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = ["FORMAT", "TABLES", "ExportError", "collect", "to_csv", "to_json", "write"]

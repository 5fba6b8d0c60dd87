"""Importing a checked bank into the database: idempotent, versioned, all or nothing.

A question's content is identified by the SHA-256 of its canonical JSON. Importing the same
bank again changes nothing; a changed question gets a new version and keeps the old ones
(past matches refer to version ids); content that returns to an earlier version points the
question back at that version instead of copying it. Everything happens in one transaction,
and a bank with errors is refused before the database is touched.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from quiz.bank.problems import Problem
from quiz.bank.schema import AnyQuestion
from quiz.bank.validate import BankResult
from quiz.models.bank import Question as StoredQuestion
from quiz.models.bank import QuestionVersion


class BankNotImportable(Exception):
    """The bank has errors (or warnings, when strict); nothing was imported."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"the bank has {len(self.problems)} problem(s); nothing was imported")


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...] = ()
    #: Content changed: a new version was written.
    changed: tuple[str, ...] = ()
    #: Content is back to an earlier version, which is current again.
    restored: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    #: Retired questions that are in the bank again.
    returned: tuple[str, ...] = ()
    #: In the database but not in this bank, and retired by this import.
    retired: tuple[str, ...] = ()
    #: In the database but not in this bank, left as they are.
    absent: tuple[str, ...] = field(default=())

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.restored or self.returned or self.retired)


def canonical_content(question: AnyQuestion) -> dict[str, Any]:
    """The stored form of a question: its validated fields, without unset optional ones."""
    return question.model_dump(mode="json", exclude_none=True)


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def import_questions(
    session_factory: sessionmaker[Session],
    questions: Sequence[AnyQuestion],
    *,
    retire_missing: bool = False,
) -> ImportReport:
    """Bring the database in line with ``questions`` in one transaction."""
    now = datetime.now(UTC)
    added: list[str] = []
    changed: list[str] = []
    restored: list[str] = []
    unchanged: list[str] = []
    returned: list[str] = []
    with session_factory.begin() as session:
        stored = {
            row.id: row
            for row in session.scalars(
                select(StoredQuestion).options(selectinload(StoredQuestion.versions))
            )
        }
        for question in questions:
            content = canonical_content(question)
            digest = content_hash(content)
            row = stored.get(question.id)
            if row is None:
                row = StoredQuestion(
                    id=question.id,
                    category=question.category,
                    current_version=1,
                    retired=False,
                    created_at=now,
                    updated_at=now,
                )
                row.versions.append(_version(question.id, 1, digest, content, now))
                session.add(row)
                added.append(question.id)
                continue
            if row.retired:
                row.retired = False
                row.updated_at = now
                returned.append(question.id)
            by_hash = {version.content_hash: version for version in row.versions}
            known = by_hash.get(digest)
            if known is not None and known.version == row.current_version:
                unchanged.append(question.id)
                continue
            if known is not None:
                row.current_version = known.version
                restored.append(question.id)
            else:
                number = max(version.version for version in row.versions) + 1
                row.versions.append(_version(question.id, number, digest, content, now))
                row.current_version = number
                changed.append(question.id)
            row.category = question.category
            row.updated_at = now
        in_bank = {question.id for question in questions}
        missing = sorted(
            question_id
            for question_id, row in stored.items()
            if question_id not in in_bank and not row.retired
        )
        if retire_missing:
            for question_id in missing:
                stored[question_id].retired = True
                stored[question_id].updated_at = now
    return ImportReport(
        added=tuple(added),
        changed=tuple(changed),
        restored=tuple(restored),
        unchanged=tuple(unchanged),
        returned=tuple(returned),
        retired=tuple(missing) if retire_missing else (),
        absent=() if retire_missing else tuple(missing),
    )


def _version(
    question_id: str, number: int, digest: str, content: dict[str, Any], now: datetime
) -> QuestionVersion:
    return QuestionVersion(
        question_id=question_id,
        version=number,
        content_hash=digest,
        content=content,
        created_at=now,
    )


def import_bank(
    session_factory: sessionmaker[Session],
    bank: BankResult,
    *,
    strict: bool = False,
    retire_missing: bool = False,
) -> ImportReport:
    """Import a loaded bank; raises :class:`BankNotImportable` if it has errors (or, when
    ``strict``, warnings), before touching the database."""
    if not bank.ok(strict=strict):
        raise BankNotImportable(bank.errors + bank.warnings if strict else bank.errors)
    return import_questions(session_factory, bank.questions, retire_missing=retire_missing)

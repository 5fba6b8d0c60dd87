"""Importing into the database: idempotent, versioned, all or nothing.

The schema is created with ``create_all`` on a temporary SQLite file (the Alembic migration is
generated separately); the CLI test at the end runs the real ``migrate`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

import quiz.bank.importer as importer
from quiz.bank.cli import bank
from quiz.bank.importer import BankNotImportable, canonical_content, content_hash, import_bank
from quiz.bank.schema import engine_view, question_from_content
from quiz.bank.validate import load_bank
from quiz.db import make_engine, make_session_factory
from quiz.models.bank import Question, QuestionVersion
from quiz.models.base import Base
from tests.bank.helpers import question, write_bank


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.sqlite3'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def snapshot(
    sessions: sessionmaker[Session],
) -> dict[str, tuple[int, bool, list[tuple[int, int, str]]]]:
    """question id -> (current version, retired, [(version id, number, hash)])."""
    with sessions() as session:
        return {
            row.id: (
                row.current_version,
                row.retired,
                [(v.id, v.version, v.content_hash) for v in row.versions],
            )
            for row in session.scalars(select(Question).order_by(Question.id))
        }


def test_second_import_changes_nothing(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    folder = write_bank(tmp_path / "bank", [question(1), question(2, kind="open")])
    first = import_bank(sessions, load_bank([folder]))
    assert first.added == ("AF-001", "AF-002")
    before = snapshot(sessions)
    second = import_bank(sessions, load_bank([folder]))
    assert second.unchanged == ("AF-001", "AF-002")
    assert not second.touched
    assert snapshot(sessions) == before


def test_changed_content_adds_a_version_and_keeps_the_old(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    folder = tmp_path / "bank"
    write_bank(folder, [question(1), question(2)])
    import_bank(sessions, load_bank([folder]))
    (old_id, _, old_hash) = snapshot(sessions)["AF-001"][2][0]

    write_bank(folder, [question(1, answer="C"), question(2)])
    report = import_bank(sessions, load_bank([folder]))
    assert report.changed == ("AF-001",) and report.unchanged == ("AF-002",)
    current, retired, versions = snapshot(sessions)["AF-001"]
    assert current == 2 and not retired
    assert versions[0] == (old_id, 1, old_hash)  # the version a past match showed is intact
    assert versions[1][1] == 2 and versions[1][2] != old_hash
    with sessions() as session:
        old = session.get(QuestionVersion, old_id)
        assert old is not None and old.content["answer"] == "B"
        stored = session.get(Question, "AF-001")
        assert stored is not None and stored.current.content["answer"] == "C"
        assert stored.current.content["prompt"]["en"].startswith("Police ask you")

    # Going back to the first content points at version 1 again instead of copying it.
    write_bank(folder, [question(1), question(2)])
    report = import_bank(sessions, load_bank([folder]))
    assert report.restored == ("AF-001",)
    current, _, versions = snapshot(sessions)["AF-001"]
    assert current == 1 and len(versions) == 2


def test_content_hash_is_of_canonical_json(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    folder = write_bank(tmp_path / "bank", [question(1)])
    (loaded,) = load_bank([folder]).questions
    import_bank(sessions, load_bank([folder]))
    with sessions() as session:
        version = session.scalars(select(QuestionVersion)).one()
        assert version.content_hash == content_hash(version.content)
        assert len(version.content_hash) == 64
        assert version.content == loaded.model_dump(mode="json", exclude_none=True)
    # Key order in the file does not matter: same content, same hash.
    reordered = dict(reversed(list(question(1).items())))
    write_bank(folder, [reordered])
    assert import_bank(sessions, load_bank([folder])).unchanged == ("AF-001",)


def test_stored_content_reads_back_as_the_question(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    folder = write_bank(tmp_path / "bank", [question(1, kind="open"), question(2, kind="multiple")])
    loaded = load_bank([folder]).by_id()
    import_bank(sessions, load_bank([folder]))
    with sessions() as session:
        for version in session.scalars(select(QuestionVersion)):
            again = question_from_content(version.content)
            assert again == loaded[version.question_id]
            assert engine_view(again) == engine_view(loaded[version.question_id])
    assert engine_view(question_from_content(canonical_content(loaded["AF-001"])))["accepted"] == [
        {"zh": "12377", "en": "12377"}
    ]


def test_any_error_imports_nothing(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    folder = write_bank(tmp_path / "bank", [question(1), question(2, fact="F006")])
    result = load_bank([folder])
    assert len(result.questions) == 1 and len(result.errors) == 1
    with pytest.raises(BankNotImportable):
        import_bank(sessions, result)
    assert snapshot(sessions) == {}


def test_strict_refuses_warnings(tmp_path: Path, sessions: sessionmaker[Session]) -> None:
    long_prompt = {"zh": "很长的题干" * 20, "en": "A long prompt"}
    folder = write_bank(tmp_path / "bank", [question(1, prompt=long_prompt)])
    result = load_bank([folder])
    assert result.ok() and not result.ok(strict=True)
    with pytest.raises(BankNotImportable):
        import_bank(sessions, result, strict=True)
    assert snapshot(sessions) == {}
    assert import_bank(sessions, result).added == ("AF-001",)


def test_a_failure_midway_rolls_everything_back(
    tmp_path: Path, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_bank(tmp_path / "bank", [question(1), question(2), question(3)])
    result = load_bank([folder])
    calls = 0
    real = importer.content_hash

    def failing(content: dict[str, object]) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return real(content)

    monkeypatch.setattr(importer, "content_hash", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_bank(sessions, result)
    assert snapshot(sessions) == {}


def test_missing_questions_are_kept_or_retired(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    folder = tmp_path / "bank"
    write_bank(folder, [question(1), question(2)])
    import_bank(sessions, load_bank([folder]))
    (folder / "anti-fraud.yaml").unlink()
    write_bank(folder, [question(1)])
    kept = import_bank(sessions, load_bank([folder]))
    assert kept.absent == ("AF-002",) and kept.retired == ()
    assert snapshot(sessions)["AF-002"][1] is False
    retired = import_bank(sessions, load_bank([folder]), retire_missing=True)
    assert retired.retired == ("AF-002",)
    assert snapshot(sessions)["AF-002"][1] is True
    write_bank(folder, [question(1), question(2)])
    back = import_bank(sessions, load_bank([folder]))
    assert back.returned == ("AF-002",) and back.unchanged == ("AF-001", "AF-002")
    assert snapshot(sessions)["AF-002"][1] is False


def _import_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Path]:
    folder = write_bank(tmp_path / "bank", [question(1), question(2)])
    database = tmp_path / "cli.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    outcome = CliRunner().invoke(bank, ["import", str(folder)])
    return outcome.exit_code, outcome.output, database


def test_import_command_migrates_and_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output, database = _import_cli(tmp_path, monkeypatch)
    assert code == 0, output
    assert "imported 2 questions: 2 new" in output
    engine = make_engine(f"sqlite:///{database}")
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(QuestionVersion)) == 2
    engine.dispose()
    code, output, _ = _import_cli(tmp_path, monkeypatch)
    assert (
        code == 0
        and "0 new, 0 changed (new version), 0 back to an earlier version, 2 unchanged" in output
    )


def test_import_command_refuses_a_bank_with_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    folder = write_bank(tmp_path / "broken", [question(1, answer="Z")])
    monkeypatch.setenv("DATABASE_URL", str(engine.url))
    outcome = CliRunner().invoke(bank, ["import", str(folder)])
    assert outcome.exit_code == 1
    assert "'Z' is not an option letter (A to F)" in outcome.output
    assert (
        outcome.output.splitlines()[-1]
        == "1 file, 0 questions: 1 error, 0 warnings; nothing imported"
    )
    assert snapshot(make_session_factory(engine)) == {}

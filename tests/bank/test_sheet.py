"""Spreadsheets: the template, xlsx/CSV conversion to YAML, and row-numbered errors."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from quiz.bank.cli import bank
from quiz.bank.problems import column_letter
from quiz.bank.schema import OpenQuestion, TrueFalseQuestion
from quiz.bank.sheet import COLUMNS, INSTRUCTIONS_SHEET, QUESTIONS_SHEET, write_template
from quiz.bank.validate import load_bank
from tests.bank.helpers import FACTS

# Rows an organiser might type (cells as Excel gives them back: numbers as numbers).
ROWS: list[dict[str, Any]] = [
    {
        "id": "RP-002",
        "category": "reporting",
        "type": "multiple",
        "difficulty": 2,
        "prompt_zh": "发现网上的违法信息，可以通过哪些方式举报？",
        "prompt_en": "How can you report illegal information you find online?",
        "option_a_zh": "拨打12377",
        "option_a_en": "Call 12377",
        "option_b_zh": "登录www.12377.cn",
        "option_b_en": "Use www.12377.cn",
        "option_c_zh": "转发到朋友圈",
        "option_c_en": "Repost it to your friends",
        "answer": "a，b",
        "explanation_zh": "可以拨打12377或登录举报网站举报。",
        "explanation_en": "Call 12377 or use the reporting website.",
        "fact": "F002",
        "tags": "hotline, website",
    },
    {
        "id": "RP-003",
        "category": "reporting",
        "type": "truefalse",
        "difficulty": 1.0,
        "prompt_zh": "110 是报警电话。",
        "prompt_en": "110 is the police emergency number.",
        "answer": "A",
        "explanation_zh": "110 是报警电话。",
        "explanation_en": "110 is the police emergency number.",
        "fact": "F003",
        "time_limit": 15,
    },
    {
        "id": "RP-004",
        "category": "reporting",
        "type": "open",
        "difficulty": "3",
        "prompt_zh": "遇到网上的有害内容，可以拨打哪个号码反映？",
        "prompt_en": "What is the hotline for illegal and harmful online information?",
        "answer_zh": "12377 | 一二三七七",
        "answer_en": "12377|12377 (spoken)",
        "explanation_zh": "举报电话是12377。",
        "explanation_en": "The hotline is 12377.",
        "fact": "F002",
    },
]


def fill(path: Path, rows: list[dict[str, Any]], *, keep_example: bool = True) -> None:
    book = load_workbook(path)
    sheet = book[QUESTIONS_SHEET]
    if not keep_example:
        sheet.delete_rows(2)
    for row in rows:
        sheet.append([row.get(column) for column in COLUMNS])
    book.save(path)


def csv_bytes(rows: list[dict[str, Any]], encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    return buffer.getvalue().encode(encoding)


def run(*args: str) -> Any:
    return CliRunner().invoke(bank, [*args])


def test_template_is_a_usable_workbook(tmp_path: Path) -> None:
    path = tmp_path / "bank.xlsx"
    outcome = run("template", "-o", str(path))
    assert outcome.exit_code == 0, outcome.output
    book = load_workbook(path)
    assert book.sheetnames == [QUESTIONS_SHEET, INSTRUCTIONS_SHEET]
    sheet = book[QUESTIONS_SHEET]
    assert [cell.value for cell in sheet[1]] == list(COLUMNS)
    assert sheet["A2"].value == "RP-001"  # the example row
    lists = {
        str(validation.sqref).split(":")[0]: validation.formula1
        for validation in sheet.data_validations.dataValidation
    }
    assert lists == {
        "B2": '"reporting,anti-fraud,rumours,personal-information,laws-and-safety"',
        "C2": '"single,multiple,truefalse,open"',
        "D2": '"1,2,3"',
    }
    guide = [row for row in book[INSTRUCTIONS_SHEET].iter_rows(values_only=True)]
    described = {row[0] for row in guide}
    assert set(COLUMNS) <= described
    assert any(
        "每行一道题" in (row[0] or "") and "one question per row" in (row[1] or "") for row in guide
    )
    # Not overwritten without --force.
    again = run("template", "-o", str(path))
    assert again.exit_code == 1 and "already exists" in again.output


def test_xlsx_round_trip_to_a_clean_yaml_file(tmp_path: Path) -> None:
    sheet_path = tmp_path / "bank.xlsx"
    write_template(sheet_path)
    fill(sheet_path, ROWS)
    output = tmp_path / "out" / "reporting.yaml"
    output.parent.mkdir()
    outcome = run("convert", str(sheet_path), "-o", str(output), "--facts", str(FACTS), "--strict")
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines() == [
        "4 questions, 0 errors, 0 warnings",
        f"wrote {output}",
    ]
    checked = run("check", "--strict", "--facts", str(FACTS), str(output.parent))
    assert checked.exit_code == 0, checked.output
    questions = load_bank([output.parent], facts=FACTS).by_id()
    assert list(questions) == ["RP-001", "RP-002", "RP-003", "RP-004"]
    multiple = questions["RP-002"]
    assert multiple.answer_letters == ("A", "B") and multiple.tags == ["hotline", "website"]
    truefalse = questions["RP-003"]
    assert isinstance(truefalse, TrueFalseQuestion)
    assert [(o.zh, o.en) for o in truefalse.options] == [("正确", "True"), ("错误", "False")]
    assert truefalse.time_limit == 15 and truefalse.difficulty == 1
    open_question = questions["RP-004"]
    assert isinstance(open_question, OpenQuestion)
    assert [(a.zh, a.en) for a in open_question.answer] == [
        ("12377", "12377"),
        ("一二三七七", "12377 (spoken)"),
    ]
    text = output.read_text(encoding="utf-8")
    assert "- id: RP-002\n  category: reporting\n  type: multiple\n  difficulty: 2\n" in text
    assert "  options:\n    - {zh: 拨打12377, en: Call 12377}\n" in text
    assert "  answer: [A, B]\n" in text
    assert "  tags: [hotline, website]\n" in text


def test_folder_output_writes_one_file_per_category(tmp_path: Path) -> None:
    sheet_path = tmp_path / "bank.xlsx"
    write_template(sheet_path)
    fraud = {**ROWS[1], "id": "AF-001", "category": "anti-fraud", "fact": "F004"}
    fill(sheet_path, [fraud], keep_example=True)
    output = tmp_path / "bank"
    outcome = run("convert", str(sheet_path), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 0, outcome.output
    assert sorted(p.name for p in output.iterdir()) == ["anti-fraud.yaml", "reporting.yaml"]
    assert len(load_bank([output], facts=FACTS).questions) == 2


def test_bad_sheet_gives_row_and_column_and_writes_nothing(tmp_path: Path) -> None:
    sheet_path = tmp_path / "bank.xlsx"
    write_template(sheet_path)
    bad = [
        ROWS[0],  # row 3: fine
        {**ROWS[1], "id": "RP-002"},  # row 4: the id of row 3
        {**ROWS[0], "id": "RP-005", "answer": "A,E", "prompt_zh": None},  # row 5
        {**ROWS[2], "answer": "B", "answer_en": "12377"},  # row 6
        {**ROWS[1], "id": "RP-006", "category": "reporting ", "difficulty": "two"},  # row 7
        {**ROWS[0], "id": "RP-007", "type": "single", "option_b_zh": None, "answer": "A"},
    ]
    fill(sheet_path, bad)
    output = tmp_path / "reporting.yaml"
    outcome = run("convert", str(sheet_path), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 1
    name = str(sheet_path)
    assert outcome.output.splitlines() == [
        f"{name}:row 4: column A (id): duplicate id RP-002 (also at {name}:row 3: column A (id))",
        f"{name}:row 5: column E (prompt_zh): required cell is empty",
        f"{name}:row 5: column S (answer): answer E is out of range: there are only 3 options "
        "(A to C)",
        f"{name}:row 6: column S (answer): leave answer empty for open questions; put the "
        "accepted answers in answer_zh / answer_en, separated by |",
        f"{name}:row 6: column U (answer_en): answer_en has 1 answer(s) but answer_zh has 2; "
        "give the same answers in the same order",
        f"{name}:row 7: column D (difficulty): difficulty must be a whole number, got text 'two'",
        f"{name}:row 8: column I (option_b_zh): required cell is empty",
        "2 valid questions, 7 errors, 0 warnings; nothing written",
    ]
    assert not output.exists()


def test_header_problems_stop_before_the_rows(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "category", "kind", "difficulty", "prompt_zh", "answer", "fact", "id"])
    sheet.append(["AF-001", "anti-fraud", "single", 1, "题干", "A", "F001", "AF-001"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    outcome = run("convert", str(path), "-o", str(tmp_path / "anti-fraud.yaml"))
    assert outcome.exit_code == 1
    assert outcome.output.splitlines() == [
        f"{path}:row 1: column type: required column is missing",
        f"{path}:row 1: column explanation_zh: required column is missing",
        f"{path}:row 1: column C (kind): unknown column 'kind'",
        f"{path}:row 1: column H (id): column 'id' appears twice",
        "0 valid questions, 4 errors, 0 warnings; nothing written",
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_csv_in_utf8_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(ROWS, encoding))
    output = tmp_path / "reporting.yaml"
    outcome = run("convert", str(source), "-o", str(output), "--facts", str(FACTS), "--strict")
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stderr == ""
    questions = load_bank([output], facts=FACTS).by_id()
    assert questions["RP-002"].prompt.zh == ROWS[0]["prompt_zh"]
    assert questions["RP-004"].difficulty == 3


def test_csv_saved_by_chinese_excel_is_read_as_gb18030(tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(ROWS, "gb18030"))
    with pytest.raises(UnicodeDecodeError):
        source.read_bytes().decode("utf-8")
    output = tmp_path / "reporting.yaml"
    outcome = run("convert", str(source), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 0, outcome.output
    assert outcome.stderr.startswith(f"note: {source}: not UTF-8, read as GB18030 (GBK)")
    assert load_bank([output], facts=FACTS).by_id()["RP-003"].prompt.zh == "110 是报警电话。"


def test_csv_row_numbers_count_records(tmp_path: Path) -> None:
    # A cell with a line break spans two physical lines but is one row in Excel.
    rows = [{**ROWS[1], "explanation_zh": "第一行\n第二行"}, {**ROWS[2], "fact": "F006"}]
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(rows, "utf-8"))
    outcome = run(
        "convert", str(source), "-o", str(tmp_path / "reporting.yaml"), "--facts", str(FACTS)
    )
    assert outcome.exit_code == 1
    assert outcome.output.splitlines()[0] == (
        f"{source}:row 3: column X (fact): fact F006 is unverified in FACTS.md; only verified "
        "facts can back a question"
    )


def test_a_cell_outside_the_columns_is_not_dropped_silently(tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    text = csv_bytes(ROWS, "utf-8").decode("utf-8").splitlines()
    text[2] += ",备注：请核对"  # one cell right of the last column, on row 3
    source.write_text("\n".join(text) + "\n", encoding="utf-8")
    output = tmp_path / "reporting.yaml"
    outcome = run("convert", str(source), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 1
    beyond = column_letter(len(COLUMNS) + 1)
    assert outcome.output.splitlines()[0] == (
        f"{source}:row 3: column {beyond}: this cell is under no known column header; its "
        "content would be lost"
    )
    assert not output.exists()


def test_control_characters_are_refused_and_shown_escaped(tmp_path: Path) -> None:
    rows = [{**ROWS[1], "prompt_zh": "110 是\x1b[31m报警电话。", "difficulty": "\x1b[2J"}]
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(rows, "utf-8"))
    outcome = run(
        "convert", str(source), "-o", str(tmp_path / "reporting.yaml"), "--facts", str(FACTS)
    )
    assert outcome.exit_code == 1
    assert "\x1b" not in outcome.output
    assert outcome.output.splitlines()[:2] == [
        f"{source}:row 2: column D (difficulty): difficulty must be a whole number, got text "
        "'\\x1b[2J'",
        f"{source}:row 2: column E (prompt_zh): text contains a control character (U+001B)",
    ]


def test_csv_that_excel_did_not_save_as_csv(tmp_path: Path) -> None:
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text(";".join(COLUMNS) + "\n", encoding="utf-8")
    outcome = run("convert", str(semicolons), "-o", str(tmp_path / "reporting.yaml"))
    assert outcome.exit_code == 1
    assert outcome.output.splitlines()[0] == (
        f"{semicolons}:row 1: column A ({';'.join(COLUMNS)}): columns must be separated by commas"
    )
    unicode_text = tmp_path / "unicode.csv"
    unicode_text.write_bytes("\t".join(COLUMNS).encode("utf-16"))
    outcome = run("convert", str(unicode_text), "-o", str(tmp_path / "reporting.yaml"))
    assert outcome.exit_code == 1
    assert outcome.output.splitlines()[0] == (
        f"{unicode_text}: this looks like UTF-16 text (Excel 'Unicode Text'); save as CSV UTF-8"
    )


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    fake = tmp_path / "bank.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    outcome = run("convert", str(fake), "-o", str(tmp_path / "reporting.yaml"))
    assert outcome.exit_code == 1
    assert outcome.output.startswith(f"{fake}: cannot open it as an .xlsx workbook")
    old = tmp_path / "bank.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    outcome = run("convert", str(old), "-o", str(tmp_path / "reporting.yaml"))
    assert outcome.output.startswith(f"{old}: the old .xls format is not read; save it as .xlsx")


def test_output_must_be_a_category_file_or_a_folder(tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(ROWS, "utf-8"))
    outcome = run("convert", str(source), "-o", str(tmp_path / "questions.yaml"))
    assert outcome.exit_code == 2
    assert "must be named after its category" in outcome.output


def test_existing_yaml_is_not_overwritten_without_force(tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes(ROWS, "utf-8"))
    output = tmp_path / "reporting.yaml"
    output.write_text("# hand-written, keep me\n", encoding="utf-8")
    outcome = run("convert", str(source), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 1
    assert f"{output}: already exists; use --force to overwrite it" in outcome.output
    assert output.read_text(encoding="utf-8") == "# hand-written, keep me\n"
    forced = run("convert", str(source), "-o", str(output), "--facts", str(FACTS), "--force")
    assert forced.exit_code == 0, forced.output
    assert len(load_bank([output], facts=FACTS).questions) == 3


def test_schema_fields_of_the_sheet_reach_the_yaml(tmp_path: Path) -> None:
    # shuffle as Excel's FALSE and as a word; as_of as a number, and as the date Excel makes
    # of a typed "2024-05".
    rows = [
        {**ROWS[0], "shuffle": False, "as_of": 2024, "group": "report-ways"},
        {**ROWS[1], "as_of": datetime(2024, 5, 1), "messages": "knows-110, calls-police"},
        {**ROWS[2], "group": "report-ways"},
        {**ROWS[0], "id": "RP-005", "shuffle": "否", "as_of": "2023-11"},
    ]
    sheet_path = tmp_path / "bank.xlsx"
    write_template(sheet_path)
    fill(sheet_path, rows, keep_example=False)
    output = tmp_path / "out" / "reporting.yaml"
    output.parent.mkdir()
    outcome = run("convert", str(sheet_path), "-o", str(output), "--facts", str(FACTS))
    assert outcome.exit_code == 0, outcome.output
    questions = load_bank([output.parent], facts=FACTS).by_id()
    first, second, third, fourth = (
        questions[code] for code in ("RP-002", "RP-003", "RP-004", "RP-005")
    )
    assert (first.shuffle, first.as_of, first.group) == (False, "2024", "report-ways")
    assert (second.as_of, second.messages, second.shuffled) == (
        "2024-05",
        ["knows-110", "calls-police"],
        False,
    )
    assert third.group == "report-ways" and third.as_of is None
    assert (fourth.shuffle, fourth.as_of) == (False, "2023-11")


def test_a_bad_shuffle_cell_is_reported_at_its_column(tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(csv_bytes([{**ROWS[0], "shuffle": "maybe"}], "utf-8"))
    outcome = run(
        "convert", str(source), "-o", str(tmp_path / "reporting.yaml"), "--facts", str(FACTS)
    )
    assert outcome.exit_code == 1
    column = column_letter(COLUMNS.index("shuffle") + 1)
    assert outcome.output.splitlines()[0] == (
        f"{source}:row 2: column {column} (shuffle): shuffle must be true or false, "
        "got text 'maybe'"
    )

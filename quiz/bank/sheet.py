"""Spreadsheets for organisers: the Excel template, and converting a filled sheet to bank YAML.

A sheet has one question per row under a header row naming the columns (:data:`COLUMNS`, in
any order). Rows are turned into the same data a YAML file holds and checked by the same
schema, so a spreadsheet gets the same checks, reported as ``file:row N: column X (name)``.

Cell conventions (also on the template's instruction sheet):

- ``answer``: letters for choice questions, ``B`` or ``A,C`` (``AC``, ``A，C`` and ``A、C`` are
  read the same);
- open questions leave ``answer`` empty and list accepted answers in ``answer_zh`` (and the
  same number, in the same order, in ``answer_en``), separated by ``|``;
- truefalse questions may leave the option cells empty: 正确/True and 错误/False are filled in;
- ``tags``: words separated by commas or spaces.

CSV files are read as UTF-8 (with or without BOM), else as GB18030, the superset of GBK that
Excel on Chinese Windows uses for "CSV (comma delimited)"; a note says so.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from quiz.bank.facts import FactSheet, find_fact_sheet, parse_facts
from quiz.bank.problems import CellSpot, FileSpot, Problem, Spot, sorted_problems
from quiz.bank.schema import (
    CATEGORIES,
    LETTERS,
    QUESTION_ADAPTER,
    QUESTION_TYPES,
    RANGES,
    TRUE_FALSE_OPTIONS,
    AnyQuestion,
    CheckContext,
)
from quiz.bank.validate import (
    LOCAL_FOLDER,
    Entry,
    Locate,
    bank_checks,
    file_category,
    is_local,
    translate,
    validate_item,
)
from quiz.bank.yamlio import Loc, dump_questions

QUESTIONS_SHEET: Final = "questions"
INSTRUCTIONS_SHEET: Final = "说明 Instructions"
MAX_SHEET_BYTES: Final = 10 * 1024 * 1024
MAX_ROWS: Final = 5000
#: Rows read from any sheet before giving up (the header, MAX_ROWS questions, and room for a
#: few blank or formatted rows below them). An .xlsx declares its own size, and 5 KB of XML can
#: declare 17 billion cells (one cell at XFD1048576): reading stops here, not there.
MAX_SCAN_ROWS: Final = 2 * MAX_ROWS
#: Columns kept per row; a cell with content beyond them is refused, never silently dropped.
#: (A question sheet has len(COLUMNS) columns; a contestant list one or two.)
MAX_COLUMNS: Final = 64
#: Cells looked at in all, blank ones included (a row is as wide as its last cell, even a
#: blank formatted one at column XFD): the scan's CPU bound.
MAX_SCAN_CELLS: Final = 1_000_000
LANGS: Final = ("zh", "en")

OPTION_COLUMNS: Final = tuple(
    f"option_{letter.lower()}_{lang}" for letter in LETTERS for lang in LANGS
)
COLUMNS: Final = (
    "id",
    "category",
    "type",
    "difficulty",
    "prompt_zh",
    "prompt_en",
    *OPTION_COLUMNS,
    "answer",
    "answer_zh",
    "answer_en",
    "explanation_zh",
    "explanation_en",
    "fact",
    "tags",
    "time_limit",
    "shuffle",
    "as_of",
    "group",
    "messages",
)
REQUIRED_COLUMNS: Final = (
    "id",
    "category",
    "type",
    "difficulty",
    "prompt_zh",
    "answer",
    "explanation_zh",
    "fact",
)
#: What each column holds, for the instruction sheet: (中文, English).
COLUMN_HELP: Final = {
    "id": (
        "题号：类别前缀 + 3 位数字，如 AF-001，全库唯一",
        "Id: category prefix + 3 digits, e.g. AF-001; unique",
    ),
    "category": ("类别（下拉选择）", "Category (pick from the list)"),
    "type": (
        "题型：single 单选 / multiple 多选 / truefalse 判断 / open 问答",
        "Type: single / multiple / truefalse / open",
    ),
    "difficulty": ("难度 1（易）到 3（难）", "Difficulty 1 (easy) to 3 (hard)"),
    "prompt_zh": (
        "题干（中文，朗读约 10 秒，不超过 80 字）",
        "Prompt in Chinese (≤ 80 characters)",
    ),
    "prompt_en": ("题干（英文）", "Prompt in English"),
    "option_x_zh": (
        "选项 A–F（中文）；单选 2–6 项，多选 3–6 项；判断题可留空",
        "Options A–F in Chinese; single 2–6, multiple 3–6; leave empty for truefalse",
    ),
    "option_x_en": ("选项 A–F（英文）", "Options A–F in English"),
    "answer": (
        "选择题答案字母：单选/判断填 B，多选填 A,C；问答题留空",
        "Choice answer letters: B, or A,C for multiple; empty for open questions",
    ),
    "answer_zh": (
        "问答题的参考答案（中文），多个用 | 分隔",
        "Open questions: accepted answers in Chinese, separated by |",
    ),
    "answer_en": (
        "问答题的参考答案（英文），个数和顺序与中文一致",
        "Open questions: the same answers in English, same number and order",
    ),
    "explanation_zh": (
        "解析（中文），判题后在大屏显示",
        "Explanation in Chinese, shown after judging",
    ),
    "explanation_en": ("解析（英文）", "Explanation in English"),
    "fact": (
        "依据的事实编号（FACTS.md 中标为 verified 的条目），如 F012",
        "Fact ID backing the answer (a verified fact in FACTS.md), e.g. F012",
    ),
    "tags": (
        "标签（可选）：小写英文词，用逗号分隔",
        "Tags (optional): lowercase words, comma-separated",
    ),
    "time_limit": ("答题时限（可选）：5–120 秒", "Time limit (optional): 5–120 seconds"),
    "shuffle": (
        "选项顺序（可选）：填“否”固定选项顺序（如“以上都不是”须在最后）；留空则抽题时打乱；"
        "判断题始终固定",
        "Option order (optional): 'no' pins the order (e.g. 'none of these' last); empty: "
        "shuffled when drawn; truefalse is always pinned",
    ),
    "as_of": (
        "数据时间（可选）：题目所依据数字的年份或年月，如 2024 或 2024-05",
        "As of (optional): year or year-month of the figures the question relies on, "
        "e.g. 2024 or 2024-05",
    ),
    "group": (
        "题组（可选）：小写英文词；同组（或同一事实）的题在一场活动中只出一道",
        "Group (optional): a lowercase word; questions of one group (or one fact) are "
        "never drawn in the same event",
    ),
    "messages": (
        "宣传要点（可选）：本题考查的要点，小写英文词，逗号分隔，如 knows-12377",
        "Key messages (optional): the campaign messages tested, comma-separated, e.g. knows-12377",
    ),
}
EXAMPLE_ROW: Final = {
    "id": "RP-001",
    "category": "reporting",
    "type": "single",
    "difficulty": 1,
    "prompt_zh": "中央网信办违法和不良信息举报中心的举报电话是多少？",
    "prompt_en": "What is the hotline of the CAC Illegal and Harmful Information Reporting Center?",
    "option_a_zh": "12315",
    "option_a_en": "12315",
    "option_b_zh": "12377",
    "option_b_en": "12377",
    "option_c_zh": "96110",
    "option_c_en": "96110",
    "answer": "B",
    "explanation_zh": "12377 是中央网信办违法和不良信息举报中心的举报电话。",
    "explanation_en": (
        "12377 is the hotline of the CAC Illegal and Harmful Information Reporting Center."
    ),
    "fact": "F001",
    "tags": "hotline",
    "time_limit": 20,
}
_SEPARATORS: Final = re.compile(r"[\s,，、;；]+")
#: What a ``shuffle`` cell may say (case-folded), besides an Excel TRUE/FALSE.
_YES_NO: Final = {
    **dict.fromkeys(("true", "yes", "y", "1", "是", "打乱"), True),
    **dict.fromkeys(("false", "no", "n", "0", "否", "固定", "不打乱"), False),
}


# --- template --------------------------------------------------------------------------------


def _help_for(column: str) -> tuple[str, str]:
    generic = re.sub(r"^option_[a-f]_", "option_x_", column)
    return COLUMN_HELP[generic]


def write_template(path: Path) -> None:
    """An .xlsx template: header row, one example row, drop-down lists, instructions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = QUESTIONS_SHEET
    sheet.append(list(COLUMNS))
    sheet.append([EXAMPLE_ROW.get(column) for column in COLUMNS])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        wide = column.startswith(("prompt", "explanation", "answer_"))
        sheet.column_dimensions[get_column_letter(index)].width = 40 if wide else 14
    sheet.freeze_panes = "A2"
    lists = {
        "category": CATEGORIES,
        "type": QUESTION_TYPES,
        "difficulty": tuple(
            str(n) for n in range(RANGES["difficulty"][0], RANGES["difficulty"][1] + 1)
        ),
    }
    for column, values in lists.items():
        letter = get_column_letter(COLUMNS.index(column) + 1)
        validation = DataValidation(
            type="list",
            formula1='"' + ",".join(values) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从列表中选择 / Pick from the list",
            error=f"{column}: " + " / ".join(values),
        )
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)

    guide = book.create_sheet(INSTRUCTIONS_SHEET)
    lines = [
        (
            "题库模板：每行一道题。第 2 行是示例，请替换或删除。",
            "Bank template: one question per row. Row 2 is an example: replace or delete it.",
        ),
        (
            "填好后运行 quiz bank convert 文件.xlsx -o 类别.yaml（或 -o 文件夹）转换并检查。",
            "Then run: quiz bank convert FILE.xlsx -o CATEGORY.yaml (or -o FOLDER) to convert "
            "and check.",
        ),
        (
            "每道题必须引用 FACTS.md 中已核实（verified）的事实；不要改动表头。",
            "Every question must cite a verified fact from FACTS.md; keep the header row as is.",
        ),
        (
            "本县本地题：题号用 LO-001 起，事实填 local: 来源 核实日期，英文可留空；"
            "转换到 question_bank/local/（见其中的 README）。",
            "Local questions: ids LO-001 on, fact as local: source and date confirmed, English "
            "optional; convert into question_bank/local/ (see its README).",
        ),
        ("", ""),
    ]
    for zh, en in lines:
        guide.append([zh, en])
    guide.append(["列 Column", "说明", "Description"])
    for index in range(1, 4):
        guide.cell(row=guide.max_row, column=index).font = Font(bold=True)
    for column in COLUMNS:
        zh, en = _help_for(column)
        guide.append([column, zh, en])
    guide.cell(row=1, column=1).font = Font(bold=True)
    for letter, width in (("A", 18), ("B", 60), ("C", 70)):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)


# --- reading a sheet -----------------------------------------------------------------------------


@dataclass
class SheetRows:
    """The cells of a sheet: header name -> 1-based column, and each data row."""

    path: str
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _raw_rows(path: Path, display: str) -> tuple[list[list[Any]] | None, list[Problem], list[str]]:
    whole = FileSpot(display)
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, [Problem(whole, f"cannot read the file: {exc.strerror or exc}")], []
    if size > MAX_SHEET_BYTES:
        return None, [Problem(whole, f"file is {size} bytes; the limit is {MAX_SHEET_BYTES}")], []
    if suffix in (".xlsx", ".xlsm"):
        try:
            # Read-only: streamed from the XML, never a cell grid of the declared size.
            book = load_workbook(path, data_only=True, read_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            return None, [Problem(whole, f"cannot open it as an .xlsx workbook ({exc})")], []
        try:
            sheet = (
                book[QUESTIONS_SHEET] if QUESTIONS_SHEET in book.sheetnames else book.worksheets[0]
            )
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # the file's own claim of its size is not believed
            rows, problems = _bounded_rows(sheet.iter_rows(values_only=True), whole)
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
            return None, [Problem(whole, f"cannot read the workbook ({exc})")], []
        finally:
            book.close()
        return rows, problems, []
    if suffix == ".csv":
        return _csv_rows(path.read_bytes(), display)
    if suffix == ".xls":
        return None, [Problem(whole, "the old .xls format is not read; save it as .xlsx")], []
    return None, [Problem(whole, "expected an .xlsx or .csv file")], []


def _csv_rows(raw: bytes, display: str) -> tuple[list[list[Any]] | None, list[Problem], list[str]]:
    whole = FileSpot(display)
    if b"\x00" in raw:
        return (
            None,
            [
                Problem(
                    whole, "this looks like UTF-16 text (Excel 'Unicode Text'); save as CSV UTF-8"
                )
            ],
            [],
        )
    notes: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError as exc:
            return (
                None,
                [Problem(whole, f"the file is neither UTF-8 nor GB18030/GBK (byte {exc.start})")],
                [],
            )
        notes.append(
            f"{display}: not UTF-8, read as GB18030 (GBK), the encoding Excel uses for CSV on "
            "Chinese Windows; saving as 'CSV UTF-8' avoids the guess"
        )
    try:
        rows, problems = _bounded_rows(csv.reader(io.StringIO(text, newline="")), whole)
    except csv.Error as exc:
        return None, [Problem(whole, f"not a readable CSV file ({exc})")], notes
    return rows, problems, notes


def _bounded_rows(
    cells: Iterable[Sequence[Any]], whole: FileSpot
) -> tuple[list[list[Any]] | None, list[Problem]]:
    """At most MAX_SCAN_ROWS rows of at most MAX_COLUMNS cells, trailing blanks dropped; a
    clear problem (and no rows) when the sheet goes beyond either."""
    rows: list[list[Any]] = []
    last = 0  # rows up to the last one with content
    scanned = 0
    for number, values in enumerate(cells, start=1):
        scanned += len(values)
        if number > MAX_SCAN_ROWS or scanned > MAX_SCAN_CELLS:
            message = (
                f"the sheet has more than {MAX_SCAN_ROWS} rows or {MAX_SCAN_CELLS} cells "
                "(blank but formatted cells count: delete the rows below the list and the "
                "columns right of it)"
            )
            return None, [Problem(whole, message)]
        row = list(values[: MAX_COLUMNS + 1])
        if len(values) > MAX_COLUMNS and any(_filled(v) for v in values[MAX_COLUMNS:]):
            message = (
                f"row {number} has content beyond column {MAX_COLUMNS}; "
                f"a sheet may use at most {MAX_COLUMNS} columns"
            )
            return None, [Problem(whole, message)]
        while row and not _filled(row[-1]):
            row.pop()
        rows.append(row)
        if row:
            last = number
    return rows[:last], []


def _filled(value: Any) -> bool:
    return value is not None and value != ""


def read_cells(
    path: Path, display: str | None = None
) -> tuple[list[list[Any]] | None, list[Problem], list[str]]:
    """Every row of cells of an .xlsx or .csv file as read, header included, with the same
    size limit and CSV encoding detection as a question sheet: for other lists kept in
    spreadsheets (e.g. a tournament's contestants). Returns (rows or None, problems, notes)."""
    return _raw_rows(path, display if display is not None else str(path))


def _header_name(value: Any) -> str:
    return str(value).strip().lower() if value is not None else ""


def read_rows(path: Path, display: str | None = None) -> tuple[SheetRows | None, list[Problem]]:
    """The header and data rows of a sheet, with the problems of the header itself."""
    name = display if display is not None else str(path)
    raw, problems, notes = _raw_rows(path, name)
    if raw is None:
        return None, problems
    rows = SheetRows(name, notes=notes)
    header = raw[0] if raw else []
    for index, value in enumerate(header, start=1):
        column = _header_name(value)
        if not column:
            continue
        spot = CellSpot(name, 1, index, column)
        if column not in COLUMNS and ("\t" in column or ";" in column):
            # Every other header problem would only repeat this one.
            return None, [Problem(spot, "columns must be separated by commas")]
        if column not in COLUMNS:
            problems.append(Problem(spot, f"unknown column '{column}'"))
        elif column in rows.columns:
            problems.append(Problem(spot, f"column '{column}' appears twice"))
        else:
            rows.columns[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in rows.columns]
    for column in missing:
        problems.append(Problem(CellSpot(name, 1, header=column), "required column is missing"))
    if missing:
        return None, problems
    data_rows = raw[1:]
    if len(data_rows) > MAX_ROWS:
        problems.append(Problem(FileSpot(name), f"more than {MAX_ROWS} rows"))
        return None, problems
    known = set(rows.columns.values())
    stray: set[int] = set()
    for number, values in enumerate(data_rows, start=2):
        for index, value in enumerate(values, start=1):
            # Reported once per column: the content of a cell without a header would be lost.
            if index not in known and index not in stray and _text(value) is not None:
                stray.add(index)
                problems.append(
                    Problem(
                        CellSpot(name, number, index),
                        "this cell is under no known column header; its content would be lost",
                    )
                )
        cells = {
            column: values[index - 1]
            for column, index in rows.columns.items()
            if index - 1 < len(values) and _text(values[index - 1]) is not None
        }
        if cells:
            rows.rows.append((number, cells))
    if not rows.rows:
        problems.append(Problem(FileSpot(name), "the sheet has no question rows"))
    return rows, problems


# --- rows -> question data -----------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell as text; None when empty. Numbers typed in Excel come back as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def _whole_number(value: Any) -> Any:
    """A cell meant as a whole number; anything else is passed on for the schema to refuse."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        if number.is_integer():
            return int(number)
    return value


def _pair(cells: dict[str, Any], prefix: str) -> dict[str, str] | None:
    pair = {lang: text for lang in LANGS if (text := _text(cells.get(f"{prefix}_{lang}")))}
    return pair or None


def _letters(text: str) -> list[str]:
    text = text.upper()
    if re.fullmatch(r"[A-Z]+", text):
        return list(text)
    return [part for part in _SEPARATORS.split(text) if part]


def row_data(cells: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The question data of one row, and the problems of the sheet layout (column, message)."""
    data: dict[str, Any] = {}
    layout: list[tuple[str, str]] = []
    for key in ("id", "category", "type", "fact"):
        if (text := _text(cells.get(key))) is not None:
            data[key] = text
    for key in ("difficulty", "time_limit"):
        if cells.get(key) is not None:
            data[key] = _whole_number(cells[key])
    for key in ("prompt", "explanation"):
        if (pair := _pair(cells, key)) is not None:
            data[key] = pair
    options = [_pair(cells, f"option_{letter.lower()}") for letter in LETTERS]
    while options and options[-1] is None:
        options.pop()
    question_type = data.get("type")
    if options:
        data["options"] = [option or {} for option in options]
    elif question_type == "truefalse":
        data["options"] = [{"zh": zh, "en": en} for zh, en in TRUE_FALSE_OPTIONS]
    for key in ("tags", "messages"):
        if (words := _text(cells.get(key))) is not None:
            data[key] = [word for word in _SEPARATORS.split(words) if word]
    if (group := _text(cells.get("group"))) is not None:
        data["group"] = group
    as_of = cells.get("as_of")
    if isinstance(as_of, datetime | date):
        # Excel turns a typed "2024-05" into a date: the month is what was meant.
        data["as_of"] = f"{as_of.year:04d}-{as_of.month:02d}"
    elif (text := _text(as_of)) is not None:
        data["as_of"] = text
    shuffle = cells.get("shuffle")
    if isinstance(shuffle, bool):
        data["shuffle"] = shuffle
    elif (text := _text(shuffle)) is not None:
        # An unrecognised word is passed on as text, for the schema to refuse.
        data["shuffle"] = _YES_NO.get(text.casefold(), text)
    answer = _text(cells.get("answer"))
    accepted = {lang: _text(cells.get(f"answer_{lang}")) for lang in LANGS}
    if question_type == "open":
        if answer is not None:
            layout.append(
                (
                    "answer",
                    "leave answer empty for open questions; put the accepted answers in "
                    "answer_zh / answer_en, separated by |",
                )
            )
        zh = [part.strip() for part in (accepted["zh"] or "").split("|")]
        en = [part.strip() for part in (accepted["en"] or "").split("|")]
        if accepted["en"] is None:
            en = []
        elif len(en) != len(zh):
            layout.append(
                (
                    "answer_en",
                    f"answer_en has {len(en)} answer(s) but answer_zh has {len(zh)}; "
                    "give the same answers in the same order",
                )
            )
        if accepted["zh"] is not None:  # else the schema reports the missing answer
            data["answer"] = [
                {"zh": text, **({"en": en[index]} if index < len(en) else {})}
                for index, text in enumerate(zh)
            ]
    else:
        for lang in LANGS:
            if accepted[lang] is not None:
                layout.append(
                    (
                        f"answer_{lang}",
                        "only open questions use answer_zh / answer_en; give the "
                        "answer letters in the answer column",
                    )
                )
        if answer is not None:
            data["answer"] = _letters(answer) if question_type == "multiple" else answer.upper()
    return data, layout


def _column_for(loc: Loc, question_type: str | None) -> str | None:
    """The column a path inside a question came from."""
    head = loc[0] if loc else None
    lang = next((part for part in loc[1:] if part in LANGS), "zh")
    if head in ("prompt", "explanation"):
        return f"{head}_{lang}"
    if head == "options":
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
        return f"option_{LETTERS[min(index, len(LETTERS) - 1)].lower()}_{lang}"
    if head == "answer":
        return f"answer_{lang}" if question_type == "open" else "answer"
    if isinstance(head, str) and head in COLUMNS:
        return head
    return None


def _sheet_locator(rows: SheetRows, number: int, question_type: str | None) -> Locate:
    def locate(loc: Loc) -> Spot:
        column = _column_for(loc, question_type)
        index = rows.columns.get(column) if column else None
        return CellSpot(rows.path, number, index, column)

    return locate


def check_rows(rows: SheetRows, context: CheckContext) -> tuple[list[Entry], list[Problem]]:
    """Validate every row like a question of a bank file, then the whole-sheet checks."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, cells in rows.rows:
        data, layout = row_data(cells)
        question_type = data.get("type") if isinstance(data.get("type"), str) else None
        locate = _sheet_locator(rows, number, question_type)
        for column, message in layout:
            problems.append(
                Problem(CellSpot(rows.path, number, rows.columns.get(column), column), message)
            )
        question, errors = validate_item(data, context)
        reported = {column for column, _ in layout}
        for error in errors:
            loc, _, message = translate(error, sheet=True)
            spot = locate(loc)
            # One problem per cell: a layout problem already explains this one.
            if not (isinstance(spot, CellSpot) and spot.header in reported):
                problems.append(Problem(spot, message))
        if question is not None and not layout:
            entries.append(Entry(question, locate))
    unique, bank_problems = bank_checks(entries)
    return unique, problems + bank_problems


# --- conversion -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    problems: tuple[Problem, ...]
    notes: tuple[str, ...] = ()
    #: The files written (none when there were errors).
    written: tuple[Path, ...] = ()
    questions: tuple[AnyQuestion, ...] = ()

    def ok(self, *, strict: bool = False) -> bool:
        return not any(p.is_error or (strict and p.fails_strict) for p in self.problems)


class OutputNameError(ValueError):
    """The output is neither a folder nor a file named after a category."""


def output_targets(output: Path) -> tuple[Path | None, str | None]:
    """(folder, None) when writing one file per category into a folder, else (None, category)
    of the single output file."""
    if output.suffix.lower() in (".yaml", ".yml"):
        category = file_category(output)
        if is_local(output):
            return None, None  # a local file holds any category
        if category is None:
            names = ", ".join(f"{c}.yaml" for c in CATEGORIES)
            raise OutputNameError(
                f"{output.name}: the output file must be named after its category ({names}), "
                "or be a folder to write one file per category"
            )
        return None, category
    if output.exists() and not output.is_dir():
        raise OutputNameError(f"{output}: not a folder and not a .yaml file")
    return output, None


def _facts_for(output: Path, folder: Path | None, explicit: Path | None) -> FactSheet | None:
    if explicit is not None:
        return parse_facts(explicit)
    located = find_fact_sheet((folder or output.parent) / "_")
    return parse_facts(located) if located is not None else None


def convert(
    source: Path,
    output: Path,
    *,
    facts: Path | None = None,
    require_en: bool = True,
    strict: bool = False,
    force: bool = False,
) -> Conversion:
    """Check a sheet and, if it has no errors (nor warnings, when ``strict``), write YAML.

    Raises :class:`OutputNameError` for an unusable ``output`` before reading anything.
    """
    folder, category = output_targets(output)
    sheet = _facts_for(output, folder, facts)
    rows, problems = read_rows(source, str(source))
    if sheet is not None:
        problems.extend(sheet.problems)
    else:
        problems.append(
            Problem(FileSpot(str(source)), "no FACTS.md found; fact IDs are not checked")
        )
    if rows is None:
        return Conversion(sorted_problems(problems))
    local = output.name == LOCAL_FOLDER if folder is not None else is_local(output)
    context = CheckContext(
        facts=sheet,
        file_category=category,
        file_name=output.name,
        require_en=require_en and not local,
        local=local,
    )
    entries, row_problems = check_rows(rows, context)
    problems.extend(row_problems)
    questions = tuple(entry.question for entry in entries)
    targets: dict[Path, list[AnyQuestion]] = {}
    for question in questions:
        target = output if folder is None else folder / f"{question.category}.yaml"
        targets.setdefault(target, []).append(question)
    if not force:
        for target in targets:
            if target.exists():
                problems.append(
                    Problem(FileSpot(str(target)), "already exists; use --force to overwrite it")
                )
    result = Conversion(sorted_problems(problems), tuple(rows.notes), (), questions)
    if not result.ok(strict=strict) or not targets:
        return result
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for target, items in targets.items():
        _write_yaml(target, items, source)
    return Conversion(result.problems, result.notes, tuple(targets), questions)


def _write_yaml(target: Path, questions: Iterable[AnyQuestion], source: Path) -> None:
    items = list(questions)
    text = dump_questions(
        [question.model_dump(mode="json", exclude_none=True) for question in items],
        header=f"Converted from {source.name} by `quiz bank convert`; edit here or in the sheet.",
    )
    # The writer must give back exactly what was checked; a difference is a bug, not bad input.
    context = CheckContext(require_en=False, local=is_local(target)).as_context()
    reread = [
        QUESTION_ADAPTER.validate_python(item, context=context) for item in yaml.safe_load(text)
    ]
    if reread != items:
        raise RuntimeError(f"YAML written for {target.name} does not read back the same")
    # Write beside the target and rename, so a crash never leaves half a file.
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Reading a contestant list (参赛名单) uploaded by the host: one contestant or team per row of
an .xlsx or .csv file, read with the question bank's spreadsheet reader (same size limit,
same UTF-8 / GB18030 detection for CSV files saved by Excel on Chinese Windows).

The name column is the one whose first-row cell is a known header (``name``, ``team``, 姓名,
队名, 参赛队, …); without such a header row every row is a name and its first non-empty cell
is the name. Names are cleaned like a typed contestant name. A list is taken whole or not at
all: any bad row refuses the file with every problem listed by row, so nothing is half-added.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Any

from quiz.bank.sheet import read_cells
from quiz.models.live import NAME_MAX
from quiz.text import clean_text

#: Well under the server's request limit (``Config.MAX_CONTENT_LENGTH``, 64 KiB): a list of a
#: few hundred names is a few KiB as CSV and about 10 KiB as .xlsx.
MAX_LIST_BYTES = 60 * 1024
MAX_NAMES = 256
SUFFIXES = (".csv", ".xlsx", ".xlsm")
HEADER_WORDS = frozenset(
    {
        "name",
        "names",
        "contestant",
        "contestants",
        "team",
        "teams",
        "player",
        "姓名",
        "名字",
        "名称",
        "选手",
        "选手姓名",
        "参赛者",
        "参赛选手",
        "队名",
        "队伍",
        "队伍名称",
        "参赛队",
        "参赛队伍",
        "团队",
        "单位",
        "名单",
        "参赛名单",
        "选手名单",
    }
)


@dataclass(frozen=True)
class ListProblem:
    row: int | None  # 1-based spreadsheet row; None for the whole file
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "message": self.message}


class ListError(ValueError):
    """The file cannot be used; ``problems`` says why, row by row."""

    def __init__(self, problems: list[ListProblem]) -> None:
        super().__init__("; ".join(_describe(p) for p in problems[:5]))
        self.problems = problems


@dataclass
class ContestantList:
    """The cleaned names in file order, each with the row it came from."""

    names: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _describe(problem: ListProblem) -> str:
    return problem.message if problem.row is None else f"row {problem.row}: {problem.message}"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return str(value).strip()


def read_contestant_list(data: bytes, filename: str) -> ContestantList:
    """The names of an uploaded list; raises :class:`ListError` for a file that cannot be used."""
    display = PurePath(filename or "list").name[:80] or "list"
    suffix = PurePath(display).suffix.lower()
    if suffix not in SUFFIXES:
        raise ListError([ListProblem(None, "expected an .xlsx or .csv file")])
    if len(data) > MAX_LIST_BYTES:
        raise ListError(
            [ListProblem(None, f"the file is {len(data)} bytes; the limit is {MAX_LIST_BYTES}")]
        )
    with tempfile.TemporaryDirectory(prefix="quiz-list-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        rows, problems, notes = read_cells(path, display)
    if rows is None:
        raise ListError(
            [ListProblem(None, p.message) for p in problems]
            or [ListProblem(None, "the file cannot be read")]
        )
    return _names(rows, notes)


def _names(rows: list[list[Any]], notes: list[str]) -> ContestantList:
    texts = [[_cell_text(v) for v in row] for row in rows]
    first = next((i for i, row in enumerate(texts) if any(row)), None)
    column: int | None = None
    start = 0
    if first is not None:
        for index, text in enumerate(texts[first]):
            if text.casefold() in HEADER_WORDS:
                column, start = index, first + 1
                break
    out = ContestantList(notes=list(notes))
    problems: list[ListProblem] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(texts[start:], start=start + 1):
        if column is not None:
            raw = row[column] if column < len(row) else ""
        else:
            raw = next((text for text in row if text), "")
        if not raw:
            continue
        try:
            name = clean_text(raw, NAME_MAX)
        except ValueError as exc:
            problems.append(ListProblem(number, f"the name {exc}"))
            continue
        key = name.casefold()
        if key in seen:
            problems.append(ListProblem(number, f"{name} is already listed in row {seen[key]}"))
            continue
        seen[key] = number
        out.names.append((number, name))
    if len(out.names) > MAX_NAMES:
        problems.append(ListProblem(None, f"more than {MAX_NAMES} names"))
    if not out.names and not problems:
        problems.append(ListProblem(None, "the list has no names"))
    if problems:
        raise ListError(problems)
    return out


__all__ = [
    "MAX_LIST_BYTES",
    "MAX_NAMES",
    "ContestantList",
    "ListError",
    "ListProblem",
    "read_contestant_list",
]

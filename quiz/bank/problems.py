"""Problems found in a question bank and where they are: the one report format of every check.

A problem in a YAML or Markdown file is reported as ``file:line:column: message``; one in a
spreadsheet as ``file:row N: column X (header): message``. Warnings carry ``warning:`` after
the place, notes ``note:`` (for the editor's information; a note never fails a check).
Lines, columns and rows are 1-based, as editors and spreadsheets show them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "note"]


def column_letter(index: int) -> str:
    """Spreadsheet column letters of a 1-based column index (1 -> A, 27 -> AA)."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class TextSpot:
    """A position in a text file."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.line, self.column)


@dataclass(frozen=True)
class CellSpot:
    """A spreadsheet row, and the cell in it when the problem belongs to one column."""

    path: str
    row: int
    column: int | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:row {self.row}"
        if self.column is not None:
            where += f": column {column_letter(self.column)}"
            if self.header:
                where += f" ({self.header})"
        elif self.header:
            where += f": column {self.header}"
        return where

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, self.row, self.column or 0)


@dataclass(frozen=True)
class FileSpot:
    """A whole file (a spreadsheet that cannot be opened, a folder without bank files)."""

    path: str

    def __str__(self) -> str:
        return self.path

    def sort_key(self) -> tuple[str, int, int]:
        return (self.path, 0, 0)


Spot = TextSpot | CellSpot | FileSpot


@dataclass(frozen=True)
class Problem:
    spot: Spot
    message: str
    severity: Severity = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def fails_strict(self) -> bool:
        """Whether the problem fails a ``--strict`` check (errors and warnings, not notes)."""
        return self.severity != "note"

    def __str__(self) -> str:
        label = "" if self.severity == "error" else f"{self.severity}: "
        return printable(f"{self.spot}: {label}{self.message}")

    def sort_key(self) -> tuple[str, int, int, str]:
        return (*self.spot.sort_key(), self.message)


def printable(text: str) -> str:
    """``text`` with control characters shown as escapes: messages quote what writers typed,
    and a terminal must not act on it."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch) == "Cc" else ch
        for ch in text
    )


def sorted_problems(problems: list[Problem] | tuple[Problem, ...]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=Problem.sort_key))


def not_utf8(path: str, raw: bytes, error: UnicodeDecodeError) -> Problem:
    """The problem of a file that is not UTF-8, at the first offending byte."""
    line = raw.count(b"\n", 0, error.start) + 1
    line_start = raw.rfind(b"\n", 0, error.start) + 1
    column = len(raw[line_start : error.start].decode("utf-8", errors="replace")) + 1
    return Problem(
        TextSpot(path, line, column),
        f"file is not UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8",
    )

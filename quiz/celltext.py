"""Typed text in the spreadsheets the project writes: never a formula.

Contestant names, nicknames, event titles, prize names and device ids are typed by people (or
chosen by a phone). A CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or a
carriage return, which some programs skip before looking) is run as a formula when Excel, WPS
or LibreOffice opens the file: ``=HYPERLINK(...)`` in a contestant's name becomes a link in the
organiser's spreadsheet. :func:`cell_text` prefixes such text with an apostrophe, which the
spreadsheet shows as plain text; numbers are left alone. In an .xlsx only a string starting
with ``=`` is a formula (openpyxl's rule); :func:`is_formula_like` lets an XLSX writer keep
it as text.

Stdlib only and free of I/O, so the pure packages (``quiz.audience``) use it too: one rule for
every CSV and XLSX file the project writes.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def cell_text(value: T) -> T | str:
    """``value`` as a spreadsheet cell: formula-like text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


__all__ = ["FORMULA_START", "cell_text", "is_formula_like"]

"""The column model of the report's tables: one definition, rendered for the files and
for the page.

A table is a :class:`Grid`: its rows and its :class:`Field` columns. A field names its header
and says how each rendering shows a row: ``file`` is the cell of the CSV files and the XLSX
sheets (``None``: not in the files), ``page`` the cell of the printed report (``None``: not on
the page). The files carry every raw value, one per column, in the order the fields are
listed (:meth:`Grid.table` gives the :class:`Table` the writers take); the page shows fewer
columns, in the order of ``Grid.page_order``, and may combine values (a score ``3 : 1``),
colour a side's name or mark a cell with a CSS class (:meth:`Grid.page` gives the
:class:`PageTable` the template's ``grid`` macro prints). Page text is escaped by the
template; nothing here builds markup. :func:`table_csv` and :func:`write_xlsx`
write the files. The report's tables themselves are in ``quiz.report.tables``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Generic, TypeVar

from quiz import i18n
from quiz.celltext import cell_text, is_formula_like

if TYPE_CHECKING:
    from quiz.report.data import Rate

Cell = str | int | float | None
R = TypeVar("R")


# --- the file shape: what CSV and XLSX write ----------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # catalog key of the header
    rate: bool = False  # a 0-1 fraction, shown as a percent in Excel


@dataclass(frozen=True)
class Table:
    name: str  # file stem and the catalog key report.table.<name>
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


# --- the page shape: what the printed report shows ----------------------------------------------


@dataclass(frozen=True)
class Span:
    """A piece of a page cell: ``text`` inside ``<tag class="cls">`` (no tag: bare text;
    tag ``br``: a line break). The template escapes ``text``."""

    text: str | int | float = ""
    cls: str = ""
    tag: str = "span"


BREAK = Span(tag="br")
Piece = str | int | float | Span
Shown = Piece | tuple[Piece, ...]


@dataclass(frozen=True)
class PageColumn:
    key: str
    cls: str  # CSS class of the cells: "num" (right-aligned figures), "nowrap" or ""
    width: str  # CSS width of the column, or "" to let the table decide


@dataclass(frozen=True)
class PageTable:
    name: str
    css: str  # CSS class of the <table>
    columns: tuple[PageColumn, ...]
    rows: tuple[tuple[tuple[Span, ...], ...], ...]  # row, cell, pieces

    @property
    def widths(self) -> bool:
        return any(c.width for c in self.columns)


def _pieces(shown: Shown) -> tuple[Span, ...]:
    parts = shown if isinstance(shown, tuple) else (shown,)
    return tuple(p if isinstance(p, Span) else Span(p, tag="") for p in parts)


# --- the definition ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field(Generic[R]):
    """One column of a table definition and how each rendering shows it."""

    key: str  # catalog key of the header
    file: Callable[[R], Cell] | None = None  # CSV/XLSX cell; None: not in the files
    page: Callable[[R], Shown] | None = None  # page cell; None: not on the page
    rate: bool = False  # the file value is a 0-1 fraction
    cls: str = ""  # page cell class: "num" or "nowrap"
    width: str = ""  # page column width


@dataclass(frozen=True)
class Grid(Generic[R]):
    name: str
    fields: tuple[Field[R], ...]
    rows: tuple[R, ...]
    page_order: tuple[str, ...] = ()  # header keys of the page columns, left to right
    css: str = ""  # CSS class of the page's <table>
    page_rows: tuple[R, ...] | None = None  # the page's rows when they differ from ``rows``

    def table(self) -> Table:
        """The file rendering: every field with a file value, in the order listed."""
        shown = [f for f in self.fields if f.file is not None]
        return Table(
            self.name,
            tuple(Column(f.key, f.rate) for f in shown),
            tuple(tuple(f.file(row) for f in shown if f.file is not None) for row in self.rows),
        )

    def page(self, rows: Sequence[R] | None = None) -> PageTable:
        """The page rendering of ``rows`` (all rows by default), columns in ``page_order``."""
        # A header may stand twice in ``fields``: once for the files, once for the page.
        by_key = {f.key: f for f in self.fields if f.page is not None}
        shown = [by_key[key] for key in self.page_order]
        if rows is None:
            rows = self.rows if self.page_rows is None else self.page_rows
        return PageTable(
            self.name,
            self.css,
            tuple(PageColumn(f.key, f.cls, f.width) for f in shown),
            tuple(tuple(_pieces(f.page(row)) for f in shown if f.page is not None) for row in rows),
        )


# --- fields most tables have ---------------------------------------------------------------------

#: Decimals of a 0-1 fraction in the files.
RATE_DIGITS = 4


def both(key: str, get: Callable[[R], Cell], cls: str = "", width: str = "") -> Field[R]:
    """A field the files and the page show alike."""

    def shown(row: R) -> Shown:
        value = get(row)
        return "" if value is None else value

    return Field(key, get, shown, cls=cls, width=width)


def fraction(value: float | None) -> Cell:
    return None if value is None else round(value, RATE_DIGITS)


def rate_fields(
    get: Callable[[R], Rate | None], keys: tuple[str, str, str]
) -> tuple[Field[R], ...]:
    """answers, correct, rate (files only): all empty when nothing was recorded."""

    def total(row: R) -> Cell:
        rate = get(row)
        return None if rate is None else rate.total

    def correct(row: R) -> Cell:
        rate = get(row)
        return None if rate is None else rate.correct

    def value(row: R) -> Cell:
        rate = get(row)
        return None if rate is None else fraction(rate.value)

    return (Field(keys[0], total), Field(keys[1], correct), Field(keys[2], value, rate=True))


# --- the file renderings ------------------------------------------------------------------------


def table_csv(table: Table, lang: str = i18n.DEFAULT) -> str:
    """One table as CSV text (write it with a UTF-8 BOM so Excel reads the Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([i18n.translate(c.key, lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([cell_text(v) for v in row])
    return out.getvalue()


def write_xlsx(tables: Iterable[Table], path: Path | BinaryIO, lang: str = i18n.DEFAULT) -> None:
    """One sheet per table, headers bold and frozen, rates as percents."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for sheet in list(book.worksheets):
        book.remove(sheet)
    for table in tables:
        title = i18n.translate(f"report.table.{table.name}", lang)
        # Sheet titles: at most 31 characters and none of []:*?/\ (Excel's rules).
        sheet = book.create_sheet(title="".join(c for c in title if c not in "[]:*?/\\")[:31])
        headers = [i18n.translate(c.key, lang) for c in table.columns]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(list(row))
        for index, column in enumerate(table.columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            for cell in sheet[letter][1:]:
                if is_formula_like(cell.value):
                    # openpyxl takes "=..." for a formula; typed text must stay text.
                    cell.data_type = "s"
                if column.rate:
                    cell.number_format = "0.0%"
            texts = [headers[index - 1], *(str(r[index - 1] or "") for r in table.rows)]
            sheet.column_dimensions[letter].width = min(max(8, *map(_width, texts)) + 2, 60)
        sheet.freeze_panes = "A2"
    book.save(path)


def _width(text: str) -> int:
    # Excel column widths count narrow characters; a CJK character takes two.
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)

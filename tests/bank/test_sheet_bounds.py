"""Spreadsheets that declare more than they hold: a 5 KB .xlsx with one cell at XFD1048576
once took 1.5 GB to read. Reading is streamed and capped, so such a file costs little and gets
a clear error, and a sheet whose declared size is a lie but whose cells are few reads back
exactly its rows."""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from quiz.bank.sheet import MAX_COLUMNS, MAX_SCAN_ROWS, read_cells, read_rows, write_template
from quiz.live.tournament_import import ListError, read_contestant_list

#: Memory any of these reads may take, at most (a normal list takes well under 1 MB).
MAX_PEAK = 24 * 1024 * 1024


def _xlsx(cells: dict[str, str]) -> bytes:
    book = Workbook()
    sheet = book.active
    for ref, value in cells.items():
        sheet[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _declare(data: bytes, ref: str) -> bytes:
    """The same workbook with its sheet's <dimension> claiming ``ref``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                body = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
            target.writestr(item, body)
    return out.getvalue()


def _measured(call):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        result = call()
    except ListError as exc:
        result = exc
    finally:
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result, peak, elapsed


NAMES = {"A1": "姓名", "A2": "红队", "A3": "蓝队"}


def test_a_list_with_one_cell_at_the_last_address_is_refused_cheaply() -> None:
    data = _xlsx({**NAMES, "XFD1048576": "x"})
    assert len(data) < 10_000
    result, peak, elapsed = _measured(lambda: read_contestant_list(data, "名单.xlsx"))
    assert isinstance(result, ListError)
    assert f"more than {MAX_SCAN_ROWS} rows" in str(result)
    assert peak < MAX_PEAK and elapsed < 5, (peak, elapsed)


def test_a_list_that_only_claims_to_be_huge_reads_back_its_rows() -> None:
    data = _declare(_xlsx(NAMES), "A1:XFD1048576")
    result, peak, elapsed = _measured(lambda: read_contestant_list(data, "名单.xlsx"))
    assert not isinstance(result, ListError), result
    assert [name for _, name in result.names] == ["红队", "蓝队"]
    assert peak < MAX_PEAK and elapsed < 5, (peak, elapsed)


def test_content_beyond_the_column_cap_is_refused_not_dropped() -> None:
    data = _xlsx({**NAMES, "XFD2": "hidden far to the right"})
    result, peak, _ = _measured(lambda: read_contestant_list(data, "名单.xlsx"))
    assert isinstance(result, ListError) and f"column {MAX_COLUMNS}" in str(result)
    assert peak < MAX_PEAK


def test_a_csv_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("name\n" + "x\n" * (MAX_SCAN_ROWS + 5), encoding="utf-8")
    rows, problems, _ = read_cells(path)
    assert rows is None and f"more than {MAX_SCAN_ROWS} rows" in problems[0].message


@pytest.mark.parametrize("ref", ["XFD1048576", "A1:XFD1048576"])
def test_bank_sheets_are_bounded_the_same_way(tmp_path: Path, ref: str) -> None:
    template = tmp_path / "template.xlsx"
    write_template(template)
    path = tmp_path / "bank.xlsx"
    if ":" in ref:  # a true template, claiming the whole sheet
        data = template.read_bytes()
        from openpyxl import load_workbook

        book = load_workbook(template)
        name = book.sheetnames.index("questions") + 1
        source = zipfile.ZipFile(io.BytesIO(data))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for item in source.infolist():
                body = source.read(item.filename)
                if item.filename == f"xl/worksheets/sheet{name}.xml":
                    body = re.sub(
                        rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body
                    )
                target.writestr(item, body)
        path.write_bytes(out.getvalue())
    else:
        from openpyxl import load_workbook

        book = load_workbook(template)
        book["questions"][ref] = "x"
        book.save(path)
    result, peak, elapsed = _measured(lambda: read_rows(path))
    rows, problems = result
    assert peak < MAX_PEAK and elapsed < 5, (peak, elapsed)
    if ":" in ref:
        assert rows is not None  # the header came back, the claimed size was ignored
    else:
        assert rows is None and f"more than {MAX_SCAN_ROWS} rows" in problems[0].message

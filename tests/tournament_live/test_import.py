"""The contestant list upload: .csv (UTF-8 or GB18030) and .xlsx read by the bank's sheet
reader, header detection, names cleaned, a bad list refused whole with its rows named, and the
HTTP route's token and size checks."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook

from quiz.live.tournament_import import (
    MAX_LIST_BYTES,
    MAX_NAMES,
    ListError,
    read_contestant_list,
)
from tests.server.conftest import TC, TOKEN

ROUTE = "/host/contestants/import"


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def names(data: bytes, filename: str) -> list[tuple[int, str]]:
    return read_contestant_list(data, filename).names


def problems(data: bytes, filename: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ListError) as caught:
        read_contestant_list(data, filename)
    return [(p.row, p.message) for p in caught.value.problems]


def test_a_utf8_csv_with_a_header_and_more_columns() -> None:
    data = "序号,队名,单位\n1,城东街道代表队,城东\n2, 城西 社区队 ,城西\n,,\n3,\ufeff滨江队,滨江\n"
    assert names(("\ufeff" + data).encode(), "名单.csv") == [
        (2, "城东街道代表队"),
        (3, "城西 社区队"),
        (5, "滨江队"),
    ]


def test_a_gb18030_csv_from_excel_without_a_header() -> None:
    listed = read_contestant_list("张三\r\n李四\r\n王五\r\n".encode("gb18030"), "list.csv")
    assert [n for _, n in listed.names] == ["张三", "李四", "王五"]
    assert any("GB18030" in note for note in listed.notes)


def test_an_xlsx_list() -> None:
    data = xlsx([["Team", "Coach"], ["Riverside Volunteers", "Li"], [2024, None], ["红星队"]])
    assert names(data, "teams.XLSX") == [(2, "Riverside Volunteers"), (3, "2024"), (4, "红星队")]


def test_control_characters_are_cleaned() -> None:
    assert names("姓名\n王\u200b小\x07明\n".encode(), "a.csv") == [(2, "王小明")]


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"a\nb\n", "list.txt", [(None, "expected an .xlsx or .csv file")]),
        (b"a\nb\n", "list.xls", [(None, "expected an .xlsx or .csv file")]),
        (b"", "empty.csv", [(None, "the list has no names")]),
        (
            "名称\n张三\n李四\n张三\n".encode(),
            "dup.csv",
            [(4, "张三 is already listed in row 2")],
        ),
        (
            ("名称\n" + "长" * 41 + "\n\u200b\n").encode(),
            "long.csv",
            [(2, "the name must be at most 40 characters"), (3, "the name must not be empty")],
        ),
        (b"PK\x03\x04 not really a workbook", "broken.xlsx", None),
        (b"\xff\xfeA\x00B\x00", "utf16.csv", None),
        (("\n".join(f"队{i}" for i in range(MAX_NAMES + 1))).encode(), "many.csv", None),
        (b"x" * (MAX_LIST_BYTES + 1), "big.csv", None),
    ],
)
def test_a_bad_list_is_refused_whole(
    data: bytes, filename: str, expected: list[tuple[int | None, str]] | None
) -> None:
    found = problems(data, filename)
    assert found
    if expected is not None:
        assert found == expected


# --- the HTTP route ---------------------------------------------------------------------------


def post(app: Flask, data: bytes, filename: str, token: str | None = TOKEN) -> Any:
    headers = {"X-Host-Token": token} if token is not None else {}
    return app.test_client().post(
        ROUTE,
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_the_host_imports_a_list_and_sees_it_on_the_console(
    app: Flask, connect: Callable[..., TC]
) -> None:
    host = connect("host", token=TOKEN)
    assert host.command("add_contestant", name="李四")["ok"]
    response = post(app, "名单\n张三\n李四\n<b>王五</b>\n".encode(), "list.csv")
    assert response.status_code == 200
    body = response.get_json()
    assert [a["name"] for a in body["added"]] == ["张三", "<b>王五</b>"]
    assert [e["name"] for e in body["existing"]] == ["李四"]
    console = host.last("console")
    by_id = {c["id"]: c["name"] for c in console["contestants"]}
    assert [by_id[i] for i in body["contestants"]] == ["张三", "李四", "<b>王五</b>"]
    # Importing the same list again adds nobody.
    again = post(app, "名单\n张三\n李四\n<b>王五</b>\n".encode(), "list.csv").get_json()
    assert again["added"] == [] and again["contestants"] == body["contestants"]


@pytest.mark.parametrize("token", [None, "", "wrong"])
def test_the_route_wants_the_host_token(app: Flask, token: str | None) -> None:
    response = post(app, "张三\n".encode(), "list.csv", token=token)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_the_route_refuses_bad_uploads_and_adds_nothing(
    app: Flask, connect: Callable[..., TC]
) -> None:
    host = connect("host", token=TOKEN)
    bad = post(app, "名称\n张三\n张三\n".encode(), "dup.csv")
    assert bad.status_code == 400
    assert bad.get_json()["problems"] == [{"row": 3, "message": "张三 is already listed in row 2"}]
    missing = app.test_client().post(ROUTE, headers={"X-Host-Token": TOKEN})
    assert missing.status_code == 400
    # Refused before it is read, by the server's body limit in front of every route.
    assert post(app, b"x" * (70 * 1024), "huge.csv").status_code == 413
    just_over = post(app, "名称\n".encode() + b"x" * MAX_LIST_BYTES, "big.csv")
    assert just_over.status_code == 413
    assert just_over.get_json()["error"]["code"] == "too_large"
    assert host.last("console")["contestants"] == []

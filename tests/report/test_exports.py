"""CSV and XLSX: the same tables, counts next to rates, formulas never run, charts drawn."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from quiz.celltext import cell_text as safe_text
from quiz.report import collect, render_html, stats_table, to_csv, to_xlsx
from quiz.report.charts import Series, rate_bars
from quiz.report.data import ReportData
from tests.report.conftest import EVIL_NAME, FORMULA_NAME, Played


@pytest.fixture(scope="module")
def data(played: Played) -> ReportData:
    with played.sessions() as session:
        return collect(session, played.event_one)


def number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_csv_tables(data: ReportData) -> None:
    tables = to_csv(data, "en")
    # The database can store prize draws (none was held): an empty draws table. No
    # tournament was stored, so there is no bracket table.
    assert sorted(tables) == [
        "asked.csv",
        "awareness.csv",
        "categories.csv",
        "contestants.csv",
        "draws.csv",
        "matches.csv",
        "questions.csv",
        "reach.csv",
        "summary.csv",
    ]
    assert rows(tables["draws.csv"])[1:] == []
    categories = {r[0]: r for r in rows(tables["categories.csv"])[1:]}
    # code, label, shown, contestants' answers, correct, rate, then the audience's
    assert categories["reporting"] == [
        *("reporting", "Online reporting", "2"),
        *("3", "2", "0.6667"),
        *("2", "0", "0.0"),
    ]
    assert categories["rumours"][6:] == ["0", "0", ""]  # asked, nobody answered
    assert categories["rumours"][2:6] == ["2", "3", "1", "0.3333"]
    summary = dict(r for r in rows(tables["summary.csv"])[1:])
    assert summary["Matches finished"] == "2" and summary["Contestant answers"] == "13"
    assert summary["Contestants' correct rate"] == "53.8%"
    assert summary["Audience phones"] == "4" and summary["Audience correct rate"] == "55.6%"
    questions = {r[0]: r for r in rows(tables["questions.csv"])[1:]}
    assert len(questions) == 10
    header = rows(tables["questions.csv"])[0]
    assert questions["AF-004"][header.index("Ranked as")] == "Hardest"
    assert questions["LS-001"][header.index("Ranked as")] == "Easiest"
    assert questions["AF-001"][header.index("Pooled correct rate")] == "0.75"
    assert questions["AF-003"][header.index("Void rate")] == "1.0"
    assert questions["AF-003"][header.index("Contestants' correct rate")] == ""  # no answers
    asked = rows(tables["asked.csv"])
    assert len(asked) == 11
    assert asked[2][asked[0].index("Answers given")] == f"李四 wrong; {EVIL_NAME} right (rebound)"
    assert asked[6][asked[0].index("Outcome")] == "no_buzz"


def test_text_that_looks_like_a_formula_stays_text(data: ReportData, tmp_path: Path) -> None:
    assert [safe_text(t) for t in ("=1+2", "+1", "-1", "@x", "x=1", "王五")] == [
        "'=1+2",
        "'+1",
        "'-1",
        "'@x",
        "x=1",
        "王五",
    ]
    contestants = rows(to_csv(data)["contestants.csv"])
    assert [r[1] for r in contestants[1:]] == [EVIL_NAME, "李四", "王五", "'" + FORMULA_NAME]
    path = tmp_path / "report.xlsx"
    to_xlsx(data, path)
    sheet = load_workbook(path)["选手"]
    cell = sheet.cell(row=5, column=2)
    # openpyxl would store "=1+2" as a formula; it must be a plain string cell.
    assert (cell.value, cell.data_type) == (FORMULA_NAME, "s")


def test_xlsx_has_one_sheet_per_csv_table(data: ReportData, tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    to_xlsx(data, path, "zh-CN")
    book = load_workbook(path)
    tables = to_csv(data, "zh-CN")
    assert len(book.sheetnames) == len(tables)
    sheets = ["概况", "比赛结果", "类别答对率", "题目答对率", "选手", "逐题记录", "抽奖"]
    sheets += ["到达率", "知晓率"]
    assert book.sheetnames == sheets
    # The same cells as the CSV, sheet by sheet (the CSV guards text like "=1+2" with an
    # apostrophe; the workbook stores it as a text cell instead).
    for sheet, name in zip(book.worksheets, ["summary", "matches", "categories"], strict=False):
        expected = [[number_or_text(v) for v in r] for r in rows(tables[f"{name}.csv"])]
        got = [
            ["" if v is None else safe_text(v) if isinstance(v, str) else v for v in r]
            for r in sheet.iter_rows(values_only=True)
        ]
        assert got == expected, name


def test_stats_table(played: Played) -> None:
    from quiz.report import question_stats

    with played.sessions() as session:
        table = stats_table(question_stats(session), "en")
    assert table.name == "question_stats"
    header = [c.key for c in table.columns]
    assert "report.col.events" in header and "report.col.ranked" not in header
    codes = [(r[0], r[1]) for r in table.rows]
    assert ("AF-001", 1) in codes and ("AF-001", 2) in codes


def test_bar_chart_is_escaped_inline_svg() -> None:
    svg = rate_bars(
        "标题 <x>",
        [("反诈 & <b>", [0.5, None]), ("辟谣", [1.0, 0.25])],
        [Series("选手", "#000"), Series('观众"', "#fff")],
        "无人作答",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "反诈 &amp; &lt;b&gt;" in svg and "<b>" not in svg and "观众&#34;" in svg
    assert "50.0%" in svg and "100.0%" in svg and "25.0%" in svg and "无人作答" in svg
    assert "href" not in svg
    with pytest.raises(ValueError, match="2 series"):
        rate_bars("t", [("x", [0.5])], [Series("a", "#000"), Series("b", "#111")], "-")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_html_has_every_section(data: ReportData, lang: str) -> None:
    html = render_html(data, lang)
    sections = ("results", "bracket", "categories", "reach", "awareness", "ranked", "contestants")
    for section in (*sections, "draws", "asked"):
        assert f'<section id="{section}"' in html
    assert "53.8%" in html  # 7 of 13 answers
    assert "66.7% (2/3)" in html  # reporting
    assert html.count("<svg") == 2  # rates per category, phones joining over time

"""``quiz report``: the event report with its tables, the statistics across events, and clear
errors that leave existing files alone."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from quiz.commands import cli
from tests.report.conftest import EVIL_NAME, Played


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["report", *args], catch_exceptions=False)


def test_event_report_with_csv_and_xlsx(played: Played, tmp_path: Path) -> None:
    html, tables, book = tmp_path / "out" / "report.html", tmp_path / "tables", tmp_path / "r.xlsx"
    result = run(
        str(played.event_one),
        "-o",
        str(html),
        "--csv",
        str(tables),
        "--xlsx",
        str(book),
        "--database-url",
        played.database_url,
    )
    assert result.exit_code == 0, result.output
    assert "2 match(es), 10 question(s) shown, 13 contestant answer(s)" in result.output
    page = html.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "&lt;script&gt;" in page and "<script" not in page
    assert "<nav" not in page  # download links belong to the server's page only
    assert sorted(p.name for p in tables.iterdir()) == [
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
    raw = (tables / "matches.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())
    with (tables / "matches.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [r[3] for r in csv.reader(fh)][1:] == [EVIL_NAME, "王五"]
    assert load_workbook(book).sheetnames[0] == "概况"
    assert not list(tmp_path.rglob(".*"))  # no temporary files left behind


def test_language_option_and_latest(played: Played, tmp_path: Path) -> None:
    out = tmp_path / "latest.html"
    result = run("latest", "-o", str(out), "--lang", "zh-CN", "--database-url", played.database_url)
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "西城区网络安全周" in page and '<html lang="zh-CN">' in page
    # Without --lang, the event's own language (event 2 is English).
    run("latest", "-o", str(out), "--database-url", played.database_url)
    assert '<html lang="en">' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_question_statistics(played: Played, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"stats{suffix}"
    result = run(
        "--questions", "-o", str(out), "--lang", "en", "--database-url", played.database_url
    )
    assert result.exit_code == 0, result.output
    assert "11 question version(s)" in result.output
    if suffix == ".csv":
        with out.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
        header = table[0]
        by_key = {(r[0], r[1]): r for r in table[1:]}
        v2 = by_key[("AF-001", "2")]
        assert v2[header.index("Times shown")] == "1"
        assert v2[header.index("Contestants' correct rate")] == "0.5"
        assert by_key[("AF-003", "1")][header.index("Void rate")] == "1.0"
    else:
        sheet = load_workbook(out)["Question statistics"]
        assert sheet.max_row == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "r.html"], "name an EVENT"),
        (["1", "-o", "r.txt"], ".html file"),
        (["--questions", "1", "-o", "s.csv"], "--questions takes only"),
        (["--questions", "-o", "s.html"], ".csv or .xlsx"),
        (["1", "-o", "r.html", "--xlsx", "r.csv"], ".xlsx file"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["report", *args])
    assert result.exit_code == 2 and message in result.output


def test_bad_event_or_database_keeps_the_old_report(played: Played, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("the previous report", encoding="utf-8")
    for event in ("999", "abc"):
        result = CliRunner().invoke(
            cli, ["report", event, "-o", str(out), "--database-url", played.database_url]
        )
        assert result.exit_code == 1 and "Error:" in result.output
    missing = tmp_path / "nowhere.sqlite3"
    result = CliRunner().invoke(
        cli, ["report", "1", "-o", str(out), "--database-url", f"sqlite:///{missing}"]
    )
    assert result.exit_code == 1 and "no quiz database" in result.output
    assert not missing.exists()  # not created by asking
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    result = CliRunner().invoke(
        cli, ["report", "1", "-o", str(out), "--database-url", f"sqlite:///{empty}"]
    )
    assert result.exit_code == 1 and "has no quiz tables" in result.output
    assert out.read_text(encoding="utf-8") == "the previous report"

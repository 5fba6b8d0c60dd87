"""``quiz bank calibrate``: difficulty proposals from the report's per-question CSV, written as
a diff that changes only ``difficulty:`` lines and applies cleanly to a copy of the bank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.bank.calibrate import CalibrationError, Observed, level_for, propose, read_stats
from quiz.bank.cli import bank
from quiz.bank.facts import BUNDLED_BANK
from quiz.bank.validate import load_bank
from quiz.report.data import QuestionInfo, QuestionRate, Rate
from quiz.report.tables import stats_table, table_csv


def stats_csv(rows: dict[str, tuple[Rate, Rate | None]], lang: str) -> str:
    """The table `quiz report --questions` writes, for (contestants, audience) per code."""
    rates = [
        QuestionRate(
            question=QuestionInfo(str(n), code, 1, "anti-fraud", "single", "题干", "Prompt"),
            shown=1,
            voided=0,
            contestants=contestants,
            audience=audience,
        )
        for n, (code, (contestants, audience)) in enumerate(rows.items(), start=1)
    ]
    return table_csv(stats_table(rates, lang), lang)


def test_levels_and_the_minimum_sample() -> None:
    assert [level_for(r) for r in (1.0, 0.85, 0.849, 0.5, 0.499, 0.0)] == [1, 1, 2, 2, 3, 3]
    seen = [Observed("AF-001", 40, 10), Observed("AF-002", 29, 0), Observed("AF-003", 30, 27)]
    changes = propose(seen, {"AF-001": 1, "AF-002": 1, "AF-003": 1})
    # AF-002 has too few answers; AF-003 (90 %) is already right.
    assert [(c.code, c.current, c.proposed) for c in changes] == [("AF-001", 1, 3)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_reads_the_report_table_in_either_language(lang: str) -> None:
    text = stats_csv(
        {
            "AF-001": (Rate(3, 10), Rate(20, 25)),
            "AF-002": (Rate(1, 2), None),
        },
        lang,
    )
    # Versions of one code are added up.
    text += text.splitlines()[1].replace(",1,", ",2,", 1) + "\r\n"
    found = {o.code: (o.correct, o.answers) for o in read_stats("\ufeff" + text)}
    assert found == {"AF-001": (46, 70), "AF-002": (1, 2)}


def test_a_file_that_is_not_the_table_is_refused() -> None:
    with pytest.raises(CalibrationError, match="no column for"):
        read_stats("id,rate\nAF-001,0.5\n")
    bad = stats_csv({"AF-001": (Rate(3, 10), None)}, "en").replace(",10,3,", ",10,x,")
    with pytest.raises(CalibrationError, match="row 2: expected a count"):
        read_stats(bad)


def test_the_diff_changes_only_difficulty_lines_and_applies(tmp_path: Path) -> None:
    copy = tmp_path / "repo" / "question_bank"
    shutil.copytree(BUNDLED_BANK, copy)
    before = {q.id: q for q in load_bank([copy]).questions}
    # A level-3 question found easy, a level-1 question found hard, a level-2 question with too
    # few answers and one whose rate says 2.
    easy = next(q.id for q in before.values() if q.difficulty == 3)
    hard = next(q.id for q in before.values() if q.difficulty == 1)
    same, small = [q.id for q in before.values() if q.difficulty == 2][:2]
    stats = stats_csv(
        {
            easy: (Rate(9, 10), Rate(28, 30)),  # 37/40 = 92 % -> 1
            hard: (Rate(2, 10), Rate(8, 25)),  # 10/35 = 29 % -> 3
            small: (Rate(0, 10), Rate(0, 19)),  # 29 answers: left alone
            same: (Rate(20, 30), None),  # 67 % -> 2, as it is
            "XX-999": (Rate(0, 50), None),  # not in the bank
        },
        "zh-CN",
    )
    report = tmp_path / "stats.csv"
    report.write_text(stats, encoding="utf-8-sig")
    outcome = CliRunner().invoke(
        bank,
        ["calibrate", str(report), "--bank", str(copy), "--root", str(copy.parent)],
    )
    assert outcome.exit_code == 0, outcome.output
    diff = outcome.stdout
    changed = [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert sorted(changed) == [
        "+  difficulty: 1",
        "+  difficulty: 3",
        "-  difficulty: 1",
        "-  difficulty: 3",
    ]
    assert f"{easy}: 37/40 correct (92%): difficulty 3 -> 1" in outcome.stderr
    assert "not in the bank (left out): XX-999" in outcome.stderr
    patch_file = tmp_path / "calibrate.diff"
    patch_file.write_text(diff, encoding="utf-8")
    # git apply checks the diff strictly; patch -p1 then applies it.
    subprocess.run(["git", "apply", "--check", str(patch_file)], cwd=copy.parent, check=True)
    subprocess.run(["patch", "-p1", "-i", str(patch_file)], cwd=copy.parent, check=True)
    after = {q.id: q for q in load_bank([copy]).questions}
    assert after[easy].difficulty == 1 and after[hard].difficulty == 3
    assert after[small].difficulty == 2 and after[same].difficulty == 2
    for code, question in before.items():
        if code not in (easy, hard):
            assert after[code] == question
    # Applied once, the same statistics propose nothing more.
    again = CliRunner().invoke(
        bank, ["calibrate", str(report), "--bank", str(copy), "--root", str(copy.parent)]
    )
    assert again.stdout == "" and "0 changes proposed" in again.stderr

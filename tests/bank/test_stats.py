"""``quiz bank stats``: counts by category, type and difficulty, and the facts cited."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from quiz.bank.cli import bank
from tests.bank.helpers import question, write_bank


def test_stats_counts_a_small_bank(tmp_path: Path) -> None:
    folder = write_bank(
        tmp_path,
        [
            question(1, kind="single", fact="F001"),  # difficulty 2
            question(2, kind="multiple", fact="F002"),  # difficulty 3
            question(3, kind="truefalse", fact="F002"),  # difficulty 1
            question(4, category="reporting", kind="open", fact="F003"),  # difficulty 2
        ],
    )
    outcome = CliRunner().invoke(bank, ["stats", str(folder)])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output == (
        "4 questions in 2 files; 3 facts cited (of 5 verified)\n"
        "\n"
        "by category:\n"
        "  reporting (网络举报)                            1\n"
        "  anti-fraud (反诈)                               3\n"
        "  rumours (辟谣)                                  0\n"
        "  personal-information (个人信息保护)             0\n"
        "  laws-and-safety (法律法规与网络安全常识)        0\n"
        "\n"
        "by type:\n"
        "  single                                          1\n"
        "  multiple                                        1\n"
        "  truefalse                                       1\n"
        "  open                                            1\n"
        "\n"
        "by difficulty:\n"
        "  1                                               1\n"
        "  2                                               2\n"
        "  3                                               1\n"
    )


def test_stats_of_a_bank_with_errors_counts_valid_questions_and_fails(tmp_path: Path) -> None:
    folder = write_bank(tmp_path, [question(1), question(2, fact="F999")])
    outcome = CliRunner().invoke(bank, ["stats", str(folder)])
    assert outcome.exit_code == 1
    assert outcome.stdout.startswith("1 question in 1 file; 1 fact cited (of 5 verified)\n")
    assert outcome.stderr == (
        "\n1 error in the bank: only valid questions are counted; run `quiz bank check`\n"
    )


def test_check_refuses_a_path_that_does_not_exist(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(bank, ["check", str(tmp_path / "nowhere")])
    assert outcome.exit_code == 2
    assert "does not exist" in outcome.output


def test_check_of_a_folder_without_bank_files(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(bank, ["check", str(tmp_path)])
    assert outcome.exit_code == 1
    assert outcome.output.splitlines()[0] == f"{tmp_path}: no .yaml bank files in this folder"

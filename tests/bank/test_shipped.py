"""The shipped bank (``question_bank/``) has no errors and no warnings (notes are allowed:
they never fail a check)."""

from __future__ import annotations

from click.testing import CliRunner

from quiz.bank.cli import bank
from quiz.bank.schema import CATEGORIES
from quiz.bank.validate import load_bank


def test_shipped_bank_is_clean() -> None:
    result = load_bank()
    assert [str(problem) for problem in result.problems if problem.fails_strict] == []
    assert {question.category for question in result.questions} == set(CATEGORIES)
    outcome = CliRunner().invoke(bank, ["check", "--strict"])
    assert outcome.exit_code == 0, outcome.output

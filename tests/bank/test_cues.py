"""The cues that give answers away, re-measured on the shipped bank with ``quiz.bank.cues``
(the issue's targets), and the measures themselves on small made-up banks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.bank.cli import bank
from quiz.bank.cues import (
    CueReport,
    absolute_word_counts,
    display_width,
    key_is_uniquely_longest,
    letter_balance,
    measure,
    near_duplicates,
    similarity,
)
from quiz.bank.schema import AnyQuestion
from quiz.bank.validate import load_bank
from tests.bank.helpers import question, write_bank

#: The issue's targets.
BALANCE = 0.10  # key letters within ±10 % of uniform after shuffling, over 1,000 events
LONGEST = 0.30  # single choice: the key is the uniquely longest option at most 30 % of the time
ASYMMETRY = 2.0  # absolute words in false vs true statements at most 2:1 (either way)
HARD = 60  # level-3 questions for finals


@cache
def shipped() -> CueReport:
    return measure(load_bank().questions, draws=1000)


def test_multiple_choice_keys_are_balanced_after_shuffling() -> None:
    balance = shipped().multiple_shuffled
    assert balance.worst <= BALANCE, {k: balance.deviation(k) for k in balance.letters}


def test_single_choice_keys_are_balanced_after_shuffling() -> None:
    balance = shipped().single_shuffled
    assert balance.worst <= BALANCE, {k: balance.deviation(k) for k in balance.letters}


def test_the_key_is_seldom_the_longest_option() -> None:
    report = shipped()
    assert report.longest_zh / report.single_total <= LONGEST, (
        f"{report.longest_zh} of {report.single_total}"
    )


def test_absolute_words_do_not_mark_false_statements() -> None:
    absolute = shipped().absolute
    assert absolute.ratio <= ASYMMETRY, absolute


def test_enough_hard_questions_for_a_final() -> None:
    assert shipped().difficulty[3] >= HARD, shipped().difficulty


# --- the measures --------------------------------------------------------------------------------


def made_up(tmp_path: Path, *items: dict[str, object]) -> list[AnyQuestion]:
    return list(load_bank([write_bank(tmp_path, list(items))]).questions)


def test_letter_balance_against_a_uniform_key() -> None:
    # Two 4-option singles keyed A and one 2-option single keyed B: A expects 0.5 + 0.5 + 0.5.
    balance = letter_balance([(("A",), 4), (("A",), 4), (("B",), 2)])
    assert balance.expected == {"A": 1.0, "B": 1.0, "C": 0.5, "D": 0.5}
    assert balance.deviation("A") == 1.0 and balance.deviation("C") == -1.0
    assert balance.worst == 1.0


def test_written_keys_are_unbalanced_and_shuffling_evens_them(tmp_path: Path) -> None:
    # Every multiple-choice key is [A, B] of three options: C is never in the key as written.
    questions = made_up(tmp_path, *(question(n, kind="multiple") for n in range(1, 9)))
    report = measure(questions, draws=400)
    assert report.multiple_written.deviation("C") == -1.0
    assert report.multiple_shuffled.worst <= BALANCE
    assert report.patterns == {"AB": 8} and report.lone_wrong == {"C": 8}


def test_pinned_questions_keep_their_letters(tmp_path: Path) -> None:
    questions = made_up(
        tmp_path, *(question(n, kind="multiple", shuffle=False) for n in range(1, 5))
    )
    assert measure(questions, draws=50).multiple_shuffled.deviation("C") == -1.0


def test_the_longest_option_by_display_width(tmp_path: Path) -> None:
    assert display_width("电信网络诈骗") == 12 and display_width("12377") == 5
    (single,) = made_up(tmp_path, question(1))  # key B: 电信网络诈骗, as long as 正常办案流程
    assert not key_is_uniquely_longest(single, "zh")
    (longer,) = made_up(
        tmp_path / "b",
        question(
            1,
            options=[
                {"zh": "正常办案", "en": "A normal procedure"},
                {"zh": "电信网络诈骗", "en": "Fraud"},
            ],
        ),
    )
    assert key_is_uniquely_longest(longer, "zh") and not key_is_uniquely_longest(longer, "en")


def test_absolute_words_in_false_and_true_statements(tmp_path: Path) -> None:
    statements = [
        ("只要对方说是警察，就一定要照做。", "B"),
        ("陌生链接可以随意点击。", "B"),
        ("接到可疑电话可以拨打96110咨询。", "A"),
    ]
    questions = made_up(
        tmp_path,
        *(
            question(n, kind="truefalse", answer=key, prompt={"zh": zh, "en": f"Statement {n}"})
            for n, (zh, key) in enumerate(statements, start=1)
        ),
    )
    counts = absolute_word_counts(questions)
    assert (counts.false_with, counts.false_total, counts.true_with, counts.true_total) == (
        2,
        2,
        0,
        1,
    )
    assert counts.words == {"只要": 1, "一定": 1, "随意": 1}
    # (2 + 1) / (2 + 2) against (0 + 1) / (1 + 2): 0.75 / 0.333.
    assert counts.ratio == pytest.approx(2.25)


def test_near_duplicates_by_bigrams(tmp_path: Path) -> None:
    assert similarity("拨打12377举报", "拨打12377举报") == 1.0
    assert similarity("拨打12377举报", "天气预报") == 0.0
    questions = made_up(
        tmp_path,
        question(1, prompt={"zh": "遭遇电信诈骗后应拨打哪个电话报警？", "en": "One"}),
        question(2, prompt={"zh": "遭遇电信诈骗后应该拨打哪个电话报警？", "en": "Two"}),
        question(3, prompt={"zh": "个人信息泄露了怎么办？", "en": "Three"}, fact="F002"),
    )
    pairs = near_duplicates(questions, 0.4)
    assert [(p.first.id, p.second.id, p.kept_apart) for p in pairs] == [("AF-001", "AF-002", True)]


def test_the_cues_command_prints_every_measure() -> None:
    outcome = CliRunner().invoke(bank, ["cues", "--draws", "50"])
    assert outcome.exit_code == 0, outcome.output
    for heading in (
        "key letters (observed/uniform, deviation):",
        "  multiple, shuffled (per event, 50 events):",
        "single choice, key is the uniquely longest option:",
        "truefalse statements with absolute words",
        "difficulty: 1:",
        "near-duplicate prompts (bigram Jaccard >= 0.3; same group left out):",
    ):
        assert any(line.startswith(heading) for line in outcome.output.splitlines()), heading

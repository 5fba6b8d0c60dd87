"""Every check of the validator, one deliberately broken bank each (``broken/<case>/``).

Each case folder holds a file named after its category with one problem (or, for
``several-problems``, many), and the table gives the exact problems expected: file, line,
column, severity and message. A case whose folder holds sub-folders is checked with those
sub-folders as the paths (duplicate ids across files).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from quiz.bank.cli import bank
from quiz.bank.problems import TextSpot
from quiz.bank.validate import Freshness, load_bank, statistic_in
from tests.bank.helpers import BROKEN, FACTS

KEYS = (
    "id, category, type, difficulty, prompt, options, shuffle, answer, explanation, fact, "
    "as_of, group, messages, tags, time_limit"
)
AF = "anti-fraud.yaml"
CATEGORY_FILES = (
    "reporting.yaml, anti-fraud.yaml, rumours.yaml, personal-information.yaml, laws-and-safety.yaml"
)

# case -> [(file, line, column, severity, message)]; "{case}" is the case folder's path.
CASES: dict[str, list[tuple[str, int, int, str, str]]] = {
    "unknown-key": [(AF, 16, 3, "error", f"unknown key 'colour' (expected: {KEYS})")],
    "misspelt-key": [
        (AF, 1, 3, "error", "missing key 'answer'"),
        (AF, 11, 3, "error", "unknown key 'anwser' (did you mean 'answer'?)"),
    ],
    "missing-key": [(AF, 1, 3, "error", "missing key 'explanation'")],
    "wrong-type-number-as-text": [
        (AF, 4, 15, "error", "difficulty must be a whole number, got text '1'")
    ],
    "wrong-type-unquoted-number": [
        (AF, 10, 24, "error", "expected text, got a number (2024) (put it in quotes)")
    ],
    "wrong-type-list-for-text": [
        (AF, 5, 11, "error", "prompt must be a mapping {zh: ..., en: ...}, got a list")
    ],
    "duplicate-id-in-file": [
        (AF, 17, 7, "error", "duplicate id AF-001 (also at {case}/anti-fraud.yaml:1:7)")
    ],
    "duplicate-id-across-files": [
        (
            "two/" + AF,
            1,
            7,
            "error",
            "duplicate id AF-001 (also at {case}/one/anti-fraud.yaml:1:7)",
        )
    ],
    "answer-out-of-range": [
        (AF, 11, 11, "error", "answer C is out of range: there are only 2 options (A to B)")
    ],
    "answer-missing": [(AF, 1, 3, "error", "missing key 'answer'")],
    "answer-not-a-letter": [
        (AF, 11, 11, "error", "'电信网络诈骗' is not an option letter (A to F)")
    ],
    "multiple-one-letter": [
        (AF, 12, 11, "error", "a multiple answer needs two or more letters, e.g. [A, C]")
    ],
    "multiple-repeated-letter": [(AF, 12, 18, "error", "answer lists B twice")],
    "multiple-too-few-options": [
        (AF, 9, 5, "error", "multiple questions need 3 to 6 options, got 2")
    ],
    "open-with-options": [(AF, 8, 3, "error", "key 'options' is not used by open questions")],
    "open-no-accepted-answer": [
        (AF, 8, 11, "error", "an open question needs at least one accepted answer")
    ],
    "duplicate-options": [(AF, 11, 12, "error", "option C repeats option B (same zh text)")],
    "truefalse-three-options": [
        (
            AF,
            9,
            5,
            "error",
            "a truefalse question needs exactly two options, 正确 (True) then 错误 (False); got 3",
        )
    ],
    "truefalse-wrong-order": [
        (AF, 9, 7, "error", 'truefalse option A must be zh: 正确, en: "True"')
    ],
    "empty-text": [(AF, 13, 9, "error", "text is empty or only whitespace")],
    "missing-zh": [(AF, 9, 7, "error", "missing key 'zh' in option A")],
    "missing-en": [
        (AF, 13, 5, "error", "missing key 'en' in explanation (English text is required)")
    ],
    "unknown-fact": [(AF, 15, 9, "error", "unknown fact F999: it is not in FACTS.md")],
    "unverified-fact": [
        (
            AF,
            15,
            9,
            "error",
            "fact F006 is unverified in FACTS.md; only verified facts can back a question",
        )
    ],
    "withdrawn-fact": [
        (
            AF,
            15,
            9,
            "error",
            "fact F007 is withdrawn in FACTS.md; only verified facts can back a question",
        )
    ],
    "bad-fact-id": [(AF, 15, 9, "error", "fact 'F12' must be a fact ID like F012")],
    "unknown-category": [
        (
            AF,
            2,
            13,
            "error",
            "unknown category 'fraud' (one of: reporting, anti-fraud, rumours, "
            "personal-information, laws-and-safety)",
        )
    ],
    "category-not-file-name": [
        (
            AF,
            2,
            13,
            "error",
            "category 'reporting' does not match the file anti-fraud.yaml (expected 'anti-fraud')",
        )
    ],
    "id-prefix-mismatch": [
        (AF, 1, 7, "error", "id 'RP-001' does not match category anti-fraud (expected AF-...)")
    ],
    "id-format": [
        (AF, 1, 7, "error", "id 'AF-1' must be a category prefix and 3 digits, e.g. AF-001")
    ],
    "file-name-not-category": [
        (
            "fraud.yaml",
            1,
            1,
            "error",
            f"a bank file must be named after its category: {CATEGORY_FILES}",
        )
    ],
    "unknown-type": [
        (AF, 3, 9, "error", "unknown type 'choice' (one of: single, multiple, truefalse, open)")
    ],
    "missing-type": [(AF, 1, 3, "error", "missing key 'type'")],
    "difficulty-out-of-range": [(AF, 4, 15, "error", "difficulty must be between 1 and 3, got 4")],
    "time-limit-out-of-range": [
        (AF, 16, 15, "error", "time_limit must be between 5 and 120, got 3")
    ],
    "bad-tag": [(AF, 16, 10, "error", "tag 'Fraud' must be a lowercase word (a-z, 0-9, '-')")],
    "non-utf8": [(AF, 15, 5, "error", "file is not UTF-8 (byte 0xb1); save it as UTF-8")],
    "empty-file": [(AF, 1, 1, "error", "file is empty; expected a list of questions")],
    "empty-list": [(AF, 1, 1, "error", "the list of questions is empty")],
    "not-a-list": [
        (
            AF,
            1,
            1,
            "error",
            "expected a list of questions (each starting with '- '), got a mapping",
        )
    ],
    "item-not-a-mapping": [
        (
            AF,
            16,
            3,
            "error",
            "expected a question (a mapping with id, category, type, ...), got text '这不是一道题'",
        )
    ],
    "yaml-syntax-error": [
        (
            AF,
            12,
            14,
            "error",
            "YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 11)",
        )
    ],
    "yaml-tag": [
        (AF, 15, 9, "error", "YAML tags are not allowed: !!python/object/apply:os.system")
    ],
    "yaml-explicit-tag": [(AF, 4, 15, "error", "YAML tags are not allowed: !!int")],
    "yaml-anchor-alias": [
        (AF, 5, 11, "error", "anchors (&p) are not allowed"),
        (AF, 28, 16, "error", "aliases (*p) are not allowed"),
    ],
    "control-character": [
        (
            AF,
            10,
            18,
            "error",
            "YAML syntax error: character #x0007 is not allowed "
            "(control characters cannot appear in the bank)",
        )
    ],
    "nesting-too-deep": [(AF, 2, 23, "error", "YAML syntax error: nesting deeper than 16 levels")],
    "duplicate-key": [(AF, 12, 3, "error", "duplicate key 'answer' (first at line 11)")],
    "non-string-key": [(AF, 12, 3, "error", "key '1' must be a word such as 'answer'")],
    "near-duplicate-prompt": [
        (
            AF,
            22,
            9,
            "warning",
            "prompt nearly repeats AF-001 at {case}/anti-fraud.yaml:6:9 (similarity 0.82); "
            "give both the same group: (or rewrite one) so no event shows both",
        )
    ],
    "stale-as-of": [
        (
            AF,
            16,
            10,
            "warning",
            "figures as of 2001-05 are more than 2 years old on {today}: check them against "
            "the newest release and update as_of (or retire the question)",
        )
    ],
    "statistic-without-as-of": [
        (
            AF,
            13,
            9,
            "warning",
            "the explanation quotes a statistic (30%) but the question has no as_of: add the "
            "year (or year-month) of the figures, e.g. as_of: 2024",
        )
    ],
    "bad-as-of": [
        (
            AF,
            16,
            10,
            "error",
            "as_of must be a year or a year and month (2024 or 2024-05), got a date (2024-05-01)",
        )
    ],
    "near-duplicate-same-fact": [
        (
            AF,
            22,
            9,
            "note",
            "prompt nearly repeats AF-001 at {case}/anti-fraud.yaml:6:9 (similarity 0.82); "
            "they share fact F001, so no event shows both",
        )
    ],
    "near-duplicate-same-group": [
        (
            AF,
            23,
            9,
            "note",
            "prompt nearly repeats AF-001 at {case}/anti-fraud.yaml:6:9 (similarity 0.82); "
            "they share group safe-account, so no event shows both",
        )
    ],
    "identical-english-prompt": [
        (
            AF,
            23,
            9,
            "warning",
            "English prompt is the same as AF-001's at {case}/anti-fraud.yaml:7:9",
        )
    ],
    "prompt-too-long": [
        (
            AF,
            6,
            9,
            "warning",
            "prompt is 83 characters; keep it to 80 so it can be read aloud in about 10 seconds",
        )
    ],
    "all-of-the-above": [(AF, 11, 12, "warning", "avoid 'all of the above' options (以上都…)")],
    "cybersecurity-law-article": [
        (
            AF,
            13,
            9,
            "warning",
            "do not cite article numbers of the amended Cybersecurity Law (FACTS.md rule 5); "
            "test the content",
        )
    ],
    "several-problems": [
        (AF, 4, 15, "error", "difficulty must be between 1 and 3, got 5"),
        (AF, 6, 5, "error", "missing key 'en' in prompt (English text is required)"),
        (AF, 10, 11, "error", "answer D is out of range: there are only 2 options (A to B)"),
        (AF, 12, 9, "error", "text is empty or only whitespace"),
        (
            AF,
            14,
            9,
            "error",
            "fact F006 is unverified in FACTS.md; only verified facts can back a question",
        ),
        (AF, 15, 3, "error", f"unknown key 'colour' (expected: {KEYS})"),
        (AF, 32, 29, "error", "tag 'verification-code' is listed twice"),
    ],
}


def _paths(case: Path) -> list[Path]:
    return sorted(child for child in case.iterdir() if child.is_dir()) or [case]


def test_every_case_folder_has_expectations() -> None:
    folders = {child.name for child in BROKEN.iterdir() if child.is_dir()}
    assert folders == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_case_reports_exactly_its_problems(name: str) -> None:
    case = BROKEN / name
    result = load_bank(_paths(case), facts=FACTS)
    found = []
    for problem in result.problems:
        assert isinstance(problem.spot, TextSpot), problem
        file = Path(problem.spot.path).relative_to(case).as_posix()
        found.append(
            (file, problem.spot.line, problem.spot.column, problem.severity, problem.message)
        )
    expected = [
        (
            file,
            line,
            column,
            severity,
            message.replace("{case}", str(case)).replace("{today}", date.today().isoformat()),
        )
        for file, line, column, severity, message in CASES[name]
    ]
    assert found == expected
    # A question with an error never reaches the loaded bank.
    if any(severity == "error" for *_, severity, _ in expected):
        assert not result.ok()
    elif any(severity == "warning" for *_, severity, _ in expected):
        assert result.ok() and not result.ok(strict=True)
    else:  # notes never fail
        assert result.ok(strict=True)


def test_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    # Generated here rather than kept in broken/: a 1 MiB file does not belong in the repository.
    base = (BROKEN / "missing-key" / "anti-fraud.yaml").read_bytes()
    limit = 1024 * 1024
    path = tmp_path / "anti-fraud.yaml"
    path.write_bytes(b"# " + b"x" * (limit + 1 - len(base) - 3) + b"\n" + base)
    assert path.stat().st_size == limit + 1
    result = load_bank([path], facts=FACTS)
    assert [str(problem) for problem in result.problems] == [
        f"{path}:1:1: file is {limit + 1} bytes; the limit is 1 MiB ({limit})"
    ]
    # One byte less is within the limit and is read (and found to miss its explanation).
    path.write_bytes(b"# " + b"x" * (limit - len(base) - 3) + b"\n" + base)
    assert path.stat().st_size == limit
    assert [problem.message for problem in load_bank([path], facts=FACTS).problems] == [
        "missing key 'explanation'"
    ]


def test_check_command_prints_file_line_column_and_fails() -> None:
    case = BROKEN / "several-problems"
    result = CliRunner().invoke(bank, ["check", "--facts", str(FACTS), str(case)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{case}/anti-fraud.yaml:4:15: difficulty must be between 1 and 3, got 5"
    assert len(lines) == len(CASES["several-problems"]) + 1
    assert lines[-1] == "1 file, 0 questions: 7 errors, 0 warnings"


def test_warnings_fail_only_with_strict() -> None:
    case = str(BROKEN / "near-duplicate-prompt")
    runner = CliRunner()
    relaxed = runner.invoke(bank, ["check", "--facts", str(FACTS), case])
    assert relaxed.exit_code == 0
    assert ": warning: prompt nearly repeats AF-001" in relaxed.output
    strict = runner.invoke(bank, ["check", "--strict", "--facts", str(FACTS), case])
    assert strict.exit_code == 1
    assert strict.output.splitlines()[-1] == "warnings fail the check with --strict"


def test_figures_are_judged_on_the_given_date_and_age() -> None:
    case = str(BROKEN / "stale-as-of")  # as_of: 2001-05
    runner = CliRunner()

    def check(*options: str) -> list[str]:
        outcome = runner.invoke(bank, ["check", "--strict", "--facts", str(FACTS), *options, case])
        return outcome.output.splitlines()

    # May 2001 + 2 years is May 2003: fresh until then, stale a month later.
    assert check("--date", "2003-05-31")[-1] == "1 file, 1 question: 0 errors, 0 warnings"
    stale = check("--date", "2003-06-01")
    assert "figures as of 2001-05 are more than 2 years old on 2003-06-01" in stale[0]
    assert check("--date", "2010-01-01", "--max-age-years", "9")[-1].endswith("0 warnings")
    assert "does not match the format" in " ".join(check("--date", "June 2003"))


def test_statistics_and_legal_amounts() -> None:
    assert statistic_in("截至2025年5月底，劝阻成功率60%。") == "60%"
    assert statistic_in("我国网民规模达11.25亿人") == "11.25亿"
    assert statistic_in("百分之八十的受害人") == "百分之八十"
    # Legal thresholds and penalties state the law; they do not age.
    assert statistic_in("违法所得不足5万元的，处50万元以下罚款。") is None
    assert statistic_in("3万元以上为“数额巨大”。") is None
    assert statistic_in("2016年11月7日通过，2017年6月1日起施行。") is None
    assert Freshness(date(2026, 12, 7)).months_old("2024") == 24
    assert Freshness(date(2026, 12, 7)).stale("2024-06") and not Freshness(date(2026, 12, 7)).stale(
        "2024"
    )


def test_notes_do_not_fail_strict() -> None:
    case = BROKEN / "near-duplicate-same-fact"
    outcome = CliRunner().invoke(bank, ["check", "--strict", "--facts", str(FACTS), str(case)])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    assert ": note: prompt nearly repeats AF-001" in lines[0]
    assert lines[-1] == "1 file, 2 questions: 0 errors, 0 warnings, 1 note"


def test_missing_english_is_accepted_only_when_allowed() -> None:
    case = BROKEN / "missing-en"
    result = load_bank([case], facts=FACTS, require_en=False)
    assert result.problems == ()
    assert [question.id for question in result.questions] == ["AF-001"]

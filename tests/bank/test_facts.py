"""The FACTS.md reader: fact IDs and their status, and the problems of a malformed sheet."""

from __future__ import annotations

from pathlib import Path

from quiz.bank.facts import BUNDLED_BANK, find_fact_sheet, parse_facts, parse_facts_text
from tests.bank.helpers import FACTS


def test_reads_ids_and_statuses() -> None:
    sheet = parse_facts(FACTS)
    assert sheet.problems == ()
    statuses = {fact_id: fact.status for fact_id, fact in sheet.facts.items()}
    assert statuses == {
        "F001": "verified",
        "F002": "verified",
        "F003": "verified",
        "F004": "verified",
        "F005": "verified",
        "F006": "unverified",
        "F007": "withdrawn",
    }
    # IDs named only in the table of section 3 are not facts.
    assert "F999" not in sheet.facts
    assert sheet.facts["F001"].line == 7
    assert sheet.verified_count == 5


def test_malformed_sheet_is_reported_with_lines() -> None:
    text = "\n".join(
        [
            "**F001**",  # 1
            "- Status: verified (primary)",  # 2
            "**F002**",  # 3: no status before the next heading
            "- zh: 没有状态",  # 4
            "**F001**",  # 5: duplicate
            "- Status: verified",  # 6
            "**F003**",  # 7
            "- Status: probably fine",  # 8
            "## Next section",  # 9
            "**F004**",  # 10: no status before the end
        ]
    )
    sheet = parse_facts_text(text, Path("FACTS.md"))
    assert [str(problem) for problem in sheet.problems] == [
        "FACTS.md:3:1: fact F002 has no '- Status:' line",
        "FACTS.md:5:1: duplicate fact F001 (first at line 1)",
        "FACTS.md:8:3: fact F003: status must start with verified, unverified or withdrawn",
        "FACTS.md:10:1: fact F004 has no '- Status:' line",
    ]
    assert set(sheet.facts) == {"F001"}


def test_sheet_next_to_the_bank_wins_over_the_bundled_one(tmp_path: Path) -> None:
    bank_file = tmp_path / "anti-fraud.yaml"
    assert find_fact_sheet(bank_file) == BUNDLED_BANK / "FACTS.md"
    (tmp_path / "FACTS.md").write_text("**F001**\n- Status: verified\n", encoding="utf-8")
    assert find_fact_sheet(bank_file) == tmp_path / "FACTS.md"


def test_non_utf8_sheet_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "FACTS.md"
    path.write_bytes("**F001**\n- Status: 已核实\n".encode("gbk"))
    sheet = parse_facts(path, display="FACTS.md")
    assert [str(problem) for problem in sheet.problems] == [
        "FACTS.md:2:11: file is not UTF-8 (byte 0xd2); save it as UTF-8"
    ]
    assert sheet.facts == {}

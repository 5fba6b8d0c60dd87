"""The fact sheet (``FACTS.md``): which fact IDs exist and whether each is verified.

Only the two things a question depends on are read: a ``**F001**`` heading line starts a fact,
and its ``- Status: ...`` line says ``verified``, ``unverified`` or ``withdrawn``. Everything
else in the sheet (sources, notes, the table of contested items) is for the writers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from quiz.bank.problems import Problem, TextSpot, not_utf8
from quiz.resources import bank_dir

FactStatus = Literal["verified", "unverified", "withdrawn"]

FACTS_FILE = "FACTS.md"
#: The bank shipped with the project; its FACTS.md is the fallback for banks kept elsewhere.
BUNDLED_BANK = bank_dir()

FACT_ID_RE = re.compile(r"^F\d{3}$")
_HEADING_RE = re.compile(r"^\*\*(F\d{3})\*\*\s*$")
_SECTION_RE = re.compile(r"^#{1,6}\s")
_STATUS_RE = re.compile(r"^- Status:\s*(.*)$")
# "verified (primary)", "**unverified** — ...": the first word decides.
_STATUS_WORD_RE = re.compile(r"^\**\s*(verified|unverified|withdrawn)\b", re.IGNORECASE)
_STATUSES: dict[str, FactStatus] = {
    "verified": "verified",
    "unverified": "unverified",
    "withdrawn": "withdrawn",
}


@dataclass(frozen=True)
class Fact:
    id: str
    status: FactStatus
    line: int

    @property
    def verified(self) -> bool:
        return self.status == "verified"


@dataclass(frozen=True)
class FactSheet:
    path: Path
    facts: Mapping[str, Fact] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()

    @property
    def verified_count(self) -> int:
        return sum(1 for fact in self.facts.values() if fact.verified)


def parse_facts_text(text: str, path: Path, display: str | None = None) -> FactSheet:
    """Parse the sheet's text; ``display`` is the file name used in problem reports."""
    name = display if display is not None else str(path)
    facts: dict[str, Fact] = {}
    problems: list[Problem] = []
    current: str | None = None  # the fact whose Status line is still expected
    current_line = 0

    def close() -> None:
        if current is not None:
            problems.append(
                Problem(TextSpot(name, current_line, 1), f"fact {current} has no '- Status:' line")
            )

    for number, line in enumerate(text.splitlines(), start=1):
        heading = _HEADING_RE.match(line)
        if heading:
            close()
            fact_id = heading.group(1)
            if fact_id in facts:
                problems.append(
                    Problem(
                        TextSpot(name, number, 1),
                        f"duplicate fact {fact_id} (first at line {facts[fact_id].line})",
                    )
                )
                current = None
            else:
                current, current_line = fact_id, number
            continue
        if _SECTION_RE.match(line):
            close()
            current = None
            continue
        status = _STATUS_RE.match(line)
        if status is None or current is None:
            continue
        word = _STATUS_WORD_RE.match(status.group(1))
        if word is None:
            problems.append(
                Problem(
                    TextSpot(name, number, 3),
                    f"fact {current}: status must start with verified, unverified or withdrawn",
                )
            )
        else:
            facts[current] = Fact(current, _STATUSES[word.group(1).lower()], current_line)
        current = None
    close()
    return FactSheet(path, facts, tuple(problems))


def parse_facts(path: Path, display: str | None = None) -> FactSheet:
    name = display if display is not None else str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problem = Problem(TextSpot(name, 1, 1), f"cannot read the file: {exc.strerror or exc}")
        return FactSheet(path, problems=(problem,))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return FactSheet(path, problems=(not_utf8(name, raw, exc),))
    return parse_facts_text(text, path, name)


def find_fact_sheet(bank_file: Path) -> Path | None:
    """The FACTS.md next to a bank file, else the bundled one; None when neither exists."""
    for candidate in (bank_file.parent / FACTS_FILE, BUNDLED_BANK / FACTS_FILE):
        if candidate.is_file():
            return candidate
    return None

"""Difficulty from real answer rates: ``quiz bank calibrate STATS.csv``.

The input is the per-question table ``quiz report --questions -o stats.csv`` writes (headers in
Chinese or English, as the report's ``--lang`` chose). Every row is one question version; the
rows of one question code are added up (contestants' and audience answers together), and a
question with at least :data:`MIN_ANSWERS` answers gets the level its correct rate says:

- ≥ 85 % correct: 1 (easy);
- 50 % to 85 %: 2;
- below 50 %: 3 (hard, for a final).

The proposal is a unified diff of the bank's YAML files that changes only ``difficulty:``
lines, with paths relative to a root (the repository), so the editor reviews it and applies it
with ``git apply`` or ``patch -p1``.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

MIN_ANSWERS: Final = 30
#: (lowest correct rate, level), highest rate first.
LEVELS: Final = ((0.85, 1), (0.50, 2), (0.0, 3))

_CATALOGS: Final = Path(__file__).resolve().parent.parent / "i18n"
#: The report's column keys this reads (``quiz/report/tables.py``).
_COLUMNS: Final = {
    "code": "report.col.code",
    "answers": "report.col.answers",
    "correct": "report.col.correct",
    "audience_answers": "report.col.audience_answers",
    "audience_correct": "report.col.audience_correct",
}
_DIFFICULTY_LINE: Final = re.compile(r"^(\s*difficulty:\s*)(\d+)(\s*(?:#.*)?)$")


class CalibrationError(ValueError):
    """The statistics file cannot be read as the report's per-question table."""


def level_for(rate: float) -> int:
    """The difficulty a correct rate (0..1) says."""
    return next(level for lowest, level in LEVELS if rate >= lowest)


@dataclass(frozen=True)
class Observed:
    """Answers to one question code, over all its versions and events."""

    code: str
    answers: int
    correct: int

    @property
    def rate(self) -> float:
        return self.correct / self.answers if self.answers else 0.0


def _headers() -> dict[str, str]:
    """Header text (any catalog's) -> the field it is."""
    found: dict[str, str] = {}
    for path in sorted(_CATALOGS.glob("*.json")):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        for field, key in _COLUMNS.items():
            if isinstance(catalog.get(key), str):
                found[catalog[key].strip()] = field
    return found


def _count(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 0
    try:
        number = float(text)
    except ValueError:
        raise CalibrationError(f"expected a count, got {text!r}") from None
    if number < 0 or not number.is_integer():
        raise CalibrationError(f"expected a count, got {text!r}")
    return int(number)


def read_stats(text: str) -> list[Observed]:
    """The answers per code of a ``quiz report --questions`` CSV (BOM allowed)."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(rows, None)
    if header is None:
        raise CalibrationError("the file is empty")
    names = _headers()
    index = {names[cell.strip()]: i for i, cell in enumerate(header) if cell.strip() in names}
    missing = [_COLUMNS[f] for f in ("code", "answers", "correct") if f not in index]
    if missing:
        raise CalibrationError(
            "not the table of `quiz report --questions`: no column for " + ", ".join(missing)
        )
    totals: dict[str, tuple[int, int]] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str | None:
            at = index.get(field)
            return row[at] if at is not None and at < len(row) else None

        code = (cell("code") or "").strip()
        if not code:
            raise CalibrationError(f"row {number}: no question code")
        try:
            answers = _count(cell("answers")) + _count(cell("audience_answers"))
            correct = _count(cell("correct")) + _count(cell("audience_correct"))
        except CalibrationError as exc:
            raise CalibrationError(f"row {number}: {exc}") from None
        if correct > answers:
            raise CalibrationError(f"row {number}: more correct answers than answers")
        before = totals.get(code, (0, 0))
        totals[code] = (before[0] + answers, before[1] + correct)
    return [Observed(code, answers, correct) for code, (answers, correct) in totals.items()]


@dataclass(frozen=True)
class Change:
    code: str
    observed: Observed
    current: int
    proposed: int


def propose(
    observed: Iterable[Observed], current: Mapping[str, int], min_answers: int = MIN_ANSWERS
) -> list[Change]:
    """The changes for questions of the bank (``current``: code -> difficulty) with at least
    ``min_answers`` answers whose rate says another level, by code."""
    changes = []
    for seen in sorted(observed, key=lambda o: o.code):
        level = current.get(seen.code)
        if level is None or seen.answers < min_answers:
            continue
        proposed = level_for(seen.rate)
        if proposed != level:
            changes.append(Change(seen.code, seen, level, proposed))
    return changes


def rewrite(text: str, lines: Mapping[int, int]) -> str:
    """``text`` with the ``difficulty:`` value on each given line (1-based) set."""
    out = text.splitlines(keepends=True)
    for line, level in lines.items():
        body = out[line - 1]
        ending = body[len(body.rstrip("\r\n")) :]
        match = _DIFFICULTY_LINE.match(body.rstrip("\r\n"))
        if match is None:
            raise ValueError(f"line {line} is not a difficulty line: {body.strip()!r}")
        out[line - 1] = f"{match.group(1)}{level}{match.group(3)}{ending}"
    return "".join(out)


def unified_diff(name: str, before: str, after: str) -> str:
    """A ``git apply``/``patch -p1`` diff of one file (``a/name`` -> ``b/name``)."""
    old = before.splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    lines = list(difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=3))
    fixed: list[str] = []
    for line in lines:
        fixed.append(line)
        if not line.endswith("\n"):
            # The last line of a file without a final newline.
            fixed[-1] = line + "\n\\ No newline at end of file\n"
    return "".join(fixed)


def bank_diff(files: Sequence[tuple[str, str, Mapping[int, int]]]) -> str:
    """The diff of several files: (name relative to the root, text, {line: level})."""
    return "".join(
        unified_diff(name, text, rewrite(text, lines)) for name, text, lines in files if lines
    )

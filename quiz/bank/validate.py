"""Checking a bank: per-question schema validation, whole-bank checks and :func:`load_bank`.

Each file (or spreadsheet row) is validated question by question against the schema models,
and every pydantic error is turned into a :class:`~quiz.bank.problems.Problem` at the place it
points to. The checks that need the whole bank come after: duplicate ids (errors), and the
writers' rules that need judgement (warnings): near-duplicate prompts, prompts too long to
read aloud, "all of the above" options, article numbers of the amended Cybersecurity Law, and
fresh figures (:class:`Freshness`): an ``as_of`` older than a set age, a statistic without one.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from quiz.bank.cues import NEAR_DUPLICATE, near_duplicates
from quiz.bank.facts import BUNDLED_BANK, FACTS_FILE, FactSheet, find_fact_sheet, parse_facts
from quiz.bank.problems import FileSpot, Problem, Spot, TextSpot, sorted_problems
from quiz.bank.schema import (
    CATEGORIES,
    KEY_ORDER,
    LETTERS,
    MISSING_EN,
    OPTION_COUNTS,
    QUESTION_ADAPTER,
    QUESTION_KEYS,
    QUESTION_MODELS,
    QUESTION_TYPES,
    RANGES,
    RULE_ERROR,
    AnyQuestion,
    CheckContext,
    Text,
)
from quiz.bank.yamlio import BankDocument, Loc, read_bank_file

BANK_SUFFIXES: Final = (".yaml", ".yml")
#: The folder of an organiser's local questions, inside a bank folder (see its README).
LOCAL_FOLDER: Final = "local"
PROMPT_MAX_ZH: Final = 80
TEXT_KEYS: Final = ("zh", "en")

_ALL_OF_THE_ABOVE: Final = re.compile(r"以上(都|皆|均|全)|all of the above", re.IGNORECASE)
_CSL_ARTICLE: Final = re.compile(
    r"网络安全法[^。；;！？]*?第[零〇一二三四五六七八九十百千\d]+条"
    r"|Cybersecurity Law[^.;!?]*?\bArt(icle|\.)\s*\d+",
    re.IGNORECASE,
)

_TEXT_RULES: Final = (
    (_ALL_OF_THE_ABOVE, "avoid 'all of the above' options (以上都…)"),
    (
        _CSL_ARTICLE,
        "do not cite article numbers of the amended Cybersecurity Law (FACTS.md rule 5); "
        "test the content",
    ),
)

#: A statistic: a percentage or an amount in 万/亿 (zh). A sentence about a legal threshold or
#: penalty (罚款, 以上, 不足...) states the law, not a figure that ages, and is not one.
_STATISTIC: Final = re.compile(
    r"\d+(?:\.\d+)?\s*[%％]|百分之[零〇一二三四五六七八九十百点]+|\d[\d.,，]*\s*多?[万亿]"
)
_LEGAL_AMOUNT: Final = re.compile(r"罚款|罚金|拘留|有期徒刑|数额|以上|以下|不足|最高")
_SENTENCE_END: Final = re.compile(r"[。；;！？!?\n]")
MAX_AGE_YEARS: Final = 2


@dataclass(frozen=True)
class Freshness:
    """When figures count as stale: an ``as_of`` more than ``max_age_years`` before ``today``.

    A year alone (``as_of: 2024``) counts as its last month, December."""

    today: date
    max_age_years: int = MAX_AGE_YEARS

    def months_old(self, as_of: str) -> int:
        year, _, month = as_of.partition("-")
        return (self.today.year - int(year)) * 12 + self.today.month - int(month or 12)

    def stale(self, as_of: str) -> bool:
        return self.months_old(as_of) > self.max_age_years * 12


def statistic_in(text: str) -> str | None:
    """The first statistic in ``text`` outside sentences about legal amounts, else None."""
    for sentence in _SENTENCE_END.split(text):
        found = _STATISTIC.search(sentence)
        if found is not None and not _LEGAL_AMOUNT.search(sentence):
            return found.group()
    return None


#: Where a part of a question is: a path inside the question -> a spot in its file.
Locate = Callable[[Loc], Spot]


@dataclass(frozen=True)
class Entry:
    """A valid question and how to find its parts in the file it came from."""

    question: AnyQuestion
    locate: Locate


# --- pydantic errors -> messages ---------------------------------------------------------------


def describe(value: Any) -> str:
    """How a wrongly typed value is named in a message (YAML terms, not Python's)."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"a true/false value ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, date):
        return f"a date ({value.isoformat()})"
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "..."
        return f"text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _where(loc: Loc) -> str:
    """A path inside a question as a writer would say it: 'prompt', 'option B', 'answer 2'."""
    parts: list[str] = []
    for index, part in enumerate(loc):
        if isinstance(part, int):
            if index and loc[index - 1] == "options" and part < len(LETTERS):
                parts[-1] = f"option {LETTERS[part]}"
            else:
                parts[-1] = f"{parts[-1] if parts else 'item'} {part + 1}"
        else:
            parts.append(part)
    return ".".join(parts)


def _allowed_keys(loc: Loc, question_type: str | None) -> tuple[str, ...]:
    if len(loc) > 1:
        return TEXT_KEYS
    model = QUESTION_MODELS.get(question_type or "")
    keys = model.model_fields if model else QUESTION_KEYS
    return tuple(key for key in KEY_ORDER if key in keys)


def translate(error: ErrorDetails, *, sheet: bool) -> tuple[Loc, bool, str]:
    """(location inside the question, whether it names a key, message) of one error."""
    loc: Loc = tuple(error["loc"])
    question_type = None
    if loc and loc[0] in QUESTION_TYPES:
        question_type, loc = str(loc[0]), loc[1:]
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    name = next((part for part in reversed(loc) if isinstance(part, str)), "")
    quote_hint = " (put it in quotes)" if isinstance(value, bool | int | float | date) else ""

    if kind == RULE_ERROR:
        return (*loc, *ctx.get("at", ())), False, str(ctx.get("text", error["msg"]))
    if kind in ("missing", "union_tag_not_found"):
        if kind == "union_tag_not_found":
            loc = (*loc, "type")
        if sheet:
            return loc, False, "required cell is empty"
        parent = _where(loc[:-1])
        return loc, False, f"missing key '{loc[-1]}'" + (f" in {parent}" if parent else "")
    if kind == MISSING_EN:
        if sheet:
            return loc, False, "English text is required (cell is empty)"
        return loc, False, f"missing key 'en' in {_where(loc[:-1])} (English text is required)"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        if len(loc) == 1 and key in QUESTION_KEYS and question_type is not None:
            if sheet:
                return (
                    loc,
                    True,
                    f"{question_type} questions have no {key}; leave these cells empty",
                )
            return loc, True, f"key '{key}' is not used by {question_type} questions"
        allowed = _allowed_keys(loc, question_type)
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (expected: {', '.join(allowed)})"
        return loc, True, f"unknown key '{key}'{hint}"
    if kind == "union_tag_invalid":
        raw = value.get("type") if isinstance(value, dict) else None
        choices = ", ".join(QUESTION_TYPES)
        if not isinstance(raw, str):
            return (*loc, "type"), False, f"type must be one of {choices}; got {describe(raw)}"
        return (*loc, "type"), False, f"unknown type '{raw}' (one of: {choices})"
    if kind == "string_type" and name == "as_of":
        return (
            loc,
            False,
            f"as_of must be a year or a year and month (2024 or 2024-05), got {describe(value)}",
        )
    if kind == "string_type":
        return loc, False, f"expected text, got {describe(value)}{quote_hint}"
    if kind == "bool_type":
        return loc, False, f"{name} must be true or false, got {describe(value)}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return loc, False, f"{name} must be a whole number, got {describe(value)}"
    if kind == "list_type":
        if not loc:
            return (
                loc,
                False,
                f"expected a list of questions (each starting with '- '), got {describe(value)}",
            )
        return loc, False, f"{name} must be a list, got {describe(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if not loc:
            return (
                loc,
                False,
                (
                    "expected a question (a mapping with id, category, type, ...), "
                    f"got {describe(value)}"
                ),
            )
        return (
            loc,
            False,
            f"{_where(loc)} must be a mapping {{zh: ..., en: ...}}, got {describe(value)}",
        )
    if kind == "literal_error":
        if name == "category":
            return loc, False, f"unknown category {value!r} (one of: {', '.join(CATEGORIES)})"
        return loc, False, f"{name} must be one of {ctx.get('expected')}, got {describe(value)}"
    if kind in ("greater_than_equal", "less_than_equal") and name in RANGES:
        low, high = RANGES[name]
        return loc, False, f"{name} must be between {low} and {high}, got {value}"
    if kind in ("too_short", "too_long"):
        count = ctx.get("actual_length")
        if name == "options" and question_type in OPTION_COUNTS:
            low, high = OPTION_COUNTS[question_type]
            return (
                loc,
                False,
                f"{question_type} questions need {low} to {high} options, got {count}",
            )
        if name == "answer" and question_type == "open":
            return loc, False, "an open question needs at least one accepted answer"
    return loc, False, f"{_where(loc)}: {error['msg']}" if loc else error["msg"]


# --- validating questions --------------------------------------------------------------------


def validate_item(
    data: Any, context: CheckContext
) -> tuple[AnyQuestion | None, list[ErrorDetails]]:
    try:
        return QUESTION_ADAPTER.validate_python(data, context=context.as_context()), []
    except ValidationError as exc:
        return None, exc.errors(include_url=False)


def validate_document(
    document: BankDocument, context: CheckContext
) -> tuple[list[Entry], list[Problem]]:
    """Validate every question of a YAML file; report each error at its key or value."""
    data = document.data
    problems: list[Problem] = []
    if not isinstance(data, list):
        return [], [
            Problem(
                document.spot(()),
                f"expected a list of questions (each starting with '- '), got {describe(data)}",
            )
        ]
    if not data:
        return [], [Problem(document.spot(()), "the list of questions is empty")]
    entries: list[Entry] = []
    for index, item in enumerate(data):
        question, errors = validate_item(item, context)
        for error in errors:
            loc, is_key, message = translate(error, sheet=False)
            full = (index, *loc)
            if not document.is_refused(full):
                problems.append(Problem(document.spot(full, key=is_key), message))
        tainted = any(loc[:1] == (index,) for loc in document.refused)
        if question is not None and not tainted:
            entries.append(Entry(question, _yaml_locator(document, index)))
    return entries, problems


def _yaml_locator(document: BankDocument, index: int) -> Locate:
    def locate(loc: Loc) -> Spot:
        return document.spot((index, *loc))

    return locate


# --- whole-bank checks -------------------------------------------------------------------------


def _texts(question: AnyQuestion) -> Iterable[tuple[Loc, Text]]:
    yield ("prompt",), question.prompt
    for index, option in enumerate(question.choices):
        yield ("options", index), option
    for index, accepted in enumerate(question.accepted):
        yield ("answer", index), accepted
    yield ("explanation",), question.explanation


def bank_checks(
    entries: Sequence[Entry], freshness: Freshness | None = None
) -> tuple[list[Entry], list[Problem]]:
    """Checks across questions (duplicate ids) and the writers' rules (warnings); figures are
    checked against ``freshness`` (default: today, :data:`MAX_AGE_YEARS`).

    Returns the entries without repeated ids (the first of each id is kept) and the problems.
    """
    problems: list[Problem] = []
    first: dict[str, Entry] = {}
    unique: list[Entry] = []
    for entry in entries:
        question = entry.question
        other = first.get(question.id)
        if other is not None:
            problems.append(
                Problem(
                    entry.locate(("id",)),
                    f"duplicate id {question.id} (also at {other.locate(('id',))})",
                )
            )
            continue
        first[question.id] = entry
        unique.append(entry)
    problems.extend(_near_duplicates(unique))
    for entry in unique:
        problems.extend(_writer_rules(entry))
        problems.extend(_fresh_figures(entry, freshness or Freshness(date.today())))
    return unique, problems


def _near_duplicates(entries: Sequence[Entry]) -> list[Problem]:
    """Near-duplicate prompts (the cue measure of :mod:`quiz.bank.cues`) and identical English
    prompts. A pair the draw keeps apart (same fact or group) is a note; any other pair is a
    warning: an event could show both."""
    problems: list[Problem] = []
    by_id = {entry.question.id: entry for entry in entries}
    for pair in near_duplicates([entry.question for entry in entries], NEAR_DUPLICATE):
        earlier, later = by_id[pair.first.id], by_id[pair.second.id]
        message = (
            f"prompt nearly repeats {pair.first.id} at {earlier.locate(('prompt', 'zh'))} "
            f"(similarity {pair.similarity:.2f})"
        )
        if pair.kept_apart:
            shared = (
                f"fact {pair.first.fact}"
                if pair.first.fact == pair.second.fact
                else f"group {pair.first.group}"
            )
            message += f"; they share {shared}, so no event shows both"
        else:
            message += "; give both the same group: (or rewrite one) so no event shows both"
        problems.append(
            Problem(
                later.locate(("prompt", "zh")),
                message,
                "note" if pair.kept_apart else "warning",
            )
        )
    first_en: dict[str, Entry] = {}
    for entry in entries:
        en = " ".join((entry.question.prompt.en or "").casefold().split())
        other = first_en.setdefault(en, entry) if en else entry
        if other is not entry:
            problems.append(
                Problem(
                    entry.locate(("prompt", "en")),
                    f"English prompt is the same as {other.question.id}'s at "
                    f"{other.locate(('prompt', 'en'))}",
                    "warning",
                )
            )
    return problems


def _writer_rules(entry: Entry) -> list[Problem]:
    question, locate = entry.question, entry.locate
    problems: list[Problem] = []
    length = len(question.prompt.zh)
    if length > PROMPT_MAX_ZH:
        problems.append(
            Problem(
                locate(("prompt", "zh")),
                f"prompt is {length} characters; keep it to {PROMPT_MAX_ZH} so it can be read "
                "aloud in about 10 seconds",
                "warning",
            )
        )
    # One warning per text even when both languages break the rule.
    for loc, text in _texts(question):
        for pattern, message in _TEXT_RULES:
            if loc[0] != "options" and pattern is _ALL_OF_THE_ABOVE:
                continue
            lang = next(
                (lang for lang in TEXT_KEYS if pattern.search(getattr(text, lang) or "")), None
            )
            if lang is not None:
                problems.append(Problem(locate((*loc, lang)), message, "warning"))
    return problems


def _fresh_figures(entry: Entry, freshness: Freshness) -> list[Problem]:
    question, locate = entry.question, entry.locate
    if question.as_of is not None:
        if not freshness.stale(question.as_of):
            return []
        return [
            Problem(
                locate(("as_of",)),
                f"figures as of {question.as_of} are more than {freshness.max_age_years} "
                f"years old on {freshness.today.isoformat()}: check them against the newest "
                "release and update as_of (or retire the question)",
                "warning",
            )
        ]
    for field_name, text in (("prompt", question.prompt), ("explanation", question.explanation)):
        found = statistic_in(text.zh)
        if found is not None:
            return [
                Problem(
                    locate((field_name, "zh")),
                    f"the {field_name} quotes a statistic ({found}) but the question has no "
                    "as_of: add the year (or year-month) of the figures, e.g. as_of: 2024",
                    "warning",
                )
            ]
    return []


# --- loading a bank ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BankResult:
    """The valid questions of a bank and every problem found (sorted by place)."""

    questions: tuple[AnyQuestion, ...]
    problems: tuple[Problem, ...]
    files: tuple[Path, ...] = ()
    fact_sheets: tuple[FactSheet, ...] = field(default=())

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "warning")

    @property
    def notes(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "note")

    def ok(self, *, strict: bool = False) -> bool:
        """No errors (and, when ``strict``, no warnings either; notes never fail)."""
        return not (self.errors + self.warnings if strict else self.errors)

    def by_id(self) -> dict[str, AnyQuestion]:
        return {question.id: question for question in self.questions}


def bank_files(paths: Iterable[Path]) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The bank files named by ``paths`` (files, or folders holding ``*.yaml``), each with the
    name it is reported under, without repeats."""
    found: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            inside = _yaml_files(path)
            # A bank folder's local/ folder comes with it; it may hold only its README.
            local = path / LOCAL_FOLDER
            extra = _yaml_files(local) if path.name != LOCAL_FOLDER and local.is_dir() else []
            if not inside and not extra and path.name != LOCAL_FOLDER:
                problems.append(Problem(FileSpot(str(path)), "no .yaml bank files in this folder"))
            candidates = [(child, str(path / child.name)) for child in inside]
            candidates += [(child, str(local / child.name)) for child in extra]
        elif path.is_file():
            candidates = [(path, str(path))]
        else:
            problems.append(Problem(FileSpot(str(path)), "no such file or folder"))
            continue
        for file, display in candidates:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                found.append((file, display))
    return found, problems


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(
        child for child in folder.iterdir() if child.suffix in BANK_SUFFIXES and child.is_file()
    )


def is_local(path: Path) -> bool:
    """Whether a bank file is a local one (in a folder named ``local``)."""
    return path.parent.name == LOCAL_FOLDER


def file_category(path: Path) -> str | None:
    """The category a bank file is named after (``anti-fraud.yaml``), else None."""
    return path.stem if path.suffix == ".yaml" and path.stem in CATEGORIES else None


def file_name_problem(path: Path, display: str) -> Problem | None:
    if file_category(path) is not None or is_local(path):
        return None
    names = ", ".join(f"{category}.yaml" for category in CATEGORIES)
    return Problem(
        TextSpot(display, 1, 1), f"a bank file must be named after its category: {names}"
    )


class FactSheets:
    """Fact sheets by file, read once each; a missing sheet is reported once per folder."""

    def __init__(self, explicit: Path | None = None) -> None:
        self.explicit = explicit
        self.sheets: dict[Path, FactSheet] = {}
        self.problems: list[Problem] = []
        self._missing_reported: set[Path] = set()

    def for_file(self, bank_file: Path, display: str) -> FactSheet | None:
        path = self.explicit or find_fact_sheet(bank_file)
        if path is None:
            folder = bank_file.parent.resolve()
            if folder not in self._missing_reported:
                self._missing_reported.add(folder)
                self.problems.append(
                    Problem(
                        TextSpot(display, 1, 1),
                        f"no {FACTS_FILE} next to this file or in {BUNDLED_BANK}; "
                        "fact IDs cannot be checked",
                    )
                )
            return None
        key = path.resolve()
        if key not in self.sheets:
            sheet = parse_facts(path)
            self.sheets[key] = sheet
            self.problems.extend(sheet.problems)
        return self.sheets[key]


def load_bank(
    paths: Iterable[Path] | None = None,
    *,
    facts: Path | None = None,
    require_en: bool = True,
    freshness: Freshness | None = None,
) -> BankResult:
    """Load and check a bank: files or folders (default: the bundled ``question_bank/``).

    Fact IDs are resolved from ``facts`` if given, else from the ``FACTS.md`` next to each
    file, else from the bundled one. Questions with errors are left out of ``questions``;
    nothing is ever dropped silently: each is reported in ``problems``.
    """
    files, problems = bank_files([BUNDLED_BANK] if paths is None else paths)
    sheets = FactSheets(facts)
    entries: list[Entry] = []
    for path, display in files:
        name_problem = file_name_problem(path, display)
        if name_problem is not None:
            problems.append(name_problem)
        local = is_local(path)
        context = CheckContext(
            facts=sheets.for_file(path, display),
            # A local file may hold any category, and zh only.
            file_category=None if local else file_category(path),
            file_name=path.name,
            require_en=require_en and not local,
            local=local,
        )
        document, read_problems = read_bank_file(path, display)
        problems.extend(read_problems)
        if document is not None:
            file_entries, file_problems = validate_document(document, context)
            entries.extend(file_entries)
            problems.extend(file_problems)
    problems.extend(sheets.problems)
    unique, bank_problems = bank_checks(entries, freshness)
    problems.extend(bank_problems)
    return BankResult(
        questions=tuple(entry.question for entry in unique),
        problems=sorted_problems(problems),
        files=tuple(path for path, _ in files),
        fact_sheets=tuple(sheets.sheets.values()),
    )

"""The question schema: pydantic models of the format in ``question_bank/README.md``.

Types, required and unknown keys come from the models themselves (strict, ``extra="forbid"``);
the rules that need more than one field (answer letters within the options, id prefix of the
category, a verified fact) are field validators reading the already validated fields and the
:class:`CheckContext` passed in the validation context.

A rule that fails raises :func:`rule_error`, whose ``at`` context narrows the location inside
the field (e.g. the one answer letter that is out of range), so the report can point at it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from quiz.bank.facts import FACT_ID_RE, FactSheet

Category = Literal["reporting", "anti-fraud", "rumours", "personal-information", "laws-and-safety"]
CATEGORIES: Final[tuple[str, ...]] = get_args(Category)
CATEGORY_PREFIX: Final = {
    "reporting": "RP",
    "anti-fraud": "AF",
    "rumours": "RU",
    "personal-information": "PI",
    "laws-and-safety": "LS",
}
CATEGORY_ZH: Final = {
    "reporting": "网络举报",
    "anti-fraud": "反诈",
    "rumours": "辟谣",
    "personal-information": "个人信息保护",
    "laws-and-safety": "法律法规与网络安全常识",
}
QuestionType = Literal["single", "multiple", "truefalse", "open"]
QUESTION_TYPES: Final[tuple[str, ...]] = get_args(QuestionType)

#: The keys of a question in the README's order (used when writing and in hints).
KEY_ORDER: Final = (
    "id",
    "category",
    "type",
    "difficulty",
    "prompt",
    "options",
    "shuffle",
    "answer",
    "explanation",
    "fact",
    "as_of",
    "group",
    "messages",
    "tags",
    "time_limit",
)
LETTERS: Final = "ABCDEF"
#: (fewest, most) options of each choice type.
OPTION_COUNTS: Final = {"single": (2, 6), "multiple": (3, 6), "truefalse": (2, 2)}
#: (lowest, highest) of the bounded whole-number fields.
RANGES: Final = {"difficulty": (1, 3), "time_limit": (5, 120)}
TRUE_FALSE_OPTIONS: Final = (("正确", "True"), ("错误", "False"))
ID_RE: Final = re.compile(r"^([A-Z]{2})-(\d{3})$")
#: The id prefix of local questions (``question_bank/local/``), whatever their category.
LOCAL_PREFIX: Final = "LO"
#: A local question's source: ``local: <who published it> <when it was confirmed>``.
LOCAL_FACT_RE: Final = re.compile(r"^local:\s*(\S.*)$", re.DOTALL)
LOCAL_FACT_DATE: Final = re.compile(r"\d{4}-\d{1,2}(?:-\d{1,2})?|\d{4}年\d{1,2}月")
TAG_RE: Final = re.compile(r"^[a-z][a-z0-9-]*$")
#: ``group`` and ``messages`` entries: lowercase slugs like tags.
SLUG_RE: Final = TAG_RE
AS_OF_RE: Final = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
#: The years an ``as_of`` may name (a typo such as 2205 is refused).
AS_OF_YEARS: Final = (1990, 2100)

#: Error type of the cross-field rules below (their messages are final, not templates).
RULE_ERROR: Final = "bank_rule"
#: Error type of a missing English text, worded differently for YAML and spreadsheets.
MISSING_EN: Final = "bank_missing_en"


def rule_error(message: str, *at: str | int) -> PydanticCustomError:
    # Reports read the message from the context: pydantic substitutes "{key}" in the template,
    # and a message may quote what the writer typed.
    return PydanticCustomError(RULE_ERROR, message, {"at": at, "text": message})


@dataclass(frozen=True)
class CheckContext:
    """What a question is checked against, besides itself."""

    facts: FactSheet | None = None
    #: The category the file is named after; None when the file name is not a category.
    file_category: str | None = None
    file_name: str = ""
    require_en: bool = True
    #: A file of ``question_bank/local/``: ``LO-`` ids and ``local:`` sources.
    local: bool = False

    def as_context(self) -> dict[str, Any]:
        return {"bank": self}


def _context(info: ValidationInfo) -> CheckContext:
    context = info.context.get("bank") if isinstance(info.context, dict) else None
    return context if isinstance(context, CheckContext) else CheckContext()


def normalise(text: str) -> str:
    """Text reduced for comparison: width-folded, case-folded, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = []
    for i, ch in enumerate(folded):
        # A decimal point between digits carries meaning: "6.5" and "65" are different options.
        between_digits = (
            0 < i < len(folded) - 1 and folded[i - 1].isdigit() and folded[i + 1].isdigit()
        )
        if (ch == "." and between_digits) or unicodedata.category(ch)[0] not in "PZSC":
            kept.append(ch)
    return "".join(kept)


def _non_blank(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise rule_error("text is empty or only whitespace")
    # YAML files cannot hold control characters; a spreadsheet cell can.
    for ch in stripped:
        if ch not in "\n\t" and unicodedata.category(ch) == "Cc":
            raise rule_error(f"text contains a control character (U+{ord(ch):04X})")
    return stripped


def _letter(value: str) -> str:
    if len(value) != 1 or value not in LETTERS:
        raise rule_error(f"'{value}' is not an option letter (A to F)")
    return value


def _tag(value: str) -> str:
    if not TAG_RE.match(value):
        raise rule_error(f"tag '{value}' must be a lowercase word (a-z, 0-9, '-')")
    return value


def _slug(value: str, info: ValidationInfo) -> str:
    if not SLUG_RE.match(value):
        name = info.field_name or "value"
        raise rule_error(
            f"{name} '{value}' must be a lowercase slug (a-z, 0-9, '-'), e.g. knows-12377"
        )
    return value


def _year_as_text(value: Any) -> Any:
    # `as_of: 2024` is read by YAML (and a spreadsheet) as a number; it means the year.
    return str(value) if type(value) is int else value


def _as_of(value: str) -> str:
    match = AS_OF_RE.match(value)
    low, high = AS_OF_YEARS
    if match is None:
        raise rule_error(f"as_of '{value}' must be a year or a year and month: 2024 or 2024-05")
    year, month = int(match.group(1)), match.group(2)
    if not low <= year <= high:
        raise rule_error(f"as_of year {year} is out of range ({low} to {high})")
    if month is not None and not 1 <= int(month) <= 12:
        raise rule_error(f"as_of month {month} is not a month (01 to 12)")
    return value


NonBlank = Annotated[str, AfterValidator(_non_blank)]
Letter = Annotated[str, AfterValidator(_letter)]
Tag = Annotated[str, AfterValidator(_tag)]
Slug = Annotated[str, AfterValidator(_slug)]
AsOf = Annotated[str, BeforeValidator(_year_as_text), AfterValidator(_as_of)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Text(_Strict):
    """A text in both languages: ``zh`` always, ``en`` required in the shipped bank."""

    zh: NonBlank
    en: NonBlank | None = Field(default=None, validate_default=True)

    @field_validator("en")
    @classmethod
    def _english_required(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and _context(info).require_en:
            raise PydanticCustomError(MISSING_EN, "missing English text")
        return value

    def get(self, lang: str) -> str:
        """The text in ``lang`` ("zh"/"en"), falling back to Chinese."""
        return self.en if lang.startswith("en") and self.en else self.zh


def _option_letter(index: int) -> str:
    return LETTERS[index] if index < len(LETTERS) else f"#{index + 1}"


def _letter_in_range(letter: str, info: ValidationInfo, *at: int) -> None:
    options = info.data.get("options")
    if options is not None and LETTERS.index(letter) >= len(options):
        raise rule_error(
            f"answer {letter} is out of range: there are only {len(options)} options "
            f"(A to {LETTERS[len(options) - 1]})",
            *at,
        )


class QuestionBase(_Strict):
    """The fields every question type has. Field order matters: a validator sees only the
    fields declared before its own (``id`` checks its prefix against ``category``)."""

    category: Category
    id: str
    difficulty: Annotated[int, Field(ge=RANGES["difficulty"][0], le=RANGES["difficulty"][1])]
    prompt: Text
    explanation: Text
    fact: str
    #: The date of the figures the question relies on: "2024" or "2024-05".
    as_of: AsOf | None = None
    #: Questions sharing a group (or a fact) are never drawn in the same event.
    group: Slug | None = None
    #: The campaign key messages the question tests (e.g. knows-12377).
    messages: list[Slug] | None = None
    tags: list[Tag] = Field(default_factory=list)
    time_limit: (
        Annotated[int, Field(ge=RANGES["time_limit"][0], le=RANGES["time_limit"][1])] | None
    ) = None

    @field_validator("category")
    @classmethod
    def _category_matches_file(cls, value: str, info: ValidationInfo) -> str:
        context = _context(info)
        if context.file_category is not None and value != context.file_category:
            raise rule_error(
                f"category '{value}' does not match the file {context.file_name} "
                f"(expected '{context.file_category}')"
            )
        return value

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str, info: ValidationInfo) -> str:
        match = ID_RE.match(value)
        if _context(info).local:
            if match is None or match.group(1) != LOCAL_PREFIX:
                raise rule_error(
                    f"id '{value}' must be {LOCAL_PREFIX}- and 3 digits in a local file, "
                    f"e.g. {LOCAL_PREFIX}-001"
                )
            return value
        if match is None:
            raise rule_error(f"id '{value}' must be a category prefix and 3 digits, e.g. AF-001")
        category = info.data.get("category")
        if category is not None and match.group(1) != CATEGORY_PREFIX[category]:
            raise rule_error(
                f"id '{value}' does not match category {category} "
                f"(expected {CATEGORY_PREFIX[category]}-...)"
            )
        return value

    @field_validator("fact")
    @classmethod
    def _fact_is_verified(cls, value: str, info: ValidationInfo) -> str:
        local = LOCAL_FACT_RE.match(value)
        if local is not None:
            if not _context(info).local:
                raise rule_error(
                    "a local: source is only for question_bank/local/; cite a verified fact "
                    "ID like F012"
                )
            if not LOCAL_FACT_DATE.search(local.group(1)):
                raise rule_error(
                    "a local source names who published it and when it was confirmed with the "
                    "local office, e.g. local: 县公安局反诈中心公众号 2026-10-12"
                )
            return value
        if not FACT_ID_RE.match(value):
            hint = " (or local: source and date, in a local file)" if _context(info).local else ""
            raise rule_error(f"fact '{value}' must be a fact ID like F012{hint}")
        facts = _context(info).facts
        if facts is None:
            return value
        fact = facts.facts.get(value)
        if fact is None:
            raise rule_error(f"unknown fact {value}: it is not in {facts.path.name}")
        if not fact.verified:
            raise rule_error(
                f"fact {value} is {fact.status} in {facts.path.name}; "
                "only verified facts can back a question"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tags_distinct(cls, value: list[str]) -> list[str]:
        for index, tag in enumerate(value):
            if tag in value[:index]:
                raise rule_error(f"tag '{tag}' is listed twice", index)
        return value

    @field_validator("messages")
    @classmethod
    def _messages_distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise rule_error("messages is empty: list at least one key message, or leave it out")
        for index, message in enumerate(value):
            if message in value[:index]:
                raise rule_error(f"message '{message}' is listed twice", index)
        return value

    @property
    def shuffled(self) -> bool:
        """Whether the options are shuffled when the question is drawn."""
        return False

    # The engine's view of a question; each type below fills these in.
    @property
    def kind(self) -> Literal["choice", "open"]:
        return "choice"

    @property
    def answer_letters(self) -> tuple[str, ...]:
        return ()

    @property
    def option_count(self) -> int:
        return 0

    @property
    def choices(self) -> tuple[Text, ...]:
        return ()

    @property
    def accepted(self) -> tuple[Text, ...]:
        return ()


class _ChoiceQuestion(QuestionBase):
    options: list[Text]
    #: ``false`` pins the option order (e.g. "none of these" last); unset means shuffled.
    shuffle: bool | None = None

    @field_validator("options")
    @classmethod
    def _options_distinct(cls, value: list[Text]) -> list[Text]:
        for lang in ("zh", "en"):
            seen: dict[str, int] = {}
            for index, option in enumerate(value):
                text = getattr(option, lang)
                if text is None:
                    continue
                key = normalise(text) or text
                if key in seen:
                    raise rule_error(
                        f"option {_option_letter(index)} repeats option "
                        f"{_option_letter(seen[key])} (same {lang} text)",
                        index,
                        lang,
                    )
                seen[key] = index
        return value

    @property
    def option_count(self) -> int:
        return len(self.options)

    @property
    def shuffled(self) -> bool:
        return self.shuffle is not False

    @property
    def choices(self) -> tuple[Text, ...]:
        return tuple(self.options)


def _options_field(kind: str) -> Any:
    fewest, most = OPTION_COUNTS[kind]
    return Field(min_length=fewest, max_length=most)


class SingleQuestion(_ChoiceQuestion):
    type: Literal["single"]
    options: list[Text] = _options_field("single")
    answer: Letter

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, value: str, info: ValidationInfo) -> str:
        _letter_in_range(value, info)
        return value

    @property
    def answer_letters(self) -> tuple[str, ...]:
        return (self.answer,)


class MultipleQuestion(_ChoiceQuestion):
    type: Literal["multiple"]
    options: list[Text] = _options_field("multiple")
    answer: list[Letter]

    @field_validator("answer")
    @classmethod
    def _answer_letters(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if len(value) < 2:
            raise rule_error("a multiple answer needs two or more letters, e.g. [A, C]")
        for index, letter in enumerate(value):
            if letter in value[:index]:
                raise rule_error(f"answer lists {letter} twice", index)
            _letter_in_range(letter, info, index)
        return value

    @property
    def answer_letters(self) -> tuple[str, ...]:
        return tuple(sorted(self.answer))


class TrueFalseQuestion(_ChoiceQuestion):
    type: Literal["truefalse"]
    answer: Letter

    @field_validator("options")
    @classmethod
    def _true_then_false(cls, value: list[Text]) -> list[Text]:
        if len(value) != len(TRUE_FALSE_OPTIONS):
            raise rule_error(
                f"a truefalse question needs exactly two options, 正确 (True) then 错误 (False); "
                f"got {len(value)}"
            )
        for index, (option, (zh, en)) in enumerate(zip(value, TRUE_FALSE_OPTIONS, strict=True)):
            if option.zh != zh or option.en not in (None, en):
                raise rule_error(
                    f'truefalse option {LETTERS[index]} must be zh: {zh}, en: "{en}"', index
                )
        return value

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, value: str, info: ValidationInfo) -> str:
        _letter_in_range(value, info)
        return value

    @field_validator("shuffle")
    @classmethod
    def _always_pinned(cls, value: bool | None) -> bool | None:
        if value:
            raise rule_error(
                "truefalse options are never shuffled (正确 is always A, 错误 always B); "
                "leave shuffle out"
            )
        return value

    @property
    def answer_letters(self) -> tuple[str, ...]:
        return (self.answer,)

    @property
    def shuffled(self) -> bool:
        return False


class OpenQuestion(QuestionBase):
    type: Literal["open"]
    #: Accepted answers, shown to the host who judges.
    answer: list[Text] = Field(min_length=1)

    @property
    def kind(self) -> Literal["choice", "open"]:
        return "open"

    @property
    def accepted(self) -> tuple[Text, ...]:
        return tuple(self.answer)


Question = Annotated[
    SingleQuestion | MultipleQuestion | TrueFalseQuestion | OpenQuestion,
    Field(discriminator="type"),
]
AnyQuestion = SingleQuestion | MultipleQuestion | TrueFalseQuestion | OpenQuestion
QUESTION_ADAPTER: Final[TypeAdapter[AnyQuestion]] = TypeAdapter(Question)
QUESTION_MODELS: Final[dict[str, type[QuestionBase]]] = {
    "single": SingleQuestion,
    "multiple": MultipleQuestion,
    "truefalse": TrueFalseQuestion,
    "open": OpenQuestion,
}
#: Every key a question may have (in any type), for "unknown key" hints.
QUESTION_KEYS: Final = frozenset(
    name for model in QUESTION_MODELS.values() for name in model.model_fields
)


def question_from_content(content: dict[str, Any]) -> AnyQuestion:
    """A stored version's content (the question's ``model_dump(mode="json")``) as a model again.

    Open questions keep their accepted answers under ``answer`` (a list of ``{zh, en}``); this
    and :func:`engine_view` spare readers of stored content from knowing such details.
    """
    local = str(content.get("id", "")).startswith(f"{LOCAL_PREFIX}-")
    return QUESTION_ADAPTER.validate_python(
        content, context=CheckContext(require_en=False, local=local).as_context()
    )


def engine_view(question: AnyQuestion) -> dict[str, Any]:
    """A question as plain data for the engine and the transport.

    ``kind`` is ``"choice"`` for single/multiple/truefalse (judged against the ``answer``
    letters) and ``"open"`` for open questions (``answer`` is empty; the host judges against
    ``accepted``). ``answer_time_ms`` is None when the match rules' default applies.
    """
    return {
        "id": question.id,
        "category": question.category,
        "type": question.type,
        "kind": question.kind,
        "difficulty": question.difficulty,
        "prompt": question.prompt.model_dump(),
        "options": [option.model_dump() for option in question.choices],
        "option_count": question.option_count,
        "answer": question.answer_letters,
        "accepted": [text.model_dump() for text in question.accepted],
        "explanation": question.explanation.model_dump(),
        "fact": question.fact,
        "group": question.group,
        "as_of": question.as_of,
        "shuffle": question.shuffled,
        "messages": list(question.messages or ()),
        "tags": list(question.tags),
        "time_limit": question.time_limit,
        "answer_time_ms": None if question.time_limit is None else question.time_limit * 1000,
    }

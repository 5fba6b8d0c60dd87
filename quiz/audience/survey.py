"""The satisfaction survey (满意率) put to audience phones at the end of an event: its
definition, one phone's answer and the tally.

A survey is a one-tap 1-5 rating, up to three organiser-defined single-choice questions and an
optional free-text line, each text in zh and en. :func:`parse_survey` turns the plain data of
a survey file into a :class:`Survey` or a list of problems, each at its path in the data
(``("questions", 1, "options")``) so the reader of the file can name its line.
:func:`check_answer` validates one phone's answer against the survey; :class:`SurveyTally`
keeps one answer per phone (a resend replaces the earlier one) and gives the counts, the mean
rating, the rating distribution and each question's counts. Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quiz.audience.errors import AudienceError
from quiz.text import InvalidText, clean_text

RATINGS = (1, 2, 3, 4, 5)
MAX_QUESTIONS = 3
MIN_OPTIONS = 2
MAX_OPTIONS = 6
TEXT_MAX = 120  # a prompt or an option, per language
ID_MAX = 32
#: The free-text line: the longest the organiser may allow, and the default.
COMMENT_LIMIT = 200
COMMENT_DEFAULT = 100
LANGS = ("zh", "en")

Loc = tuple[str | int, ...]


class SurveyError(AudienceError):
    """An answer that cannot be taken: ``code`` is ``invalid``, ``comment_too_long``,
    ``no_survey`` or ``closed``."""


@dataclass(frozen=True)
class SpecProblem:
    """What is wrong at ``loc`` in a survey file's data."""

    loc: Loc
    message: str


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Choice:
    key: str
    text: Text

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, **self.text.to_dict()}


@dataclass(frozen=True)
class SurveyQuestion:
    id: str
    prompt: Text
    options: tuple[Choice, ...]

    def option_keys(self) -> tuple[str, ...]:
        return tuple(o.key for o in self.options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "prompt": self.prompt.to_dict(),
            "options": [o.to_dict() for o in self.options],
        }


@dataclass(frozen=True)
class Survey:
    title: Text
    rating: Text
    questions: tuple[SurveyQuestion, ...] = ()
    comment: Text | None = None  # the free-text line's prompt; None: no free text
    comment_max: int = COMMENT_DEFAULT

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": 1,
            "title": self.title.to_dict(),
            "rating": self.rating.to_dict(),
            "questions": [q.to_dict() for q in self.questions],
            "comment": None if self.comment is None else self.comment.to_dict(),
            "comment_max": self.comment_max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Survey:
        """The survey as :meth:`to_dict` stored it (trusted data: written by the server)."""
        survey, problems = parse_survey(data)
        if survey is None:
            raise ValueError(f"stored survey is invalid: {problems[0].message}")
        return survey


def _letter(index: int) -> str:
    return chr(ord("A") + index)


class SpecReader:
    """Collects the problems of an organiser's file's data at their paths; also used by the
    LED playlist's file (``quiz.playlist``)."""

    def __init__(self) -> None:
        self.problems: list[SpecProblem] = []

    def fail(self, loc: Loc, message: str) -> None:
        self.problems.append(SpecProblem(loc, message))

    def mapping(self, value: Any, loc: Loc, known: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(loc, "expected a mapping")
            return None
        allowed = set(known)
        for key in value:
            if key not in allowed:
                self.fail((*loc, key), f"unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        return value

    def text(self, value: Any, loc: Loc, limit: int = TEXT_MAX) -> Text | None:
        """``{zh, en}`` (en falls back to zh); a plain string is taken for both."""
        if isinstance(value, str):
            value = {"zh": value}
        found = self.mapping(value, loc, LANGS)
        if found is None:
            return None
        out: dict[str, str] = {}
        for lang in LANGS:
            raw = found.get(lang)
            if raw is None:
                continue
            try:
                out[lang] = clean_text(raw, limit)
            except InvalidText as exc:
                self.fail((*loc, lang), f"the text {exc.message}")
        if "zh" not in out:
            if "zh" not in found:
                self.fail(loc, "a zh text is required")
            return None
        return Text(out["zh"], out.get("en", out["zh"]))

    def question(self, value: Any, loc: Loc, index: int) -> SurveyQuestion | None:
        found = self.mapping(value, loc, ("id", "prompt", "options"))
        if found is None:
            return None
        qid = found.get("id", f"q{index + 1}")
        if not isinstance(qid, str) or not qid or len(qid) > ID_MAX or not qid.isascii():
            self.fail((*loc, "id"), f"id must be 1-{ID_MAX} ASCII characters")
            qid = f"q{index + 1}"
        if "prompt" not in found:
            self.fail(loc, "a question needs a prompt")
        prompt = self.text(found.get("prompt"), (*loc, "prompt")) if "prompt" in found else None
        options = found.get("options")
        if not isinstance(options, list) or not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
            self.fail((*loc, "options"), f"options: a list of {MIN_OPTIONS}-{MAX_OPTIONS} texts")
            return None
        choices = []
        for i, raw in enumerate(options):
            if isinstance(raw, dict) and "key" in raw:
                raw = {k: v for k, v in raw.items() if k != "key"}  # keys are always A, B, …
            text = self.text(raw, (*loc, "options", i))
            if text is not None:
                choices.append(Choice(_letter(i), text))
        if prompt is None or len(choices) != len(options):
            return None
        return SurveyQuestion(qid, prompt, tuple(choices))


def parse_survey(data: Any) -> tuple[Survey | None, list[SpecProblem]]:
    """A survey from the plain data of its file (see ``question_bank/survey.yaml``), or None
    and every problem found."""
    p = SpecReader()
    found = p.mapping(data, (), ("v", "title", "rating", "questions", "comment", "comment_max"))
    if found is None:
        return None, p.problems
    title = p.text(found.get("title", {"zh": "满意度调查", "en": "Survey"}), ("title",))
    rating = p.text(
        found.get("rating", {"zh": "您对本次活动满意吗？", "en": "How satisfied are you?"}),
        ("rating",),
    )
    raw_questions = found.get("questions", [])
    questions: list[SurveyQuestion] = []
    if not isinstance(raw_questions, list) or len(raw_questions) > MAX_QUESTIONS:
        p.fail(("questions",), f"questions: a list of at most {MAX_QUESTIONS}")
        raw_questions = []
    for i, raw in enumerate(raw_questions):
        q = p.question(raw, ("questions", i), i)
        if q is not None:
            if q.id in {other.id for other in questions}:
                p.fail(("questions", i, "id"), f"duplicate question id {q.id!r}")
            questions.append(q)
    comment = None
    if found.get("comment") is not None and found.get("comment") is not False:
        comment = p.text(found["comment"], ("comment",))
    comment_max = found.get("comment_max", COMMENT_DEFAULT)
    if isinstance(comment_max, bool) or not isinstance(comment_max, int):
        p.fail(("comment_max",), "comment_max must be a whole number")
        comment_max = COMMENT_DEFAULT
    elif not 1 <= comment_max <= COMMENT_LIMIT:
        p.fail(("comment_max",), f"comment_max must be between 1 and {COMMENT_LIMIT}")
    if p.problems or title is None or rating is None:
        return None, p.problems
    return Survey(title, rating, tuple(questions), comment, comment_max), []


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyAnswer:
    """One phone's answer: the rating, each question's chosen key (None: skipped, by question
    id) and the cleaned free text (None: none)."""

    rating: int
    choices: tuple[tuple[str, str | None], ...] = ()
    comment: str | None = None

    def choice_map(self) -> dict[str, str | None]:
        return dict(self.choices)


def check_answer(survey: Survey, rating: object, choices: object, comment: object) -> SurveyAnswer:
    """The answer as counted, or :class:`SurveyError` (nothing is counted)."""
    if isinstance(rating, bool) or rating not in RATINGS:
        raise SurveyError("invalid", "rating must be 1, 2, 3, 4 or 5")
    if choices is None:
        choices = {}
    if not isinstance(choices, dict):
        raise SurveyError("invalid", "choices: an object of question id -> option key")
    known = {q.id: q for q in survey.questions}
    for qid in choices:
        if qid not in known:
            raise SurveyError("invalid", f"no question {qid!r}")
    picked: list[tuple[str, str | None]] = []
    for q in survey.questions:
        key = choices.get(q.id)
        if key is not None and key not in q.option_keys():
            raise SurveyError("invalid", f"{key!r} is not an option of {q.id!r}")
        picked.append((q.id, key))
    text: str | None = None
    if comment not in (None, ""):
        if survey.comment is None:
            raise SurveyError("invalid", "this survey has no free text")
        try:
            text = clean_text(comment, survey.comment_max)
        except InvalidText as exc:
            code = "comment_too_long" if exc.code == "too_long" else "invalid"
            raise SurveyError(code, f"the comment {exc.message}") from None
        text = text or None
    assert isinstance(rating, int)
    return SurveyAnswer(rating, tuple(picked), text)


@dataclass
class SurveyTally:
    """One answer per phone (a resend replaces it); the counts as the LED and report show."""

    answers: dict[str, SurveyAnswer] = field(default_factory=dict)

    def submit(self, phone: str, answer: SurveyAnswer) -> str:
        """``accepted`` (first answer), ``changed`` or ``unchanged`` (the same answer again)."""
        before = self.answers.get(phone)
        self.answers[phone] = answer
        if before is None:
            return "accepted"
        return "unchanged" if before == answer else "changed"

    def __len__(self) -> int:
        return len(self.answers)

    def result(self, survey: Survey) -> dict[str, Any]:
        return summarize(survey, self.answers.values())


def summarize(survey: Survey, answers: Iterable[SurveyAnswer]) -> dict[str, Any]:
    """Counts, mean rating (None without answers; two decimals), the distribution of every
    rating 1-5 and, per question, every option's count and how many answered it."""
    distribution = {str(r): 0 for r in RATINGS}
    per_question = {q.id: {k: 0 for k in q.option_keys()} for q in survey.questions}
    answered = total = comments = 0
    for a in answers:
        answered += 1
        total += a.rating
        distribution[str(a.rating)] += 1
        comments += a.comment is not None
        for qid, key in a.choices:
            if key is not None and qid in per_question and key in per_question[qid]:
                per_question[qid][key] += 1
    return {
        "answered": answered,
        "mean": round(total / answered, 2) if answered else None,
        "distribution": distribution,
        "questions": [
            {"id": q.id, "counts": per_question[q.id], "answered": sum(per_question[q.id].values())}
            for q in survey.questions
        ],
        "comments": comments,
    }


__all__ = [
    "COMMENT_LIMIT",
    "MAX_QUESTIONS",
    "RATINGS",
    "SpecProblem",
    "SpecReader",
    "Survey",
    "SurveyAnswer",
    "SurveyError",
    "SurveyQuestion",
    "SurveyTally",
    "check_answer",
    "parse_survey",
    "summarize",
]

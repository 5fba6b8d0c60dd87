"""How the report words a value: local times, category names, shortened prompts, rates.

Shared by the page (``quiz.report.render``) and the table definitions
(``quiz.report.tables``, ``quiz.report.campaign``), which read it and nothing else of each
other's, so the imports run one way: ``render`` -> ``tables`` -> ``campaign`` -> ``labels``.
"""

from __future__ import annotations

from datetime import datetime

from quiz import i18n
from quiz.report.charts import percent
from quiz.report.data import QuestionInfo, Rate

PROMPT_MAX = 90


def when(moment: datetime | None, with_time: bool = True) -> str:
    """Local time of the machine making the report (the venue laptop)."""
    if moment is None:
        return "—"
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def category_label(category: str, lang: str) -> str:
    if not category:
        return i18n.translate("report.uncategorised", lang)
    key = "category." + category.replace("-", "_")
    return i18n.translate(key, lang) if key in i18n.catalog(lang) else category


def prompt_of(question: QuestionInfo, lang: str, limit: int = PROMPT_MAX) -> str:
    text = (question.prompt_en if lang == "en" else question.prompt_zh) or question.prompt_zh
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rate_text(rate: Rate | None, lang: str) -> str:
    """``66.7% (2/3)``; a dash when nothing was answered, "none recorded" for no data."""
    if rate is None:
        return i18n.translate("report.none_recorded", lang)
    if not rate.total:
        return "—"
    return f"{percent(rate.value)} ({rate.correct}/{rate.total})"


#: Header keys of the answers, correct and rate columns (``grid.rate_fields``).
CONTESTANT_RATE = ("report.col.answers", "report.col.correct", "report.contestant_rate")
AUDIENCE_RATE = (
    "report.col.audience_answers",
    "report.col.audience_correct",
    "report.audience_rate",
)


class Words:
    """The report's language: catalog text and the labels both renderings use."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str, **params: object) -> str:
        return i18n.translate(key, self.lang, **params)

    def category(self, category: str) -> str:
        return category_label(category, self.lang)

    def rate(self, rate: Rate | None) -> str:
        return rate_text(rate, self.lang)

"""The satisfaction survey (满意率) of one event, as the report shows it: how many phones
answered, the mean rating and its distribution, each question's counts and the free text
(for the organiser only: the report's HTML escapes it, its spreadsheets neutralise formulas).

:func:`survey_report` reads the ``survey_answer`` rows of an event (one per phone) and the
event's last ``survey_run`` (its questions) and counts them with the same rules the live
server uses (``quiz.audience.survey.summarize``); other parts of the report (reach, merged
reports) read the survey through it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.audience.survey import Survey, SurveyAnswer, summarize
from quiz.models.survey import SurveyAnswer as AnswerRow
from quiz.models.survey import SurveyRun


@dataclass(frozen=True, slots=True)
class SurveyOption:
    key: str
    zh: str
    en: str
    count: int


@dataclass(frozen=True, slots=True)
class SurveyQuestionCounts:
    id: str
    zh: str
    en: str
    answered: int
    options: tuple[SurveyOption, ...]


@dataclass(frozen=True, slots=True)
class SurveyReport:
    answered: int  # phones that answered (one answer each)
    mean: float | None  # mean rating 1-5, two decimals; None without answers
    distribution: tuple[tuple[int, int], ...]  # (rating, phones) for 5, 4, 3, 2, 1
    questions: tuple[SurveyQuestionCounts, ...]
    comments: tuple[str, ...]  # the free text, in the order it was last sent
    title_zh: str = ""
    title_en: str = ""

    def share(self, count: int) -> float | None:
        return count / self.answered if self.answered else None


def survey_report(session: Session, event_id: int) -> SurveyReport | None:
    """The event's survey counts, or None when no survey was started in the event."""
    run = session.scalars(
        select(SurveyRun).where(SurveyRun.event_id == event_id).order_by(SurveyRun.id.desc())
    ).first()
    if run is None:
        return None
    survey = Survey.from_dict(run.spec)
    rows = session.scalars(
        select(AnswerRow)
        .where(AnswerRow.event_id == event_id)
        .order_by(AnswerRow.at_ms, AnswerRow.id)
    ).all()
    answers = [
        SurveyAnswer(r.rating, tuple(sorted((r.choices or {}).items())), r.comment) for r in rows
    ]
    counted = summarize(survey, answers)
    questions = []
    for q, c in zip(survey.questions, counted["questions"], strict=True):
        options = tuple(
            SurveyOption(o.key, o.text.zh, o.text.en, c["counts"][o.key]) for o in q.options
        )
        questions.append(
            SurveyQuestionCounts(q.id, q.prompt.zh, q.prompt.en, c["answered"], options)
        )
    return SurveyReport(
        answered=counted["answered"],
        mean=counted["mean"],
        distribution=tuple((r, counted["distribution"][str(r)]) for r in (5, 4, 3, 2, 1)),
        questions=tuple(questions),
        comments=tuple(a.comment for a in answers if a.comment),
        title_zh=survey.title.zh,
        title_en=survey.title.en,
    )


__all__ = ["SurveyOption", "SurveyQuestionCounts", "SurveyReport", "survey_report"]

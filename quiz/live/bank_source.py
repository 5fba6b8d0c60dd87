"""The imported question bank (``quiz.models.bank``) as a live question source.

Question versions never change once written, so a version is read from the database once and
kept; drawing reads the current versions afresh each time (a draw happens once per question),
so a ``quiz bank import`` during an event is picked up for the next question.

A drawn question is new to the event (no used code, fact or group: :func:`quiz.bank.draw.draw`)
and comes with its options shuffled from the draw seed and its code; its id then carries the
order (``"123~CADB"``), and :meth:`BankQuestionSource.get` gives the same view for that id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.bank.draw import DrawFilter, PoolExhausted, apart_keys
from quiz.bank.draw import draw as bank_draw
from quiz.bank.schema import LETTERS
from quiz.live.questions import QuestionView, resolve_shown
from quiz.models.bank import Question, QuestionVersion


def view_of(version: QuestionVersion) -> QuestionView:
    """The live view of one stored version (its content is the validated question)."""
    content = version.content
    answer = content.get("answer")
    # An open question keeps its accepted answers ({zh, en}) under "answer" (quiz.bank.schema).
    texts = [a for a in answer if isinstance(a, dict)] if isinstance(answer, list) else []
    if isinstance(answer, str):
        letters: tuple[str, ...] = (answer,)
    elif isinstance(answer, list):
        letters = tuple(sorted(str(a) for a in answer if isinstance(a, str)))
    else:
        letters = ()
    options = tuple(
        {"key": LETTERS[i], "zh": str(o.get("zh", "")), "en": str(o.get("en") or "")}
        for i, o in enumerate(content.get("options") or [])
    )
    accepted = tuple(
        {"zh": str(a.get("zh", "")), "en": str(a.get("en") or "")}
        for a in [*texts, *(content.get("accepted") or [])]
    )
    time_limit = content.get("time_limit")
    kind = str(content.get("type", "open"))
    group = content.get("group")
    return QuestionView(
        id=str(version.id),
        code=version.question_id,
        kind=kind,
        prompt=_text(content.get("prompt")),
        options=options,
        answer=letters,
        explanation=_text(content.get("explanation")),
        category=str(content.get("category", "")),
        difficulty=int(content.get("difficulty", 1)),
        answer_time_ms=time_limit * 1000 if isinstance(time_limit, int) else None,
        accepted=accepted,
        fact=str(content.get("fact", "")),
        group=group if isinstance(group, str) else None,
        # As the bank's schema: true/false is always pinned (正确 A, 错误 B).
        shuffle=kind in ("single", "multiple") and content.get("shuffle") is not False,
    )


def _text(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {"zh": "", "en": ""}
    return {"zh": str(value.get("zh", "")), "en": str(value.get("en") or "")}


class _Drawable:
    """Adapter giving a view the attributes ``quiz.bank.draw`` expects."""

    def __init__(self, view: QuestionView) -> None:
        self.view = view
        self.id = view.code
        self.category = view.category
        self.type = view.kind
        self.difficulty = view.difficulty
        self.fact = view.fact
        self.group = view.group


class BankQuestionSource:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._versions: dict[str, QuestionView] = {}

    def get(self, question_id: str) -> QuestionView | None:
        """A version by id, in the option order its shown id carries (``"123~CADB"``)."""
        return resolve_shown(question_id, self._version)

    def _version(self, question_id: str) -> QuestionView | None:
        found = self._versions.get(question_id)
        if found is not None or not question_id.isdigit():
            return found
        with self.sessions() as session:
            version = session.get(QuestionVersion, int(question_id))
            if version is None:
                return None
            found = self._versions[question_id] = view_of(version)
        return found

    def current(self) -> list[QuestionView]:
        # Only the ids are read each time: this runs on the event loop for every draw and
        # host console, and decoding every version's JSON there took ~80 ms (docs/performance.md).
        # Versions never change, so the ones already seen come from the cache.
        with self.sessions() as session:
            ids = [
                str(i)
                for i in session.scalars(
                    select(QuestionVersion.id)
                    .join(Question, Question.id == QuestionVersion.question_id)
                    .where(
                        Question.retired.is_(False),
                        QuestionVersion.version == Question.current_version,
                    )
                )
            ]
            missing = [int(i) for i in ids if i not in self._versions]
            if missing:
                for version in session.scalars(
                    select(QuestionVersion).where(QuestionVersion.id.in_(missing))
                ):
                    self._versions[str(version.id)] = view_of(version)
        return [self._versions[i] for i in ids]

    def draw(
        self, question_filter: dict[str, Any], seed: str, used_codes: Iterable[str]
    ) -> QuestionView | None:
        low, high = question_filter.get("difficulty") or (1, 9)
        flt = DrawFilter.of(
            categories=question_filter.get("categories") or (),
            difficulties=range(low, high + 1) if question_filter.get("difficulty") else (),
            types=question_filter.get("kinds") or (),
        )
        pool = [_Drawable(v) for v in self.current()]
        used = set(used_codes)
        # Used questions no longer current (retired, or reworded since) still keep their fact
        # and group out of the event; their versions were cached when their ids were read.
        current = {item.id for item in pool}
        keys = {
            key
            for view in self._versions.values()
            if view.code in used and view.code not in current
            for key in apart_keys(view)
        }
        try:
            drawn = bank_draw(pool, seed=seed, used=used, filter=flt, count=1, keys=keys)
        except PoolExhausted:
            return None
        return drawn[0].view.drawn(seed)

    def stats(self) -> dict[str, Any]:
        views = self.current()
        return {"questions": len(views), "categories": sorted({v.category for v in views})}

"""The typed values of an organiser's report and of the per-question statistics.

Plain frozen dataclasses with no behaviour beyond derived rates: ``quiz.report.collect`` builds
them from the database, and the HTML, CSV and XLSX writers only read them. A rate is always
kept as the two counts it comes from, so every percentage in the report can be checked by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quiz.report.awareness import MessageRate
    from quiz.report.reach import Reach

from quiz.report.survey import SurveyReport

#: Answers a question needs before it may be called one of the hardest or easiest.
MIN_SAMPLE = 2
#: How many questions each of the hardest and easiest lists shows at most.
TOP = 5


class ReportError(Exception):
    """A report cannot be made as asked (unknown event, bad reference); the message says why."""


@dataclass(frozen=True, slots=True)
class Rate:
    """``correct`` out of ``total`` answers; no rate at all (``None``) when nothing was answered."""

    correct: int = 0
    total: int = 0

    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.correct + other.correct, self.total + other.total)


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """One question version as the report names it.

    ``version_id`` is what the match log stores; ``code`` (``AF-001``) and ``version`` come
    from the bank. A question the database no longer knows keeps its raw id as ``code``."""

    version_id: str
    code: str
    version: int | None
    category: str
    kind: str
    prompt_zh: str
    prompt_en: str
    #: The campaign key messages the question tests (``messages`` in the bank).
    messages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    title: str
    lang: str
    created: datetime
    first_play: datetime | None
    last_play: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptInfo:
    side: str  # red or blue
    name: str
    correct: bool
    rebound: bool
    by: str  # phone, host or timeout


@dataclass(frozen=True, slots=True)
class QuestionPlay:
    """One question as it went in one match (every question shown, concluded or not)."""

    match_id: int
    match_number: int
    game: int
    number: int
    question: QuestionInfo
    winner: str | None  # red, blue or None
    winner_name: str | None
    void_reason: str | None
    concluded: bool
    attempts: tuple[AttemptInfo, ...]
    violations: int
    audience: Rate | None

    @property
    def contestants(self) -> Rate:
        return Rate(sum(1 for a in self.attempts if a.correct), len(self.attempts))


@dataclass(frozen=True, slots=True)
class MatchSummary:
    id: int
    number: int
    status: str  # pending, live, finished, aborted
    red: str
    blue: str
    red_games: int
    blue_games: int
    winner: str | None  # red, blue or None
    winner_name: str | None
    termination: str | None  # games, forfeit, abandoned; None while unfinished
    reason: str
    questions: int
    voids: int
    red_violations: int
    blue_violations: int
    started: datetime
    finished: datetime | None
    replayed: bool  # False when the log could not be replayed (see ReportData.warnings)


@dataclass(frozen=True, slots=True)
class ContestantSummary:
    id: int
    name: str
    matches: int
    wins: int
    answers: Rate
    violations: int


@dataclass(frozen=True, slots=True)
class CategoryRate:
    category: str
    shown: int
    contestants: Rate
    audience: Rate | None


@dataclass(frozen=True, slots=True)
class QuestionRate:
    """A question version's rates within one report (or across events for the statistics)."""

    question: QuestionInfo
    shown: int
    voided: int
    contestants: Rate
    audience: Rate | None
    events: int = 1

    @property
    def pooled(self) -> Rate:
        """Contestants' and audience answers together: the sample the rankings use."""
        return self.contestants + (self.audience or Rate())

    @property
    def void_rate(self) -> float | None:
        return self.voided / self.shown if self.shown else None


@dataclass(frozen=True, slots=True)
class BracketMatch:
    id: str
    round: int
    red: str | None
    blue: str | None
    status: str  # bye, waiting, ready, done
    red_games: int | None
    blue_games: int | None
    winner: str | None
    forfeit: bool


@dataclass(frozen=True, slots=True)
class Ranking:
    place: int | None  # None: still in the knockout
    name: str
    wins: int | None = None
    losses: int | None = None
    games_won: int | None = None
    games_lost: int | None = None


@dataclass(frozen=True, slots=True)
class Bracket:
    format: str  # single_elimination, round_robin, manual
    matches: tuple[BracketMatch, ...]
    ranking: tuple[Ranking, ...]
    champion: str | None

    @property
    def rounds(self) -> list[tuple[int, list[BracketMatch]]]:
        out: dict[int, list[BracketMatch]] = {}
        for match in self.matches:
            out.setdefault(match.round, []).append(match)
        return sorted(out.items())


@dataclass(frozen=True, slots=True)
class DrawSummary:
    id: str
    prize: str
    count: int
    eligible: int
    drawn: bool
    winners: tuple[str, ...]  # nicknames, in drawing order
    commitment: str


@dataclass(frozen=True, slots=True)
class AudienceSummary:
    phones: int
    answers: Rate


@dataclass(frozen=True)
class ReportData:
    event: EventInfo
    generated: datetime
    matches: tuple[MatchSummary, ...]
    contestants: tuple[ContestantSummary, ...]
    plays: tuple[QuestionPlay, ...]
    categories: tuple[CategoryRate, ...]
    questions: tuple[QuestionRate, ...]
    hardest: tuple[QuestionRate, ...]
    easiest: tuple[QuestionRate, ...]
    min_sample: int
    #: ``None`` everywhere below means "none recorded" (not "zero").
    audience: AudienceSummary | None
    bracket: Bracket | None
    draws: tuple[DrawSummary, ...] | None
    warnings: tuple[str, ...] = field(default=())
    #: The campaign's measures: reach (到达率) and per key message awareness (知晓率).
    reach: Reach | None = None
    awareness: tuple[MessageRate, ...] = ()
    #: The satisfaction survey (``quiz.report.survey.SurveyReport``); None: none was held.
    survey: SurveyReport | None = None

    @property
    def contestant_rate(self) -> Rate:
        total = Rate()
        for category in self.categories:
            total += category.contestants
        return total

    @property
    def finished_matches(self) -> int:
        return sum(1 for m in self.matches if m.status == "finished")

"""SQLAlchemy 2 typed models: the database schema. Schema changes go through Alembic."""

from quiz.models.acks import CommandAck
from quiz.models.audience import (
    AudienceAnswer,
    AudienceMember,
    AudiencePresence,
    AudienceQuestion,
    AudienceSettings,
    PrizeDraw,
)
from quiz.models.bank import Question, QuestionVersion
from quiz.models.base import Base
from quiz.models.live import Contestant, Match, MatchLogEntry, QuizEvent, Seat
from quiz.models.survey import SurveyAnswer, SurveyRun
from quiz.models.tournament import Tournament, TournamentMatch

__all__ = [
    "AudienceAnswer",
    "AudienceMember",
    "AudiencePresence",
    "AudienceQuestion",
    "AudienceSettings",
    "Base",
    "CommandAck",
    "Contestant",
    "Match",
    "MatchLogEntry",
    "PrizeDraw",
    "Question",
    "QuestionVersion",
    "QuizEvent",
    "Seat",
    "SurveyAnswer",
    "SurveyRun",
    "Tournament",
    "TournamentMatch",
]

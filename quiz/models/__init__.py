"""SQLAlchemy 2 typed models: the database schema. Schema changes go through Alembic."""

from quiz.models.bank import Question, QuestionVersion
from quiz.models.base import Base
from quiz.models.live import Contestant, Match, MatchLogEntry, QuizEvent, Seat

__all__ = [
    "Base",
    "Contestant",
    "Match",
    "MatchLogEntry",
    "Question",
    "QuestionVersion",
    "QuizEvent",
    "Seat",
]

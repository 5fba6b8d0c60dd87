"""SQLAlchemy 2 typed models: the database schema. Schema changes go through Alembic."""

from quiz.models.base import Base

__all__ = ["Base"]

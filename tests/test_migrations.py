"""The Alembic migrations create exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import quiz.models
from quiz.db import make_engine, migrate


def test_migrations_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate(engine)
    migrate(engine)  # a second upgrade is a no-op
    tables = set(inspect(engine).get_table_names())
    assert set(quiz.models.Base.metadata.tables) <= tables
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), quiz.models.Base.metadata)
    assert diff == [], f"models changed without a migration: {diff}"

"""Alembic environment: runs migrations on the connection handed in by :func:`quiz.db.migrate`,
or on ``DATABASE_URL`` / the default SQLite file when run through the ``alembic`` command."""

from __future__ import annotations

from alembic import context

import quiz.models  # noqa: F401  (registers every model on the metadata)
from quiz.db import default_database_url, make_engine
from quiz.models.base import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(default_database_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()

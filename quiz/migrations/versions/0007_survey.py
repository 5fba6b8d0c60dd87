"""survey: the satisfaction survey put to an event's audience and the phones' answers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("opened_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("closed_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["quiz_event.id"], name=op.f("fk_survey_run_event_id_quiz_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_run")),
    )
    with op.batch_alter_table("survey_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_run_event_id"), ["event_id"], unique=False)

    op.create_table(
        "survey_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=True),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["quiz_event.id"], name=op.f("fk_survey_answer_event_id_quiz_event")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["survey_run.id"], name=op.f("fk_survey_answer_run_id_survey_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answer")),
        sa.UniqueConstraint("event_id", "phone", name="uq_survey_answer_phone"),
    )
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_answer_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_answer_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_answer_run_id"))
        batch_op.drop_index(batch_op.f("ix_survey_answer_event_id"))
    op.drop_table("survey_answer")
    with op.batch_alter_table("survey_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_run_event_id"))
    op.drop_table("survey_run")

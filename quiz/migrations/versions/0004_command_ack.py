"""command_ack: the stored acks of applied commands (idempotency across restarts)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 23:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "command_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=80), nullable=False),
        sa.Column("command_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("ack", sa.JSON(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_command_ack")),
        sa.UniqueConstraint("sender", "command_id", name=op.f("uq_command_ack_sender")),
    )
    with op.batch_alter_table("command_ack", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_ack_created"), ["created"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("command_ack", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_ack_created"))
    op.drop_table("command_ack")

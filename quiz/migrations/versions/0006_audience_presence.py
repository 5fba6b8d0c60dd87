"""audience presence: when each audience phone came online and went offline (reach figures)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audience_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["audience_member.id"],
            name=op.f("fk_audience_presence_member_id_audience_member"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_presence")),
    )
    with op.batch_alter_table("audience_presence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audience_presence_member_id"), ["member_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audience_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audience_presence_member_id"))
    op.drop_table("audience_presence")

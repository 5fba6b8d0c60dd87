"""seat codes of eight symbols (codes of five, issued before, stay valid)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 23:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.alter_column(
            "code", existing_type=sa.String(length=5), type_=sa.String(length=8), nullable=False
        )


def downgrade() -> None:
    # Eight-symbol codes do not fit the old column: they are revoked seats by then at best.
    with op.batch_alter_table("seat", schema=None) as batch_op:
        batch_op.alter_column(
            "code", existing_type=sa.String(length=8), type_=sa.String(length=5), nullable=False
        )

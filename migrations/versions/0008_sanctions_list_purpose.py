"""Sanctions lists get a purpose: sanctions (a hit holds the account) or pep (enhanced due
diligence). Existing lists are sanctions lists.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 05:26:38.697816
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column with a server default: no table rewrite on PostgreSQL, batch mode on SQLite.
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=12), server_default="sanctions", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("sanctions_lists", schema=None) as batch_op:
        batch_op.drop_column("purpose")

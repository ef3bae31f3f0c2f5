"""Multi-step rounds: rgs_rounds.actions, the player's moves in order.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.add_column(sa.Column("actions", sa.Text(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.drop_column("actions")

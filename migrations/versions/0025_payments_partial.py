"""Payments: ``partial`` marks a deposit cut to what the deposit limit left (GLI-19 §2.5.6),
kept apart from ``reason``, which later states overwrite. Filled from the deposits recorded
so (their first transition says "cut to the deposit limit").

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-24 20:58:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(
            sa.Column("partial", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE payments SET partial = true WHERE reason = 'partial: limit' OR id IN ("
        "SELECT payment_id FROM payment_transitions "
        "WHERE cause LIKE '%(cut to the deposit limit)%')"
    )
    op.execute("UPDATE payments SET reason = NULL WHERE reason = 'partial: limit'")


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("partial")

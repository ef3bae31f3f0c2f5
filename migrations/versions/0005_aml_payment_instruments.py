"""Payment instruments seen per player, for the AML shared-instrument rule.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 04:55:40.122626
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aml_payment_instruments",
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_aml_payment_instruments_player_id_players")
        ),
        sa.PrimaryKeyConstraint(
            "fingerprint", "player_id", name=op.f("pk_aml_payment_instruments")
        ),
    )


def downgrade() -> None:
    op.drop_table("aml_payment_instruments")

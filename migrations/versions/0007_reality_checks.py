"""Reality checks acknowledged per login session.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 05:12:12.343742
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
        "rg_reality_checks",
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_reality_checks_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["player_sessions.id"],
            name=op.f("fk_rg_reality_checks_session_id_player_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_rg_reality_checks")),
    )


def downgrade() -> None:
    op.drop_table("rg_reality_checks")

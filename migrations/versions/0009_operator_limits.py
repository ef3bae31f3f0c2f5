"""Limits set by the RG team beside the player's own: rg_limits gets set_by, and the unique
key includes it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 05:28:54.264920
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rg_limits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("set_by", sa.String(length=10), server_default="player", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("uq_rg_limits_player_kind_period"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_rg_limits_player_kind_period_set_by", ["player_id", "kind", "period", "set_by"]
        )


def downgrade() -> None:
    with op.batch_alter_table("rg_limits", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rg_limits_player_kind_period_set_by", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_rg_limits_player_kind_period"), ["player_id", "kind", "period"]
        )
        batch_op.drop_column("set_by")

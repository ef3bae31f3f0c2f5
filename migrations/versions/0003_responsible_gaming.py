"""Responsible gaming: player-set limits, time-outs and self-exclusions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 04:30:38.052076
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rg_exclusions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_exclusions_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rg_exclusions")),
    )
    op.create_index(
        "ix_rg_exclusions_player_id_kind", "rg_exclusions", ["player_id", "kind"], unique=False
    )

    op.create_table(
        "rg_limits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=4), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pending_amount", sa.BigInteger(), nullable=True),
        sa.Column("pending_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_effective_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rg_limits_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rg_limits")),
        sa.UniqueConstraint("player_id", "kind", "period", name="uq_rg_limits_player_kind_period"),
    )


def downgrade() -> None:
    op.drop_table("rg_limits")
    op.drop_index("ix_rg_exclusions_player_id_kind", table_name="rg_exclusions")

    op.drop_table("rg_exclusions")

"""Autoplay sessions and interrupted rounds: rgs_autoplays; rgs_rounds.autoplay_id, moved_at
and an index of open rounds.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 09:18:24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rgs_autoplays",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("stake", sa.BigInteger(), nullable=False),
        sa.Column("rounds", sa.BigInteger(), nullable=False),
        sa.Column("rounds_played", sa.BigInteger(), nullable=False),
        sa.Column("loss_limit", sa.BigInteger(), nullable=False),
        sa.Column("single_win_limit", sa.BigInteger(), nullable=True),
        sa.Column("staked", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rgs_autoplays_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rgs_autoplays")),
    )
    op.create_index(
        "ix_rgs_autoplays_player_id_created_at", "rgs_autoplays", ["player_id", "created_at"]
    )
    op.create_index(
        "uq_rgs_autoplays_running_player",
        "rgs_autoplays",
        ["player_id"],
        unique=True,
        postgresql_where=sa.text("state = 'running'"),
        sqlite_where=sa.text("state = 'running'"),
    )
    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.add_column(sa.Column("autoplay_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_rgs_rounds_autoplay_id_rgs_autoplays"),
            "rgs_autoplays",
            ["autoplay_id"],
            ["id"],
        )
    op.create_index(
        "ix_rgs_rounds_open",
        "rgs_rounds",
        ["player_id", "title"],
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_rgs_rounds_open", table_name="rgs_rounds")
    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rgs_rounds_autoplay_id_rgs_autoplays"), type_="foreignkey"
        )
        batch_op.drop_column("moved_at")
        batch_op.drop_column("autoplay_id")
    op.drop_index("uq_rgs_autoplays_running_player", table_name="rgs_autoplays")
    op.drop_index("ix_rgs_autoplays_player_id_created_at", table_name="rgs_autoplays")
    op.drop_table("rgs_autoplays")

"""In-house games: provably fair seed pairs (server seeds sealed at rest) and game rounds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 06:45:09.189850
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rgs_seed_pairs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("server_seed_sealed", sa.String(length=200), nullable=False),
        sa.Column("server_seed_hash", sa.String(length=64), nullable=False),
        sa.Column("client_seed", sa.String(length=64), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revealed_server_seed", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rgs_seed_pairs_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rgs_seed_pairs")),
    )
    op.create_index(
        "ix_rgs_seed_pairs_player_id", "rgs_seed_pairs", ["player_id", "created_at"], unique=False
    )
    op.create_index(
        "uq_rgs_seed_pairs_active_player",
        "rgs_seed_pairs",
        ["player_id"],
        unique=True,
        postgresql_where=sa.text("revealed_at IS NULL"),
        sqlite_where=sa.text("revealed_at IS NULL"),
    )
    op.create_table(
        "rgs_rounds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("round_key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("stake", sa.BigInteger(), nullable=False),
        sa.Column("payout", sa.BigInteger(), nullable=False),
        sa.Column("multiplier", sa.String(length=80), nullable=False),
        sa.Column("seed_pair_id", sa.String(length=40), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("balance_before", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rgs_rounds_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["seed_pair_id"],
            ["rgs_seed_pairs.id"],
            name=op.f("fk_rgs_rounds_seed_pair_id_rgs_seed_pairs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rgs_rounds")),
        sa.UniqueConstraint("player_id", "round_key", name="uq_rgs_rounds_player_round_key"),
        sa.UniqueConstraint("seed_pair_id", "nonce", name="uq_rgs_rounds_seed_pair_id_nonce"),
    )
    op.create_index(
        "ix_rgs_rounds_player_id_created_at",
        "rgs_rounds",
        ["player_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_rgs_rounds_player_id_created_at", table_name="rgs_rounds")
    op.drop_table("rgs_rounds")
    op.drop_index("uq_rgs_seed_pairs_active_player", table_name="rgs_seed_pairs")
    op.drop_index("ix_rgs_seed_pairs_player_id", table_name="rgs_seed_pairs")
    op.drop_table("rgs_seed_pairs")

"""Crash: published hash chains (seed and checkpoints sealed), shared rounds and their bets.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 09:22:49
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rgs_crash_chains",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("first_round", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("terminating_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.Column("seed_sealed", sa.String(length=200), nullable=False),
        sa.Column("checkpoint_every", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("salt_set_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rgs_crash_chains")),
        sa.UniqueConstraint("first_round", name=op.f("uq_rgs_crash_chains_first_round")),
    )
    op.create_table(
        "rgs_crash_checkpoints",
        sa.Column("chain_id", sa.String(length=40), nullable=False),
        sa.Column("chain_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash_sealed", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["rgs_crash_chains.id"],
            name=op.f("fk_rgs_crash_checkpoints_chain_id_rgs_crash_chains"),
        ),
        sa.PrimaryKeyConstraint("chain_id", "chain_index", name=op.f("pk_rgs_crash_checkpoints")),
    )
    op.create_table(
        "rgs_crash_rounds",
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chain_id", sa.String(length=40), nullable=False),
        sa.Column("chain_index", sa.BigInteger(), nullable=False),
        sa.Column("hash_sealed", sa.String(length=200), nullable=False),
        sa.Column("betting_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("running_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("crash_point", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["chain_id"],
            ["rgs_crash_chains.id"],
            name=op.f("fk_rgs_crash_rounds_chain_id_rgs_crash_chains"),
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_rgs_crash_rounds")),
    )
    op.create_index(
        "ix_rgs_crash_rounds_open",
        "rgs_crash_rounds",
        ["number"],
        unique=False,
        postgresql_where=sa.text("state = 'open'"),
        sqlite_where=sa.text("state = 'open'"),
    )
    op.create_table(
        "rgs_crash_bets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("round_number", sa.BigInteger(), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("bet_key", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("stake", sa.BigInteger(), nullable=False),
        sa.Column("auto_cashout", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("cashout", sa.BigInteger(), nullable=True),
        sa.Column("cashout_kind", sa.String(length=8), nullable=True),
        sa.Column("payout", sa.BigInteger(), nullable=False),
        sa.Column("balance_before", sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_rgs_crash_bets_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["round_number"],
            ["rgs_crash_rounds.number"],
            name=op.f("fk_rgs_crash_bets_round_number_rgs_crash_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rgs_crash_bets")),
        sa.UniqueConstraint("player_id", "bet_key", name="uq_rgs_crash_bets_player_bet_key"),
        sa.UniqueConstraint("round_number", "player_id", name="uq_rgs_crash_bets_round_player"),
    )
    op.create_index(
        "ix_rgs_crash_bets_player_id_created_at",
        "rgs_crash_bets",
        ["player_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_rgs_crash_bets_player_id_created_at", table_name="rgs_crash_bets")
    op.drop_table("rgs_crash_bets")
    op.drop_index("ix_rgs_crash_rounds_open", table_name="rgs_crash_rounds")
    op.drop_table("rgs_crash_rounds")
    op.drop_table("rgs_crash_checkpoints")
    op.drop_table("rgs_crash_chains")

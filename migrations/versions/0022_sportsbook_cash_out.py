"""Sportsbook cash-out: each cash-out of a bet (whole or part), and on bets what cash-outs
paid, the hold of the stake still in play, and the player's automatic cash-out rule.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-24 17:27:12.911447
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sb_cash_outs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bet_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("fraction", sa.String(length=40), nullable=False),
        sa.Column("stake_part", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bet_id"], ["sb_bets.id"], name=op.f("fk_sb_cash_outs_bet_id_sb_bets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_cash_outs")),
        sa.UniqueConstraint("bet_id", "client_id", name="uq_sb_cash_outs_bet_client"),
        sa.UniqueConstraint("bet_id", "seq", name="uq_sb_cash_outs_bet_seq"),
    )
    # Columns with a server default or nullable: no table rewrite on PostgreSQL, batch mode on
    # SQLite.
    with op.batch_alter_table("sb_bets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cashed_out", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("stake_hold_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("auto_cash_out_at", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sb_bets", schema=None) as batch_op:
        batch_op.drop_column("auto_cash_out_at")
        batch_op.drop_column("stake_hold_id")
        batch_op.drop_column("cashed_out")
    op.drop_table("sb_cash_outs")

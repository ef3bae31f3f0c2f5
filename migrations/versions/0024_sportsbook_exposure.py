"""Sportsbook exposure: what open bets hold on each selection (their stakes, and what they
could win beyond them), kept as bets open and close, so that placing a bet no longer sums
every open bet on its selections. Filled here from the open bets.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-24 20:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sb_selection_exposure",
        sa.Column("selection_id", sa.String(length=40), nullable=False),
        sa.Column("open_stakes", sa.BigInteger(), nullable=False),
        sa.Column("open_liability", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["sb_selections.id"],
            name=op.f("fk_sb_selection_exposure_selection_id_sb_selections"),
        ),
        sa.PrimaryKeyConstraint("selection_id", name=op.f("pk_sb_selection_exposure")),
    )
    op.execute(
        "INSERT INTO sb_selection_exposure (selection_id, open_stakes, open_liability) "
        "SELECT l.selection_id, sum(b.stake), sum(b.potential_return - b.stake) "
        "FROM sb_bet_legs l JOIN sb_bets b ON b.id = l.bet_id "
        "WHERE b.status IN ('pending', 'accepted') GROUP BY l.selection_id"
    )


def downgrade() -> None:
    op.drop_table("sb_selection_exposure")

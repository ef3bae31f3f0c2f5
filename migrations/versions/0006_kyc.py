"""KYC: each player's verification level, and the checks asked of the vendor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 05:03:14.134120
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kyc_checks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("documents", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_kyc_checks_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_checks")),
    )
    op.create_index("ix_kyc_checks_player_id", "kyc_checks", ["player_id"], unique=False)

    op.create_table(
        "kyc_status",
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverification_reason", sa.String(length=200), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_kyc_status_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_kyc_status")),
    )


def downgrade() -> None:
    op.drop_table("kyc_status")
    op.drop_index("ix_kyc_checks_player_id", table_name="kyc_checks")

    op.drop_table("kyc_checks")

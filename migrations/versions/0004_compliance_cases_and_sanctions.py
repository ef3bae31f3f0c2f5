"""Compliance cases with notes, and the sanctions lists screened against.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 04:50:55.585455
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanctions_lists",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("source_format", sa.String(length=10), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sanctions_lists")),
    )
    op.create_table(
        "sanctions_entries",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("list_name", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("normalized", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_name"],
            ["sanctions_lists.name"],
            name=op.f("fk_sanctions_entries_list_name_sanctions_lists"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sanctions_entries")),
    )
    op.create_index(
        "ix_sanctions_entries_list_name", "sanctions_entries", ["list_name"], unique=False
    )

    op.create_table(
        "compliance_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_compliance_cases_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_cases")),
    )
    op.create_index(
        "ix_compliance_cases_player_id", "compliance_cases", ["player_id"], unique=False
    )
    op.create_index("ix_compliance_cases_state", "compliance_cases", ["state"], unique=False)

    op.create_table(
        "compliance_case_notes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["compliance_cases.id"],
            name=op.f("fk_compliance_case_notes_case_id_compliance_cases"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_compliance_case_notes")),
    )
    op.create_index(
        "ix_compliance_case_notes_case_id", "compliance_case_notes", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_compliance_case_notes_case_id", table_name="compliance_case_notes")

    op.drop_table("compliance_case_notes")
    op.drop_index("ix_compliance_cases_state", table_name="compliance_cases")
    op.drop_index("ix_compliance_cases_player_id", table_name="compliance_cases")

    op.drop_table("compliance_cases")
    op.drop_index("ix_sanctions_entries_list_name", table_name="sanctions_entries")

    op.drop_table("sanctions_entries")
    op.drop_table("sanctions_lists")

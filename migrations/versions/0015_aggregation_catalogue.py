"""Game aggregation: game_providers (protocol, RSA public key and its fingerprint) and
provider_games (the catalogue of their games).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 10:23:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "game_providers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_game_providers_name")),
    )
    op.create_table(
        "provider_games",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("rtp", sa.String(length=16), nullable=True),
        sa.Column("jurisdictions", sa.Text(), nullable=False),
        sa.Column("blocked_countries", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["game_providers.id"],
            name=op.f("fk_provider_games_provider_id_game_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_games")),
        sa.UniqueConstraint("provider_id", "code", name="uq_provider_games_provider_id_code"),
    )


def downgrade() -> None:
    op.drop_table("provider_games")
    op.drop_table("game_providers")

"""Game aggregation: game_providers.launch_url and game_sessions (players' sessions at a
provider's game, by the SHA-256 of their token).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable column: no table rewrite on PostgreSQL, batch mode on SQLite.
    with op.batch_alter_table("game_providers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("launch_url", sa.String(length=500), nullable=True))
    op.create_table(
        "game_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=40), nullable=False),
        sa.Column("game_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["game_id"], ["provider_games.id"], name=op.f("fk_game_sessions_game_id_provider_games")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_game_sessions_player_id_players")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["game_providers.id"],
            name=op.f("fk_game_sessions_provider_id_game_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_sessions")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_game_sessions_token_sha256")),
    )
    op.create_index(
        "ix_game_sessions_player_id_provider_id",
        "game_sessions",
        ["player_id", "provider_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_game_sessions_player_id_provider_id", table_name="game_sessions")
    op.drop_table("game_sessions")
    with op.batch_alter_table("game_providers", schema=None) as batch_op:
        batch_op.drop_column("launch_url")

"""Risk scoring: risk_attempts, risk_device_sightings, risk_instrument_sightings.

- ``risk_attempts``: every deposit and withdrawal attempt risk scored, with its decision
  (outcome, score, model version, top factors and rules as JSON) and, once the payment knows,
  whether it went through. The index on ``at`` serves the other processes' catch-up reads,
  the one on ``(player_id, at)`` a player's history, the one on ``settled_at`` failures.
- ``risk_device_sightings`` and ``risk_instrument_sightings``: the first time each player
  used a device or a payment instrument.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_attempts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=True),
        sa.Column("instrument_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("ip_country", sa.String(length=2), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_risk_attempts_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_attempts")),
    )
    op.create_index("ix_risk_attempts_at", "risk_attempts", ["at"], unique=False)
    op.create_index(
        "ix_risk_attempts_player_id_at", "risk_attempts", ["player_id", "at"], unique=False
    )
    op.create_index("ix_risk_attempts_settled_at", "risk_attempts", ["settled_at"], unique=False)
    op.create_table(
        "risk_device_sightings",
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_risk_device_sightings_player_id_players")
        ),
        sa.PrimaryKeyConstraint("device_id", "player_id", name=op.f("pk_risk_device_sightings")),
    )
    op.create_index(
        "ix_risk_device_sightings_first_seen_at",
        "risk_device_sightings",
        ["first_seen_at"],
        unique=False,
    )
    op.create_table(
        "risk_instrument_sightings",
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"],
            ["players.id"],
            name=op.f("fk_risk_instrument_sightings_player_id_players"),
        ),
        sa.PrimaryKeyConstraint(
            "fingerprint", "player_id", name=op.f("pk_risk_instrument_sightings")
        ),
    )
    op.create_index(
        "ix_risk_instrument_sightings_first_seen_at",
        "risk_instrument_sightings",
        ["first_seen_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_risk_instrument_sightings_first_seen_at", table_name="risk_instrument_sightings"
    )
    op.drop_table("risk_instrument_sightings")
    op.drop_index("ix_risk_device_sightings_first_seen_at", table_name="risk_device_sightings")
    op.drop_table("risk_device_sightings")
    op.drop_index("ix_risk_attempts_settled_at", table_name="risk_attempts")
    op.drop_index("ix_risk_attempts_player_id_at", table_name="risk_attempts")
    op.drop_index("ix_risk_attempts_at", table_name="risk_attempts")
    op.drop_table("risk_attempts")

"""Game control (GLI-19 §2.4.1, §4.15, A.6): game_controls, rtp_alerts, and rgs_rounds.staked.

- ``game_controls``: the controls in force, games disabled (globally, per brand or per
  jurisdiction; provider ``*`` is the kill switch) and stake caps per game, jurisdiction and
  currency. Its unique constraint is also the index that every bet's check reads.
- ``rtp_alerts``: actual RTP found outside its 99 % interval, at most one open per game and
  currency (a partial unique index).
- ``rgs_rounds.staked``: all a round staked, doubles, splits, raises and insurance included,
  so that an in-house title's actual RTP is what returned of all staked, as its PAR sheet
  reports it. Existing rounds are filled in: their stake, times the ``units_staked`` of the
  last view for the titles that stake more inside a round (each added stake was
  ``int(stake × added units)``, and no round adds more than one fraction of a unit, so the
  product is what the ledger moved).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-24 13:56:32
"""

from __future__ import annotations

import json
from fractions import Fraction

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "game_controls",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("game_code", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_value", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("max_stake", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=120), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_game_controls")),
        sa.UniqueConstraint(
            "provider",
            "game_code",
            "kind",
            "scope",
            "scope_value",
            "currency",
            name="uq_game_controls_provider_game_code_kind_scope",
        ),
    )
    op.create_table(
        "rtp_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("game_code", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("rounds", sa.BigInteger(), nullable=False),
        sa.Column("actual_rtp", sa.Float(), nullable=False),
        sa.Column("interval_low", sa.Float(), nullable=False),
        sa.Column("interval_high", sa.Float(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rtp_alerts")),
    )
    op.create_index(
        "uq_rtp_alerts_open",
        "rtp_alerts",
        ["provider", "game_code", "currency"],
        unique=True,
        postgresql_where=sa.text("cleared_at IS NULL"),
        sqlite_where=sa.text("cleared_at IS NULL"),
    )

    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.add_column(
            sa.Column("staked", sa.BigInteger(), server_default="0", nullable=False)
        )
    _fill_in_staked()


def _fill_in_staked() -> None:
    rounds = sa.table(
        "rgs_rounds",
        sa.column("id", sa.String()),
        sa.column("stake", sa.BigInteger()),
        sa.column("staked", sa.BigInteger()),
        sa.column("outcome", sa.Text()),
    )
    bind = op.get_bind()
    bind.execute(rounds.update().values(staked=rounds.c.stake))
    raised = bind.execute(
        sa.select(rounds.c.id, rounds.c.stake, rounds.c.outcome).where(
            rounds.c.outcome.like('%"units_staked"%')
        )
    ).all()
    for round_id, stake, outcome in raised:
        units = Fraction(str(json.loads(outcome).get("units_staked", 1)))
        if units != 1:
            bind.execute(
                rounds.update().where(rounds.c.id == round_id).values(staked=int(stake * units))
            )


def downgrade() -> None:
    with op.batch_alter_table("rgs_rounds") as batch_op:
        batch_op.drop_column("staked")
    op.drop_index("uq_rtp_alerts_open", table_name="rtp_alerts")
    op.drop_table("rtp_alerts")
    op.drop_table("game_controls")

"""Sportsbook: competitions, events, markets, selections, bets and their legs, market results
by version, and players' stake factors.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-24 17:20:03.678881
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sb_competitions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("sport", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_competitions")),
        sa.UniqueConstraint("sport", "name", name="uq_sb_competitions_sport_name"),
    )
    op.create_table(
        "sb_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("competition_id", sa.String(length=40), nullable=False),
        sa.Column("sport", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("competitors", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("feed_id", sa.String(length=100), nullable=True),
        sa.Column("minute", sa.Integer(), nullable=True),
        sa.Column("score", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["competition_id"],
            ["sb_competitions.id"],
            name=op.f("fk_sb_events_competition_id_sb_competitions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_events")),
        sa.UniqueConstraint("feed_id", name=op.f("uq_sb_events_feed_id")),
    )
    op.create_index("ix_sb_events_starts_at", "sb_events", ["starts_at"], unique=False)

    op.create_table(
        "sb_bets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("stake", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("odds_policy", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("potential_return", sa.BigInteger(), nullable=False),
        sa.Column("returned", sa.BigInteger(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settlement_version", sa.Integer(), nullable=False),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("voided_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["currency"], ["currencies.code"], name=op.f("fk_sb_bets_currency_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_sb_bets_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_bets")),
        sa.UniqueConstraint("player_id", "client_id", name="uq_sb_bets_player_client"),
    )
    op.create_index(
        "ix_sb_bets_player_id_placed_at", "sb_bets", ["player_id", "placed_at"], unique=False
    )
    op.create_index("ix_sb_bets_status", "sb_bets", ["status"], unique=False)

    op.create_table(
        "sb_markets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("in_play", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("liability_limit", sa.BigInteger(), nullable=False),
        sa.Column("margin", sa.String(length=16), nullable=False),
        sa.Column("margin_method", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["sb_events.id"], name=op.f("fk_sb_markets_event_id_sb_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_markets")),
    )
    op.create_index(op.f("ix_sb_markets_event_id"), "sb_markets", ["event_id"], unique=False)

    op.create_table(
        "sb_player_stake_factors",
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("factor", sa.String(length=16), nullable=False),
        sa.Column("set_by", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_sb_player_stake_factors_player_id_players")
        ),
        sa.PrimaryKeyConstraint("player_id", name=op.f("pk_sb_player_stake_factors")),
    )
    op.create_table(
        "sb_market_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("market_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"], ["sb_markets.id"], name=op.f("fk_sb_market_results_market_id_sb_markets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_market_results")),
        sa.UniqueConstraint("market_id", "version", name="uq_sb_market_results_market_version"),
    )
    op.create_table(
        "sb_selections",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("market_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("probability", sa.String(length=40), nullable=True),
        sa.Column("odds", sa.String(length=24), nullable=False),
        sa.Column("odds_override", sa.String(length=24), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"], ["sb_markets.id"], name=op.f("fk_sb_selections_market_id_sb_markets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_selections")),
        sa.UniqueConstraint("market_id", "code", name="uq_sb_selections_market_code"),
    )
    op.create_index(
        op.f("ix_sb_selections_market_id"), "sb_selections", ["market_id"], unique=False
    )

    op.create_table(
        "sb_bet_legs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bet_id", sa.String(length=40), nullable=False),
        sa.Column("selection_id", sa.String(length=40), nullable=False),
        sa.Column("odds", sa.String(length=24), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("dead_heat_factor", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(
            ["bet_id"], ["sb_bets.id"], name=op.f("fk_sb_bet_legs_bet_id_sb_bets")
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["sb_selections.id"],
            name=op.f("fk_sb_bet_legs_selection_id_sb_selections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sb_bet_legs")),
    )
    op.create_index(op.f("ix_sb_bet_legs_bet_id"), "sb_bet_legs", ["bet_id"], unique=False)
    op.create_index(
        op.f("ix_sb_bet_legs_selection_id"), "sb_bet_legs", ["selection_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sb_bet_legs_selection_id"), table_name="sb_bet_legs")
    op.drop_index(op.f("ix_sb_bet_legs_bet_id"), table_name="sb_bet_legs")

    op.drop_table("sb_bet_legs")
    op.drop_index(op.f("ix_sb_selections_market_id"), table_name="sb_selections")

    op.drop_table("sb_selections")
    op.drop_table("sb_market_results")
    op.drop_table("sb_player_stake_factors")
    op.drop_index(op.f("ix_sb_markets_event_id"), table_name="sb_markets")

    op.drop_table("sb_markets")
    op.drop_index("ix_sb_bets_status", table_name="sb_bets")
    op.drop_index("ix_sb_bets_player_id_placed_at", table_name="sb_bets")

    op.drop_table("sb_bets")
    op.drop_index("ix_sb_events_starts_at", table_name="sb_events")

    op.drop_table("sb_events")
    op.drop_table("sb_competitions")

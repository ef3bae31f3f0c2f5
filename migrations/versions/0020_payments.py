"""Payments: deposits and withdrawals, their transitions, PSP attempts, instruments, webhook
events, withdrawal approvals, reconciliation runs and mismatches.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-24 16:28:54.581595
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_webhook_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("psp", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_webhook_events")),
        sa.UniqueConstraint("psp", "event_id", name="uq_payment_webhook_events_psp_event_id"),
    )
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("psp", sa.String(length=40), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("report_rows", sa.Integer(), nullable=False),
        sa.Column("ledger_rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("mismatches", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
    )
    op.create_index(
        "ix_reconciliation_runs_psp_day", "reconciliation_runs", ["psp", "day"], unique=False
    )

    op.create_table(
        "reconciliation_mismatches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("problem", sa.String(length=24), nullable=False),
        sa.Column("psp_reference", sa.String(length=100), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("report_amount", sa.BigInteger(), nullable=True),
        sa.Column("ledger_amount", sa.BigInteger(), nullable=True),
        sa.Column("report_status", sa.String(length=20), nullable=True),
        sa.Column("ledger_status", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_mismatches_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_mismatches")),
    )
    op.create_index(
        op.f("ix_reconciliation_mismatches_run_id"),
        "reconciliation_mismatches",
        ["run_id"],
        unique=False,
    )

    op.create_table(
        "payment_instruments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("display", sa.String(length=64), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_payment_instruments_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_instruments")),
        sa.UniqueConstraint(
            "player_id", "method", "fingerprint", name="uq_payment_instruments_player_method_fp"
        ),
    )
    op.create_index(
        "ix_payment_instruments_fingerprint", "payment_instruments", ["fingerprint"], unique=False
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("player_id", sa.String(length=40), nullable=False),
        sa.Column("brand_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("instrument_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("psp", sa.String(length=40), nullable=True),
        sa.Column("psp_reference", sa.String(length=100), nullable=True),
        sa.Column("redirect_url", sa.String(length=500), nullable=True),
        sa.Column("risk", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("approvals_needed", sa.Integer(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["currency"], ["currencies.code"], name=op.f("fk_payments_currency_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["payment_instruments.id"],
            name=op.f("fk_payments_instrument_id_payment_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["player_id"], ["players.id"], name=op.f("fk_payments_player_id_players")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("player_id", "client_id", name="uq_payments_player_id_client_id"),
    )
    op.create_index("ix_payments_check_at", "payments", ["check_at"], unique=False)
    op.create_index(
        "ix_payments_player_id_created_at", "payments", ["player_id", "created_at"], unique=False
    )
    op.create_index(
        "ix_payments_psp_psp_reference", "payments", ["psp", "psp_reference"], unique=False
    )
    op.create_index("ix_payments_status", "payments", ["status"], unique=False)

    op.create_table(
        "payment_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("psp", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("milliseconds", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_attempts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
    )
    op.create_index(
        op.f("ix_payment_attempts_payment_id"), "payment_attempts", ["payment_id"], unique=False
    )

    op.create_table(
        "payment_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("cause", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_transitions_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_transitions")),
    )
    op.create_index(
        op.f("ix_payment_transitions_payment_id"),
        "payment_transitions",
        ["payment_id"],
        unique=False,
    )

    op.create_table(
        "withdrawal_approvals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("operator_id", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_withdrawal_approvals_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_approvals")),
        sa.UniqueConstraint(
            "payment_id", "operator_id", name="uq_withdrawal_approvals_payment_operator"
        ),
    )


def downgrade() -> None:
    op.drop_table("withdrawal_approvals")
    op.drop_index(op.f("ix_payment_transitions_payment_id"), table_name="payment_transitions")

    op.drop_table("payment_transitions")
    op.drop_index(op.f("ix_payment_attempts_payment_id"), table_name="payment_attempts")

    op.drop_table("payment_attempts")
    op.drop_index("ix_payments_status", table_name="payments")
    op.drop_index("ix_payments_psp_psp_reference", table_name="payments")
    op.drop_index("ix_payments_player_id_created_at", table_name="payments")
    op.drop_index("ix_payments_check_at", table_name="payments")

    op.drop_table("payments")
    op.drop_index("ix_payment_instruments_fingerprint", table_name="payment_instruments")

    op.drop_table("payment_instruments")
    op.drop_index(
        op.f("ix_reconciliation_mismatches_run_id"), table_name="reconciliation_mismatches"
    )

    op.drop_table("reconciliation_mismatches")
    op.drop_index("ix_reconciliation_runs_psp_day", table_name="reconciliation_runs")

    op.drop_table("reconciliation_runs")
    op.drop_table("payment_webhook_events")

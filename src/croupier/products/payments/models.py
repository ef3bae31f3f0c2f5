"""Tables of payments: deposits and withdrawals, every state they passed through, every call
made to a payment service provider (PSP), webhooks received, approvals, reconciliation."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime
from croupier.kernel.models import BigIntPK


class PaymentKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


class PaymentStatus(StrEnum):
    """Deposits: created → pending → authorized → captured, or declined, failed, expired;
    then refunded or charged back. Withdrawals: created → (awaiting_approval →) approved →
    pending → paid, or failed, rejected, cancelled. ``review``: a deposit the risk score sent to
    a person before any PSP is called."""

    CREATED = "created"
    REVIEW = "review"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PAID = "paid"
    DECLINED = "declined"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    CHARGED_BACK = "charged_back"


class Payment(Base):
    """A deposit or a withdrawal. Amounts are kept twice, both exact integers: in the
    currency's ISO 4217 minor units (what the PSP sees) and in ledger units."""

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    brand_id: Mapped[str] = mapped_column(String(40))
    # The player's own id for the request: a retry with it returns the same payment.
    client_id: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(16))
    instrument_id: Mapped[str] = mapped_column(ForeignKey("payment_instruments.id"))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)  # ledger units
    status: Mapped[str] = mapped_column(String(20))
    # Why it is in its state now (a decline code, "risk.declined", "psp unavailable", ...).
    reason: Mapped[str | None] = mapped_column(String(200))
    # A deposit cut to what the deposit limit left (partial acceptance, GLI-19 §2.5.6): the
    # player is told, whatever happens to it later.
    partial: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    psp: Mapped[str | None] = mapped_column(String(40))  # the PSP holding it, once sent
    psp_reference: Mapped[str | None] = mapped_column(String(100))
    redirect_url: Mapped[str | None] = mapped_column(String(500))
    # JSON of the risk decision (outcome, score, model version, top factors, rules).
    risk: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2))  # where the request came from
    # Withdrawals: how many distinct approvals it needs (0 automatic, 1, or 2 four-eyes).
    approvals_needed: Mapped[int] = mapped_column(Integer, default=0)
    # When the player's wait ends: no failover to another PSP after it.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The janitor asks the PSP again at ``check_at`` (unknown or pending outcomes), backing off.
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checks: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("player_id", "client_id", name="uq_payments_player_id_client_id"),
        Index("ix_payments_player_id_created_at", "player_id", "created_at"),
        Index("ix_payments_status", "status"),
        Index("ix_payments_check_at", "check_at"),
        Index("ix_payments_psp_psp_reference", "psp", "psp_reference"),
    )


class PaymentTransition(Base):
    """Every state a payment entered, with its cause: the payment's history (append-only)."""

    __tablename__ = "payment_transitions"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(300))
    # Who or what caused it: "player:..", "operator:..", "psp:card", "webhook:card", "janitor".
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentAttempt(Base):
    """One call to a PSP for a payment, and how it ended (for failover and PSP health)."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    psp: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(16))  # create | query | refund | payout
    # ok | declined | retryable | ambiguous | skipped (circuit open)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(300))
    milliseconds: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentInstrument(Base):
    """A card, e-wallet or bank account a player used. Only a SHA-256 fingerprint and a masked
    form are kept (never a full card number); the holder's name is what payouts are checked
    against (GLI-19 §2.5.6: winnings go only to an instrument in the player's name)."""

    __tablename__ = "payment_instruments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    method: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    display: Mapped[str] = mapped_column(String(64))
    holder_name: Mapped[str] = mapped_column(String(200))
    # Set when a deposit from it was captured: proof that it is the player's and works.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "player_id", "method", "fingerprint", name="uq_payment_instruments_player_method_fp"
        ),
        Index("ix_payment_instruments_fingerprint", "fingerprint"),
    )


class WebhookEvent(Base):
    """A PSP webhook event handled (deduplication by the PSP's event id)."""

    __tablename__ = "payment_webhook_events"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    psp: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    # applied | ignored (no change: late, duplicate state or unknown payment)
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("psp", "event_id", name="uq_payment_webhook_events_psp_event_id"),
    )


class WithdrawalApproval(Base):
    """An operator's approval of a withdrawal; four eyes need two by different operators."""

    __tablename__ = "withdrawal_approvals"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    operator_id: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "payment_id", "operator_id", name="uq_withdrawal_approvals_payment_operator"
        ),
    )


class ReconciliationRun(Base):
    """One comparison of a PSP's settlement report for a day with the ledger."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    psp: Mapped[str] = mapped_column(String(40))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD (UTC)
    report_rows: Mapped[int] = mapped_column(Integer)
    ledger_rows: Mapped[int] = mapped_column(Integer)
    matched: Mapped[int] = mapped_column(Integer)
    mismatches: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_reconciliation_runs_psp_day", "psp", "day"),)


class ReconciliationMismatch(Base):
    """A row of a settlement report without its ledger movement, or the other way round, or
    both present but different in amount or state."""

    __tablename__ = "reconciliation_mismatches"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("reconciliation_runs.id"), index=True)
    # missing_in_ledger | missing_in_report | amount_differs | status_differs
    problem: Mapped[str] = mapped_column(String(24))
    psp_reference: Mapped[str | None] = mapped_column(String(100))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(16))  # payment | refund | chargeback | payout
    report_amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    ledger_amount: Mapped[int | None] = mapped_column(BigInteger)  # minor units
    report_status: Mapped[str | None] = mapped_column(String(20))
    ledger_status: Mapped[str | None] = mapped_column(String(20))

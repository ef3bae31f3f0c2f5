"""Ledger tables: accounts, immutable transfers, and the state of pending transfers.

Modelled on TigerBeetle. An account keeps four running sums; a transfer moves an amount from a
debit account to a credit account of the same currency and is never edited. The balance of an
account is ``credits - debits`` (a player's money is what the house owes them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime
from croupier.kernel.models import BigIntPK


class AccountKind(StrEnum):
    PLAYER_CASH = "player_cash"
    PLAYER_BONUS = "player_bonus"
    # What a player owes the house (a chargeback of money already spent); may go negative,
    # so that a cash account never does.
    PLAYER_RECEIVABLE = "player_receivable"
    HOUSE = "house"
    PSP_CLEARING = "psp_clearing"
    PROMOTIONS = "promotions"
    SANDBOX_FUNDING = "sandbox_funding"


# Player money can never go below zero; the platform's own accounts may.
KINDS_THAT_CANNOT_GO_NEGATIVE = frozenset({AccountKind.PLAYER_CASH, AccountKind.PLAYER_BONUS})


class TransferKind(StrEnum):
    SINGLE = "single"  # posted at once
    PENDING = "pending"  # reserves the amount (phase one)
    POST_PENDING = "post_pending"  # resolves a pending transfer by posting (all or part)
    VOID_PENDING = "void_pending"  # resolves a pending transfer by releasing it
    EXPIRE_PENDING = "expire_pending"  # the platform released it at its timeout


RESOLVING_KINDS = frozenset(
    {TransferKind.POST_PENDING, TransferKind.VOID_PENDING, TransferKind.EXPIRE_PENDING}
)


class PendingStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    # Player id for player accounts; NULL for the platform's own accounts.
    owner_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # Stable name of a platform account ("house", "psp:stripe"); unique per kind and currency.
    name: Mapped[str | None] = mapped_column(String(80))
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(Boolean)
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("kind", "currency", "name", name="uq_ledger_accounts_kind_currency_name"),
        CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 "
            "AND credits_pending >= 0 AND credits_posted >= 0",
            name="sums_not_negative",
        ),
        # The database asserts the rule the service enforces (TigerBeetle habit: assert twice).
        CheckConstraint(
            "NOT debits_must_not_exceed_credits "
            "OR debits_posted + debits_pending <= credits_posted",
            name="debits_within_credits",
        ),
        # Every batch rewrites the house row: leave room on each page so the update stays a
        # HOT update (no new index entry), and vacuum early so dead versions do not pile up.
        {
            "postgresql_with": {
                "fillfactor": "50",
                "autovacuum_vacuum_scale_factor": "0.01",
                "autovacuum_vacuum_cost_delay": "0",
            }
        },
    )


class LedgerTransfer(Base):
    __tablename__ = "ledger_transfers"

    # Commit-order sequence for statements and pagination; ``id`` is the caller's.
    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # No foreign keys: the service locks and checks both accounts before writing, and
    # ``ledger verify`` checks that every transfer's accounts exist. The two FK triggers cost
    # about 20 us per inserted row on the hot path (measured, docs/benchmarks.md).
    debit_account_id: Mapped[str] = mapped_column(String(40))
    credit_account_id: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(8))
    pending_id: Mapped[str | None] = mapped_column(String(128))
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=0)
    code: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
        Index("ix_ledger_transfers_debit_account_seq", "debit_account_id", "seq"),
        Index("ix_ledger_transfers_credit_account_seq", "credit_account_id", "seq"),
        # A pending transfer is resolved at most once: by a post, a void or its expiry.
        Index(
            "uq_ledger_transfers_pending_resolution",
            "pending_id",
            unique=True,
            postgresql_where=text("pending_id IS NOT NULL"),
            sqlite_where=text("pending_id IS NOT NULL"),
        ),
    )


class LedgerPendingTransfer(Base):
    """The mutable state of a pending transfer (the transfer row itself never changes)."""

    __tablename__ = "ledger_pending_transfers"

    transfer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(128))

    __table_args__ = (Index("ix_ledger_pending_transfers_status_expires", "status", "expires_at"),)

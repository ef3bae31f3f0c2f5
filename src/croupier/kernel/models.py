"""Tables the kernel owns: currencies, outbox, event consumption, audit trail, clock offset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from croupier.kernel.db import Base, UTCDateTime

# SQLite makes an INTEGER PRIMARY KEY the rowid (autoincrementing); BIGINT would not be.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class CurrencyRow(Base):
    """The currency table: mirrors ``money.CURRENCIES``, seeded by migrations."""

    __tablename__ = "currencies"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    ledger_scale: Mapped[int] = mapped_column(SmallInteger)
    minor_units: Mapped[int] = mapped_column(SmallInteger)
    is_crypto: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (CheckConstraint("minor_units <= ledger_scale", name="minor_within_scale"),)


class OutboxEvent(Base):
    """An event written in the same transaction as the change that caused it."""

    __tablename__ = "outbox_events"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(120), index=True)
    payload: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class EventConsumption(Base):
    """That a consumer has handled an event; written in the same transaction as its effect."""

    __tablename__ = "event_consumptions"

    consumer: Mapped[str] = mapped_column(String(120), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRecord(Base):
    """One significant event (GLI-19 §2.8.8), hash-chained to the one before it."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(120), index=True)
    subject_type: Mapped[str] = mapped_column(String(60))
    subject_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    # A player's or an operator's trail is read by subject.
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id", "seq"),)


class AuditChainHead(Base):
    """The last sequence number and hash of the audit chain: one row, locked to append.

    It also makes a truncated tail detectable: removing the newest records leaves the head
    pointing past the end of the log.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class ClockOffset(Base):
    """How far the platform clock runs ahead of the wall clock (dev and test only)."""

    __tablename__ = "clock_offset"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


def ensure_reference_data(session: Session) -> None:
    """Insert the rows every database needs (currencies, audit chain head) if missing.

    Migrations seed the same rows; this is for schemas made with ``metadata.create_all``.
    """
    from croupier.kernel.money import CURRENCIES

    present = set(session.execute(select(CurrencyRow.code)).scalars())
    for c in CURRENCIES.values():
        if c.code not in present:
            session.add(
                CurrencyRow(
                    code=c.code,
                    name=c.name,
                    ledger_scale=c.ledger_scale,
                    minor_units=c.minor_units,
                    is_crypto=c.is_crypto,
                )
            )
    if session.get(AuditChainHead, 1) is None:
        session.add(AuditChainHead(id=1, last_seq=0, last_hash="0" * 64))
    if session.get(ClockOffset, 1) is None:
        session.add(ClockOffset(id=1, offset_seconds=0))
    session.flush()

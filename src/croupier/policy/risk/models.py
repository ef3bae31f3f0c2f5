"""Tables of risk scoring: the payment attempts it decided, and who used which device and
which payment instrument. Risk keeps its own history; it never reads the payments tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class RiskAttempt(Base):
    """One deposit or withdrawal attempt as risk scored it, and how it ended."""

    __tablename__ = "risk_attempts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the payment's id
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(String(12))  # deposit or withdrawal
    amount: Mapped[int] = mapped_column(BigInteger)  # ledger units of ``currency``
    currency: Mapped[str] = mapped_column(String(8))
    device_id: Mapped[str | None] = mapped_column(String(128))
    instrument_fingerprint: Mapped[str | None] = mapped_column(String(128))
    ip_country: Mapped[str | None] = mapped_column(String(2))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(10))  # approve, review, decline
    score: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(Text)  # JSON: RiskDecision.as_dict()
    # Set by record_outcome: whether the payment went through; a failure counts toward the
    # player's recent failed attempts from ``settled_at``.
    succeeded: Mapped[bool | None] = mapped_column(Boolean)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_risk_attempts_player_id_at", "player_id", "at"),
        Index("ix_risk_attempts_at", "at"),
        Index("ix_risk_attempts_settled_at", "settled_at"),
    )


class RiskDeviceSighting(Base):
    """A client device fingerprint seen on a player's payment attempt, first time only."""

    __tablename__ = "risk_device_sightings"

    device_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_risk_device_sightings_first_seen_at", "first_seen_at"),)


class RiskInstrumentSighting(Base):
    """A payment instrument (by fingerprint) seen on a player's attempt, first time only."""

    __tablename__ = "risk_instrument_sightings"

    fingerprint: Mapped[str] = mapped_column(String(128), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_risk_instrument_sightings_first_seen_at", "first_seen_at"),)

"""Tables of the player account management module: brands, players, sessions, MFA."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime
from croupier.kernel.models import BigIntPK


class PlayerStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    SELF_EXCLUDED = "self_excluded"
    CLOSED = "closed"


class DuplicatePersonPolicy(StrEnum):
    """What a brand does with a second registration of the same person (name, birth, postcode)."""

    REFUSE = "refuse"
    FLAG = "flag"


class Brand(Base):
    """A casino brand. Every player belongs to exactly one."""

    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # JSON lists: ISO currency codes, jurisdiction codes.
    currencies: Mapped[str] = mapped_column(Text)
    jurisdictions: Mapped[str] = mapped_column(Text)
    duplicate_person_policy: Mapped[str] = mapped_column(String(16))
    # JSON object of further brand settings.
    settings: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Player(Base):
    __tablename__ = "players"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id"))
    email: Mapped[str] = mapped_column(String(254))  # normalized: lower case
    password_hash: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    address_line: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(8))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    status: Mapped[str] = mapped_column(String(24), index=True)
    # SHA-256 of the normalized legal name, date of birth and postcode: finds the same person.
    person_key: Mapped[str] = mapped_column(String(64))
    # JSON list of flags for staff ("possible_duplicate").
    flags: Mapped[str] = mapped_column(Text, default="[]")
    cash_account_id: Mapped[str] = mapped_column(String(40))
    payout_details: Mapped[str | None] = mapped_column(String(64))
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The TOTP time step last accepted: a code is good once (kernel/credentials.verify_totp).
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One account per email within a brand (GLI-19 §2.5.2: one active account per player).
        UniqueConstraint("brand_id", "email", name="uq_players_brand_id_email"),
        Index("ix_players_brand_id_person_key", "brand_id", "person_key"),
        CheckConstraint(
            "status IN ('pending_verification', 'active', 'suspended', 'self_excluded', 'closed')",
            name="status_known",
        ),
    )


class PlayerStatusChange(Base):
    """Every change of a player's status: who, when, why."""

    __tablename__ = "player_status_changes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(500))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """A failed login of a known player, counted for the lock (GLI-19 §2.5.3)."""

    __tablename__ = "player_login_failures"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    ip: Mapped[str] = mapped_column(String(45))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_player_login_failures_player_id_occurred_at", "player_id", "occurred_at"),
    )


class PlayerSession(Base):
    """A login. The bearer token is never stored: only its SHA-256."""

    __tablename__ = "player_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Full re-authentication: the session ends here whatever its activity.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    # Step-up: the last time this session proved a second factor.
    mfa_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(200))


class MfaRecoveryCode(Base):
    """A one-time recovery code for a player who lost their authenticator; stored hashed."""

    __tablename__ = "player_mfa_recovery_codes"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

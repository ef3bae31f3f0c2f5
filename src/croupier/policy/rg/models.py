"""Tables of responsible gaming: player-set limits, time-outs and self-exclusions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class RgLimit(Base):
    """A limit a player set on deposits, losses or wagers over a period (GLI-19 A.3.7).

    ``amount`` is in force now. A raise waits in ``pending_amount`` until
    ``pending_effective_at`` and the player's confirmation. Periods are anchored at
    ``anchor_at`` (when the limit was first set): a 24-hour limit counts usage from one
    anchored day to the next, so "the end of the period" is well defined.
    """

    __tablename__ = "rg_limits"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(String(16))
    period: Mapped[str] = mapped_column(String(4))
    # "player" (self-set, raised only after cooling-off) or "operator" (set by the RG team;
    # the player cannot change it). The lower of the two applies (GLI-19 §2.5.5).
    set_by: Mapped[str] = mapped_column(String(10), server_default="player")
    amount: Mapped[int] = mapped_column(BigInteger)
    anchor_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pending_amount: Mapped[int | None] = mapped_column(BigInteger)
    pending_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pending_effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "player_id", "kind", "period", "set_by", name="uq_rg_limits_player_kind_period_set_by"
        ),
    )


class RgExclusion(Base):
    """A time-out or a self-exclusion (GLI-19 A.3.8): in force from ``starts_at``."""

    __tablename__ = "rg_exclusions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    kind: Mapped[str] = mapped_column(String(16))  # "timeout" or "self_exclusion"
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: permanent
    # Where an exclusion is not lifted automatically, the player asks after it expired.
    end_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_rg_exclusions_player_id_kind", "player_id", "kind"),)


class RgRealityCheck(Base):
    """When the player last acknowledged a reality check in one login session."""

    __tablename__ = "rg_reality_checks"

    session_id: Mapped[str] = mapped_column(ForeignKey("player_sessions.id"), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RgRealityCheckSetting(Base):
    """How often the player wants a reality check (UKGC RTS 13, MGA: a facility the player
    sets). Where the jurisdiction mandates an interval, the shorter of the two applies."""

    __tablename__ = "rg_reality_check_settings"

    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    interval_minutes: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

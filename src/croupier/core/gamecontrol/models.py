"""Tables of game control: which games are switched off, and where; stake caps per game; the
RTP alerts raised by the comparison of actual and theoretical RTP.

Games are named by (provider name, game code) strings: core cannot know the catalogue, which
lives in products. The in-house titles are provider ``croupier``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class GameControl(Base):
    """One control in force: a game switched off (``disabled``) or a stake cap (``stake_cap``).

    A row exists only while its control is in force; lifting it deletes the row (the audit
    trail keeps the history). ``provider`` and ``game_code`` may be ``*``: every game of a
    provider, or, with provider ``*``, all gaming (the kill switch). ``scope`` says where the
    control applies: ``global`` (``scope_value`` empty), ``brand`` (a brand id) or
    ``jurisdiction`` (a jurisdiction code). A stake cap applies in one jurisdiction and one
    currency, in ledger units.
    """

    __tablename__ = "game_controls"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "disabled" | "stake_cap"
    provider: Mapped[str] = mapped_column(String(40))
    game_code: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))  # "global" | "brand" | "jurisdiction"
    scope_value: Mapped[str] = mapped_column(String(40))  # "" for global
    currency: Mapped[str] = mapped_column(String(8))  # "" unless a stake cap
    max_stake: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        # One control of a kind per game and place. Its leading columns are the index that
        # check_play, on every bet, reads by (provider, game) or the wildcard.
        UniqueConstraint(
            "provider",
            "game_code",
            "kind",
            "scope",
            "scope_value",
            "currency",
            name="uq_game_controls_provider_game_code_kind_scope",
        ),
    )


class RtpAlert(Base):
    """A game (or a provider's games together, ``game_code`` ``*``) whose actual RTP in one
    currency left its 99 % confidence interval around the theoretical RTP (GLI-19 A.6).

    Raised once when the RTP leaves the interval and cleared when it is back inside: reading
    the figures again does not raise it again. At most one open alert per game and currency.
    """

    __tablename__ = "rtp_alerts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    game_code: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(8))
    rounds: Mapped[int] = mapped_column(BigInteger)
    # Return per unit staked (0.965 is 96.5 %): statistics, not money.
    actual_rtp: Mapped[float] = mapped_column(Float)
    interval_low: Mapped[float] = mapped_column(Float)
    interval_high: Mapped[float] = mapped_column(Float)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "uq_rtp_alerts_open",
            "provider",
            "game_code",
            "currency",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
            sqlite_where=text("cleared_at IS NULL"),
        ),
    )

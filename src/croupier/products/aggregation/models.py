"""Tables of game aggregation: the registered game providers and their games."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class GameProvider(Base):
    """A third-party game server that calls our wallet in its own protocol.

    ``public_key_pem`` verifies the provider's RSA-SHA256 signatures; ``public_key_sha256``
    (of the key's DER SubjectPublicKeyInfo) names the key in logs and the audit trail.
    """

    __tablename__ = "game_providers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)  # in URLs: /providers/{name}/...
    protocol: Mapped[str] = mapped_column(String(16))  # "caleta"
    public_key_pem: Mapped[str] = mapped_column(Text)
    public_key_sha256: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Where a player's browser is sent to play (the token, game, currency and language are
    # added as query parameters); without one the provider's games cannot be launched.
    launch_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProviderGame(Base):
    """A game of a provider, by the provider's own code for it."""

    __tablename__ = "provider_games"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("game_providers.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(16))
    # Theoretical RTP in percent as an exact decimal text ("96.5"), or unknown.
    rtp: Mapped[str | None] = mapped_column(String(16))
    # JSON lists: jurisdiction codes where it may be offered (empty: not restricted here),
    # ISO 3166-1 alpha-2 countries where it must never be offered.
    jurisdictions: Mapped[str] = mapped_column(Text, default="[]")
    blocked_countries: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("provider_id", "code", name="uq_provider_games_provider_id_code"),
    )


class GameSession(Base):
    """A player's session at a provider's game: the token the provider presents to our wallet.

    Only the SHA-256 of the token is stored, so a copy of the database cannot play. A newer
    session of the same player at the same provider supersedes the older ones for bets only
    (``superseded_at``); their wins and rollbacks are still accepted until they expire.
    """

    __tablename__ = "game_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("game_providers.id"))
    game_id: Mapped[str] = mapped_column(ForeignKey("provider_games.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_game_sessions_player_id_provider_id", "player_id", "provider_id"),)

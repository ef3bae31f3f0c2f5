"""Tables of game aggregation: the registered game providers and their games."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
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


class ProviderRound(Base):
    """A game round at a provider, by the provider's own round id: what was staked and won
    in it (net of rollbacks), and whether it is still open (GLI-19 §4.15)."""

    __tablename__ = "provider_rounds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("game_providers.id"))
    round: Mapped[str] = mapped_column(String(100))
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    game_id: Mapped[str] = mapped_column(ForeignKey("provider_games.id"))
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    status: Mapped[str] = mapped_column(String(8))  # "open" | "closed"
    # Ledger units, net of rollbacks; free bets count in ``staked`` as they do in the RTP.
    staked: Mapped[int] = mapped_column(BigInteger, default=0)
    won: Mapped[int] = mapped_column(BigInteger, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "provider" (round_closed), or "timeout" (closed by the job after the configured age).
    closed_by: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        UniqueConstraint("provider_id", "round", name="uq_provider_rounds_provider_id_round"),
        Index("ix_provider_rounds_status_opened_at", "status", "opened_at"),
    )


class ProviderTransaction(Base):
    """A wallet transaction a provider asked for, by its own ``transaction_uuid``: processed at
    most once. A rollback of a transaction we never saw is kept too (``reference_uuid`` names
    it), so that the transaction arriving late never moves money."""

    __tablename__ = "provider_transactions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("game_providers.id"))
    transaction_uuid: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(8))  # "bet" | "win" | "rollback"
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    # The round; a rollback of an unknown transaction may name a round we never saw.
    round_id: Mapped[str | None] = mapped_column(ForeignKey("provider_rounds.id"))
    round: Mapped[str] = mapped_column(String(100))
    game_id: Mapped[str] = mapped_column(ForeignKey("provider_games.id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("game_sessions.id"))
    amount: Mapped[int] = mapped_column(BigInteger)  # ledger units; 0 for rollbacks
    is_free: Mapped[bool] = mapped_column(Boolean, default=False)
    # A win: its bet. A rollback: the transaction it undoes.
    reference_uuid: Mapped[str | None] = mapped_column(String(100))
    # The ledger transfer that moved the money (none for zero amounts and unknown rollbacks).
    transfer_id: Mapped[str | None] = mapped_column(String(128))
    rolled_back: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint(
            "provider_id",
            "transaction_uuid",
            name="uq_provider_transactions_provider_id_transaction_uuid",
        ),
        Index(
            "ix_provider_transactions_provider_id_reference_uuid", "provider_id", "reference_uuid"
        ),
        Index("ix_provider_transactions_round_id", "round_id"),
    )

"""Tables of the in-house games: provably fair seed pairs and game rounds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class RgsSeedPair(Base):
    """A player's server seed and client seed (PROTOCOLS.md §1).

    While active, the server seed is stored sealed (AES-GCM under the data keys, bound to this
    row) and only its commitment is shown; rotation retires the pair and reveals the seed.
    ``next_nonce`` counts the rounds played with the pair. One active pair per player.
    """

    __tablename__ = "rgs_seed_pairs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    server_seed_sealed: Mapped[str] = mapped_column(String(200))
    server_seed_hash: Mapped[str] = mapped_column(String(64))
    client_seed: Mapped[str] = mapped_column(String(64))
    next_nonce: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revealed_server_seed: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_rgs_seed_pairs_player_id", "player_id", "created_at"),
        Index(
            "uq_rgs_seed_pairs_active_player",
            "player_id",
            unique=True,
            postgresql_where=text("revealed_at IS NULL"),
            sqlite_where=text("revealed_at IS NULL"),
        ),
    )


class RgsRound(Base):
    """One round of an in-house title: its stake, seeds, outcome and payout, for history and
    game recall (GLI-19 §4.14). The caller's ``round_key`` makes a retried request safe."""

    __tablename__ = "rgs_rounds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    round_key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text)  # JSON, as checked
    currency: Mapped[str] = mapped_column(String(8))
    stake: Mapped[int] = mapped_column(BigInteger)
    payout: Mapped[int] = mapped_column(BigInteger, default=0)
    multiplier: Mapped[str] = mapped_column(String(80))  # exact, "p/q"
    seed_pair_id: Mapped[str] = mapped_column(ForeignKey("rgs_seed_pairs.id"))
    nonce: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(Text)  # JSON, what the player saw (last step)
    # The player's moves in a multi-step round, in order (JSON list); the rest is replayed
    # from the seeds, so nothing hidden (where the mines are) is stored in the clear.
    actions: Mapped[str] = mapped_column(Text, server_default="[]")
    state: Mapped[str] = mapped_column(String(16))  # "open" or "settled"
    balance_before: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("player_id", "round_key", name="uq_rgs_rounds_player_round_key"),
        # A nonce is one round, whatever else goes wrong.
        UniqueConstraint("seed_pair_id", "nonce", name="uq_rgs_rounds_seed_pair_id_nonce"),
        Index("ix_rgs_rounds_player_id_created_at", "player_id", "created_at"),
    )

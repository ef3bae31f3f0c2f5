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
    stake: Mapped[int] = mapped_column(BigInteger)  # the original unit
    # All the round has staked: the stake and what doubles, splits, raises and insurance
    # added. The actual RTP is what returns of it, as the PAR sheet's (games/raises.py).
    staked: Mapped[int] = mapped_column(BigInteger, server_default="0")
    payout: Mapped[int] = mapped_column(BigInteger, default=0)
    multiplier: Mapped[str] = mapped_column(String(80))  # exact, "p/q"
    seed_pair_id: Mapped[str] = mapped_column(ForeignKey("rgs_seed_pairs.id"))
    nonce: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(Text)  # JSON, what the player saw (last step)
    # The player's moves in a multi-step round, in order (JSON list); the rest is replayed
    # from the seeds, so nothing hidden (where the mines are) is stored in the clear.
    actions: Mapped[str] = mapped_column(Text, server_default="[]")
    state: Mapped[str] = mapped_column(String(16))  # "open" or "settled"
    # The autoplay session that played the round, if any (GLI-19 §4.9.2).
    autoplay_id: Mapped[str | None] = mapped_column(ForeignKey("rgs_autoplays.id"))
    balance_before: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the round last moved (its start, then each move): how long an interrupted round has
    # waited (GLI-19 §4.16).
    moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("player_id", "round_key", name="uq_rgs_rounds_player_round_key"),
        # A nonce is one round, whatever else goes wrong.
        UniqueConstraint("seed_pair_id", "nonce", name="uq_rgs_rounds_seed_pair_id_nonce"),
        Index("ix_rgs_rounds_player_id_created_at", "player_id", "created_at"),
        # Open rounds: one per player and title (§4.16), and the interrupted-rounds job.
        Index(
            "ix_rgs_rounds_open",
            "player_id",
            "title",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )


class RgsAutoplay(Base):
    """A player's autoplay session (GLI-19 §4.9.2): the same bet for up to ``rounds`` rounds,
    stopped by the player at any time, or by the server at the player's thresholds: a net loss
    of ``loss_limit`` or a single win of at least ``single_win_limit``.

    The client paces the rounds (each is its own request, with its own round key, so the
    jurisdiction's minimum game cycle still holds); the server keeps the counters and refuses a
    round once the session has stopped.
    """

    __tablename__ = "rgs_autoplays"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    title: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text)  # JSON, as checked
    currency: Mapped[str] = mapped_column(String(8))
    stake: Mapped[int] = mapped_column(BigInteger)
    rounds: Mapped[int] = mapped_column(BigInteger)
    rounds_played: Mapped[int] = mapped_column(BigInteger, default=0)
    loss_limit: Mapped[int] = mapped_column(BigInteger)
    single_win_limit: Mapped[int | None] = mapped_column(BigInteger)
    staked: Mapped[int] = mapped_column(BigInteger, default=0)
    returned: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16))  # "running" or "stopped"
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_rgs_autoplays_player_id_created_at", "player_id", "created_at"),
        # One running session per player: two at once would double the pace of play.
        Index(
            "uq_rgs_autoplays_running_player",
            "player_id",
            unique=True,
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

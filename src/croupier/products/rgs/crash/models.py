"""Tables of crash: published hash chains, their sealed checkpoints, rounds and bets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime


class RgsCrashChain(Base):
    """A hash chain ``h_length → … → h_0`` that fixes the crash points of rounds
    ``first_round … first_round + length − 1`` (round ``first_round + i − 1`` uses ``h_i``).

    ``terminating_hash`` (``h_0``) and ``salt`` are public; the seed ``h_length`` is stored
    sealed (AES-GCM under the data keys, bound to this row). Rounds are played only once the
    chain has a salt.
    """

    __tablename__ = "rgs_crash_chains"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    first_round: Mapped[int] = mapped_column(BigInteger, unique=True)
    length: Mapped[int] = mapped_column(BigInteger)
    terminating_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str | None] = mapped_column(String(64))
    seed_sealed: Mapped[str] = mapped_column(String(200))
    checkpoint_every: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    salt_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RgsCrashCheckpoint(Base):
    """Every ``checkpoint_every``-th hash of a chain, sealed (bound to chain and index), so a
    round's hash takes fewer than ``checkpoint_every`` sha256 steps to compute. Sealed because
    a checkpoint above a round reveals that round's hash."""

    __tablename__ = "rgs_crash_checkpoints"

    chain_id: Mapped[str] = mapped_column(ForeignKey("rgs_crash_chains.id"), primary_key=True)
    chain_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash_sealed: Mapped[str] = mapped_column(String(200))


class RgsCrashRound(Base):
    """One shared round, created by whichever request first needs it (the number is the key,
    so concurrent creators agree). Until it has crashed, its hash is stored only sealed and
    neither its crash point nor its end is written down: a reader of the database learns the
    outcome no earlier than the players do. Settlement writes them in the clear."""

    __tablename__ = "rgs_crash_rounds"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chain_id: Mapped[str] = mapped_column(ForeignKey("rgs_crash_chains.id"))
    chain_index: Mapped[int] = mapped_column(BigInteger)
    hash_sealed: Mapped[str] = mapped_column(String(200))
    betting_at: Mapped[datetime] = mapped_column(UTCDateTime())  # bets open
    running_at: Mapped[datetime] = mapped_column(UTCDateTime())  # bets close, 1.00x
    state: Mapped[str] = mapped_column(String(16))  # "open" or "settled"
    hash: Mapped[str | None] = mapped_column(String(64))  # revealed at settlement
    crash_point: Mapped[int | None] = mapped_column(BigInteger)  # hundredths, uncapped
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index(
            "ix_rgs_crash_rounds_open",
            "number",
            postgresql_where=text("state = 'open'"),
            sqlite_where=text("state = 'open'"),
        ),
    )


class RgsCrashBet(Base):
    """A player's bet on a round: the stake, the auto cash-out, and how it ended (cashed out
    by hand or automatically, or lost), with the balance before the stake and after the bet's
    last movement, for game recall (GLI-19 §4.14). ``bet_key`` makes a retried request safe."""

    __tablename__ = "rgs_crash_bets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    round_number: Mapped[int] = mapped_column(ForeignKey("rgs_crash_rounds.number"))
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    bet_key: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(8))
    stake: Mapped[int] = mapped_column(BigInteger)
    auto_cashout: Mapped[int | None] = mapped_column(BigInteger)  # hundredths
    state: Mapped[str] = mapped_column(String(16))  # "active", "cashed_out" or "lost"
    cashout: Mapped[int | None] = mapped_column(BigInteger)  # hundredths paid per unit
    cashout_kind: Mapped[str | None] = mapped_column(String(8))  # "manual", "auto" or "cap"
    payout: Mapped[int] = mapped_column(BigInteger, default=0)
    balance_before: Mapped[int] = mapped_column(BigInteger)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("player_id", "bet_key", name="uq_rgs_crash_bets_player_bet_key"),
        # One bet per player and round: a cash-out names the bet, the round follows.
        UniqueConstraint("round_number", "player_id", name="uq_rgs_crash_bets_round_player"),
        Index("ix_rgs_crash_bets_player_id_created_at", "player_id", "created_at"),
    )

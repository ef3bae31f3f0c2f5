"""Tables of the sportsbook: the catalogue (competitions, events, markets, selections), bets
and their legs, and results (kept by version, so a corrected result re-settles)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from croupier.kernel.db import Base, UTCDateTime
from croupier.kernel.models import BigIntPK


class Sport(StrEnum):
    FOOTBALL = "football"
    TENNIS = "tennis"
    BASKETBALL = "basketball"


class EventStatus(StrEnum):
    NOT_STARTED = "not_started"
    LIVE = "live"
    SUSPENDED = "suspended"
    ENDED = "ended"
    CANCELLED = "cancelled"


class MarketStatus(StrEnum):
    OPEN = "open"
    SUSPENDED = "suspended"
    CLOSED = "closed"  # no more bets; waiting for the result
    SETTLED = "settled"
    VOID = "void"


class BetStatus(StrEnum):
    # In play, a bet waits for the delay before it is accepted (or refused).
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    SETTLED = "settled"
    VOID = "void"
    CASHED_OUT = "cashed_out"


class Competition(Base):
    __tablename__ = "sb_competitions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sport: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("sport", "name", name="uq_sb_competitions_sport_name"),)


class SportEvent(Base):
    """A fixture (two sides) or an outright (many competitors)."""

    __tablename__ = "sb_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    competition_id: Mapped[str] = mapped_column(ForeignKey("sb_competitions.id"))
    sport: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # JSON list of the competitors: [home, away] for a fixture.
    competitors: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When it actually started (the feed's kick-off); bets on pre-match markets placed at or
    # after it are past-posted and voided at settlement (GLI-33; AGCO 4.25).
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    # The feed's id of the event (unique per feed), to map its messages.
    feed_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    minute: Mapped[int | None] = mapped_column(Integer)
    # JSON of the score as the feed last reported it.
    score: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_sb_events_starts_at", "starts_at"),)


class Market(Base):
    __tablename__ = "sb_markets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("sb_events.id"), index=True)
    # "1x2", "over_under", "asian_handicap", ... with its parameters as JSON ({"line": "2.5"}).
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text, default="{}")
    in_play: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))
    # The most the book may lose on any one selection of this market (ledger units).
    liability_limit: Mapped[int] = mapped_column(BigInteger)
    margin: Mapped[str] = mapped_column(String(16))  # decimal text, e.g. "0.05"
    margin_method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Selection(Base):
    __tablename__ = "sb_selections"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    market_id: Mapped[str] = mapped_column(ForeignKey("sb_markets.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))  # "1", "X", "over", "2-1", ...
    name: Mapped[str] = mapped_column(String(120))
    # The true probability (decimal text) and the offered decimal odds (exact text).
    probability: Mapped[str | None] = mapped_column(String(40))
    odds: Mapped[str] = mapped_column(String(24))
    # A trader's price, shown instead of the computed one while set (audited).
    odds_override: Mapped[str | None] = mapped_column(String(24))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("market_id", "code", name="uq_sb_selections_market_code"),)


class Bet(Base):
    """A bet slip: a single, an accumulator or a system bet, its stake held by a pending
    ledger transfer (``sb:{id}:stake``) until settlement posts or voids it."""

    __tablename__ = "sb_bets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"))
    client_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))  # single, accumulator, trixie, yankee, ...
    currency: Mapped[str] = mapped_column(ForeignKey("currencies.code"))
    stake: Mapped[int] = mapped_column(BigInteger)  # all lines together, ledger units
    lines: Mapped[int] = mapped_column(Integer)
    odds_policy: Mapped[str] = mapped_column(String(8))  # none | higher | any
    status: Mapped[str] = mapped_column(String(16))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # In play: when the delay is over and the bet may be accepted.
    accept_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    potential_return: Mapped[int] = mapped_column(BigInteger)
    returned: Mapped[int | None] = mapped_column(BigInteger)  # what settlement paid
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Settlement version: a corrected result settles again with a higher one.
    settlement_version: Mapped[int] = mapped_column(Integer, default=0)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    voided_by: Mapped[str | None] = mapped_column(String(80))
    # Cash-out (``cashout``): what cash-outs paid so far (``returned`` includes it), the
    # pending transfer that holds the stake still in play once a partial cash-out replaced
    # ``sb:{id}:stake``, and the player's automatic cash-out rule (a value in ledger units).
    cashed_out: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    stake_hold_id: Mapped[str | None] = mapped_column(String(128))
    auto_cash_out_at: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("player_id", "client_id", name="uq_sb_bets_player_client"),
        Index("ix_sb_bets_status", "status"),
        Index("ix_sb_bets_player_id_placed_at", "player_id", "placed_at"),
    )

    @property
    def hold_id(self) -> str:
        """The id of the pending transfer that holds the stake still in play."""
        return hold_id_of(self.id, self.stake_hold_id)


def hold_id_of(bet_id: str, stake_hold_id: str | None = None) -> str:
    """The pending transfer holding a bet's stake: the one placing made, or the one a partial
    cash-out left (``stake_hold_id``)."""
    return stake_hold_id or f"sb:{bet_id}:stake"


class SelectionExposure(Base):
    """What open bets (pending or accepted) hold on a selection, kept as they change
    (``exposure.change``): their stakes, and what they could win beyond them. A multiple
    counts whole against each of its selections. Placing a bet reads it instead of summing
    every open bet on the selection."""

    __tablename__ = "sb_selection_exposure"

    selection_id: Mapped[str] = mapped_column(ForeignKey("sb_selections.id"), primary_key=True)
    open_stakes: Mapped[int] = mapped_column(BigInteger, default=0)
    open_liability: Mapped[int] = mapped_column(BigInteger, default=0)


class CashOut(Base):
    """A cash-out of a bet, whole or part: the stake it took out of play and what it paid.
    ``seq`` numbers a bet's cash-outs and names their ledger transfers
    (``sb:{bet}:cashout:{seq}:...``)."""

    __tablename__ = "sb_cash_outs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    bet_id: Mapped[str] = mapped_column(ForeignKey("sb_bets.id"))
    client_id: Mapped[str] = mapped_column(String(128))
    seq: Mapped[int] = mapped_column(Integer)
    fraction: Mapped[str] = mapped_column(String(40))  # of the stake in play, exact ("1/3")
    stake_part: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    automatic: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("bet_id", "client_id", name="uq_sb_cash_outs_bet_client"),
        UniqueConstraint("bet_id", "seq", name="uq_sb_cash_outs_bet_seq"),
    )


class BetLeg(Base):
    __tablename__ = "sb_bet_legs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    bet_id: Mapped[str] = mapped_column(ForeignKey("sb_bets.id"), index=True)
    selection_id: Mapped[str] = mapped_column(ForeignKey("sb_selections.id"), index=True)
    odds: Mapped[str] = mapped_column(String(24))  # the price taken
    # win, lose, void, half_win, half_lose, dead_heat (with its factor), once settled
    outcome: Mapped[str | None] = mapped_column(String(16))
    dead_heat_factor: Mapped[str | None] = mapped_column(String(24))


class MarketResult(Base):
    """A market's result as entered or fed, by version (a correction adds a version)."""

    __tablename__ = "sb_market_results"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    market_id: Mapped[str] = mapped_column(ForeignKey("sb_markets.id"))
    version: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(Text)  # JSON
    entered_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("market_id", "version", name="uq_sb_market_results_market_version"),
    )


class PlayerStakeFactor(Base):
    """A trader's stake factor for a player: the maximum stake is multiplied by it."""

    __tablename__ = "sb_player_stake_factors"

    player_id: Mapped[str] = mapped_column(ForeignKey("players.id"), primary_key=True)
    factor: Mapped[str] = mapped_column(String(16))  # decimal text
    set_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

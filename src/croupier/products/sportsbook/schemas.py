"""Request and response shapes of the sportsbook API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from croupier.kernel.web import ViewModel
from croupier.products.sportsbook.betting import OddsPolicy


class SelectionOut(ViewModel):
    id: str
    code: str
    name: str
    odds: str = Field(description="Exact decimal odds (or a ratio of them, e.g. 21/11)")
    probability: str | None
    overridden: bool


class MarketOut(ViewModel):
    id: str
    event_id: str
    kind: str
    params: dict[str, Any]
    in_play: bool
    status: str
    selections: list[SelectionOut]


class EventOut(ViewModel):
    id: str
    competition_id: str
    sport: str
    name: str
    competitors: list[str]
    starts_at: datetime
    status: str
    minute: int | None
    score: dict[str, Any] | None


class EventWithMarketsOut(BaseModel):
    event: EventOut
    markets: list[MarketOut]


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=24, description="single, double, ..., trixie, yankee, ...")
    selections: list[str] = Field(min_length=1, max_length=20)
    stake_per_line: int = Field(gt=0, le=2**63 - 1, description="Ledger units")


class QuoteOut(ViewModel):
    kind: str
    lines: int
    stake: int
    potential_return: int
    max_stake_per_line: int
    prices: dict[str, str]


class BetIn(QuoteIn):
    id: str = Field(description="Your id for this bet: a retry with it returns the same bet")
    prices: dict[str, str] = Field(description="The price you saw for each selection")
    odds_policy: OddsPolicy = OddsPolicy.NONE


class LegOut(ViewModel):
    selection_id: str
    odds: str
    outcome: str | None


class BetOut(ViewModel):
    id: str
    client_id: str
    kind: str
    currency: str
    stake: int
    lines: int
    status: str
    potential_return: int
    returned: int | None
    placed_at: datetime
    accept_at: datetime | None
    void_reason: str | None
    legs: list[LegOut]


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=200)


class PriceIn(ReasonIn):
    price: str | None = Field(description="Decimal odds; null lifts the override")


class StakeFactorIn(ReasonIn):
    factor: str = Field(description="Decimal, e.g. 0.5 halves the player's maximum stakes")


class ResultIn(ReasonIn):
    result: dict[str, Any] = Field(description="As docs/sportsbook-settlement.md describes")


class SettlementOut(ViewModel):
    market_id: str
    version: int
    legs: int
    bets_settled: int
    paid: int


class LiabilityOut(ViewModel):
    market_id: str
    selection_id: str
    code: str
    stakes: int
    liability: int


class VoidLineOut(ViewModel):
    bet_id: str
    player_id: str
    stake: int
    returned: int | None
    reason: str
    voided_by: str
    settled_at: datetime | None

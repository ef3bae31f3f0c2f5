"""Request and response shapes of the sportsbook API."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

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
    cashed_out: int = Field(description="What cash-outs paid (part of returned)")
    auto_cash_out_at: int | None = Field(
        description="The player's automatic cash-out rule: cash out in full at this value"
    )


def _fraction_text(value: object) -> object:
    return str(value) if isinstance(value, Fraction) else value


class CashOutQuoteOut(ViewModel):
    bet_id: str
    currency: str
    fraction: str = Field(description='Of the stake in play, exact ("1/2"), as it is taken')
    stake_part: int = Field(description="The stake cashed out, ledger units")
    value: int = Field(description="What the cash-out pays now, ledger units")
    potential_return: int = Field(description="What that part of the bet could still return")

    _fraction = field_validator("fraction", mode="before")(_fraction_text)


class CashOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Your id for this cash-out: a retry with it returns the same one")
    fraction: str = Field(
        default="1",
        max_length=40,
        description="Of the stake in play: 1 for all of it, or e.g. 0.5 or 1/3 for a part",
    )
    expected_value: int = Field(
        ge=0, le=2**63 - 1, description="The value you were shown; less now is refused"
    )


class CashOutOut(ViewModel):
    bet_id: str
    client_id: str
    seq: int
    fraction: str
    stake_part: int
    amount: int
    automatic: bool
    at: datetime
    bet: BetOut

    _fraction = field_validator("fraction", mode="before")(_fraction_text)


class AutoCashOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at_value: int | None = Field(
        gt=0,
        le=2**63 - 1,
        description="Cash out in full once the value reaches this (ledger units); null: no rule",
    )


class AutoCashOutOut(ViewModel):
    bet_id: str
    at_value: int | None


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

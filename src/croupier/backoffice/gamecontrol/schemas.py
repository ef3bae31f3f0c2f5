"""Request and response shapes of the back-office game control API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from croupier.core.gamecontrol import ControlKind, Scope
from croupier.kernel.web import ViewModel
from croupier.products.aggregation.rtp import RtpStatus

Reason = Annotated[
    str, Field(max_length=500, description="Why (3 to 500 characters); kept in the audit trail")
]
Provider = Annotated[
    str, Field(max_length=40, examples=["acme"], description="Provider name; croupier: in-house")
]
GameCode = Annotated[
    str,
    Field(max_length=64, examples=["sweet-7"], description="The game's code; *: all its games"),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GameSwitchIn(Strict):
    provider: Provider
    game_code: GameCode
    scope: Scope = Field(default=Scope.GLOBAL, description="global, brand or jurisdiction")
    scope_value: str | None = Field(
        default=None, max_length=40, description="The brand id or jurisdiction code"
    )
    reason: Reason


class KillSwitchIn(Strict):
    scope: Scope = Field(default=Scope.GLOBAL, description="global, brand or jurisdiction")
    scope_value: str | None = Field(
        default=None, max_length=40, description="The brand id or jurisdiction code"
    )
    reason: Reason


class StakeCapRemoveIn(Strict):
    provider: Provider
    game_code: GameCode
    jurisdiction: str = Field(max_length=8, examples=["GB"])
    currency: str = Field(max_length=8, examples=["GBP"])
    reason: Reason


class StakeCapIn(StakeCapRemoveIn):
    max_stake: int = Field(strict=True, description="Ledger units (5 GBP = 5000000)")


class GameControlOut(ViewModel):
    id: str
    kind: ControlKind = Field(description="disabled or stake_cap")
    provider: str = Field(description="*: all gaming (the kill switch)")
    game_code: str = Field(description="*: every game of the provider")
    scope: Scope
    scope_value: str | None = Field(description="The brand id or jurisdiction code")
    currency: str | None = Field(description="Stake caps only")
    max_stake: int | None = Field(description="Stake caps only, ledger units")
    reason: str
    changed_by: str
    changed_at: datetime


class ControlsOut(BaseModel):
    controls: list[GameControlOut]


class RtpFiguresOut(ViewModel):
    provider: str
    game_code: str = Field(description="*: the provider's games together")
    currency: str
    rounds: int
    staked: int = Field(description="Ledger units")
    returned: int = Field(description="Ledger units")
    actual_rtp: float | None = Field(description="Returned per unit staked (0.965 = 96.5 %)")
    theoretical_rtp_low: float | None = Field(description="Equal to high for one figure")
    theoretical_rtp_high: float | None
    interval_low: float | None = Field(description="99 % confidence interval of the actual RTP")
    interval_high: float | None
    status: RtpStatus = Field(description="ok, outside, too_few_rounds or no_theoretical")
    alert_raised_at: datetime | None = Field(description="Since when an alert is open")


class RtpReportOut(BaseModel):
    generated_at: datetime
    games: list[RtpFiguresOut]


class StaleRoundsOut(BaseModel):
    opened_before: datetime = Field(description="Rounds opened before this were closed")
    closed: int
    round_ids: list[str]
    more: bool = Field(description="More stale rounds may be left: call again")

"""API shapes of limits, time-outs and self-exclusion."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from croupier.kernel.jurisdictions import LimitKind, LimitPeriod
from croupier.kernel.web import ViewModel
from croupier.policy.rg.service import ExclusionKind


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int = Field(gt=0, le=2**63 - 1, description="Ledger units of the player's currency")


class LimitOut(ViewModel):
    kind: LimitKind
    period: LimitPeriod
    amount: int = Field(description="In force now")
    used: int = Field(description="Counted in the current period")
    remaining: int
    period_started_at: datetime
    period_ends_at: datetime
    pending_amount: int | None = Field(description="A requested raise, not yet in force")
    pending_effective_at: datetime | None = Field(
        description="From then the raise can be confirmed (POST .../confirm)"
    )
    set_by: str = Field(description="player, or operator (set by the RG team)")


class TimeoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hours: int = Field(gt=0, le=24 * 366, description="Length of the break")


class SelfExclusionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    months: int | None = Field(
        default=None, gt=0, le=1200, description="One of the jurisdiction's periods"
    )
    permanent: bool = False


class ExclusionOut(ViewModel):
    id: str
    kind: ExclusionKind
    starts_at: datetime
    ends_at: datetime | None
    end_requested_at: datetime | None
    in_force: bool


class RealityCheckOut(ViewModel):
    session_started_at: datetime
    elapsed_minutes: int
    staked: int
    won: int
    net_position: int = Field(description="won - staked in this session (ledger units)")
    interval_minutes: int | None = Field(
        description="The interval in force: the jurisdiction's or the player's, the shorter"
    )
    due: bool
    due_at: datetime | None


class RealityCheckIntervalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: int | None = Field(
        strict=True,
        description="How often to show a reality check; null to stop choosing (the "
        "jurisdiction's interval, if any, still applies)",
    )


class RealityCheckSettingOut(ViewModel):
    chosen_minutes: int | None = Field(description="What the player chose, if anything")
    jurisdiction_minutes: int | None = Field(description="The jurisdiction's mandatory interval")
    interval_minutes: int | None = Field(description="What applies: the shorter of the two")
    min_minutes: int
    max_minutes: int = Field(description="The longest interval the player may choose")

"""The shape of one jurisdiction's rules, as its data file (``data/<CODE>.toml``) gives them.

TOML has no null: an optional figure that is absent from the file means "none" (no register,
no stake cap), and its source still says why.

Every figure is data, with its source: a lab reads one file per jurisdiction and checks each
line against the regulator's text; an operator updates a figure without touching code. A file
that lacks a field, has an unknown one, or names no source for a figure does not load.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
    model_validator,
)


class Product(StrEnum):
    CASINO = "casino"  # table games (RNG)
    SLOTS = "slots"
    LIVE = "live"  # live-dealer casino
    SPORTS = "sports"


class LimitKind(StrEnum):
    DEPOSIT = "deposit"
    LOSS = "loss"
    WAGER = "wager"
    SESSION_TIME = "session_time"


class LimitPeriod(StrEnum):
    DAY = "24h"
    WEEK = "7d"
    MONTH = "1m"


class KycLevel(StrEnum):
    NONE = "none"
    AGE_VERIFIED = "age_verified"
    FULLY_VERIFIED = "fully_verified"


class Checkpoint(StrEnum):
    """Moments at which a rule (a register check, geolocation) applies."""

    REGISTRATION = "registration"
    LOGIN = "login"
    DEPOSIT = "deposit"
    BET = "bet"


DecimalText = Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+)?$")]

# Every field that carries a regulatory figure must name its source in ``sources``.
FIGURES: tuple[str, ...] = (
    "minimum_age",
    "products",
    "login_lock_attempts",
    "login_lock_window_minutes",
    "inactivity_timeout_minutes",
    "reauthentication_days",
    "mandatory_limits",
    "limit_periods",
    "limit_increase_cooling_off_hours",
    "limit_increase_waits_for_period_end",
    "partial_acceptance_at_limit",
    "timeout_min_hours",
    "timeout_max_days",
    "self_exclusion_months",
    "self_exclusion_permanent",
    "self_exclusion_lifted_automatically",
    "national_register",
    "register_checked_at",
    "reality_check_minutes",
    "geolocation_checked_at",
    "slot_min_cycle_ms",
    "other_game_min_interval_ms",
    "turbo_allowed",
    "autoplay_allowed",
    "slot_max_stake",
    "slot_max_stake_young_adult",
    "reverse_withdrawals_allowed",
    "kyc_before_deposit",
    "kyc_before_withdrawal",
    "aml_cdd_threshold",
    "ggr_tax_percent",
)


class Jurisdiction(BaseModel):
    """One regulator's rules, as loaded from its data file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]
    name: str
    regulator: str
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    region: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

    # Accounts and sessions (GLI-19 §2.5.2-2.5.4).
    minimum_age: int = Field(ge=16, le=25)
    products: frozenset[Product]
    login_lock_attempts: int = Field(ge=1, le=20)
    login_lock_window_minutes: int = Field(ge=1, le=1440)
    inactivity_timeout_minutes: int = Field(ge=1, le=1440)
    reauthentication_days: int = Field(ge=1, le=366)

    # Limits (GLI-19 A.3.7, UKGC RTS 12).
    mandatory_limits: frozenset[LimitKind]
    limit_periods: frozenset[LimitPeriod] = Field(min_length=1)
    limit_increase_cooling_off_hours: int = Field(ge=0, le=24 * 31)
    limit_increase_waits_for_period_end: bool
    partial_acceptance_at_limit: bool

    # Time-outs and self-exclusion (GLI-19 A.3.8).
    timeout_min_hours: int = Field(ge=1)
    timeout_max_days: int = Field(ge=1)
    self_exclusion_months: tuple[int, ...] = Field(min_length=1)
    self_exclusion_permanent: bool
    self_exclusion_lifted_automatically: bool
    national_register: str | None = None  # omitted in the file: none
    register_checked_at: frozenset[Checkpoint]
    reality_check_minutes: int | None = Field(default=None, ge=1, le=240)
    geolocation_checked_at: frozenset[Checkpoint]

    # Game speed, stakes and play features.
    slot_min_cycle_ms: int | None = Field(default=None, ge=0, le=60_000)
    other_game_min_interval_ms: int | None = Field(default=None, ge=0, le=60_000)
    turbo_allowed: bool
    autoplay_allowed: bool
    slot_max_stake: DecimalText | None = None  # in ``currency``
    slot_max_stake_young_adult: DecimalText | None = None
    young_adult_max_age: int | None = Field(default=None, ge=18, le=30)
    reverse_withdrawals_allowed: bool

    # KYC and AML.
    kyc_before_deposit: KycLevel
    kyc_before_withdrawal: KycLevel
    aml_cdd_threshold: DecimalText  # in ``aml_cdd_currency``
    aml_cdd_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

    # Tax on gross gaming revenue, percent (remote casino; sports may differ: see the source).
    ggr_tax_percent: DecimalText

    sources: dict[str, str]
    # Figures not yet checked against the primary source (shown by `jurisdictions show`).
    unverified: frozenset[str] = frozenset()
    notes: str = ""

    @model_validator(mode="after")
    def _complete_and_consistent(self) -> Jurisdiction:
        missing = sorted(f for f in FIGURES if not self.sources.get(f, "").strip())
        if missing:
            raise ValueError(f"{self.code}: no source for {', '.join(missing)}")
        unknown = sorted(set(self.sources) - set(FIGURES))
        if unknown:
            raise ValueError(f"{self.code}: sources for unknown figures {', '.join(unknown)}")
        if not set(self.unverified) <= set(FIGURES):
            raise ValueError(f"{self.code}: unverified names unknown figures")
        expected = f"{self.country}-{self.region}" if self.region else self.country
        if self.code != expected:
            raise ValueError(f"{self.code}: the code must be {expected!r}")
        if self.timeout_min_hours > self.timeout_max_days * 24:
            raise ValueError(f"{self.code}: the shortest time-out is longer than the longest")
        if (self.slot_max_stake_young_adult is None) != (self.young_adult_max_age is None):
            raise ValueError(f"{self.code}: a young-adult stake cap needs young_adult_max_age")
        if self.national_register is None and self.register_checked_at:
            raise ValueError(f"{self.code}: register checkpoints without a register")
        return self

    @field_serializer(
        "products",
        "mandatory_limits",
        "limit_periods",
        "register_checked_at",
        "geolocation_checked_at",
        "unverified",
    )
    def _sorted(self, values: frozenset[str]) -> list[str]:
        # Sets serialize in a stable order, so the CLI and the API always print the same.
        return sorted(values)

    # Durations as the code uses them.

    @property
    def login_lock_window(self) -> timedelta:
        return timedelta(minutes=self.login_lock_window_minutes)

    @property
    def inactivity_timeout(self) -> timedelta:
        return timedelta(minutes=self.inactivity_timeout_minutes)

    @property
    def reauthentication_period(self) -> timedelta:
        return timedelta(days=self.reauthentication_days)

    @property
    def limit_increase_cooling_off(self) -> timedelta:
        return timedelta(hours=self.limit_increase_cooling_off_hours)

    def decimal(self, figure: str) -> Decimal | None:
        """A decimal figure (stake cap, threshold, tax) as an exact Decimal."""
        value = getattr(self, figure)
        return None if value is None else Decimal(value)

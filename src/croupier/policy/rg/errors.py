"""Errors of responsible gaming, each with a stable code."""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class RgError(DomainError):
    code = "rg.error"
    status = 422


class PeriodNotOffered(RgError):
    code = "rg.period_not_offered"
    title = "The player's jurisdiction does not offer this limit period"


class InvalidLimit(RgError):
    code = "rg.invalid_limit"
    title = "A limit is a positive whole number (ledger units, or minutes for session time)"


class NoPendingChange(DomainError):
    code = "rg.no_pending_change"
    status = 409
    title = "There is no limit increase waiting for confirmation"


class CoolingOff(DomainError):
    # GLI-19 A.3.7, UKGC RTS 12: a relaxed limit applies only after the cooling-off period.
    code = "rg.cooling_off"
    status = 409
    title = "The limit increase is still in its cooling-off period"


class InvalidExclusionPeriod(RgError):
    code = "rg.invalid_exclusion_period"
    title = "The jurisdiction does not offer this time-out or self-exclusion period"


class RealityCheckDue(DomainError):
    # ES RD 176/2023 (60 min), NL (30 min), US-PA 58 Pa. Code 814a.1 (60 min).
    code = "rg.reality_check_due"
    status = 409
    title = "A reality check is due: show it and have the player acknowledge it"


class ExclusionStillInForce(DomainError):
    code = "rg.exclusion_in_force"
    status = 409
    title = "The self-exclusion has not ended yet"


class InvalidRealityCheckInterval(RgError):
    code = "rg.invalid_reality_check_interval"
    title = (
        "A reality-check interval is a whole number of minutes within the range offered, and "
        "no longer than the jurisdiction's own interval"
    )

"""Explicit rules on top of the model: each can force review or decline whatever the score.

Stable codes (recorded in ``RiskDecision.rules``); the numbers come from settings:

- ``risk.velocity_1m`` (decline): this attempt is the player's ``risk_velocity_1m_attempts``-th
  or more within one minute (card testing runs through cards at machine speed).
- ``risk.repeated_failures`` (decline): ``risk_failures_15m`` or more failed or declined
  attempts in the last 15 minutes.
- ``risk.shared_instrument`` (review): the payment instrument has now been used by
  ``risk_instrument_players`` or more players (a stolen card passed between accounts).
- ``risk.shared_device`` (review): the device has now been used by ``risk_device_players`` or
  more players (an account farm; a household shares a device with two or three).
- ``risk.new_account_large_amount`` (review): an account younger than a day moves
  ``risk_new_account_amount_multiple`` times its own average or more.
"""

from __future__ import annotations

from dataclasses import dataclass

from croupier.kernel.config import Settings
from croupier.policy.risk.decisions import RiskOutcome
from croupier.policy.risk.features import (
    ACCOUNT_AGE_DAYS,
    AMOUNT_VS_AVERAGE,
    ATTEMPTS_1M,
    DEVICE_NEW_FOR_PLAYER,
    DEVICE_OTHER_PLAYERS,
    FAILURES_15M,
    INSTRUMENT_NEW_FOR_PLAYER,
    INSTRUMENT_OTHER_PLAYERS,
)

RULE_OUTCOMES: dict[str, RiskOutcome] = {
    "risk.velocity_1m": RiskOutcome.DECLINE,
    "risk.repeated_failures": RiskOutcome.DECLINE,
    "risk.shared_instrument": RiskOutcome.REVIEW,
    "risk.shared_device": RiskOutcome.REVIEW,
    "risk.new_account_large_amount": RiskOutcome.REVIEW,
}


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    """Score thresholds per kind, and the numbers of the explicit rules."""

    deposit_review: float = 0.5
    deposit_decline: float = 0.9
    withdrawal_review: float = 0.4
    withdrawal_decline: float = 0.85
    velocity_1m_attempts: int = 5
    failures_15m: int = 5
    instrument_players: int = 3
    device_players: int = 5
    new_account_amount_multiple: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RiskThresholds:
        return cls(
            deposit_review=settings.risk_deposit_review_score,
            deposit_decline=settings.risk_deposit_decline_score,
            withdrawal_review=settings.risk_withdrawal_review_score,
            withdrawal_decline=settings.risk_withdrawal_decline_score,
            velocity_1m_attempts=settings.risk_velocity_1m_attempts,
            failures_15m=settings.risk_failures_15m,
            instrument_players=settings.risk_instrument_players,
            device_players=settings.risk_device_players,
            new_account_amount_multiple=settings.risk_new_account_amount_multiple,
        )

    def score_outcome(self, score: float, *, is_withdrawal: bool) -> RiskOutcome:
        """What the model's score alone decides."""
        review, decline = (
            (self.withdrawal_review, self.withdrawal_decline)
            if is_withdrawal
            else (self.deposit_review, self.deposit_decline)
        )
        if score >= decline:
            return RiskOutcome.DECLINE
        if score >= review:
            return RiskOutcome.REVIEW
        return RiskOutcome.APPROVE


def fired_rules(x: list[float], t: RiskThresholds) -> list[str]:
    """The codes of the rules that fire on feature vector ``x`` (``features.FEATURES``)."""
    fired = []
    if x[ATTEMPTS_1M] + 1 >= t.velocity_1m_attempts:
        fired.append("risk.velocity_1m")
    if x[FAILURES_15M] >= t.failures_15m:
        fired.append("risk.repeated_failures")
    if (
        x[INSTRUMENT_NEW_FOR_PLAYER] >= 0
        and x[INSTRUMENT_OTHER_PLAYERS] + 1 >= t.instrument_players
    ):
        fired.append("risk.shared_instrument")
    if x[DEVICE_NEW_FOR_PLAYER] >= 0 and x[DEVICE_OTHER_PLAYERS] + 1 >= t.device_players:
        fired.append("risk.shared_device")
    if x[ACCOUNT_AGE_DAYS] < 1 and x[AMOUNT_VS_AVERAGE] >= t.new_account_amount_multiple:
        fired.append("risk.new_account_large_amount")
    return fired

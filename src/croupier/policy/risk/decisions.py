"""What risk is asked (a payment attempt) and what it answers (a decision with its reasons)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RiskOutcome(StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    DECLINE = "decline"


SEVERITY = {RiskOutcome.APPROVE: 0, RiskOutcome.REVIEW: 1, RiskOutcome.DECLINE: 2}


@dataclass(frozen=True, slots=True)
class RiskRequest:
    """A deposit or withdrawal about to be attempted."""

    attempt_id: str  # the payment id; assess is idempotent by it
    player_id: str
    kind: str  # "deposit" | "withdrawal"
    amount: int  # ledger units of the player's currency
    currency: str
    instrument_fingerprint: str | None = None  # sha256 hex of the card number / IBAN / wallet id
    device_id: str | None = None  # client device fingerprint (X-Device-Id header)
    ip_country: str | None = None  # ISO alpha-2 from geolocation, if known


@dataclass(frozen=True, slots=True)
class Factor:
    """A feature's value and what it added to the model's log-odds (path attribution)."""

    name: str
    value: float
    contribution: float


@dataclass(frozen=True, slots=True)
class RiskDecision:
    outcome: RiskOutcome
    score: float  # the model's probability of fraud
    model_version: str
    factors: tuple[Factor, ...]  # the top 5 by |contribution|
    rules: tuple[str, ...]  # explicit rules that fired, e.g. "risk.velocity_1m"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready, as stored with the attempt (and on the payment)."""
        return {
            "outcome": self.outcome.value,
            "score": self.score,
            "model_version": self.model_version,
            "factors": [
                {"name": f.name, "value": f.value, "contribution": f.contribution}
                for f in self.factors
            ],
            "rules": list(self.rules),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskDecision:
        return cls(
            outcome=RiskOutcome(data["outcome"]),
            score=float(data["score"]),
            model_version=str(data["model_version"]),
            factors=tuple(
                Factor(str(f["name"]), float(f["value"]), float(f["contribution"]))
                for f in data["factors"]
            ),
            rules=tuple(str(r) for r in data["rules"]),
        )

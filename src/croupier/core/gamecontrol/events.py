"""Events the game control module publishes through the outbox: an RTP alert raised or cleared
(GLI-19 A.6), once each, for whatever pages staff or files the incident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from croupier.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class RtpAlertRaised(Event):
    type: ClassVar[str] = "gamecontrol.rtp_alert_raised"
    provider: str
    game_code: str  # "*": the provider's games together
    currency: str
    rounds: int
    actual_rtp: float
    interval_low: float
    interval_high: float


@dataclass(frozen=True, kw_only=True)
class RtpAlertCleared(Event):
    type: ClassVar[str] = "gamecontrol.rtp_alert_cleared"
    provider: str
    game_code: str
    currency: str
    rounds: int
    actual_rtp: float

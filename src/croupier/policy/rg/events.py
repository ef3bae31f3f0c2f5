"""Events the responsible-gaming module publishes through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from croupier.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class LimitIncreaseRequested(Event):
    type: ClassVar[str] = "rg.limit_increase_requested"
    player_id: str
    kind: str
    period: str
    amount: int

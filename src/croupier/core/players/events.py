"""Events the players module publishes through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from croupier.kernel.events import Event


@dataclass(frozen=True, kw_only=True)
class PlayerRegistered(Event):
    type: ClassVar[str] = "players.registered"
    player_id: str
    brand_id: str
    jurisdiction: str
    currency: str
    flags: list[str]


@dataclass(frozen=True, kw_only=True)
class PlayerStatusChanged(Event):
    type: ClassVar[str] = "players.status_changed"
    player_id: str
    from_status: str | None
    to_status: str
    actor: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class PlayerPersonalDataChanged(Event):
    type: ClassVar[str] = "players.personal_data_changed"
    player_id: str
    fields: list[str]


@dataclass(frozen=True, kw_only=True)
class PlayerLocked(Event):
    type: ClassVar[str] = "players.locked"
    player_id: str
    failures: int

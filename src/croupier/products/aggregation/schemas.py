"""API shapes of the game catalogue."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from croupier.kernel.web import ViewModel


class CatalogueGameOut(ViewModel):
    id: str = Field(
        description="Where the game is played: an in-house title's code "
        "(POST /api/v1/games/{id}/rounds) or a provider game's id "
        "(POST /api/v1/games/{id}/launch)",
        examples=["pgm_01JD3Q8Z7Y6X5W4V3T2S1R0Q9P"],
    )
    provider: str = Field(examples=["croupier"])
    code: str = Field(examples=["dice"])
    name: str
    category: str = Field(examples=["instant"])
    rtp: str | None = Field(
        description="Theoretical RTP in percent as exact decimal text; null if not recorded "
        "(in-house titles: see their PAR sheets)",
        examples=["96.5"],
    )
    jurisdictions: list[str] = Field(
        description="Jurisdictions where it may be offered; empty: not restricted here"
    )
    blocked_countries: list[str] = Field(description="ISO 3166-1 countries where it is not")
    in_house: bool


class CatalogueOut(ViewModel):
    games: list[CatalogueGameOut]


class LaunchOut(BaseModel):
    session_id: str
    token: str = Field(
        description="The game session token the provider presents to our wallet; shown once"
    )
    launch_url: str = Field(
        description="The provider's launch URL with token, game, currency and lang added",
        examples=["https://games.acme.example/launch?token=...&game=sweet-7&currency=EUR&lang=en"],
    )
    expires_at: datetime

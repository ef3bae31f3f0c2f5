"""API shapes of the game catalogue."""

from __future__ import annotations

from pydantic import Field

from croupier.kernel.web import ViewModel


class CatalogueGameOut(ViewModel):
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

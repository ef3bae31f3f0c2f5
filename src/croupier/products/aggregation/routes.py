"""The public game catalogue: in-house titles and every enabled provider's games."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from croupier.kernel.web import ReadSession, problem_responses
from croupier.products.aggregation import service
from croupier.products.aggregation.errors import ProviderNotFound, UnknownCategory
from croupier.products.aggregation.schemas import CatalogueGameOut, CatalogueOut

router = APIRouter(tags=["catalogue"])


@router.get(
    "/api/v1/catalogue/games",
    response_model=CatalogueOut,
    responses=problem_responses(ProviderNotFound, UnknownCategory),
)
def list_catalogue_games(
    session: ReadSession,
    provider: Annotated[
        str | None, Query(max_length=40, description="Only this provider's games")
    ] = None,
    category: Annotated[
        str | None,
        Query(max_length=16, description=f"One of: {', '.join(service.CATEGORIES)}"),
    ] = None,
) -> CatalogueOut:
    """The game catalogue by provider and code: the in-house titles as provider `croupier`,
    then the games of every enabled provider."""
    games = service.catalogue(session, provider=provider, category=category)
    return CatalogueOut(games=[CatalogueGameOut.of(g) for g in games])

"""The public game catalogue (in-house titles and every enabled provider's games), and
launching a provider's game for a logged-in player."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from croupier.core.gamecontrol import GameDisabled, GamingSuspended
from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.config import Settings
from croupier.kernel.ratelimit import Limit, RateLimited
from croupier.kernel.web import (
    AppClock,
    DbSession,
    ReadSession,
    client_ip,
    problem_responses,
    rate_limit,
)
from croupier.policy.compliance import errors as compliance_errors
from croupier.products.aggregation import errors, service, sessions
from croupier.products.aggregation.schemas import CatalogueGameOut, CatalogueOut, LaunchOut

router = APIRouter(tags=["catalogue"])

LAUNCH_REFUSALS = (
    errors.GameNotFound,
    errors.InHouseTitle,
    errors.ProviderDisabled,
    errors.ProviderNotLaunchable,
    errors.GameNotOfferedInJurisdiction,
    errors.GameBlockedInCountry,
    GamingSuspended,
    GameDisabled,
    compliance_errors.SelfExcluded,
    compliance_errors.TimedOut,
    compliance_errors.AccountNotActive,
    compliance_errors.VerificationRequired,
    compliance_errors.ProductNotOffered,
)


@router.get(
    "/api/v1/catalogue/games",
    response_model=CatalogueOut,
    responses=problem_responses(errors.ProviderNotFound, errors.UnknownCategory, RateLimited),
)
def list_catalogue_games(
    request: Request,
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
    then the games of every enabled provider. Public, so limited per IP."""
    settings: Settings = request.app.state.settings
    rate_limit(
        request,
        Limit(
            "catalogue:ip",
            settings.rate_limit_catalogue_per_ip,
            settings.rate_limit_window_seconds,
        ),
        client_ip(request),
        what="catalogue requests",
    )
    games = service.catalogue(session, provider=provider, category=category)
    return CatalogueOut(games=[CatalogueGameOut.of(g) for g in games])


@router.post(
    "/api/v1/games/{game_id}/launch",
    response_model=LaunchOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*SESSION_ERRORS, *LAUNCH_REFUSALS),
    tags=["provider games"],
)
def launch_game(
    game_id: Annotated[str, Path(max_length=40, description="The game's id in the catalogue")],
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
) -> LaunchOut:
    """Open a game session at a provider's game and answer the URL to send the player to.

    The token in it is what the provider presents to our wallet; a newer launch at the same
    provider takes over the bets. In-house titles are not launched: play them at
    `POST /api/v1/games/{code}/rounds`."""
    launched = sessions.launch_game(session, clock, auth.player_id, game_id)
    return LaunchOut(
        session_id=launched.session.id,
        token=launched.token,
        launch_url=launched.launch_url,
        expires_at=launched.session.expires_at,
    )

"""Game control for operators (GLI-19 §2.4.1, §4.15, A.6).

Disable a game (or every game of a provider) globally, for a brand or in a jurisdiction; the
kill switch for all gaming; stake caps per game, jurisdiction and currency; live RTP against
theoretical; closing provider rounds left open too long. Changes need ``games:control`` and a
reason, and are audited; reads need ``games:read`` (or ``games:control``). An operator tied to
one brand controls games for that brand only; caps, RTP and stale rounds are not kept per brand.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from croupier.backoffice.gamecontrol.schemas import (
    ControlsOut,
    GameControlOut,
    GameSwitchIn,
    KillSwitchIn,
    RtpFiguresOut,
    RtpReportOut,
    StakeCapIn,
    StakeCapRemoveIn,
    StaleRoundsOut,
)
from croupier.core import gamecontrol
from croupier.core.gamecontrol import Scope
from croupier.core.gamecontrol import errors as control_errors
from croupier.core.players.errors import BrandNotFound
from croupier.kernel.errors import DomainError
from croupier.kernel.jurisdictions import UnknownJurisdiction
from croupier.kernel.money import UnknownCurrency
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    AppSettings,
    DbSession,
    OperatorPrincipal,
    Permission,
    PermissionDenied,
    problem_responses,
    require_permission,
)
from croupier.products.aggregation import errors as catalogue_errors
from croupier.products.aggregation import jobs, rtp
from croupier.products.aggregation.service import require_game

router = APIRouter(prefix="/api/v1/backoffice/games", tags=["game control (operator)"])

STALE_ROUNDS_PER_REQUEST = 1000  # one unit of work; the job closes the rest in batches

Reader = Annotated[
    OperatorPrincipal,
    Depends(require_permission(Permission.GAMES_READ, Permission.GAMES_CONTROL)),
]
EveryBrandReader = Annotated[
    OperatorPrincipal,
    Depends(require_permission(Permission.GAMES_READ, Permission.GAMES_CONTROL, every_brand=True)),
]
Controller = Annotated[OperatorPrincipal, Depends(require_permission(Permission.GAMES_CONTROL))]
EveryBrandController = Annotated[
    OperatorPrincipal, Depends(require_permission(Permission.GAMES_CONTROL, every_brand=True))
]

PLACE_ERRORS: tuple[type[DomainError], ...] = (
    control_errors.InvalidScope,
    control_errors.ReasonRequired,
    BrandNotFound,
    UnknownJurisdiction,
)
GAME_ERRORS: tuple[type[DomainError], ...] = (
    control_errors.InvalidGame,
    catalogue_errors.ProviderNotFound,
    catalogue_errors.GameNotFound,
)
CAP_ERRORS: tuple[type[DomainError], ...] = (
    *GAME_ERRORS,
    *PLACE_ERRORS,
    control_errors.InvalidStakeCap,
    UnknownCurrency,
)


def _for_own_brand(operator: OperatorPrincipal, scope: Scope, scope_value: str | None) -> None:
    """An operator tied to a brand switches games for that brand only."""
    if operator.brand_scope is not None and (
        scope is not Scope.BRAND or scope_value != operator.brand_scope
    ):
        raise PermissionDenied(
            "Your account is tied to one brand: control games for that brand only.",
            required=[Permission.GAMES_CONTROL, Permission.ALL_BRANDS],
        )


@router.get(
    "/controls", response_model=ControlsOut, responses=problem_responses(*PERMISSION_ERRORS)
)
def list_controls(
    operator: Reader,  # noqa: ARG001
    session: DbSession,
    provider: Annotated[str | None, Query(max_length=40, description="Only this provider")] = None,
) -> ControlsOut:
    """Every control in force: disabled games (provider `*` is the kill switch) and stake
    caps, with who set them, when and why."""
    controls = gamecontrol.list_controls(session, provider=provider)
    return ControlsOut(controls=[GameControlOut.of(c) for c in controls])


@router.post(
    "/disable",
    response_model=GameControlOut,
    responses=problem_responses(*PERMISSION_ERRORS, *GAME_ERRORS, *PLACE_ERRORS),
)
def disable_game(
    body: GameSwitchIn, operator: Controller, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Disable a game (`game_code` `*`: every game of the provider) globally, for a brand or
    in a jurisdiction (GLI-19 §2.4.1). New rounds and launches are refused
    (`gamecontrol.game_disabled`); rounds already open finish (§4.15). Disabling a game where
    it is disabled already answers that control and changes nothing."""
    _for_own_brand(operator, body.scope, body.scope_value)
    require_game(session, body.provider, body.game_code)
    return GameControlOut.of(
        gamecontrol.disable_game(
            session,
            clock,
            provider=body.provider,
            game_code=body.game_code,
            scope=body.scope,
            scope_value=body.scope_value,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.post(
    "/enable",
    response_model=GameControlOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, *GAME_ERRORS, *PLACE_ERRORS, control_errors.ControlNotFound
    ),
)
def enable_game(
    body: GameSwitchIn, operator: Controller, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Lift the disabling of a game at exactly this scope; answers the control lifted.
    Disablings at other scopes stay in force (`GET /controls` lists them)."""
    _for_own_brand(operator, body.scope, body.scope_value)
    return GameControlOut.of(
        gamecontrol.enable_game(
            session,
            clock,
            provider=body.provider,
            game_code=body.game_code,
            scope=body.scope,
            scope_value=body.scope_value,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.post(
    "/kill-switch/on",
    response_model=GameControlOut,
    responses=problem_responses(*PERMISSION_ERRORS, *PLACE_ERRORS),
)
def kill_switch_on(
    body: KillSwitchIn, operator: Controller, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Suspend all gaming, everywhere or for a brand or jurisdiction (GLI-19 §2.4.1): no new
    round of any game starts (`gamecontrol.gaming_suspended`); open rounds finish (§4.15)."""
    _for_own_brand(operator, body.scope, body.scope_value)
    return GameControlOut.of(
        gamecontrol.suspend_gaming(
            session,
            clock,
            scope=body.scope,
            scope_value=body.scope_value,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.post(
    "/kill-switch/off",
    response_model=GameControlOut,
    responses=problem_responses(*PERMISSION_ERRORS, *PLACE_ERRORS, control_errors.ControlNotFound),
)
def kill_switch_off(
    body: KillSwitchIn, operator: Controller, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Release the kill switch at this scope; answers the control lifted."""
    _for_own_brand(operator, body.scope, body.scope_value)
    return GameControlOut.of(
        gamecontrol.resume_gaming(
            session,
            clock,
            scope=body.scope,
            scope_value=body.scope_value,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.post(
    "/stake-caps",
    response_model=GameControlOut,
    responses=problem_responses(*PERMISSION_ERRORS, *CAP_ERRORS),
)
def set_stake_cap(
    body: StakeCapIn, operator: EveryBrandController, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Cap the stake of a game in a jurisdiction and currency (ledger units), replacing the
    cap there. Stakes above it are refused (`gamecontrol.stake_above_game_cap`), in open rounds
    too. The jurisdiction's own caps (UK slots: 5 GBP, 2 GBP for ages 18-24) apply anyway."""
    require_game(session, body.provider, body.game_code)
    return GameControlOut.of(
        gamecontrol.set_stake_cap(
            session,
            clock,
            provider=body.provider,
            game_code=body.game_code,
            jurisdiction_code=body.jurisdiction,
            currency_code=body.currency,
            max_stake=body.max_stake,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.post(
    "/stake-caps/remove",
    response_model=GameControlOut,
    responses=problem_responses(*PERMISSION_ERRORS, *CAP_ERRORS, control_errors.ControlNotFound),
)
def remove_stake_cap(
    body: StakeCapRemoveIn, operator: EveryBrandController, session: DbSession, clock: AppClock
) -> GameControlOut:
    """Remove a game's stake cap in a jurisdiction and currency; answers the cap removed."""
    return GameControlOut.of(
        gamecontrol.remove_stake_cap(
            session,
            clock,
            provider=body.provider,
            game_code=body.game_code,
            jurisdiction_code=body.jurisdiction,
            currency_code=body.currency,
            reason=body.reason,
            actor=operator.actor,
        )
    )


@router.get("/rtp", response_model=RtpReportOut, responses=problem_responses(*PERMISSION_ERRORS))
def live_rtp(
    operator: EveryBrandReader,
    session: DbSession,
    clock: AppClock,
    provider: Annotated[str | None, Query(max_length=40, description="Only this provider")] = None,
) -> RtpReportOut:
    """Actual against theoretical RTP per game and per provider (`game_code` `*`), per
    currency (GLI-19 A.6), with the 99 % interval the actual RTP should be in. A game found
    outside it for the first time raises an alert (stored and audited once, cleared when it
    is back inside); `alert_raised_at` shows the open one."""
    figures = rtp.check_rtp(session, clock, provider=provider, actor=operator.actor)
    return RtpReportOut(generated_at=clock.now(), games=[RtpFiguresOut.of(f) for f in figures])


@router.post(
    "/close-stale-rounds",
    response_model=StaleRoundsOut,
    responses=problem_responses(*PERMISSION_ERRORS, validated=False),
)
def close_stale_rounds(
    operator: EveryBrandController, session: DbSession, clock: AppClock, settings: AppSettings
) -> StaleRoundsOut:
    """Close the provider rounds open for longer than `CROUPIER_PROVIDER_ROUND_MAX_AGE_HOURS`
    now, as the periodic job does: closed by `timeout`, no money moved (a win that still
    comes is paid), each closure audited in the operator's name. At most
    1,000 rounds per call: `more` says to call again."""
    report = jobs.close_stale_rounds(
        session,
        clock,
        max_age=timedelta(hours=settings.provider_round_max_age_hours),
        limit=STALE_ROUNDS_PER_REQUEST,
        actor=operator.actor,
    )
    return StaleRoundsOut(
        opened_before=report.opened_before,
        closed=len(report.closed),
        round_ids=report.closed,
        more=report.examined == STALE_ROUNDS_PER_REQUEST,
    )

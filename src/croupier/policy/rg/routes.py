"""Player endpoints for limits, time-outs and self-exclusion (GLI-19 A.3.7, A.3.8)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from croupier.core.players import get_player
from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.errors import InvalidRequest
from croupier.kernel.jurisdictions import LimitKind, LimitPeriod
from croupier.kernel.web import AppClock, DbSession, problem_responses
from croupier.policy.rg import errors, service
from croupier.policy.rg.schemas import (
    ExclusionOut,
    LimitIn,
    LimitOut,
    RealityCheckIntervalIn,
    RealityCheckOut,
    RealityCheckSettingOut,
    SelfExclusionIn,
    TimeoutIn,
)

router = APIRouter(prefix="/api/v1/me", tags=["responsible gaming"])


def _actor(player_id: str) -> str:
    return f"player:{player_id}"


@router.get("/limits", response_model=list[LimitOut], responses=problem_responses(*SESSION_ERRORS))
def list_limits(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> list[LimitOut]:
    """The player's deposit, loss and wager limits, with what the current period has used."""
    return [LimitOut.of(v) for v in service.list_limits(session, clock, auth.player_id)]


@router.put(
    "/limits/{kind}/{period}",
    response_model=LimitOut,
    responses=problem_responses(*SESSION_ERRORS, errors.PeriodNotOffered, errors.InvalidLimit),
)
def set_limit(
    kind: LimitKind,
    period: LimitPeriod,
    body: LimitIn,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
) -> LimitOut:
    """Set or lower a limit (in force at once), or ask to raise it: a raise waits for the
    jurisdiction's cooling-off (24 hours in GB and MT; 72 hours and the end of the period in
    SE) and then for your confirmation."""
    return LimitOut.of(
        service.set_limit(
            session, clock, auth.player_id, kind, period, body.amount, actor=_actor(auth.player_id)
        )
    )


@router.post(
    "/limits/{kind}/{period}/confirm",
    response_model=LimitOut,
    responses=problem_responses(*SESSION_ERRORS, errors.NoPendingChange, errors.CoolingOff),
)
def confirm_limit_increase(
    kind: LimitKind, period: LimitPeriod, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> LimitOut:
    """Confirm a requested raise once its cooling-off is over; it applies from now."""
    return LimitOut.of(
        service.confirm_limit_increase(
            session, clock, auth.player_id, kind, period, actor=_actor(auth.player_id)
        )
    )


@router.get(
    "/exclusions", response_model=list[ExclusionOut], responses=problem_responses(*SESSION_ERRORS)
)
def list_exclusions(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> list[ExclusionOut]:
    """Time-outs and self-exclusions in force now."""
    player = get_player(session, auth.player_id, brand_scope=auth.brand_id)
    return [ExclusionOut.of(v) for v in service.exclusions_in_force(session, clock, player)]


@router.post(
    "/timeout",
    status_code=status.HTTP_201_CREATED,
    response_model=ExclusionOut,
    responses=problem_responses(*SESSION_ERRORS, errors.InvalidExclusionPeriod),
)
def take_timeout(
    body: TimeoutIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> ExclusionOut:
    """Take a break: no deposits and no bets until it ends; it cannot be shortened."""
    return ExclusionOut.of(
        service.take_timeout(
            session,
            clock,
            auth.player_id,
            timedelta(hours=body.hours),
            actor=_actor(auth.player_id),
        )
    )


@router.post(
    "/self-exclusion",
    status_code=status.HTTP_201_CREATED,
    response_model=ExclusionOut,
    responses=problem_responses(*SESSION_ERRORS, errors.InvalidExclusionPeriod),
)
def self_exclude(
    body: SelfExclusionIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> ExclusionOut:
    """Exclude yourself for one of your jurisdiction's periods, or permanently where offered.
    In force at once: no deposits, no bets, no marketing; withdrawals stay possible."""
    if body.permanent == (body.months is not None):
        raise InvalidRequest("Give either months or permanent=true.")
    return ExclusionOut.of(
        service.self_exclude(
            session, clock, auth.player_id, months=body.months, actor=_actor(auth.player_id)
        )
    )


@router.post(
    "/self-exclusion/end",
    response_model=ExclusionOut,
    responses=problem_responses(
        *SESSION_ERRORS, errors.NoPendingChange, errors.ExclusionStillInForce
    ),
)
def request_self_exclusion_end(
    auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> ExclusionOut:
    """Ask to end a self-exclusion that has run its course where it does not lift itself
    (GB); it ends 24 hours later."""
    return ExclusionOut.of(
        service.request_self_exclusion_end(
            session, clock, auth.player_id, actor=_actor(auth.player_id)
        )
    )


@router.get(
    "/reality-check", response_model=RealityCheckOut, responses=problem_responses(*SESSION_ERRORS)
)
def get_reality_check(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> RealityCheckOut:
    """Time in this session and its net position, and whether the jurisdiction's reality check
    is due (GLI-19; ES and US-PA every 60 minutes, NL every 30). While it is due, bets are
    refused with `rg.reality_check_due` until it is acknowledged."""
    player = get_player(session, auth.player_id, brand_scope=auth.brand_id)
    return RealityCheckOut.of(service.reality_check(session, clock, player, auth.session_id))


@router.post(
    "/reality-check/ack",
    response_model=RealityCheckOut,
    responses=problem_responses(*SESSION_ERRORS),
)
def acknowledge_reality_check(
    auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> RealityCheckOut:
    """The player has seen the reality check; the next is due one interval from now."""
    player = get_player(session, auth.player_id, brand_scope=auth.brand_id)
    return RealityCheckOut.of(
        service.acknowledge_reality_check(session, clock, player, auth.session_id)
    )


@router.get(
    "/reality-check/interval",
    response_model=RealityCheckSettingOut,
    responses=problem_responses(*SESSION_ERRORS),
)
def get_reality_check_interval(auth: CurrentPlayer, session: DbSession) -> RealityCheckSettingOut:
    """The reality-check interval the player chose, the jurisdiction's, and the one in force."""
    player = get_player(session, auth.player_id, brand_scope=auth.brand_id)
    return RealityCheckSettingOut.of(service.reality_check_setting(session, player))


@router.put(
    "/reality-check/interval",
    response_model=RealityCheckSettingOut,
    responses=problem_responses(*SESSION_ERRORS, errors.InvalidRealityCheckInterval),
)
def set_reality_check_interval(
    body: RealityCheckIntervalIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> RealityCheckSettingOut:
    """Choose how often to see a reality check (UKGC RTS 13; MGA), at most the jurisdiction's
    own interval where it has one; `null` stops choosing. Audited."""
    return RealityCheckSettingOut.of(
        service.set_reality_check_interval(
            session, clock, auth.player_id, body.minutes, actor=_actor(auth.player_id)
        )
    )

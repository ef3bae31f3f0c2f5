"""Back-office player endpoints: search, view, status with reason, unlock, audit trail.

Each route checks its permission; an operator tied to one brand sees only its players, and a
player of another brand is "not found". Every operator action is an audit event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from croupier.core import players
from croupier.core.players import errors
from croupier.core.players.schemas import (
    AuditEntryOut,
    AuditPage,
    PlayerDetailOut,
    PlayerOut,
    PlayerPage,
    ReasonIn,
    StatusChangeIn,
    StatusChangeOut,
)
from croupier.kernel.audit import list_audit_entries, record_event
from croupier.kernel.jurisdictions import KycLevel, LimitKind, LimitPeriod
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    DbSession,
    OperatorPrincipal,
    Permission,
    problem_responses,
    require_permission,
)
from croupier.policy.compliance import kyc
from croupier.policy.rg import service as rg
from croupier.policy.rg.errors import InvalidLimit
from croupier.policy.rg.schemas import ExclusionOut, LimitOut

router = APIRouter(prefix="/api/v1/backoffice/players", tags=["players (operator)"])

PlayerId = Annotated[str, Path(max_length=40, description="Player id (ply_...)")]
Reader = Annotated[OperatorPrincipal, Depends(require_permission(Permission.PLAYERS_READ))]
StatusChanger = Annotated[OperatorPrincipal, Depends(require_permission(Permission.PLAYERS_STATUS))]
Unlocker = Annotated[OperatorPrincipal, Depends(require_permission(Permission.PLAYERS_UNLOCK))]
AuditReader = Annotated[OperatorPrincipal, Depends(require_permission(Permission.AUDIT_READ))]


@router.get("", response_model=PlayerPage, responses=problem_responses(*PERMISSION_ERRORS))
def search(
    operator: Reader,
    session: DbSession,
    clock: AppClock,
    q: Annotated[
        str | None, Query(max_length=200, description="Email, name, id or postcode")
    ] = None,
    status: players.PlayerStatus | None = None,
    brand_id: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PlayerPage:
    """Search the players the operator may see, in id order, a page at a time."""
    found = players.search_players(
        session,
        brand_scope=operator.brand_scope,
        query=q,
        status=status,
        brand_id=brand_id,
        after_id=after,
        limit=limit,
    )
    record_event(
        session,
        clock,
        actor=operator.actor,
        action="players.searched",
        subject_type="operator",
        subject_id=operator.operator_id,
        after={"q": q, "status": status, "brand_id": brand_id, "results": len(found)},
    )
    return PlayerPage(
        players=[PlayerOut.of(p) for p in found],
        next_after=found[-1].id if len(found) == limit else None,
    )


@router.get(
    "/{player_id}",
    response_model=PlayerDetailOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PlayerNotFound),
)
def view(
    player_id: PlayerId, operator: Reader, session: DbSession, clock: AppClock
) -> PlayerDetailOut:
    """One player with their status history. Viewing personal data is audited."""
    player = players.get_player(session, player_id, brand_scope=operator.brand_scope)
    history = players.status_history(session, player_id, brand_scope=operator.brand_scope)
    record_event(
        session,
        clock,
        actor=operator.actor,
        action="player.viewed",
        subject_type="player",
        subject_id=player_id,
    )
    return PlayerDetailOut(
        player=PlayerOut.of(player), status_history=[StatusChangeOut.of(c) for c in history]
    )


@router.post(
    "/{player_id}/status",
    response_model=PlayerOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.PlayerNotFound, errors.InvalidStatusChange
    ),
)
def change_status(
    player_id: PlayerId,
    body: StatusChangeIn,
    operator: StatusChanger,
    session: DbSession,
    clock: AppClock,
) -> PlayerOut:
    """Change a player's status with a reason (activate after verification, suspend, close).
    Suspending or closing ends the player's sessions."""
    return PlayerOut.of(
        players.change_status(
            session,
            clock,
            player_id,
            body.status,
            reason=body.reason,
            actor=operator.actor,
            brand_scope=operator.brand_scope,
        )
    )


@router.post(
    "/{player_id}/unlock",
    response_model=PlayerOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PlayerNotFound),
)
def unlock(
    player_id: PlayerId, body: ReasonIn, operator: Unlocker, session: DbSession, clock: AppClock
) -> PlayerOut:
    """Lift a player's login lock, with a reason (GLI-19 §2.5.3)."""
    return PlayerOut.of(
        players.unlock_player(
            session,
            clock,
            player_id,
            reason=body.reason,
            actor=operator.actor,
            brand_scope=operator.brand_scope,
        )
    )


@router.get(
    "/{player_id}/audit",
    response_model=AuditPage,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PlayerNotFound),
)
def audit_trail(
    player_id: PlayerId,
    operator: AuditReader,
    session: DbSession,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    """The audit trail of one player, newest first: registration, failed logins with IP,
    locks, status and personal-data changes with before and after, operator views."""
    players.get_player(session, player_id, brand_scope=operator.brand_scope)
    entries = list_audit_entries(
        session, subject_type="player", subject_id=player_id, before_seq=before, limit=limit
    )
    return AuditPage(
        entries=[AuditEntryOut.of(e) for e in entries],
        next_before=entries[-1].seq if len(entries) == limit else None,
    )


class PlayerSafetyOut(BaseModel):
    """What staff see of a player's responsible gaming and verification."""

    limits: list[LimitOut]
    exclusions: list[ExclusionOut]
    kyc_level: KycLevel
    kyc_verified_at: datetime | None
    reverification_reason: str | None
    kyc_checks: list[dict[str, Any]]


@router.get(
    "/{player_id}/safety",
    response_model=PlayerSafetyOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PlayerNotFound),
)
def safety(
    player_id: PlayerId, operator: Reader, session: DbSession, clock: AppClock
) -> PlayerSafetyOut:
    """The player's limits (with usage), time-outs and self-exclusions in force, and their
    KYC level and checks: for responsible-gaming and KYC review. Audited."""
    player = players.get_player(session, player_id, brand_scope=operator.brand_scope)
    kyc_view = kyc.kyc_of(session, player.id)
    record_event(
        session,
        clock,
        actor=operator.actor,
        action="player.safety_viewed",
        subject_type="player",
        subject_id=player.id,
    )
    return PlayerSafetyOut(
        limits=[LimitOut.of(v) for v in rg.limits_of(session, clock, player)],
        exclusions=[ExclusionOut.of(v) for v in rg.exclusions_in_force(session, clock, player)],
        kyc_level=kyc_view.level,
        kyc_verified_at=kyc_view.verified_at,
        reverification_reason=kyc_view.reverification_reason,
        kyc_checks=list(kyc_view.checks),
    )


class OperatorLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: int | None = Field(
        gt=0, le=2**63 - 1, description="Ledger units (minutes for session time); null lifts it"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


@router.put(
    "/{player_id}/limits/{kind}/{period}",
    response_model=list[LimitOut],
    responses=problem_responses(*PERMISSION_ERRORS, errors.PlayerNotFound, InvalidLimit),
)
def set_operator_limit(
    player_id: PlayerId,
    kind: LimitKind,
    period: LimitPeriod,
    body: OperatorLimitIn,
    operator: StatusChanger,
    session: DbSession,
    clock: AppClock,
) -> list[LimitOut]:
    """Impose (or lift, with `amount: null`) a limit on a player, with a reason: it applies at
    once, the player cannot change it, and the lower of it and the player's own limit applies
    (GLI-19 §2.5.5). Audited."""
    return [
        LimitOut.of(v)
        for v in rg.set_operator_limit(
            session,
            clock,
            player_id,
            kind,
            period,
            body.amount,
            reason=body.reason,
            actor=operator.actor,
            brand_scope=operator.brand_scope,
        )
    ]


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None
    date_of_birth: date | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


@router.patch(
    "/{player_id}/identity",
    response_model=PlayerOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.PlayerNotFound, errors.InvalidDateOfBirth
    ),
)
def correct_identity(
    player_id: PlayerId,
    body: IdentityIn,
    operator: StatusChanger,
    session: DbSession,
    clock: AppClock,
) -> PlayerOut:
    """Correct a player's legal name or date of birth after checking documents, with a reason.
    Audited with before and after; the player is screened against sanctions and PEP lists
    again and a new KYC check is called for."""
    return PlayerOut.of(
        players.correct_identity(
            session,
            clock,
            player_id,
            legal_name=body.legal_name,
            date_of_birth=body.date_of_birth,
            reason=body.reason,
            actor=operator.actor,
            brand_scope=operator.brand_scope,
        )
    )

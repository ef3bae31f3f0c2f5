"""Back-office endpoints for compliance cases (sanctions hits today; AML and RG next)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.errors import InvalidRequest
from croupier.kernel.jurisdictions import KycLevel
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    DbSession,
    OperatorPrincipal,
    Permission,
    problem_responses,
    require_permission,
)
from croupier.policy.compliance import cases, errors, kyc
from croupier.policy.compliance.schemas import CaseChangeIn, CaseOut

router = APIRouter(prefix="/api/v1/backoffice/cases", tags=["compliance cases (operator)"])

CaseWorker = Annotated[OperatorPrincipal, Depends(require_permission(Permission.COMPLIANCE_CASES))]
CaseId = Annotated[str, Path(max_length=40, description="Case id (cas_...)")]


@router.get("", response_model=list[CaseOut], responses=problem_responses(*PERMISSION_ERRORS))
def list_cases(
    operator: CaseWorker,
    session: DbSession,
    state: cases.CaseState | None = None,
    kind: cases.CaseKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    """Cases, newest first, filtered by state and kind."""
    return [
        CaseOut.of(c)
        for c in cases.list_cases(
            session, brand_scope=operator.brand_scope, state=state, kind=kind, limit=limit
        )
    ]


@router.get(
    "/{case_id}",
    response_model=CaseOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.CaseNotFound),
)
def get_case(case_id: CaseId, operator: CaseWorker, session: DbSession) -> CaseOut:
    """One case with its notes."""
    return CaseOut.of(cases.get_case(session, case_id, brand_scope=operator.brand_scope))


@router.patch(
    "/{case_id}",
    response_model=CaseOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.CaseNotFound, errors.InvalidCaseTransition, InvalidRequest
    ),
)
def change_case(
    case_id: CaseId, body: CaseChangeIn, operator: CaseWorker, session: DbSession, clock: AppClock
) -> CaseOut:
    """Move a case on (investigating, escalated, closed_no_action, closed_reported), assign
    it, or add a note; closing needs a note. Audited."""
    return CaseOut.of(
        cases.change_case(
            session,
            clock,
            case_id,
            state=body.state,
            assignee=body.assignee,
            note=body.note,
            actor=operator.actor,
            brand_scope=operator.brand_scope,
        )
    )


@router.get(
    "/{case_id}/export",
    responses=problem_responses(*PERMISSION_ERRORS, errors.CaseNotFound),
)
def export_case(
    case_id: CaseId, operator: CaseWorker, session: DbSession, clock: AppClock
) -> dict[str, Any]:
    """The case with the player's identity as one JSON document, the basis of a suspicious
    activity report. Audited."""
    return cases.export_case(
        session, clock, case_id, actor=operator.actor, brand_scope=operator.brand_scope
    )


# -- KYC: the player's side and the vendor's webhook -------------------------------------------

player_router = APIRouter(prefix="/api/v1/me", tags=["verification (KYC)"])
webhook_router = APIRouter(tags=["webhooks"])


class KycRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: KycLevel = Field(description="age_verified or fully_verified")
    documents: list[str] = Field(
        min_length=1, max_length=5, description=f"Among {sorted(kyc.DOCUMENTS)}"
    )


class KycCheckOut(BaseModel):
    check_id: str
    status: str = "pending"


class KycOut(BaseModel):
    level: KycLevel
    verified_at: datetime | None
    reverification_reason: str | None
    checks: list[dict[str, Any]]


@player_router.post(
    "/kyc",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=KycCheckOut,
    responses=problem_responses(
        *SESSION_ERRORS, errors.InvalidKycRequest, errors.KycVendorUnavailable
    ),
)
def request_verification(
    body: KycRequestIn, request: Request, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> KycCheckOut:
    """Ask to be verified at a level, with the documents you provide; the result comes later
    (GET /me/kyc). UK: age verification before any deposit (LCCP SR 3.2.11)."""
    check_id = kyc.request_verification(
        session,
        clock,
        request.app.state.kyc_vendor,
        auth.player_id,
        level=body.level,
        documents=body.documents,
    )
    return KycCheckOut(check_id=check_id)


@player_router.get("/kyc", response_model=KycOut, responses=problem_responses(*SESSION_ERRORS))
def get_verification(auth: CurrentPlayer, session: DbSession) -> KycOut:
    """Your verification level, any re-verification called for, and your checks."""
    view = kyc.kyc_of(session, auth.player_id)
    return KycOut(
        level=view.level,
        verified_at=view.verified_at,
        reverification_reason=view.reverification_reason,
        checks=list(view.checks),
    )


@webhook_router.post(
    "/webhooks/kyc",
    responses=problem_responses(
        errors.InvalidWebhookSignature, errors.UnknownKycCheck, errors.InvalidKycRequest
    ),
)
async def kyc_result(request: Request) -> dict[str, bool]:
    """The KYC vendor's result, signed: ``X-Signature: sha256=<HMAC-SHA256 of the body>``.
    A repeated delivery changes nothing."""
    body = await request.body()
    vendor: kyc.KycVendor = request.app.state.kyc_vendor
    kyc.verify_signature(vendor.webhook_secret, body, request.headers.get("X-Signature", ""))

    def apply() -> bool:
        with request.app.state.database.unit_of_work() as session:
            return kyc.apply_result(session, request.app.state.clock, body)

    return {"applied": await run_in_threadpool(apply)}

"""Back-office endpoints for compliance cases (sanctions hits today; AML and RG next)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from croupier.kernel.errors import InvalidRequest
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    DbSession,
    OperatorPrincipal,
    Permission,
    problem_responses,
    require_permission,
)
from croupier.policy.compliance import cases, errors
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

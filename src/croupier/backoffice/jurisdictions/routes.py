"""Back-office read access to the jurisdiction rule base."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from croupier.kernel.jurisdictions import JURISDICTIONS, Jurisdiction, JurisdictionNotFound
from croupier.kernel.web import OPERATOR_AUTH_ERRORS, CurrentOperator, problem_responses

router = APIRouter(prefix="/api/v1/backoffice/jurisdictions", tags=["jurisdictions (operator)"])


@router.get(
    "", response_model=list[Jurisdiction], responses=problem_responses(*OPERATOR_AUTH_ERRORS)
)
def list_jurisdictions(operator: CurrentOperator) -> list[Jurisdiction]:  # noqa: ARG001
    """Every jurisdiction's rules, each figure with its source (as `croupier jurisdictions`)."""
    return list(JURISDICTIONS.values())


@router.get(
    "/{code}",
    response_model=Jurisdiction,
    responses=problem_responses(*OPERATOR_AUTH_ERRORS, JurisdictionNotFound),
)
def show_jurisdiction(
    code: Annotated[str, Path(max_length=8, description="e.g. GB or CA-ON")],
    operator: CurrentOperator,  # noqa: ARG001
) -> Jurisdiction:
    """One jurisdiction's rules, each figure with its source."""
    rules = JURISDICTIONS.get(code.upper())
    if rules is None:
        raise JurisdictionNotFound(f"No jurisdiction {code!r}.", jurisdiction=code)
    return rules

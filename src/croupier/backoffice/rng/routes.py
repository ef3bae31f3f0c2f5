"""The RNG's health for operators (GLI-19 §3; SP 800-90B §4.4 continuous tests).

A health-test failure stops every draw in the process and logs a critical ``rng.health_failure``
alert; staff see the state here and, after investigating, reset it with a reason (audited).
A reset runs the start-up tests again before the next draw, so a source that is still broken
fails again at once.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from croupier.kernel.audit import record_event
from croupier.kernel.rng import HealthState, Rng, RngHealthFailure
from croupier.kernel.web import (
    OPERATOR_AUTH_ERRORS,
    PERMISSION_ERRORS,
    AppClock,
    CurrentOperator,
    DbSession,
    OperatorPrincipal,
    Permission,
    ViewModel,
    problem_responses,
    require_permission,
)

router = APIRouter(prefix="/api/v1/backoffice/rng", tags=["rng (operator)"])


class RngStatusOut(ViewModel):
    state: HealthState = Field(description="untested, ok or failed")
    source: str = Field(description="Where the bytes come from (os.urandom in production)")
    samples_tested: int
    failures: int
    last_failure_reason: str | None
    last_failure_at: datetime | None


class RngResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=500, description="What was found and fixed")


def _rng(request: Request) -> Rng:
    rng: Rng = request.app.state.rng
    return rng


def _status(rng: Rng) -> RngStatusOut:
    status = rng.status()
    return RngStatusOut(
        state=status.state,
        source=rng.source_name,
        samples_tested=status.samples_tested,
        failures=status.failures,
        last_failure_reason=status.last_failure_reason,
        last_failure_at=status.last_failure_at,
    )


@router.get("", response_model=RngStatusOut, responses=problem_responses(*OPERATOR_AUTH_ERRORS))
def rng_status(request: Request, operator: CurrentOperator) -> RngStatusOut:  # noqa: ARG001
    """The generator's health in this process: a failed generator refuses every draw."""
    return _status(_rng(request))


@router.post("/reset", response_model=RngStatusOut, responses=problem_responses(*PERMISSION_ERRORS))
def rng_reset(
    body: RngResetIn,
    request: Request,
    session: DbSession,
    clock: AppClock,
    operator: Annotated[OperatorPrincipal, Depends(require_permission(Permission.GAMES_CONTROL))],
) -> RngStatusOut:
    """After a failure has been investigated: the start-up tests run again at once and play
    resumes if they pass. If the source is still broken the answer shows `state: failed` again.
    Audited with the reason, either way."""
    rng = _rng(request)
    before = rng.status().state
    with contextlib.suppress(RngHealthFailure):  # the answer and the audit record show it
        rng.reset(actor=operator.actor, reason=body.reason)
    record_event(
        session,
        clock,
        actor=operator.actor,
        action="rng.reset",
        subject_type="rng",
        subject_id=rng.source_name,
        before={"state": before.value},
        after={"state": rng.status().state.value},
        reason=body.reason,
    )
    return _status(rng)

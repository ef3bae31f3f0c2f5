"""Payments for operators: search, the withdrawal approval queue (four eyes), manual review of
deposits the risk score held, refunds, reconciliation, PSP health and circuit breakers.

Everything needs ``payments:approve`` (the finance role). Approvals, rejections, reviews and
refunds are audited; a second approval must come from a different operator. Endpoints that
call a PSP authenticate in a unit of work of their own and call it outside any transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from sqlalchemy import func, select

from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    AppDatabase,
    DbSession,
    OperatorPrincipal,
    Permission,
    ReadSession,
    problem_responses,
    require_permission,
)
from croupier.products.payments import errors, orchestration, reconcile, service
from croupier.products.payments.models import PaymentAttempt, PaymentKind, PaymentStatus
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.products.payments.schemas import (
    BreakerOut,
    DecisionIn,
    PaymentStaffOut,
    PspHealthOut,
    ReconcileIn,
    ReconciliationOut,
    ReviewIn,
)

router = APIRouter(prefix="/api/v1/backoffice/payments", tags=["payments (operator)"])

Finance = Annotated[OperatorPrincipal, Depends(require_permission(Permission.PAYMENTS_APPROVE))]
FinanceOutside = Annotated[
    OperatorPrincipal,
    Depends(require_permission(Permission.PAYMENTS_APPROVE, own_unit_of_work=True)),
]


def _runtime(request: Request) -> PaymentsRuntime:
    runtime: PaymentsRuntime = request.app.state.payments
    return runtime


Runtime = Annotated[PaymentsRuntime, Depends(_runtime)]


def _visible(view: service.PaymentView, operator: OperatorPrincipal, session: ReadSession) -> None:
    scope = operator.brand_scope
    if scope is not None:
        from croupier.products.payments.models import Payment

        payment = session.get(Payment, view.id)
        if payment is None or payment.brand_id != scope:
            raise errors.PaymentNotFound()


@router.get(
    "", response_model=list[PaymentStaffOut], responses=problem_responses(*PERMISSION_ERRORS)
)
def search(
    operator: Finance,
    session: ReadSession,
    player_id: Annotated[str | None, Query(max_length=40)] = None,
    kind: PaymentKind | None = None,
    status: PaymentStatus | None = None,
    psp: Annotated[str | None, Query(max_length=40)] = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[PaymentStaffOut]:
    """Payments newest first, by player, kind, state or PSP (page with ``before``)."""
    views = service.list_payments(
        session,
        player_id=player_id,
        brand_id=operator.brand_scope,
        kind=kind,
        status=status,
        psp=psp,
        before=before,
        limit=limit,
    )
    return [PaymentStaffOut.of(v) for v in views]


@router.get(
    "/approvals",
    response_model=list[PaymentStaffOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def approval_queue(operator: Finance, session: ReadSession) -> list[PaymentStaffOut]:
    """Withdrawals awaiting approval, oldest first, with how many approvals each needs."""
    return _queue(session, operator, PaymentKind.WITHDRAWAL, PaymentStatus.AWAITING_APPROVAL)


@router.get(
    "/reviews",
    response_model=list[PaymentStaffOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def review_queue(operator: Finance, session: ReadSession) -> list[PaymentStaffOut]:
    """Deposits the risk score held for a person, oldest first, with the score's factors."""
    return _queue(session, operator, PaymentKind.DEPOSIT, PaymentStatus.REVIEW)


def _queue(
    session: ReadSession, operator: OperatorPrincipal, kind: PaymentKind, status: PaymentStatus
) -> list[PaymentStaffOut]:
    views = service.list_payments(
        session, brand_id=operator.brand_scope, kind=kind, status=status, limit=500
    )
    return [PaymentStaffOut.of(v) for v in reversed(views)]


@router.post(
    "/{payment_id}/approve",
    response_model=PaymentStaffOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.PaymentNotFound, errors.InvalidState, errors.AlreadyApproved
    ),
)
def approve(
    payment_id: str,
    body: DecisionIn,
    operator: Finance,
    session: DbSession,
    clock: AppClock,
    db: AppDatabase,
    runtime: Runtime,
    tasks: BackgroundTasks,
) -> PaymentStaffOut:
    """Approve a withdrawal. Above the four-eyes threshold it needs a second approval by a
    different operator; once approved it is sent to the PSP after this answer."""
    view = service.payment_view(session, payment_id)
    _visible(view, operator, session)
    view = service.approve_withdrawal(
        session, clock, payment_id, operator_id=operator.operator_id, note=body.note
    )
    if view.status == PaymentStatus.APPROVED:
        tasks.add_task(orchestration.place_stored, db, clock, runtime, payment_id)
    return PaymentStaffOut.of(view)


@router.post(
    "/{payment_id}/reject",
    response_model=PaymentStaffOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PaymentNotFound, errors.InvalidState),
)
def reject(
    payment_id: str, body: DecisionIn, operator: Finance, session: DbSession, clock: AppClock
) -> PaymentStaffOut:
    """Reject a withdrawal not yet sent: the held money returns to the player's balance."""
    view = service.payment_view(session, payment_id)
    _visible(view, operator, session)
    return PaymentStaffOut.of(
        service.reject_withdrawal(
            session, clock, payment_id, operator_id=operator.operator_id, reason=body.note
        )
    )


@router.post(
    "/{payment_id}/review",
    response_model=PaymentStaffOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PaymentNotFound, errors.InvalidState),
)
def review(
    payment_id: str,
    body: ReviewIn,
    operator: Finance,
    session: DbSession,
    clock: AppClock,
    db: AppDatabase,
    runtime: Runtime,
    tasks: BackgroundTasks,
) -> PaymentStaffOut:
    """Decide on a deposit the risk score held: placed with a PSP after this answer, or
    declined."""
    view = service.payment_view(session, payment_id)
    _visible(view, operator, session)
    view = service.review_deposit(
        session, clock, payment_id, approve=body.approve, actor=operator.actor, note=body.note
    )
    if view.status == PaymentStatus.CREATED:
        tasks.add_task(orchestration.place_stored, db, clock, runtime, payment_id)
    return PaymentStaffOut.of(view)


@router.post(
    "/{payment_id}/refund",
    response_model=PaymentStaffOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.PaymentNotFound, errors.InvalidState, errors.ReportUnavailable
    ),
)
def refund(
    payment_id: str,
    body: DecisionIn,
    operator: FinanceOutside,
    db: AppDatabase,
    clock: AppClock,
    runtime: Runtime,
) -> PaymentStaffOut:
    """Refund a captured deposit through its PSP (audited); the player's cash gives it back,
    and what it no longer holds is recorded as owed."""
    with db.read_only() as session:
        _visible(service.payment_view(session, payment_id), operator, session)
    return PaymentStaffOut.of(
        orchestration.refund(db, clock, runtime, payment_id, actor=operator.actor, reason=body.note)
    )


@router.post(
    "/reconciliations",
    response_model=ReconciliationOut,
    responses=problem_responses(
        *PERMISSION_ERRORS, errors.UnknownPsp, errors.InvalidDate, errors.ReportUnavailable
    ),
)
def run_reconciliation(
    body: ReconcileIn,
    operator: FinanceOutside,
    db: AppDatabase,
    clock: AppClock,
    runtime: Runtime,
) -> ReconciliationOut:
    """Compare a PSP's settlement report of a day with the ledger now; lists every mismatch."""
    day = reconcile.parse_day(body.date)
    return ReconciliationOut.of(
        orchestration.reconcile_psp(db, clock, runtime, body.psp, day, actor=operator.actor)
    )


@router.get(
    "/reconciliations",
    response_model=list[ReconciliationOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def reconciliations(
    operator: Finance,  # noqa: ARG001
    session: ReadSession,
    psp: Annotated[str | None, Query(max_length=40)] = None,
) -> list[ReconciliationOut]:
    """Recent reconciliation runs with their mismatches, newest first."""
    return [ReconciliationOut.of(r) for r in reconcile.list_runs(session, psp=psp)]


@router.get(
    "/psps/health",
    response_model=list[PspHealthOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def psp_health(
    operator: Finance,  # noqa: ARG001
    session: ReadSession,
    clock: AppClock,
    runtime: Runtime,
) -> list[PspHealthOut]:
    """Each PSP's circuit breaker (this process's view) and its calls of the last hour by
    outcome."""
    since = clock.now() - timedelta(hours=1)
    counts: dict[str, dict[str, int]] = {}
    for psp, outcome, n in session.execute(
        select(PaymentAttempt.psp, PaymentAttempt.outcome, func.count())
        .where(PaymentAttempt.at >= since)
        .group_by(PaymentAttempt.psp, PaymentAttempt.outcome)
    ):
        counts.setdefault(psp, {})[outcome] = int(n)
    out = []
    for config in runtime.config.psp:
        breaker = runtime.breakers.get(config.name)
        if breaker is None:
            continue
        out.append(
            PspHealthOut(
                psp=config.name,
                kind=config.kind,
                enabled=config.enabled,
                breaker=BreakerOut.of(breaker.snapshot()),
                attempts_last_hour=counts.get(config.name, {}),
            )
        )
    return out


@router.get(
    "/{payment_id}",
    response_model=PaymentStaffOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.PaymentNotFound),
)
def get_payment(payment_id: str, operator: Finance, session: ReadSession) -> PaymentStaffOut:
    """A payment with every state it passed through, its risk decision and approvals."""
    view = service.payment_view(session, payment_id)
    _visible(view, operator, session)
    return PaymentStaffOut.of(view)

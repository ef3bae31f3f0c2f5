"""Player endpoints for deposits and withdrawals, and the PSPs' webhook endpoint.

A deposit or withdrawal spans several short units of work with the PSP call in between (a
PSP's answer can take seconds; no database transaction waits for it), so these endpoints use
the database directly instead of one request-wide unit of work.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from croupier.core.players import get_player
from croupier.core.players.errors import SessionExpired
from croupier.core.players.service import AuthenticatedPlayer, authenticate_session
from croupier.kernel.errors import DomainError
from croupier.kernel.ratelimit import Limit
from croupier.kernel.web import (
    AppClock,
    AppDatabase,
    NotAuthenticated,
    ReadSession,
    bearer_token,
    client_ip,
    problem_responses,
    rate_limit,
)
from croupier.policy.compliance import errors as policy_errors
from croupier.policy.compliance.geo import locate
from croupier.products.payments import errors, orchestration, service, webhooks
from croupier.products.payments.models import PaymentKind
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.products.payments.schemas import (
    DepositIn,
    InstrumentOut,
    MethodOut,
    PaymentOut,
    WebhookOut,
    WithdrawalIn,
)

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])
webhook_router = APIRouter(tags=["payments (PSP webhooks)"])

SESSION_ERRORS = (NotAuthenticated, SessionExpired)
POLICY_ERRORS: tuple[type[DomainError], ...] = (
    policy_errors.SelfExcluded,
    policy_errors.TimedOut,
    policy_errors.AccountNotActive,
    policy_errors.VerificationRequired,
    policy_errors.DepositLimitExceeded,
)
# What any payment request may be refused for, besides policy.
REQUEST_ERRORS: tuple[type[DomainError], ...] = (
    errors.InvalidAmount,
    errors.InvalidId,
    errors.WrongCurrency,
    errors.NoRoute,
    errors.IdConflict,
)
# A player may start this many payments a minute (card testing is many small tries).
PAYMENTS_PER_MINUTE = Limit("payments:player", 20, 60)


def runtime_of(request: Request) -> PaymentsRuntime:
    runtime: PaymentsRuntime = request.app.state.payments
    return runtime


Runtime = Annotated[PaymentsRuntime, Depends(runtime_of)]


def _player(request: Request, db: AppDatabase, clock: AppClock) -> AuthenticatedPlayer:
    # Its own short unit of work, committed before the endpoint runs: the endpoint then opens
    # the ones it needs around the PSP call (SQLite has one writer at a time).
    with db.unit_of_work() as session:
        return authenticate_session(session, clock, bearer_token(request))


Player = Annotated[AuthenticatedPlayer, Depends(_player)]


def _where(request: Request) -> tuple[str, str | None]:
    ip = client_ip(request)
    settings = request.app.state.settings
    return ip, locate(ip, settings.geoip_data_file).country


@router.get(
    "/methods", response_model=list[MethodOut], responses=problem_responses(*SESSION_ERRORS)
)
def list_methods(auth: Player, session: ReadSession, runtime: Runtime) -> list[MethodOut]:
    """The payment methods open to the player (by their currency and country)."""
    player = get_player(session, auth.player_id, brand_scope=None)
    found: dict[str, MethodOut] = {}
    for method in ("card", "ewallet", "bank_transfer"):
        deposits = service.route_exists(
            runtime.config, method, player.currency, player.country, PaymentKind.DEPOSIT
        )
        withdrawals = service.route_exists(
            runtime.config, method, player.currency, player.country, PaymentKind.WITHDRAWAL
        )
        if deposits or withdrawals:
            found[method] = MethodOut(
                method=method,
                currencies=[player.currency],
                deposits=deposits,
                withdrawals=withdrawals,
            )
    return list(found.values())


@router.post(
    "/deposits",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *SESSION_ERRORS, *POLICY_ERRORS, *REQUEST_ERRORS, errors.InvalidInstrument
    ),
)
def deposit(
    body: DepositIn,
    request: Request,
    auth: Player,
    db: AppDatabase,
    clock: AppClock,
    runtime: Runtime,
    x_device_id: Annotated[str | None, Header(max_length=128)] = None,
) -> PaymentOut:
    """Deposit: checked by policy (exclusion, verification, location, deposit limits) and the
    risk score, then placed with a payment provider. The answer is the deposit as it stands:
    ``captured`` (credited), ``pending`` (a card's 3-D Secure at ``redirect_url``, or a bank
    transfer the player confirms in their bank), ``declined`` or ``failed`` with a
    ``reason``. Retrying with the same ``id`` returns the same deposit."""
    rate_limit(request, PAYMENTS_PER_MINUTE, auth.player_id, what="payment requests")
    ip, country = _where(request)
    view = orchestration.deposit(
        db,
        clock,
        runtime,
        auth.player_id,
        service.DepositRequest(
            client_id=body.id,
            amount=body.amount,
            currency=body.currency,
            instrument=service.InstrumentIn(
                method=body.method,
                card_number=body.instrument.card_number,
                wallet_id=body.instrument.wallet_id,
                iban=body.instrument.iban,
            ),
            holder_name=body.holder_name,
            device_id=x_device_id,
            ip=ip,
            ip_country=country,
        ),
        return_url=body.return_url,
    )
    return PaymentOut.of(view)


@router.post(
    "/withdrawals",
    response_model=PaymentOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *SESSION_ERRORS,
        *REQUEST_ERRORS,
        policy_errors.AccountNotActive,
        policy_errors.VerificationRequired,
        errors.InsufficientFunds,
        errors.InstrumentNotTheirs,
    ),
)
def withdraw(
    body: WithdrawalIn,
    request: Request,
    auth: Player,
    db: AppDatabase,
    clock: AppClock,
    runtime: Runtime,
    x_device_id: Annotated[str | None, Header(max_length=128)] = None,
) -> PaymentOut:
    """Withdraw to an instrument in the player's name they deposited with (GLI-19 §2.5.6).
    The amount is held at once; small withdrawals are paid out at once, larger ones wait for
    one or two operators (``awaiting_approval``). Open to self-excluded players (A.3.8)."""
    rate_limit(request, PAYMENTS_PER_MINUTE, auth.player_id, what="payment requests")
    ip, country = _where(request)
    view = orchestration.withdraw(
        db,
        clock,
        runtime,
        auth.player_id,
        service.WithdrawalRequest(
            client_id=body.id,
            amount=body.amount,
            currency=body.currency,
            instrument_id=body.instrument_id,
            device_id=x_device_id,
            ip=ip,
            ip_country=country,
        ),
    )
    return PaymentOut.of(view)


@router.post(
    "/withdrawals/{payment_id}/cancel",
    response_model=PaymentOut,
    responses=problem_responses(
        *SESSION_ERRORS,
        errors.PaymentNotFound,
        errors.InvalidState,
        errors.ReverseWithdrawalForbidden,
    ),
)
def cancel_withdrawal(
    payment_id: str, auth: Player, db: AppDatabase, clock: AppClock
) -> PaymentOut:
    """Take back a withdrawal not yet sent, where the jurisdiction allows (not GB, RTS 14B;
    not SE): the held money returns to the balance."""
    with db.unit_of_work() as session:
        return PaymentOut.of(service.cancel_withdrawal(session, clock, payment_id, auth.player_id))


@router.get("", response_model=list[PaymentOut], responses=problem_responses(*SESSION_ERRORS))
def history(
    auth: Player,
    session: ReadSession,
    kind: PaymentKind | None = None,
    before: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[PaymentOut]:
    """The player's deposits and withdrawals with their states, newest first."""
    views = service.list_payments(
        session, player_id=auth.player_id, kind=kind, before=before, limit=limit
    )
    return [PaymentOut.of(v) for v in views]


@router.get(
    "/instruments",
    response_model=list[InstrumentOut],
    responses=problem_responses(*SESSION_ERRORS),
)
def instruments(auth: Player, session: ReadSession) -> list[InstrumentOut]:
    """The cards, e-wallets and bank accounts the player used (masked); ``verified`` ones
    (a deposit from them was captured) can receive withdrawals."""
    return [InstrumentOut.of(v) for v in service.list_instruments(session, auth.player_id)]


@router.get(
    "/{payment_id}",
    response_model=PaymentOut,
    responses=problem_responses(*SESSION_ERRORS, errors.PaymentNotFound),
)
def get_payment(payment_id: str, auth: Player, session: ReadSession) -> PaymentOut:
    """One of the player's payments with every state it went through and why."""
    return PaymentOut.of(service.payment_view(session, payment_id, player_id=auth.player_id))


@webhook_router.post(
    "/webhooks/{psp}",
    response_model=WebhookOut,
    responses=problem_responses(errors.UnknownPsp, errors.WebhookRefused),
)
async def psp_webhook(
    psp: str,
    request: Request,
    db: AppDatabase,
    clock: AppClock,
    runtime: Runtime,
    signature: Annotated[str | None, Header()] = None,
) -> Response:
    """A PSP reports a state change. The signature (HMAC-SHA256 over ``"{t}.{body}"``) and
    its timestamp (within 5 minutes) are checked first; each event id is applied once; a state
    never goes back (a late ``pending`` after ``captured`` changes nothing)."""
    config = runtime.config.psp_named(psp)
    if config is None or psp not in runtime.clients:
        raise errors.UnknownPsp()
    body = await request.body()
    webhooks.verify_signature(config.secret("webhook_secret"), signature, body, time.time())

    def apply() -> webhooks.WebhookResult:
        with db.unit_of_work() as session:
            return webhooks.handle_event(session, clock, psp, body)

    result = await run_in_threadpool(apply)
    return Response(
        content=WebhookOut(event_id=result.event_id, outcome=result.outcome).model_dump_json(),
        media_type="application/json",
    )

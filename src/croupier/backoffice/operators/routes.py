"""Staff login, logout and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from croupier.backoffice.operators import errors, service
from croupier.backoffice.operators.schemas import (
    ApiTokenIn,
    ApiTokenOut,
    NewApiTokenOut,
    OperatorLoginIn,
    OperatorLoginOut,
    OperatorOut,
)
from croupier.kernel.ratelimit import RateLimited, RateLimiterUnavailable
from croupier.kernel.web import (
    OPERATOR_AUTH_ERRORS,
    AppClock,
    AppDatabase,
    AppSettings,
    CurrentOperator,
    DbSession,
    Hasher,
    client_ip,
    problem_responses,
    rate_limit_ip_and_account,
)

router = APIRouter(prefix="/api/v1/backoffice", tags=["operators"])
_AUTH = OPERATOR_AUTH_ERRORS


@router.post(
    "/auth/login",
    response_model=OperatorLoginOut,
    responses=problem_responses(
        errors.InvalidOperatorCredentials, RateLimited, RateLimiterUnavailable
    ),
)
def login(
    body: OperatorLoginIn,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    hasher: Hasher,
    settings: AppSettings,
) -> OperatorLoginOut:
    """Staff login: email, password and TOTP code, always. Three failures within 30 minutes
    lock the account until `croupier operator unlock`."""
    ip = client_ip(request)
    rate_limit_ip_and_account(
        request,
        "staff-login",
        per_ip=settings.rate_limit_login_per_ip,
        per_account=settings.rate_limit_login_per_account,
        account=body.email.lower(),
        what="login attempts",
    )
    with database.unit_of_work() as session:
        outcome = service.login_operator(
            session, clock, hasher, email=body.email, password=body.password, code=body.code, ip=ip
        )
    if not isinstance(outcome, service.OperatorLogin):
        raise outcome
    return OperatorLoginOut(
        token=outcome.token,
        expires_at=outcome.expires_at,
        previous_login_at=outcome.previous_login_at,
        operator=OperatorOut.of(outcome.operator),
    )


@router.post(
    "/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(*_AUTH)
)
def logout(operator: CurrentOperator, session: DbSession, clock: AppClock) -> Response:
    """End this session or revoke the API token used."""
    service.logout_operator(session, clock, operator)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=OperatorOut, responses=problem_responses(*_AUTH))
def me(operator: CurrentOperator) -> OperatorOut:
    """The logged-in operator, with the permissions of their role."""
    return OperatorOut(
        id=operator.operator_id,
        email=operator.email,
        role=operator.role,
        brand_id=operator.brand_id,
        permissions=sorted(operator.permissions),
    )


@router.get("/tokens", response_model=list[ApiTokenOut], responses=problem_responses(*_AUTH))
def list_tokens(operator: CurrentOperator, session: DbSession) -> list[ApiTokenOut]:
    """The operator's API tokens (never the tokens themselves)."""
    return [ApiTokenOut.of(t) for t in service.list_api_tokens(session, operator)]


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    response_model=NewApiTokenOut,
    responses=problem_responses(*_AUTH, errors.ApiTokenNeedsSession),
)
def create_token(
    body: ApiTokenIn, operator: CurrentOperator, session: DbSession, clock: AppClock
) -> NewApiTokenOut:
    """Create an API token for a tool: it acts with your role; it is shown only in this answer
    and stored hashed. Revoke it with DELETE."""
    expires = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, view = service.create_api_token(
        session, clock, operator, name=body.name, expires_in=expires
    )
    return NewApiTokenOut(token=token, **ApiTokenOut.of(view).model_dump())


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*_AUTH, errors.TokenNotFound),
)
def revoke_token(
    token_id: Annotated[str, Path(max_length=40)],
    operator: CurrentOperator,
    session: DbSession,
    clock: AppClock,
) -> Response:
    """Revoke one of your API tokens: it is refused from now on."""
    service.revoke_api_token(session, clock, operator, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

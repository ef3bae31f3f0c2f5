"""FastAPI glue shared by every module's routes: sessions, clock, settings, problem responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Self

from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.db import Database
from croupier.kernel.errors import PROBLEM_CONTENT_TYPE, DomainError, Forbidden, InvalidRequest
from croupier.kernel.ratelimit import Limit, RateLimiter, enforce


class ViewModel(BaseModel):
    """An API shape read straight from a service's view (a dataclass with the same field
    names): ``XOut.of(view)`` instead of copying each field by hand."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, view: object) -> Self:
        return cls.model_validate(view)


class Problem(BaseModel):
    """An RFC 9457 problem document. ``code`` is stable: match on it, not on ``title``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:croupier:problem:ledger.account_not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["ledger.account_not_found"])
    instance: str | None = None


def problem_responses(
    *errors: type[DomainError], validated: bool = True
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` listing the problem documents an endpoint may answer with.

    Each is served as ``application/problem+json`` only; ``validated`` adds the 422 that any
    endpoint with parameters or a body answers when the request does not match its schema.
    The ``Problem`` schema itself is registered by :func:`install_problem_schema`.
    """
    by_status: dict[int, list[type[DomainError]]] = {}
    listed: tuple[type[DomainError], ...] = (*errors, InvalidRequest) if validated else errors
    for error in listed:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in errs),
        }
        for status, errs in sorted(by_status.items())
    }


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def install_problem_schema(app: FastAPI) -> None:
    """Add the ``Problem`` schema to the app's OpenAPI components, where every
    :func:`problem_responses` entry points."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()  # FastAPI caches it; the schema is added to the cached document once
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:
            schemas["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _unit_of_work(request: Request) -> Iterator[Session]:
    with _database(request).unit_of_work() as session:
        yield session


def _read_only(request: Request) -> Iterator[Session]:
    with _database(request).read_only() as session:
        yield session


# Dependencies that only read the application's state are ``async``: FastAPI runs a plain
# ``def`` dependency in a worker thread, a thread hop per request for an attribute read.
async def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _app_database(request: Request) -> Database:
    return _database(request)


async def _password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


def client_ip(request: Request) -> str:
    """The caller's IP: the socket's peer, or the first X-Forwarded-For hop when the settings
    say a trusted proxy sets it (``CROUPIER_TRUST_FORWARDED_FOR``)."""
    settings: Settings = request.app.state.settings
    if settings.trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:45]
    return request.client.host if request.client else "unknown"


def rate_limit(request: Request, limit: Limit, key: str, *, what: str) -> None:
    """Count a hit against ``limit`` for ``key``; ``rate_limited`` (429) beyond it."""
    limiter: RateLimiter = request.app.state.rate_limiter
    enforce(limiter, limit, key, what=what)


def rate_limit_ip_and_account(
    request: Request, name: str, *, per_ip: int, per_account: int, account: str, what: str
) -> Limit:
    """Count a hit against ``{name}:ip`` for the client IP and ``{name}:account`` for
    ``account`` (brute force from one place, and against one account from many); returns the
    per-account limit, so that a success can clear it."""
    settings: Settings = request.app.state.settings
    window = settings.rate_limit_window_seconds
    by_account = Limit(f"{name}:account", per_account, window)
    rate_limit(request, Limit(f"{name}:ip", per_ip, window), client_ip(request), what=what)
    rate_limit(request, by_account, account, what=what)
    return by_account


def clear_rate_limit(request: Request, limit: Limit, key: str) -> None:
    """Forget the hits counted for ``key`` (after a successful login, say)."""
    limiter: RateLimiter = request.app.state.rate_limiter
    limiter.reset(limit, key)


# scope="function": the unit of work commits when the endpoint returns, before the response
# is sent, so a commit that fails is never answered as a success.
DbSession = Annotated[Session, Depends(_unit_of_work, scope="function")]
AppDatabase = Annotated[Database, Depends(_app_database)]
Hasher = Annotated[PasswordHasher, Depends(_password_hasher)]
ReadSession = Annotated[Session, Depends(_read_only)]
AppClock = Annotated[Clock, Depends(_clock)]
AppSettings = Annotated[Settings, Depends(_settings)]


# -- authentication -------------------------------------------------------------------------


class NotAuthenticated(DomainError):
    code = "auth.not_authenticated"
    status = 401
    title = "Authentication is required"


class SessionExpired(DomainError):
    code = "auth.session_expired"
    status = 401
    title = "The session has ended; log in again"


class PermissionDenied(Forbidden):
    code = "auth.permission_denied"
    title = "Your role does not allow this"


class Permission(StrEnum):
    """What an operator may do. Roles are sets of these (backoffice/operators)."""

    PLAYERS_READ = "players:read"
    PLAYERS_STATUS = "players:status"
    PLAYERS_UNLOCK = "players:unlock"
    AUDIT_READ = "audit:read"
    COMPLIANCE_CASES = "compliance:cases"
    LEDGER_READ = "ledger:read"
    PAYMENTS_APPROVE = "payments:approve"
    SPORTSBOOK_TRADE = "sportsbook:trade"
    GAMES_READ = "games:read"  # game controls in force and live RTP
    GAMES_CONTROL = "games:control"  # enable and disable games, reset the RNG after a failure
    OPERATORS_MANAGE = "operators:manage"
    # Without it an operator sees only the players of their own brand.
    ALL_BRANDS = "brands:all"


@dataclass(frozen=True, slots=True)
class OperatorPrincipal:
    """An authenticated member of staff (or a tool acting with their API token)."""

    operator_id: str
    email: str
    role: str
    permissions: frozenset[Permission]
    brand_id: str | None  # None: not tied to one brand
    credential_id: str  # the session or API token used

    @property
    def actor(self) -> str:
        """How audit records name this operator."""
        return f"operator:{self.operator_id}"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def brand_scope(self) -> str | None:
        """The one brand this operator may see, or None for every brand. An operator tied to
        a brand sees only it, whatever the role; one not tied to a brand needs the cross-brand
        permission to see anything ("-" matches no brand)."""
        if self.brand_id is not None:
            return self.brand_id
        return None if self.can(Permission.ALL_BRANDS) else "-"


OperatorAuthenticator = Callable[[Session, Clock, str], OperatorPrincipal]


def bearer_token(request: Request) -> str:
    """The bearer token of the request, or ``auth.not_authenticated``."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("Send 'Authorization: Bearer <token>'.")
    return token.strip()


def _current_operator(request: Request, session: DbSession, clock: AppClock) -> OperatorPrincipal:
    authenticate: OperatorAuthenticator = request.app.state.operator_authenticator
    principal = authenticate(session, clock, bearer_token(request))
    request.state.principal = principal
    return principal


CurrentOperator = Annotated[OperatorPrincipal, Depends(_current_operator)]


def _operator_in_own_unit_of_work(
    request: Request, database: AppDatabase, clock: AppClock
) -> OperatorPrincipal:
    # For endpoints that open their own units of work (around a call to an outside service):
    # authentication commits first, so it holds no transaction (nor SQLite's write lock).
    authenticate: OperatorAuthenticator = request.app.state.operator_authenticator
    with database.unit_of_work() as session:
        principal = authenticate(session, clock, bearer_token(request))
    request.state.principal = principal
    return principal


OperatorOwnUnitOfWork = Annotated[OperatorPrincipal, Depends(_operator_in_own_unit_of_work)]


def require_permission(
    *any_of: Permission, every_brand: bool = False, own_unit_of_work: bool = False
) -> Callable[..., OperatorPrincipal]:
    """A dependency: the authenticated operator, who must hold one of ``any_of``; with
    ``every_brand``, also not be tied to one brand (for data that is not kept per brand).
    ``own_unit_of_work``: authenticate in a unit of work of its own, committed before the
    endpoint runs (for endpoints that call outside services between their own)."""

    def check(operator: CurrentOperator) -> OperatorPrincipal:
        if not any(operator.can(p) for p in any_of):
            raise PermissionDenied(
                f"This needs the permission {' or '.join(any_of)}; your role is {operator.role}.",
                required=list(any_of),
            )
        if every_brand and operator.brand_scope is not None:
            raise PermissionDenied(
                "This reads data of every brand; your account is tied to one brand.",
                required=[*any_of, Permission.ALL_BRANDS],
            )
        return operator

    if own_unit_of_work:

        def check_alone(operator: OperatorOwnUnitOfWork) -> OperatorPrincipal:
            return check(operator)

        return check_alone
    return check


# What any route behind an operator token may answer; PERMISSION_ERRORS adds the 403 of
# routes that need a permission.
OPERATOR_AUTH_ERRORS: tuple[type[DomainError], ...] = (NotAuthenticated, SessionExpired)
PERMISSION_ERRORS: tuple[type[DomainError], ...] = (*OPERATOR_AUTH_ERRORS, PermissionDenied)

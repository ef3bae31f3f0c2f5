"""Staff accounts, roles, and their credentials (sessions with TOTP, API tokens for tools).

Roles are sets of permissions (``kernel.web.Permission``), checked on every back-office route.
Every operator action that changes something is an audit event naming the operator.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.backoffice.operators import errors
from croupier.backoffice.operators.models import Operator, OperatorCredential
from croupier.core.players import get_brand
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.credentials import (
    hash_password,
    new_token,
    new_totp_secret,
    token_digest,
    totp_uri,
    verify_password,
    verify_totp,
)
from croupier.kernel.errors import DomainError, InvalidRequest
from croupier.kernel.ids import new_id
from croupier.kernel.web import NotAuthenticated, OperatorPrincipal, Permission, SessionExpired

SESSION_TOKEN_PREFIX: Final = "cop"  # noqa: S105 (a prefix, not a secret)
API_TOKEN_PREFIX: Final = "cot"  # noqa: S105 (a prefix, not a secret)
# Staff sessions: 30 minutes idle, 12 hours at most (a working day), then log in again.
SESSION_INACTIVITY: Final = timedelta(minutes=30)
SESSION_LIFETIME: Final = timedelta(hours=12)
LOCK_AFTER_FAILURES: Final = 3
LOCK_WINDOW: Final = timedelta(minutes=30)


class Role(StrEnum):
    ADMIN = "admin"
    COMPLIANCE = "compliance"
    FINANCE = "finance"
    SUPPORT = "support"
    TRADER = "trader"
    AUDITOR = "auditor"


P = Permission
ROLE_PERMISSIONS: Final[dict[Role, frozenset[Permission]]] = {
    Role.ADMIN: frozenset(Permission),
    Role.COMPLIANCE: frozenset(
        {
            P.PLAYERS_READ,
            P.PLAYERS_STATUS,
            P.PLAYERS_UNLOCK,
            P.AUDIT_READ,
            P.COMPLIANCE_CASES,
            P.GAMES_READ,
            P.ALL_BRANDS,
        }
    ),
    Role.FINANCE: frozenset({P.PLAYERS_READ, P.LEDGER_READ, P.PAYMENTS_APPROVE, P.ALL_BRANDS}),
    Role.SUPPORT: frozenset({P.PLAYERS_READ, P.PLAYERS_UNLOCK}),
    Role.TRADER: frozenset({P.SPORTSBOOK_TRADE, P.ALL_BRANDS}),
    # Read-only, everything: a regulator's or an internal auditor's account.
    Role.AUDITOR: frozenset(
        {P.PLAYERS_READ, P.LEDGER_READ, P.AUDIT_READ, P.GAMES_READ, P.ALL_BRANDS}
    ),
}


def role(name: str) -> Role:
    try:
        return Role(name)
    except ValueError:
        raise errors.UnknownRole(
            f"No role {name!r}; roles are {', '.join(r.value for r in Role)}.", role=name
        ) from None


@dataclass(frozen=True, slots=True)
class OperatorView:
    id: str
    email: str
    role: Role
    brand_id: str | None
    permissions: tuple[str, ...]
    locked: bool
    disabled: bool
    created_at: datetime


def _view(o: Operator) -> OperatorView:
    r = Role(o.role)
    return OperatorView(
        id=o.id,
        email=o.email,
        role=r,
        brand_id=o.brand_id,
        permissions=tuple(sorted(ROLE_PERMISSIONS[r])),
        locked=o.locked_at is not None,
        disabled=o.disabled_at is not None,
        created_at=o.created_at,
    )


@dataclass(frozen=True, slots=True)
class NewOperator:
    """A created operator and the credentials to hand over once."""

    operator: OperatorView
    password: str
    totp_secret: str
    otpauth_uri: str


def create_operator(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    email: str,
    role_name: str,
    brand_id: str | None,
    actor: str,
    password: str | None = None,
    totp_secret: str | None = None,
) -> NewOperator:
    """Create a staff account with a random password and a TOTP secret, returned once.

    Roles without the cross-brand permission work for one brand, which must be given.
    ``password`` and ``totp_secret`` are for the dev demo's fixed credentials only.
    """
    r = role(role_name)
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise InvalidRequest("An operator needs a valid email address.", email=email)
    if brand_id is not None:
        get_brand(session, brand_id)  # players.brand_not_found
    elif Permission.ALL_BRANDS not in ROLE_PERMISSIONS[r]:
        raise errors.BrandRequired(f"A {r.value} operator works for one brand: give --brand.")
    password = password or secrets.token_urlsafe(18)
    secret = totp_secret or new_totp_secret()
    row = Operator(
        id=new_id("opr"),
        email=email,
        role=r.value,
        brand_id=brand_id,
        password_hash=hash_password(hasher, password),
        totp_secret=secret,
        failed_logins=0,
        created_at=clock.now(),
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise errors.OperatorExists(f"An operator {email!r} exists.", email=email) from None
    record_event(
        session,
        clock,
        actor=actor,
        action="operator.created",
        subject_type="operator",
        subject_id=row.id,
        after={"email": email, "role": r.value, "brand_id": brand_id},
    )
    return NewOperator(_view(row), password, secret, totp_uri(secret, email, "croupier-backoffice"))


def operator_by_email(session: Session, email: str) -> Operator | None:
    return session.scalars(
        select(Operator).where(Operator.email == email.strip().lower())
    ).one_or_none()


def list_operators(session: Session) -> list[OperatorView]:
    return [_view(o) for o in session.scalars(select(Operator).order_by(Operator.email))]


@dataclass(frozen=True, slots=True)
class OperatorLogin:
    token: str
    credential_id: str
    expires_at: datetime
    operator: OperatorView
    previous_login_at: datetime | None


def login_operator(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    email: str,
    password: str,
    code: str,
    ip: str,
) -> OperatorLogin | DomainError:
    """Log a member of staff in: password and TOTP, always (returns the failure to raise
    after the attempt is recorded). Three failures within 30 minutes lock the account until
    ``croupier operator unlock``."""
    now = clock.now()
    operator = operator_by_email(session, email)
    password_ok = verify_password(hasher, operator.password_hash if operator else None, password)
    refused = errors.InvalidOperatorCredentials(
        "The email, password or code is wrong, or the account is locked or disabled."
    )
    step = None
    if operator is not None and password_ok:
        step = verify_totp(operator.totp_secret, code, now, operator.totp_last_step)
    if (
        operator is None
        or step is None
        or operator.locked_at is not None
        or operator.disabled_at is not None
    ):
        record_event(
            session,
            clock,
            actor="anonymous",
            action="operator.login_failed",
            subject_type="operator",
            subject_id=operator.id if operator else "unknown",
            after={"email": email.strip().lower(), "ip": ip},
        )
        if operator is not None and operator.locked_at is None:
            if (
                operator.first_failed_login_at is None
                or now - operator.first_failed_login_at > LOCK_WINDOW
            ):
                operator.first_failed_login_at = now
                operator.failed_logins = 0
            operator.failed_logins += 1
            if operator.failed_logins >= LOCK_AFTER_FAILURES:
                operator.locked_at = now
                record_event(
                    session,
                    clock,
                    actor="system:login",
                    action="operator.locked",
                    subject_type="operator",
                    subject_id=operator.id,
                    after={"failures": operator.failed_logins, "ip": ip},
                )
        session.flush()
        return refused
    operator.totp_last_step = step
    operator.failed_logins = 0
    operator.first_failed_login_at = None
    previous = operator.last_login_at
    operator.last_login_at = now
    token, digest = new_token(SESSION_TOKEN_PREFIX)
    credential = OperatorCredential(
        id=new_id("osn"),
        operator_id=operator.id,
        kind="session",
        name=f"login from {ip}",
        token_hash=digest,
        created_at=now,
        last_used_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    session.add(credential)
    session.flush()
    assert credential.expires_at is not None
    return OperatorLogin(token, credential.id, credential.expires_at, _view(operator), previous)


def authenticate_operator(session: Session, clock: Clock, token: str) -> OperatorPrincipal:
    """The operator behind a bearer token (session or API token), or why not."""
    credential = session.scalars(
        select(OperatorCredential).where(OperatorCredential.token_hash == token_digest(token))
    ).one_or_none()
    if credential is None:
        raise NotAuthenticated("The operator token is not valid.")
    operator = session.get(Operator, credential.operator_id)
    assert operator is not None
    now = clock.now()
    if credential.revoked_at is not None or operator.disabled_at is not None:
        raise SessionExpired("This token was revoked.", reason="revoked")
    if credential.expires_at is not None and now >= credential.expires_at:
        raise SessionExpired("This token has expired.", reason="expired")
    if operator.locked_at is not None:
        # A lock stops the operator's API tokens too, not only new logins.
        raise SessionExpired("The account is locked.", reason="locked")
    if credential.kind == "session" and now - credential.last_used_at >= SESSION_INACTIVITY:
        raise SessionExpired("The session was idle too long.", reason="inactivity")
    credential.last_used_at = now
    r = Role(operator.role)
    return OperatorPrincipal(
        operator_id=operator.id,
        email=operator.email,
        role=r.value,
        permissions=ROLE_PERMISSIONS[r],
        brand_id=operator.brand_id,
        credential_id=credential.id,
    )


def logout_operator(session: Session, clock: Clock, principal: OperatorPrincipal) -> None:
    credential = session.get(OperatorCredential, principal.credential_id)
    assert credential is not None
    if credential.revoked_at is None:
        credential.revoked_at = clock.now()


@dataclass(frozen=True, slots=True)
class ApiTokenView:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime | None
    revoked: bool


def _token_view(c: OperatorCredential) -> ApiTokenView:
    return ApiTokenView(
        c.id, c.name, c.created_at, c.last_used_at, c.expires_at, c.revoked_at is not None
    )


def create_api_token(
    session: Session,
    clock: Clock,
    principal: OperatorPrincipal,
    *,
    name: str,
    expires_in: timedelta | None,
) -> tuple[str, ApiTokenView]:
    """A named API token acting with the operator's role; the token is returned once."""
    current = session.get(OperatorCredential, principal.credential_id)
    assert current is not None
    if current.kind != "session":
        raise errors.ApiTokenNeedsSession()
    now = clock.now()
    token, digest = new_token(API_TOKEN_PREFIX)
    row = OperatorCredential(
        id=new_id("tok"),
        operator_id=principal.operator_id,
        kind="api_token",
        name=name,
        token_hash=digest,
        created_at=now,
        last_used_at=now,
        expires_at=now + expires_in if expires_in else None,
    )
    session.add(row)
    record_event(
        session,
        clock,
        actor=principal.actor,
        action="operator.api_token_created",
        subject_type="operator",
        subject_id=principal.operator_id,
        after={"token_id": row.id, "name": name, "expires_at": row.expires_at},
    )
    session.flush()
    return token, _token_view(row)


def list_api_tokens(session: Session, principal: OperatorPrincipal) -> list[ApiTokenView]:
    rows = session.scalars(
        select(OperatorCredential)
        .where(
            OperatorCredential.operator_id == principal.operator_id,
            OperatorCredential.kind == "api_token",
        )
        .order_by(OperatorCredential.created_at.desc())
    )
    return [_token_view(r) for r in rows]


def revoke_api_token(
    session: Session, clock: Clock, principal: OperatorPrincipal, token_id: str
) -> None:
    row = session.get(OperatorCredential, token_id)
    if row is None or row.operator_id != principal.operator_id or row.kind != "api_token":
        raise errors.TokenNotFound(f"No API token {token_id!r}.", token_id=token_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        record_event(
            session,
            clock,
            actor=principal.actor,
            action="operator.api_token_revoked",
            subject_type="operator",
            subject_id=principal.operator_id,
            before={"token_id": token_id, "revoked": False},
            after={"token_id": token_id, "revoked": True},
        )


def unlock_operator(session: Session, clock: Clock, email: str, *, actor: str) -> OperatorView:
    """Lift a staff login lock (from the CLI, so a locked-out admin is never stuck)."""
    operator = operator_by_email(session, email)
    if operator is None:
        raise errors.OperatorNotFound(f"No operator {email!r}.", email=email)
    was_locked = operator.locked_at is not None
    operator.locked_at = None
    operator.failed_logins = 0
    operator.first_failed_login_at = None
    record_event(
        session,
        clock,
        actor=actor,
        action="operator.unlocked",
        subject_type="operator",
        subject_id=operator.id,
        before={"locked": was_locked},
        after={"locked": False},
    )
    session.flush()
    return _view(operator)

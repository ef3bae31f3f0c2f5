"""Player endpoints: registration, login and sessions, MFA, profile."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status

from croupier.core.players import errors, service
from croupier.core.players.schemas import (
    CodeIn,
    EmailChangeIn,
    LoginIn,
    LoginOut,
    MeOut,
    MfaEnrolmentOut,
    PasswordChangeIn,
    PasswordResetIn,
    PayoutDetailsIn,
    PlayerOut,
    ProfileIn,
    RecoveryCodesOut,
    RegisterIn,
    SessionOut,
    StepUpOut,
    UnlockIn,
)
from croupier.core.players.service import AuthenticatedPlayer
from croupier.core.wallet import get_balance
from croupier.core.wallet.schemas import BalanceOut
from croupier.kernel.config import Settings
from croupier.kernel.credentials import WeakPassword
from croupier.kernel.jurisdictions import (
    LocationMismatch,
    LocationUnknown,
    NationallyExcluded,
    RegionRequired,
    RegisterUnavailable,
    UnknownJurisdiction,
    jurisdiction,
)
from croupier.kernel.money import UnknownCurrency
from croupier.kernel.ratelimit import (
    Limit,
    RateLimited,
    RateLimiterUnavailable,
)
from croupier.kernel.web import (
    AppClock,
    AppDatabase,
    AppSettings,
    DbSession,
    Hasher,
    NotAuthenticated,
    bearer_token,
    clear_rate_limit,
    client_ip,
    problem_responses,
    rate_limit,
    rate_limit_ip_and_account,
)

router = APIRouter(prefix="/api/v1", tags=["players"])

SESSION_ERRORS = (NotAuthenticated, errors.SessionExpired)


def _current_player(request: Request, session: DbSession, clock: AppClock) -> AuthenticatedPlayer:
    return service.authenticate_session(session, clock, bearer_token(request))


CurrentPlayer = Annotated[AuthenticatedPlayer, Depends(_current_player)]


def _account_key(brand: str, email: str) -> str:
    return f"{brand}:{service.normalize_email(email)}"


# -- registration and login ------------------------------------------------------------------


@router.post(
    "/auth/register",
    status_code=status.HTTP_201_CREATED,
    response_model=PlayerOut,
    responses=problem_responses(
        errors.BrandNotFound,
        errors.CurrencyNotOffered,
        errors.JurisdictionNotServed,
        errors.UnderAge,
        errors.InvalidDateOfBirth,
        errors.EmailTaken,
        errors.DuplicatePerson,
        WeakPassword,
        UnknownCurrency,
        UnknownJurisdiction,
        RegionRequired,
        NationallyExcluded,
        RegisterUnavailable,
        LocationMismatch,
        LocationUnknown,
        RateLimited,
        RateLimiterUnavailable,
    ),
)
def register(
    body: RegisterIn,
    request: Request,
    session: DbSession,
    clock: AppClock,
    hasher: Hasher,
    settings: AppSettings,
) -> PlayerOut:
    """Register a player (GLI-19 §2.5.2). The account starts `pending_verification`, with a
    cash account in the chosen currency. Log in afterwards to get a session."""
    ip = client_ip(request)
    window = settings.rate_limit_window_seconds
    rate_limit(
        request,
        Limit("register:ip", settings.rate_limit_register_per_ip, window),
        ip,
        what="registrations",
    )
    player = service.register_player(
        session,
        clock,
        hasher,
        service.Registration(
            brand_code=body.brand,
            email=str(body.email),
            password=body.password,
            legal_name=body.legal_name,
            date_of_birth=body.date_of_birth,
            address_line=body.address_line,
            city=body.city,
            postcode=body.postcode,
            country=body.country,
            region=body.region,
            currency=body.currency,
        ),
        admission=partial(request.app.state.registration_admission, ip=ip),
    )
    return PlayerOut.of(player)


@router.post(
    "/auth/login",
    response_model=LoginOut,
    responses=problem_responses(
        errors.InvalidCredentials,
        errors.AccountSuspended,
        NationallyExcluded,
        RegisterUnavailable,
        LocationMismatch,
        LocationUnknown,
        errors.MfaRequired,
        errors.InvalidMfaCode,
        errors.BrandNotFound,
        RateLimited,
        RateLimiterUnavailable,
    ),
)
def login(
    body: LoginIn,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    hasher: Hasher,
    settings: AppSettings,
) -> LoginOut:
    """Log in with email and password, plus an authenticator code when MFA is on.

    Any wrong credential gives the same `auth.invalid_credentials`; three failures within 30
    minutes lock the account (GLI-19 §2.5.3). The answer shows the previous login's time and
    IP. The token expires after 30 minutes without use and in any case after 30 days (the
    jurisdiction's figures, GLI-19 §2.5.4).
    """
    ip = client_ip(request)
    per_account = rate_limit_ip_and_account(
        request,
        "login",
        per_ip=settings.rate_limit_login_per_ip,
        per_account=settings.rate_limit_login_per_account,
        account=_account_key(body.brand, body.email),
        what="login attempts",
    )
    # Its own unit of work: a refused attempt is recorded (and may lock the account), then
    # refused.
    with database.unit_of_work() as session:
        outcome = service.login(
            session,
            clock,
            hasher,
            brand_code=body.brand,
            email=body.email,
            password=body.password,
            code=body.code,
            ip=ip,
            user_agent=request.headers.get("User-Agent", ""),
            admission=partial(request.app.state.login_admission, ip=ip),
        )
    if isinstance(outcome, service.LoginRefused):
        raise outcome.error
    # The per-account count is there to stop guessing: a successful login clears it.
    clear_rate_limit(request, per_account, _account_key(body.brand, body.email))
    rules = jurisdiction(outcome.player.jurisdiction)
    return LoginOut(
        token=outcome.token,
        session_id=outcome.session_id,
        expires_at=outcome.expires_at,
        inactivity_timeout_seconds=int(rules.inactivity_timeout.total_seconds()),
        previous_login_at=outcome.previous_login_at,
        previous_login_ip=outcome.previous_login_ip,
        player=PlayerOut.of(outcome.player),
    )


@router.post(
    "/auth/unlock",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        errors.InvalidCredentials, errors.BrandNotFound, RateLimited, RateLimiterUnavailable
    ),
)
def unlock(
    body: UnlockIn,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    hasher: Hasher,
    settings: AppSettings,
) -> Response:
    """Lift a login lock with the password and an authenticator or recovery code (GLI-19
    §2.5.3). Without MFA, ask support."""
    ip = client_ip(request)
    rate_limit_ip_and_account(
        request,
        "mfa",
        per_ip=settings.rate_limit_mfa_per_ip,
        per_account=settings.rate_limit_mfa_per_account,
        account=_account_key(body.brand, body.email),
        what="MFA attempts",
    )
    with database.unit_of_work() as session:
        failure = service.unlock_with_mfa(
            session,
            clock,
            hasher,
            brand_code=body.brand,
            email=body.email,
            password=body.password,
            code=body.code,
            ip=ip,
        )
    if failure is not None:
        raise failure
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        errors.InvalidCredentials,
        errors.BrandNotFound,
        WeakPassword,
        RateLimited,
        RateLimiterUnavailable,
    ),
)
def reset_password(
    body: PasswordResetIn,
    request: Request,
    database: AppDatabase,
    clock: AppClock,
    hasher: Hasher,
    settings: AppSettings,
) -> Response:
    """Set a new password with an authenticator or recovery code instead of the old password
    (GLI-19 §2.5.3). Ends every session and lifts a lock."""
    ip = client_ip(request)
    rate_limit_ip_and_account(
        request,
        "reset",
        per_ip=settings.rate_limit_password_reset_per_ip,
        per_account=settings.rate_limit_password_reset_per_account,
        account=_account_key(body.brand, body.email),
        what="password resets",
    )
    with database.unit_of_work() as session:
        failure = service.reset_password_with_mfa(
            session,
            clock,
            hasher,
            brand_code=body.brand,
            email=body.email,
            code=body.code,
            new_password=body.new_password,
            ip=ip,
        )
    if failure is not None:
        raise failure
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*SESSION_ERRORS),
)
def logout(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> Response:
    """End this session: its token is refused from now on."""
    service.logout(session, clock, auth)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- me --------------------------------------------------------------------------------------


@router.get("/me", response_model=MeOut, responses=problem_responses(*SESSION_ERRORS))
def me(auth: CurrentPlayer, session: DbSession) -> MeOut:
    """The logged-in player with their cash balance."""
    player = service.get_own_profile(session, auth)
    balance = get_balance(session, player.cash_account_id)
    return MeOut(
        player=PlayerOut.of(player),
        balance=BalanceOut.of(balance),
        session_id=auth.session_id,
    )


@router.get("/me/profile", response_model=PlayerOut, responses=problem_responses(*SESSION_ERRORS))
def get_profile(auth: CurrentPlayer, session: DbSession) -> PlayerOut:
    """The player's personal data."""
    return PlayerOut.of(service.get_own_profile(session, auth))


@router.patch(
    "/me/profile",
    response_model=PlayerOut,
    responses=problem_responses(*SESSION_ERRORS, RegionRequired, UnknownJurisdiction),
)
def update_profile(
    body: ProfileIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> PlayerOut:
    """Change the address. Every change is audited with before and after (GLI-19 §2.8.8).
    Name and date of birth change only through support."""
    changes = service.ProfileChanges(
        address_line=body.address_line, city=body.city, postcode=body.postcode, region=body.region
    )
    return PlayerOut.of(service.update_profile(session, clock, auth, changes))


@router.get(
    "/me/sessions", response_model=list[SessionOut], responses=problem_responses(*SESSION_ERRORS)
)
def list_sessions(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> list[SessionOut]:
    """The player's live sessions, newest first; `current` marks this one."""
    return [SessionOut.of(s) for s in service.list_sessions(session, clock, auth)]


@router.delete(
    "/me/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*SESSION_ERRORS, errors.SessionNotFound),
)
def revoke_session(
    session_id: Annotated[str, Path(max_length=40)],
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
) -> Response:
    """End one of the player's sessions (for example on a lost phone)."""
    service.revoke_session(session, clock, auth, session_id, reason="revoked_by_player")
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- MFA and sensitive changes ---------------------------------------------------------------


@router.post(
    "/me/mfa",
    response_model=MfaEnrolmentOut,
    responses=problem_responses(*SESSION_ERRORS, errors.MfaAlreadyEnrolled),
)
def begin_mfa(auth: CurrentPlayer, session: DbSession, clock: AppClock) -> MfaEnrolmentOut:
    """Start setting up an authenticator app (TOTP): scan the URI, then confirm with a code."""
    enrolment = service.begin_mfa_enrolment(session, clock, auth)
    return MfaEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)


def _mfa_limits(request: Request, settings: Settings, auth: AuthenticatedPlayer) -> None:
    rate_limit_ip_and_account(
        request,
        "mfa",
        per_ip=settings.rate_limit_mfa_per_ip,
        per_account=settings.rate_limit_mfa_per_account,
        account=auth.player_id,
        what="MFA attempts",
    )


@router.post(
    "/me/mfa/confirm",
    response_model=RecoveryCodesOut,
    responses=problem_responses(
        *SESSION_ERRORS,
        errors.InvalidMfaCode,
        errors.MfaNotEnrolled,
        errors.MfaAlreadyEnrolled,
        RateLimited,
        RateLimiterUnavailable,
    ),
)
def confirm_mfa(
    body: CodeIn,
    request: Request,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> RecoveryCodesOut:
    """Turn MFA on with the first code; returns ten recovery codes, shown only now."""
    _mfa_limits(request, settings, auth)
    return RecoveryCodesOut(
        recovery_codes=service.confirm_mfa_enrolment(session, clock, auth, body.code)
    )


@router.post(
    "/me/mfa/verify",
    response_model=StepUpOut,
    responses=problem_responses(
        *SESSION_ERRORS,
        errors.InvalidMfaCode,
        errors.MfaNotEnrolled,
        RateLimited,
        RateLimiterUnavailable,
    ),
)
def verify_mfa(
    body: CodeIn,
    request: Request,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    settings: AppSettings,
) -> StepUpOut:
    """Step-up: prove the second factor again before changing password, email or payout
    details (GLI-19 §2.5.2). Good for 5 minutes in this session."""
    _mfa_limits(request, settings, auth)
    return StepUpOut(valid_until=service.verify_step_up(session, clock, auth, body.code))


_STEP_UP_ERRORS = (*SESSION_ERRORS, errors.StepUpRequired, errors.MfaNotEnrolled)


@router.put(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*_STEP_UP_ERRORS, errors.InvalidCredentials, WeakPassword),
)
def change_password(
    body: PasswordChangeIn,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    hasher: Hasher,
) -> Response:
    """Change the password (step-up required). Other sessions end."""
    service.change_password(
        session,
        clock,
        hasher,
        auth,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/me/email",
    response_model=PlayerOut,
    responses=problem_responses(*_STEP_UP_ERRORS, errors.EmailTaken),
)
def change_email(
    body: EmailChangeIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> PlayerOut:
    """Change the login email (step-up required)."""
    return PlayerOut.of(service.change_email(session, clock, auth, str(body.email)))


@router.put(
    "/me/payout-details",
    response_model=PlayerOut,
    responses=problem_responses(*_STEP_UP_ERRORS),
)
def set_payout_details(
    body: PayoutDetailsIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> PlayerOut:
    """Set the IBAN that withdrawals go to (step-up required, GLI-19 §2.5.2)."""
    return PlayerOut.of(service.set_payout_details(session, clock, auth, body.iban))

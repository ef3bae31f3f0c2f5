"""Player account management: brands, registration, login and sessions, MFA, profile, status.

Every function takes a session, a clock and explicit arguments and never commits. Login-like
functions (``login``, ``unlock_with_mfa``) *return* a failure instead of raising it, because a
failed attempt must still be recorded: the caller commits, then raises the failure.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from sqlalchemy import Row, Table, bindparam, delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core.players import errors
from croupier.core.players.events import (
    PlayerLocked,
    PlayerPersonalDataChanged,
    PlayerRegistered,
    PlayerStatusChanged,
)
from croupier.core.players.models import (
    Brand,
    DuplicatePersonPolicy,
    LoginFailure,
    MfaRecoveryCode,
    Player,
    PlayerSession,
    PlayerStatus,
    PlayerStatusChange,
)
from croupier.core.wallet import AccountKind, NewTransfer, create_transfers, open_account
from croupier.core.wallet import platform_account as wallet_platform_account
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.credentials import (
    check_password_policy,
    hash_password,
    new_recovery_codes,
    new_token,
    new_totp_secret,
    recovery_code_digest,
    token_digest,
    totp_uri,
    verify_password,
    verify_totp,
)
from croupier.kernel.db import AnySelect, one_of, read_together, run_on_driver
from croupier.kernel.errors import DomainError, InvalidRequest
from croupier.kernel.events import publish
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import Jurisdiction, jurisdiction, jurisdiction_of_residence
from croupier.kernel.money import currency as currency_of
from croupier.kernel.web import NotAuthenticated

PLAYER_TOKEN_PREFIX = "cps"  # noqa: S105 (a prefix, not a secret)
# A step-up check (GLI-19 §2.5.2) is good for this long.
STEP_UP_VALIDITY = timedelta(minutes=5)
OLDEST_PLAUSIBLE_AGE = 120
FLAG_POSSIBLE_DUPLICATE = "possible_duplicate"

# -- brands ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BrandView:
    id: str
    code: str
    name: str
    currencies: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    duplicate_person_policy: DuplicatePersonPolicy


def _brand_view(row: Brand) -> BrandView:
    return BrandView(
        id=row.id,
        code=row.code,
        name=row.name,
        currencies=tuple(json.loads(row.currencies)),
        jurisdictions=tuple(json.loads(row.jurisdictions)),
        duplicate_person_policy=DuplicatePersonPolicy(row.duplicate_person_policy),
    )


def create_brand(
    session: Session,
    clock: Clock,
    *,
    code: str,
    name: str,
    currencies: Sequence[str],
    jurisdictions: Sequence[str],
    duplicate_person_policy: DuplicatePersonPolicy = DuplicatePersonPolicy.REFUSE,
    actor: str,
) -> BrandView:
    """Create a brand offering ``currencies`` to players of ``jurisdictions``."""
    if not code or not code.replace("-", "").isalnum() or code != code.lower():
        raise InvalidRequest("A brand code is lower-case letters, digits and '-'.", brand_code=code)
    for c in currencies:
        currency_of(c)  # money.unknown_currency
    for j in jurisdictions:
        jurisdiction(j)  # jurisdiction.unknown
    if not currencies or not jurisdictions:
        raise InvalidRequest("A brand offers at least one currency and one jurisdiction.")
    row = Brand(
        id=new_id("brd"),
        code=code,
        name=name,
        currencies=json.dumps(sorted(set(currencies))),
        jurisdictions=json.dumps(sorted(set(jurisdictions))),
        duplicate_person_policy=duplicate_person_policy.value,
        settings="{}",
        created_at=clock.now(),
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise errors.BrandExists(f"A brand {code!r} exists.", brand=code) from None
    view = _brand_view(row)
    record_event(
        session,
        clock,
        actor=actor,
        action="brand.created",
        subject_type="brand",
        subject_id=row.id,
        after={
            "code": code,
            "name": name,
            "currencies": list(view.currencies),
            "jurisdictions": list(view.jurisdictions),
            "duplicate_person_policy": duplicate_person_policy.value,
        },
    )
    return view


def brand_by_code(session: Session, code: str) -> BrandView:
    row = session.scalars(select(Brand).where(Brand.code == code)).one_or_none()
    if row is None:
        raise errors.BrandNotFound(f"No brand {code!r}.", brand=code)
    return _brand_view(row)


def get_brand(session: Session, brand_id: str) -> BrandView:
    row = session.get(Brand, brand_id)
    if row is None:
        raise errors.BrandNotFound(f"No brand {brand_id!r}.", brand=brand_id)
    return _brand_view(row)


def list_brands(session: Session) -> list[BrandView]:
    return [_brand_view(b) for b in session.scalars(select(Brand).order_by(Brand.code))]


# -- players ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerView:
    """A player as the player and staff see them."""

    id: str
    brand_id: str
    email: str
    legal_name: str
    date_of_birth: date
    address_line: str
    city: str
    postcode: str
    country: str
    region: str | None
    jurisdiction: str
    currency: str
    status: PlayerStatus
    flags: tuple[str, ...]
    cash_account_id: str
    mfa_enabled: bool
    locked: bool
    payout_details: str | None
    last_login_at: datetime | None
    last_login_ip: str | None
    created_at: datetime


def _player_view(p: Player | Row[Any]) -> PlayerView:
    return PlayerView(
        id=p.id,
        brand_id=p.brand_id,
        email=p.email,
        legal_name=p.legal_name,
        date_of_birth=p.date_of_birth,
        address_line=p.address_line,
        city=p.city,
        postcode=p.postcode,
        country=p.country,
        region=p.region,
        jurisdiction=p.jurisdiction,
        currency=p.currency,
        status=PlayerStatus(p.status),
        flags=tuple(json.loads(p.flags)),
        cash_account_id=p.cash_account_id,
        mfa_enabled=p.mfa_enabled_at is not None,
        locked=p.locked_at is not None,
        payout_details=_masked(p.payout_details),
        last_login_at=p.last_login_at,
        last_login_ip=p.last_login_ip,
        created_at=p.created_at,
    )


def _masked(account: str | None) -> str | None:
    return None if account is None else f"{account[:4]}…{account[-4:]}"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _normalized_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    kept = "".join(c for c in decomposed if c.isalnum())
    return kept


def person_key(legal_name: str, date_of_birth: date, postcode: str) -> str:
    """What identifies a person within a brand: name, birth date and postcode, normalized
    (case, accents, spaces and punctuation ignored), hashed."""
    material = "|".join(
        (_normalized_text(legal_name), date_of_birth.isoformat(), _normalized_text(postcode))
    )
    return hashlib.sha256(material.encode()).hexdigest()


def age_on(date_of_birth: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - int(before_birthday)


def registration_rules(
    session: Session,
    clock: Clock,
    *,
    brand_code: str,
    country: str,
    region: str | None,
    currency_code: str,
    date_of_birth: date,
) -> Jurisdiction:
    """The jurisdiction a registration would fall under, or the reason it is refused: the
    brand, its currency and jurisdictions, a plausible date of birth, the minimum age. The
    same checks :func:`register_player` makes, without creating anything."""
    brand = brand_by_code(session, brand_code)
    if currency_code not in brand.currencies:
        raise errors.CurrencyNotOffered(
            f"{brand.code} does not offer {currency_code}.",
            currency=currency_code,
            offered=list(brand.currencies),
        )
    place = jurisdiction_of_residence(country, region)
    if place.code not in brand.jurisdictions:
        raise errors.JurisdictionNotServed(
            f"{brand.code} does not serve players in {place.name}.", jurisdiction=place.code
        )
    today = clock.now().date()
    if date_of_birth > today or age_on(date_of_birth, today) > OLDEST_PLAUSIBLE_AGE:
        raise errors.InvalidDateOfBirth("The date of birth is in the future or implausible.")
    if age_on(date_of_birth, today) < place.minimum_age:
        raise errors.UnderAge(
            f"Players in {place.name} must be at least {place.minimum_age}.",
            minimum_age=place.minimum_age,
            jurisdiction=place.code,
        )
    return place


@dataclass(frozen=True, slots=True)
class Registration:
    brand_code: str
    email: str
    password: str
    legal_name: str
    date_of_birth: date
    address_line: str
    city: str
    postcode: str
    country: str
    region: str | None
    currency: str


def _record_status(
    session: Session,
    clock: Clock,
    player: Player,
    to_status: PlayerStatus,
    *,
    actor: str,
    reason: str,
) -> None:
    before = player.status if player.status != to_status.value else None
    player.status = to_status.value
    player.updated_at = clock.now()
    session.add(
        PlayerStatusChange(
            player_id=player.id,
            from_status=before,
            to_status=to_status.value,
            actor=actor,
            reason=reason,
            occurred_at=clock.now(),
        )
    )
    publish(
        session,
        PlayerStatusChanged(
            player_id=player.id,
            from_status=before,
            to_status=to_status.value,
            actor=actor,
            reason=reason,
        ),
        clock,
    )


RegistrationAdmission = Callable[[Registration, Jurisdiction], None]
LoginAdmission = Callable[[PlayerView], DomainError | None]


def register_player(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    reg: Registration,
    *,
    admission: RegistrationAdmission | None = None,
) -> PlayerView:
    """Register a player (GLI-19 §2.5.2) and open their cash account in the wallet.

    Refuses an unknown brand, a currency or jurisdiction the brand does not offer, an
    under-age or implausible date of birth, a weak or breached password, an email already
    registered in the brand, and (per brand setting) a second account of the same person.
    The player starts ``pending_verification``. ``admission`` (the compliance module's
    national-register check) runs after every other check and before anything is created; it
    raises to refuse.
    """
    brand = brand_by_code(session, reg.brand_code)
    place = registration_rules(
        session,
        clock,
        brand_code=reg.brand_code,
        country=reg.country,
        region=reg.region,
        currency_code=reg.currency,
        date_of_birth=reg.date_of_birth,
    )
    email = normalize_email(reg.email)
    check_password_policy(reg.password, personal=(email, email.split("@")[0], reg.legal_name))
    if session.scalar(select(Player.id).where(Player.brand_id == brand.id, Player.email == email)):
        raise errors.EmailTaken("An account with this email exists; log in instead.")
    key = person_key(reg.legal_name, reg.date_of_birth, reg.postcode)
    flags: list[str] = []
    same_person = session.scalar(
        select(Player.id).where(
            Player.brand_id == brand.id,
            Player.person_key == key,
            Player.status != PlayerStatus.CLOSED.value,
        )
    )
    if same_person is not None:
        if brand.duplicate_person_policy is DuplicatePersonPolicy.REFUSE:
            raise errors.DuplicatePerson(
                "You already have an account with us; log in to it or contact support."
            )
        flags.append(FLAG_POSSIBLE_DUPLICATE)
    if admission is not None:
        admission(reg, place)

    now = clock.now()
    player_id = new_id("ply")
    cash = open_account(
        session, clock, kind=AccountKind.PLAYER_CASH, currency_code=reg.currency, owner_id=player_id
    )
    player = Player(
        id=player_id,
        brand_id=brand.id,
        email=email,
        password_hash=hash_password(hasher, reg.password),
        legal_name=reg.legal_name.strip(),
        date_of_birth=reg.date_of_birth,
        address_line=reg.address_line.strip(),
        city=reg.city.strip(),
        postcode=reg.postcode.strip(),
        country=reg.country.upper(),
        region=reg.region.upper() if reg.region else None,
        jurisdiction=place.code,
        currency=reg.currency,
        status=PlayerStatus.PENDING_VERIFICATION.value,
        person_key=key,
        flags=json.dumps(flags),
        cash_account_id=cash.id,
        created_at=now,
        updated_at=now,
    )
    session.add(player)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Only a concurrent registration with the same email can collide here.
        if not session.scalar(
            select(Player.id).where(Player.brand_id == brand.id, Player.email == email)
        ):
            raise
        raise errors.EmailTaken("An account with this email exists; log in instead.") from None
    _record_status(
        session,
        clock,
        player,
        PlayerStatus.PENDING_VERIFICATION,
        actor="player",
        reason="registered",
    )
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.registered",
        subject_type="player",
        subject_id=player.id,
        after=_personal_data(player) | {"brand_id": brand.id, "flags": flags},
    )
    publish(
        session,
        PlayerRegistered(
            player_id=player.id,
            brand_id=brand.id,
            jurisdiction=place.code,
            currency=reg.currency,
            flags=flags,
        ),
        clock,
    )
    session.flush()
    return _player_view(player)


def _personal_words(p: Player) -> tuple[str, ...]:
    """What a password may not be: the email, its local part, the name."""
    return (p.email, p.email.split("@")[0], p.legal_name)


def _personal_data(p: Player) -> dict[str, Any]:
    return {
        "email": p.email,
        "legal_name": p.legal_name,
        "date_of_birth": p.date_of_birth.isoformat(),
        "address_line": p.address_line,
        "city": p.city,
        "postcode": p.postcode,
        "country": p.country,
        "region": p.region,
    }


def _player_in_scope(session: Session, player_id: str, brand_scope: str | None) -> Player:
    """The player, if visible to a caller limited to ``brand_scope`` (None: every brand).
    A player of another brand is reported as not found: its existence is not disclosed."""
    player = session.get(Player, player_id)
    if player is None or (brand_scope is not None and player.brand_id != brand_scope):
        raise errors.PlayerNotFound(f"No player {player_id!r}.", player_id=player_id)
    return player


# What a PlayerView shows, and nothing more: no password hash or MFA secret on the paths that
# read a player on every bet (and fewer columns to describe per row).
PLAYER_VIEW_COLUMNS = tuple(
    Player.__table__.c[name]
    for name in (
        "id", "brand_id", "email", "legal_name", "date_of_birth", "address_line", "city",
        "postcode", "country", "region", "jurisdiction", "currency", "status", "flags",
        "cash_account_id", "mfa_enabled_at", "locked_at", "payout_details", "last_login_at",
        "last_login_ip", "created_at",
    )
)  # fmt: skip
_PLAYER_BY_ID = select(*PLAYER_VIEW_COLUMNS).where(Player.id == bindparam("player_id"))


def player_view_of_row(row: Row[Any]) -> PlayerView:
    """The view of a row that holds the ``PLAYER_VIEW_COLUMNS`` (for a module that reads
    the player in the same statement as its own rows, to save a round trip per decision)."""
    return _player_view(row)


def get_player(session: Session, player_id: str, *, brand_scope: str | None) -> PlayerView:
    """The player, if visible to a caller limited to ``brand_scope`` (None: every brand).

    A plain row read, not an ORM load: policy decisions call this on every bet.
    """
    row = session.connection().execute(_PLAYER_BY_ID, {"player_id": player_id}).one_or_none()
    if row is None or (brand_scope is not None and row.brand_id != brand_scope):
        raise errors.PlayerNotFound(f"No player {player_id!r}.", player_id=player_id)
    return _player_view(row)


def search_players(
    session: Session,
    *,
    brand_scope: str | None,
    query: str | None = None,
    status: PlayerStatus | None = None,
    brand_id: str | None = None,
    after_id: str | None = None,
    limit: int = 50,
) -> list[PlayerView]:
    """Players matching ``query`` (email, name, id or postcode prefix), in id order."""
    stmt = select(Player)
    if brand_scope is not None:
        stmt = stmt.where(Player.brand_id == brand_scope)
    if brand_id is not None:
        stmt = stmt.where(Player.brand_id == brand_id)
    if status is not None:
        stmt = stmt.where(Player.status == status.value)
    if query:
        q = query.strip().lower()
        like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                Player.id == query.strip(),
                Player.email.like(like, escape="\\"),
                func.lower(Player.legal_name).like("%" + like, escape="\\"),
                func.lower(Player.postcode).like(like, escape="\\"),
            )
        )
    if after_id is not None:
        stmt = stmt.where(Player.id > after_id)
    rows = session.scalars(stmt.order_by(Player.id).limit(limit)).all()
    return [_player_view(p) for p in rows]


@dataclass(frozen=True, slots=True)
class StatusChangeView:
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    occurred_at: datetime


def status_history(
    session: Session, player_id: str, *, brand_scope: str | None
) -> list[StatusChangeView]:
    _player_in_scope(session, player_id, brand_scope)
    rows = session.scalars(
        select(PlayerStatusChange)
        .where(PlayerStatusChange.player_id == player_id)
        .order_by(PlayerStatusChange.seq)
    )
    return [
        StatusChangeView(r.from_status, r.to_status, r.actor, r.reason, r.occurred_at) for r in rows
    ]


# Which status changes staff may make here. Self-exclusion is the player's own act and ends
# only by its own rules (responsible gaming); a closed account stays closed.
_STAFF_TRANSITIONS: dict[PlayerStatus, frozenset[PlayerStatus]] = {
    PlayerStatus.PENDING_VERIFICATION: frozenset(
        {PlayerStatus.ACTIVE, PlayerStatus.SUSPENDED, PlayerStatus.CLOSED}
    ),
    PlayerStatus.ACTIVE: frozenset({PlayerStatus.SUSPENDED, PlayerStatus.CLOSED}),
    PlayerStatus.SUSPENDED: frozenset({PlayerStatus.ACTIVE, PlayerStatus.CLOSED}),
    PlayerStatus.SELF_EXCLUDED: frozenset({PlayerStatus.CLOSED}),
    PlayerStatus.CLOSED: frozenset(),
}


def change_status(
    session: Session,
    clock: Clock,
    player_id: str,
    to_status: PlayerStatus,
    *,
    reason: str,
    actor: str,
    brand_scope: str | None,
) -> PlayerView:
    """Change a player's status with a reason (GLI-19 §2.8.8: account deactivations)."""
    if not reason.strip():
        raise InvalidRequest("A status change needs a reason.")
    player = _player_in_scope(session, player_id, brand_scope)
    current = PlayerStatus(player.status)
    if to_status not in _STAFF_TRANSITIONS[current]:
        raise errors.InvalidStatusChange(
            f"A player cannot go from {current.value} to {to_status.value} here.",
            from_status=current.value,
            to_status=to_status.value,
        )
    _record_status(session, clock, player, to_status, actor=actor, reason=reason)
    if to_status in (PlayerStatus.CLOSED, PlayerStatus.SUSPENDED):
        _revoke_all_sessions(session, clock, player.id, reason=f"status:{to_status.value}")
    record_event(
        session,
        clock,
        actor=actor,
        action="player.status_changed",
        subject_type="player",
        subject_id=player.id,
        before={"status": current.value},
        after={"status": to_status.value},
        reason=reason,
    )
    session.flush()
    return _player_view(player)


def mark_self_excluded(
    session: Session, clock: Clock, player_id: str, *, actor: str, reason: str
) -> None:
    """Put a player into ``self_excluded`` (the responsible-gaming module decides when).
    Sessions stay open: a self-excluded player may still log in to withdraw (GLI-19 A.3.8)."""
    player = _player_in_scope(session, player_id, None)
    current = PlayerStatus(player.status)
    if current is PlayerStatus.SELF_EXCLUDED:
        return
    if current is PlayerStatus.CLOSED:
        raise errors.InvalidStatusChange("A closed account cannot be self-excluded.")
    _record_status(session, clock, player, PlayerStatus.SELF_EXCLUDED, actor=actor, reason=reason)
    record_event(
        session,
        clock,
        actor=actor,
        action="player.status_changed",
        subject_type="player",
        subject_id=player.id,
        before={"status": current.value},
        after={"status": PlayerStatus.SELF_EXCLUDED.value},
        reason=reason,
    )


def end_self_exclusion(
    session: Session, clock: Clock, player_id: str, *, actor: str, reason: str
) -> None:
    """Return a self-excluded player to ``active`` when their exclusion has ended."""
    player = _player_in_scope(session, player_id, None)
    if player.status != PlayerStatus.SELF_EXCLUDED.value:
        return
    _record_status(session, clock, player, PlayerStatus.ACTIVE, actor=actor, reason=reason)
    record_event(
        session,
        clock,
        actor=actor,
        action="player.status_changed",
        subject_type="player",
        subject_id=player.id,
        before={"status": PlayerStatus.SELF_EXCLUDED.value},
        after={"status": PlayerStatus.ACTIVE.value},
        reason=reason,
    )


def activate_player(
    session: Session, clock: Clock, player_id: str, *, actor: str, reason: str
) -> None:
    """Mark a player verified and active (KYC, or the sandbox for integrators)."""
    change_status(
        session, clock, player_id, PlayerStatus.ACTIVE, reason=reason, actor=actor, brand_scope=None
    )


def unlock_player(
    session: Session,
    clock: Clock,
    player_id: str,
    *,
    reason: str,
    actor: str,
    brand_scope: str | None,
) -> PlayerView:
    """Lift a login lock (GLI-19 §2.5.3: by an operator, with a reason)."""
    if not reason.strip():
        raise InvalidRequest("Unlocking needs a reason.")
    player = _player_in_scope(session, player_id, brand_scope)
    _unlock(session, clock, player, actor=actor, reason=reason)
    session.flush()
    return _player_view(player)


def _unlock(session: Session, clock: Clock, player: Player, *, actor: str, reason: str) -> None:
    was_locked = player.locked_at is not None
    player.locked_at = None
    player.updated_at = clock.now()
    # Failures before the unlock no longer count toward the next lock (the audit trail keeps
    # each of them with its IP).
    session.execute(delete(LoginFailure).where(LoginFailure.player_id == player.id))
    record_event(
        session,
        clock,
        actor=actor,
        action="player.unlocked",
        subject_type="player",
        subject_id=player.id,
        before={"locked": was_locked},
        after={"locked": False},
        reason=reason,
    )


# -- login and sessions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoginSuccess:
    token: str
    session_id: str
    player: PlayerView
    expires_at: datetime
    previous_login_at: datetime | None
    previous_login_ip: str | None


@dataclass(frozen=True, slots=True)
class LoginRefused:
    error: DomainError


LoginOutcome = LoginSuccess | LoginRefused


def _find_player(session: Session, brand_code: str, email: str) -> tuple[BrandView, Player | None]:
    brand = brand_by_code(session, brand_code)
    player = session.scalars(
        select(Player).where(Player.brand_id == brand.id, Player.email == normalize_email(email))
    ).one_or_none()
    return brand, player


def _failed_login(
    session: Session,
    clock: Clock,
    player: Player | None,
    *,
    email: str,
    ip: str,
    reason: str,
) -> None:
    """Record a failed login (GLI-19 §2.8.8, with IP) and lock after too many (§2.5.3)."""
    now = clock.now()
    record_event(
        session,
        clock,
        actor="anonymous",
        action="player.login_failed",
        subject_type="player",
        subject_id=player.id if player else "unknown",
        after={"email": normalize_email(email), "ip": ip, "reason": reason},
    )
    if player is None or player.locked_at is not None:
        return
    rules = jurisdiction(player.jurisdiction)
    session.add(LoginFailure(player_id=player.id, ip=ip, occurred_at=now))
    session.flush()
    since = now - rules.login_lock_window
    if player.last_login_at is not None:
        since = max(since, player.last_login_at)
    failures = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.player_id == player.id, LoginFailure.occurred_at > since)
    )
    if failures is not None and failures >= rules.login_lock_attempts:
        player.locked_at = now
        player.updated_at = now
        record_event(
            session,
            clock,
            actor="system:login",
            action="player.locked",
            subject_type="player",
            subject_id=player.id,
            before={"locked": False},
            after={"locked": True, "failures": failures, "ip": ip},
            reason=f"{failures} failed logins within {rules.login_lock_window}",
        )
        publish(session, PlayerLocked(player_id=player.id, failures=failures), clock)


def _check_second_factor(player: Player, code: str, now: datetime, session: Session) -> bool:
    """A TOTP code (once only) or an unused recovery code. Marks what it used."""
    assert player.mfa_secret is not None
    step = verify_totp(player.mfa_secret, code, now, player.mfa_last_step)
    if step is not None:
        player.mfa_last_step = step
        return True
    recovery = session.scalars(
        select(MfaRecoveryCode).where(
            MfaRecoveryCode.player_id == player.id,
            MfaRecoveryCode.code_hash == recovery_code_digest(code),
            MfaRecoveryCode.used_at.is_(None),
        )
    ).first()
    if recovery is None:
        return False
    recovery.used_at = now
    return True


def _new_session(
    session: Session, clock: Clock, player: Player, *, ip: str, user_agent: str, mfa: bool
) -> tuple[str, PlayerSession]:
    now = clock.now()
    token, digest = new_token(PLAYER_TOKEN_PREFIX)
    row = PlayerSession(
        id=new_id("ses"),
        token_hash=digest,
        player_id=player.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + jurisdiction(player.jurisdiction).reauthentication_period,
        mfa_verified_at=now if mfa else None,
        ip=ip,
        user_agent=user_agent[:200],
    )
    session.add(row)
    return token, row


def login(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    brand_code: str,
    email: str,
    password: str,
    code: str | None,
    ip: str,
    user_agent: str,
    admission: LoginAdmission | None = None,
) -> LoginOutcome:
    """Log a player in (GLI-19 §2.5.3).

    A wrong email, a wrong password and a locked account all give the same
    ``auth.invalid_credentials`` after the same password-hashing work. Three failures within 30
    minutes (the jurisdiction's figures) lock the account; only an MFA unlock or an operator
    lifts the lock. A player with MFA also needs a code. On success the answer carries the
    previous login's time and IP.
    """
    _brand, player = _find_player(session, brand_code, email)
    password_ok = verify_password(hasher, player.password_hash if player else None, password)
    invalid = errors.InvalidCredentials(
        "The email or password is wrong, or the account is locked after repeated failures "
        "(unlock it with your authenticator code, or ask support)."
    )
    if player is None or not password_ok or player.locked_at is not None:
        reason = (
            "unknown_email"
            if player is None
            else "locked"
            if player.locked_at is not None
            else "wrong_password"
        )
        _failed_login(session, clock, player, email=email, ip=ip, reason=reason)
        return LoginRefused(invalid)
    if player.status == PlayerStatus.CLOSED.value:
        _failed_login(session, clock, player, email=email, ip=ip, reason="closed")
        return LoginRefused(invalid)
    if player.status == PlayerStatus.SUSPENDED.value:
        _failed_login(session, clock, player, email=email, ip=ip, reason="suspended")
        return LoginRefused(errors.AccountSuspended())
    now = clock.now()
    mfa_passed = False
    if player.mfa_enabled_at is not None:
        if not code:
            return LoginRefused(errors.MfaRequired("Send the code from your authenticator app."))
        if not _check_second_factor(player, code, now, session):
            _failed_login(session, clock, player, email=email, ip=ip, reason="wrong_mfa_code")
            return LoginRefused(errors.InvalidMfaCode())
        mfa_passed = True
    if admission is not None:
        refusal = admission(_player_view(player))
        if refusal is not None:
            return LoginRefused(refusal)
    previous = (player.last_login_at, player.last_login_ip)
    player.last_login_at = now
    player.last_login_ip = ip
    token, row = _new_session(session, clock, player, ip=ip, user_agent=user_agent, mfa=mfa_passed)
    session.flush()
    return LoginSuccess(
        token=token,
        session_id=row.id,
        player=_player_view(player),
        expires_at=row.expires_at,
        previous_login_at=previous[0],
        previous_login_ip=previous[1],
    )


@dataclass(frozen=True, slots=True)
class AuthenticatedPlayer:
    """The player behind a session token, as routes receive it."""

    player_id: str
    brand_id: str
    session_id: str
    jurisdiction: str
    mfa_verified_at: datetime | None
    cash_account_id: str = ""  # the player's cash ledger account, and its currency
    currency: str = ""


def authenticate_session(session: Session, clock: Clock, token: str) -> AuthenticatedPlayer:
    """The player of a live session, or why not (GLI-19 §2.5.4).

    A session ends when revoked (logout, revoke, password change, suspension), after the
    jurisdiction's inactivity timeout (30 minutes by default), and in any case after its full
    re-authentication period (30 days). Each use moves its inactivity clock.
    """
    found = authenticate_sessions(session, clock, [token])[0]
    if isinstance(found, DomainError):
        raise found
    return found


def authenticate_sessions(
    session: Session, clock: Clock, tokens: Sequence[str]
) -> list[AuthenticatedPlayer | DomainError]:
    """:func:`authenticate_session` for many tokens at once (a group commit of requests):
    one read of their sessions with their players, whatever their number. Each token
    gets its player or its refusal, in order; every live session's use moves its clock (one
    update for all of them, when the unit of work commits)."""
    return authenticate_sessions_with(session, clock, tokens, ())[0]


def authenticate_sessions_with(
    session: Session, clock: Clock, tokens: Sequence[str], also: Sequence[AnySelect]
) -> tuple[list[AuthenticatedPlayer | DomainError], list[list[Any]]]:
    """:func:`authenticate_sessions`, with the caller's reads ``also`` sent in the same
    round trip (``read_together``; they run after the sessions' read); returns their rows
    too, in order."""
    digests = [token_digest(token) for token in tokens]
    conn = session.connection()
    # Sent with read_together: a unit of work's first statement carries its BEGIN along.
    read, *extra = read_together(
        conn,
        [
            select(
                _sessions.c.id,
                _sessions.c.token_hash,
                _sessions.c.player_id,
                _sessions.c.last_seen_at,
                _sessions.c.expires_at,
                _sessions.c.revoked_at,
                _sessions.c.mfa_verified_at,
                Player.brand_id,
                Player.jurisdiction,
                Player.cash_account_id,
                Player.currency,
            )
            .join(Player, Player.id == _sessions.c.player_id)
            .where(one_of(conn, _sessions.c.token_hash, digests, name="digests")),
            *also,
        ],
    )
    rows = {row.token_hash: row for row in read}
    now = clock.now()
    found: list[AuthenticatedPlayer | DomainError] = []
    used: set[str] = set()
    for digest in digests:
        row = rows.get(digest)
        if row is None:
            found.append(NotAuthenticated("The session token is not valid."))
            continue
        refusal = _session_ended(row, jurisdiction(row.jurisdiction), now)
        if refusal is not None:
            found.append(refusal)
            continue
        used.add(row.id)
        found.append(
            AuthenticatedPlayer(
                player_id=row.player_id,
                brand_id=row.brand_id,
                session_id=row.id,
                jurisdiction=row.jurisdiction,
                mfa_verified_at=(
                    None if row.mfa_verified_at is None else row.mfa_verified_at.astimezone(UTC)
                ),
                cash_account_id=row.cash_account_id,
                currency=row.currency,
            )
        )
    if used:
        session.info.setdefault(_SESSIONS_USED, {}).update(dict.fromkeys(used, now))
    return found, extra


# The sessions' use is written when the unit of work commits, in one statement, as an ORM
# flush would: the session rows are not locked while the request runs (a slow endpoint would
# hold up the next request of the same session, and a batch of bets with it), and a read-only
# session, which never commits, moves nothing.
_SESSIONS_USED = "players.sessions_used"


@event.listens_for(Session, "before_commit")
def write_sessions_used(session: Session) -> None:
    """Write the use of the sessions this unit of work authenticated so far (one statement,
    nothing read back). Runs when the unit of work commits; a batch may call it earlier, to
    send it with writes of its own (the sportsbook's bets go in the ledger's pipeline)."""
    used: dict[str, datetime] | None = session.info.pop(_SESSIONS_USED, None)
    if not used:
        return
    conn = session.connection()
    ids = sorted(used)
    if run_on_driver(conn, _TOUCH_SESSIONS_POSTGRESQL, (ids, [used[sid] for sid in ids])):
        return  # one statement for all the sessions
    conn.execute(
        _TOUCH_SESSION, [{"session_id": sid, "seen": at} for sid, at in sorted(used.items())]
    )


_sessions = cast(Table, PlayerSession.__table__)
_TOUCH_SESSIONS_POSTGRESQL = """
UPDATE player_sessions AS s SET last_seen_at = u.seen
  FROM unnest(%b::varchar[], %b::timestamptz[]) AS u(id, seen)
 WHERE s.id = u.id
"""
_TOUCH_SESSION = (
    update(_sessions)
    .where(_sessions.c.id == bindparam("session_id"))
    .values(last_seen_at=bindparam("seen"))
)


def _session_ended(
    row: Row[Any], rules: Jurisdiction, now: datetime
) -> errors.SessionExpired | None:
    if row.revoked_at is not None:
        return errors.SessionExpired("The session was ended; log in again.", reason="revoked")
    if now >= row.expires_at:
        return errors.SessionExpired(
            f"Sessions last at most {rules.reauthentication_period.days} days; log in again.",
            reason="reauthentication",
        )
    if now - row.last_seen_at >= rules.inactivity_timeout:
        return errors.SessionExpired(
            f"The session was idle for more than {rules.inactivity_timeout}; log in again.",
            reason="inactivity",
        )
    return None


def session_started_at(session: Session, session_id: str) -> datetime:
    """When the login session began (reality checks count from it)."""
    row = session.get(PlayerSession, session_id)
    if row is None:
        raise errors.SessionNotFound(f"No session {session_id!r}.", session_id=session_id)
    return row.created_at


def minutes_logged_in(session: Session, player_id: str, since: datetime, until: datetime) -> int:
    """Minutes the player's sessions were in use between ``since`` and ``until`` (each from
    its login to its last request), for session-time limits."""
    rows = session.execute(
        select(PlayerSession.created_at, PlayerSession.last_seen_at).where(
            PlayerSession.player_id == player_id,
            PlayerSession.created_at < until,
            PlayerSession.last_seen_at > since,
        )
    ).all()
    seconds = sum(
        max(0.0, (min(last, until) - max(start, since)).total_seconds()) for start, last in rows
    )
    return int(seconds // 60)


def logout(session: Session, clock: Clock, auth: AuthenticatedPlayer) -> None:
    """End the current session."""
    revoke_session(session, clock, auth, auth.session_id, reason="logout")


@dataclass(frozen=True, slots=True)
class SessionView:
    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str
    user_agent: str
    current: bool


def list_sessions(session: Session, clock: Clock, auth: AuthenticatedPlayer) -> list[SessionView]:
    """The player's live sessions, newest first."""
    rules = jurisdiction(auth.jurisdiction)
    now = clock.now()
    rows = session.scalars(
        select(PlayerSession)
        .where(
            PlayerSession.player_id == auth.player_id,
            PlayerSession.revoked_at.is_(None),
            PlayerSession.expires_at > now,
            PlayerSession.last_seen_at > now - rules.inactivity_timeout,
        )
        .order_by(PlayerSession.created_at.desc(), PlayerSession.id.desc())
    )
    return [
        SessionView(
            r.id,
            r.created_at,
            r.last_seen_at,
            r.expires_at,
            r.ip,
            r.user_agent,
            current=r.id == auth.session_id,
        )
        for r in rows
    ]


def revoke_session(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, session_id: str, *, reason: str
) -> None:
    """End one of the player's own sessions."""
    row = session.get(PlayerSession, session_id)
    if row is None or row.player_id != auth.player_id:
        raise errors.SessionNotFound(f"No session {session_id!r}.", session_id=session_id)
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        row.revoked_reason = reason


def _revoke_all_sessions(
    session: Session, clock: Clock, player_id: str, *, reason: str, keep: str | None = None
) -> None:
    stmt = update(PlayerSession).where(
        PlayerSession.player_id == player_id, PlayerSession.revoked_at.is_(None)
    )
    if keep is not None:
        stmt = stmt.where(PlayerSession.id != keep)
    session.execute(stmt.values(revoked_at=clock.now(), revoked_reason=reason))


# -- MFA -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MfaEnrolment:
    secret: str
    otpauth_uri: str


def begin_mfa_enrolment(session: Session, clock: Clock, auth: AuthenticatedPlayer) -> MfaEnrolment:
    """Start TOTP enrolment: a new secret for the authenticator app, active once confirmed."""
    player = _player_in_scope(session, auth.player_id, auth.brand_id)
    if player.mfa_enabled_at is not None:
        raise errors.MfaAlreadyEnrolled()
    player.mfa_secret = new_totp_secret()
    player.mfa_last_step = None
    player.updated_at = clock.now()
    brand = get_brand(session, player.brand_id)
    return MfaEnrolment(
        player.mfa_secret, totp_uri(player.mfa_secret, f"{brand.code}:{player.email}")
    )


def confirm_mfa_enrolment(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, code: str
) -> list[str]:
    """Turn MFA on with a first valid code; returns the recovery codes (shown once)."""
    player = _player_in_scope(session, auth.player_id, auth.brand_id)
    if player.mfa_enabled_at is not None:
        raise errors.MfaAlreadyEnrolled()
    if player.mfa_secret is None:
        raise errors.MfaNotEnrolled("Start the enrolment first.")
    now = clock.now()
    step = verify_totp(player.mfa_secret, code, now, player.mfa_last_step)
    if step is None:
        raise errors.InvalidMfaCode()
    player.mfa_last_step = step
    player.mfa_enabled_at = now
    player.updated_at = now
    codes = new_recovery_codes()
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.player_id == player.id))
    session.add_all(
        MfaRecoveryCode(player_id=player.id, code_hash=recovery_code_digest(c)) for c in codes
    )
    _mark_step_up(session, clock, auth)
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.mfa_enabled",
        subject_type="player",
        subject_id=player.id,
        before={"mfa": False},
        after={"mfa": True},
    )
    session.flush()
    return codes


def _mark_step_up(session: Session, clock: Clock, auth: AuthenticatedPlayer) -> None:
    row = session.get(PlayerSession, auth.session_id)
    assert row is not None
    row.mfa_verified_at = clock.now()


def verify_step_up(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, code: str
) -> datetime:
    """Prove the second factor again in this session (step-up, GLI-19 §2.5.2); returns until
    when sensitive changes are allowed."""
    player = _player_in_scope(session, auth.player_id, auth.brand_id)
    if player.mfa_enabled_at is None or player.mfa_secret is None:
        raise errors.MfaNotEnrolled()
    if not _check_second_factor(player, code, clock.now(), session):
        raise errors.InvalidMfaCode()
    _mark_step_up(session, clock, auth)
    return clock.now() + STEP_UP_VALIDITY


def _require_step_up(session: Session, clock: Clock, auth: AuthenticatedPlayer) -> Player:
    player = _player_in_scope(session, auth.player_id, auth.brand_id)
    if player.mfa_enabled_at is None:
        raise errors.MfaNotEnrolled(
            "Changing credentials or payout details needs an authenticator app: set one up first."
        )
    row = session.get(PlayerSession, auth.session_id)
    assert row is not None
    if row.mfa_verified_at is None or clock.now() - row.mfa_verified_at > STEP_UP_VALIDITY:
        raise errors.StepUpRequired(
            "Confirm with your authenticator code (POST /api/v1/me/mfa/verify) first."
        )
    return player


def unlock_with_mfa(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    brand_code: str,
    email: str,
    password: str,
    code: str,
    ip: str,
) -> DomainError | None:
    """Lift a login lock with the password and a second factor (GLI-19 §2.5.3); None on
    success, else the error to answer (the same for every wrong credential)."""
    _brand, player = _find_player(session, brand_code, email)
    password_ok = verify_password(hasher, player.password_hash if player else None, password)
    if (
        player is None
        or not password_ok
        or player.mfa_enabled_at is None
        or not _check_second_factor(player, code, clock.now(), session)
    ):
        _failed_login(session, clock, player, email=email, ip=ip, reason="unlock_refused")
        return errors.InvalidCredentials("The credentials or the code are not valid.")
    _unlock(session, clock, player, actor=f"player:{player.id}", reason="unlocked with MFA")
    session.flush()
    return None


def reset_password_with_mfa(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    *,
    brand_code: str,
    email: str,
    code: str,
    new_password: str,
    ip: str,
) -> DomainError | None:
    """Set a new password proving the second factor instead of the old password (GLI-19
    §2.5.3: credential reset through MFA). Ends every session and lifts a lock."""
    _brand, player = _find_player(session, brand_code, email)
    if (
        player is None
        or player.mfa_enabled_at is None
        or not _check_second_factor(player, code, clock.now(), session)
    ):
        _failed_login(session, clock, player, email=email, ip=ip, reason="reset_refused")
        return errors.InvalidCredentials("The email or the code is not valid.")
    check_password_policy(new_password, personal=_personal_words(player))
    player.password_hash = hash_password(hasher, new_password)
    player.updated_at = clock.now()
    _revoke_all_sessions(session, clock, player.id, reason="password_reset")
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.password_reset",
        subject_type="player",
        subject_id=player.id,
        after={"ip": ip},
    )
    if player.locked_at is not None:
        _unlock(
            session, clock, player, actor=f"player:{player.id}", reason="password reset with MFA"
        )
    session.flush()
    return None


# -- profile ---------------------------------------------------------------------------------


def get_own_profile(session: Session, auth: AuthenticatedPlayer) -> PlayerView:
    return _player_view(_player_in_scope(session, auth.player_id, auth.brand_id))


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """What a player may change on their own. Name and birth date change only through
    support, after verification."""

    address_line: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None


def update_profile(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, changes: ProfileChanges
) -> PlayerView:
    """Change the player's address; audited with before and after (GLI-19 §2.8.8)."""
    player = _player_in_scope(session, auth.player_id, auth.brand_id)
    before = _personal_data(player)
    for name in ("address_line", "city", "postcode", "region"):
        value = getattr(changes, name)
        if value is not None:
            setattr(player, name, value.strip().upper() if name == "region" else value.strip())
    if changes.region is not None:
        place = jurisdiction_of_residence(player.country, player.region)
        if place.code != player.jurisdiction:
            raise InvalidRequest(
                "Moving to another jurisdiction needs support: your account stays where it is.",
                jurisdiction=place.code,
            )
    after = _personal_data(player)
    if after != before:
        player.person_key = person_key(player.legal_name, player.date_of_birth, player.postcode)
        player.updated_at = clock.now()
        _audit_personal_change(session, clock, player, before, after)
    session.flush()
    return _player_view(player)


def _audit_personal_change(
    session: Session, clock: Clock, player: Player, before: dict[str, Any], after: dict[str, Any]
) -> None:
    changed = sorted(k for k in after if after[k] != before.get(k))
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.personal_data_changed",
        subject_type="player",
        subject_id=player.id,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
    )
    publish(session, PlayerPersonalDataChanged(player_id=player.id, fields=changed), clock)


def correct_identity(
    session: Session,
    clock: Clock,
    player_id: str,
    *,
    legal_name: str | None,
    date_of_birth: date | None,
    reason: str,
    actor: str,
    brand_scope: str | None,
) -> PlayerView:
    """Staff correct a player's legal name or date of birth (after checking documents),
    with a reason; audited, and published so that screening and KYC look again."""
    if not reason.strip():
        raise InvalidRequest("Correcting an identity needs a reason.")
    if legal_name is None and date_of_birth is None:
        raise InvalidRequest("Give a legal name, a date of birth, or both.")
    player = _player_in_scope(session, player_id, brand_scope)
    today = clock.now().date()
    if date_of_birth is not None and (
        date_of_birth > today or age_on(date_of_birth, today) > OLDEST_PLAUSIBLE_AGE
    ):
        raise errors.InvalidDateOfBirth("The date of birth is in the future or implausible.")
    before = _personal_data(player)
    if legal_name is not None:
        player.legal_name = legal_name.strip()
    if date_of_birth is not None:
        player.date_of_birth = date_of_birth
    after = _personal_data(player)
    if after == before:
        return _player_view(player)
    player.person_key = person_key(player.legal_name, player.date_of_birth, player.postcode)
    player.updated_at = clock.now()
    changed = sorted(k for k in after if after[k] != before.get(k))
    record_event(
        session,
        clock,
        actor=actor,
        action="player.personal_data_changed",
        subject_type="player",
        subject_id=player.id,
        before={k: before.get(k) for k in changed},
        after={k: after[k] for k in changed},
        reason=reason,
    )
    publish(session, PlayerPersonalDataChanged(player_id=player.id, fields=changed), clock)
    session.flush()
    return _player_view(player)


def change_password(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    auth: AuthenticatedPlayer,
    *,
    current_password: str,
    new_password: str,
) -> None:
    """Change the password: needs the current one and a fresh step-up; ends other sessions."""
    player = _require_step_up(session, clock, auth)
    if not verify_password(hasher, player.password_hash, current_password):
        raise errors.InvalidCredentials("The current password is wrong.")
    check_password_policy(new_password, personal=_personal_words(player))
    player.password_hash = hash_password(hasher, new_password)
    player.updated_at = clock.now()
    _revoke_all_sessions(session, clock, player.id, reason="password_changed", keep=auth.session_id)
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.password_changed",
        subject_type="player",
        subject_id=player.id,
    )
    session.flush()


def change_email(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, new_email: str
) -> PlayerView:
    """Change the login email (step-up required); unique within the brand."""
    player = _require_step_up(session, clock, auth)
    email = normalize_email(new_email)
    if email == player.email:
        return _player_view(player)
    taken = session.scalar(
        select(Player.id).where(Player.brand_id == player.brand_id, Player.email == email)
    )
    if taken:
        raise errors.EmailTaken("Another account uses this email.")
    before = _personal_data(player)
    player.email = email
    player.updated_at = clock.now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise errors.EmailTaken("Another account uses this email.") from None
    _audit_personal_change(session, clock, player, before, _personal_data(player))
    return _player_view(player)


def _iban_is_valid(iban: str) -> bool:
    if not (
        15 <= len(iban) <= 34 and iban[:2].isalpha() and iban[2:4].isdigit() and iban.isalnum()
    ):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(c, 36)) for c in rearranged)
    return int(digits) % 97 == 1


def set_payout_details(
    session: Session, clock: Clock, auth: AuthenticatedPlayer, iban: str
) -> PlayerView:
    """Set the bank account payouts go to (step-up required, GLI-19 §2.5.2)."""
    player = _require_step_up(session, clock, auth)
    compact = iban.replace(" ", "").upper()
    if not _iban_is_valid(compact):
        raise InvalidRequest("This is not a valid IBAN.", field="iban")
    before = _masked(player.payout_details)
    player.payout_details = compact
    player.updated_at = clock.now()
    record_event(
        session,
        clock,
        actor=f"player:{player.id}",
        action="player.payout_details_changed",
        subject_type="player",
        subject_id=player.id,
        before={"payout_details": before},
        after={"payout_details": _masked(compact)},
    )
    session.flush()
    return _player_view(player)


# -- sandbox ---------------------------------------------------------------------------------


def create_sandbox_player(
    session: Session,
    clock: Clock,
    hasher: PasswordHasher,
    reg: Registration,
    *,
    balance: int,
    actor: str,
) -> PlayerView:
    """An active, verified player funded with ``balance`` ledger units from the sandbox
    funding account (for integrators; the caller refuses this in production)."""
    player = register_player(session, clock, hasher, reg)
    activate_player(session, clock, player.id, actor=actor, reason="sandbox player")
    if balance:
        funding = wallet_platform_account(
            session,
            clock,
            kind=AccountKind.SANDBOX_FUNDING,
            currency_code=reg.currency,
            name="sandbox",
        )
        create_transfers(
            session,
            clock,
            [
                NewTransfer(
                    id=f"sandbox:fund:{player.id}",
                    debit_account_id=funding.id,
                    credit_account_id=player.cash_account_id,
                    amount=balance,
                    code="sandbox_funding",
                )
            ],
        )[0].unwrap()
    return get_player(session, player.id, brand_scope=None)

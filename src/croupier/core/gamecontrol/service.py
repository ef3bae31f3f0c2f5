"""Game control (GLI-19 §2.4.1, §4.15): switching games off, and stake caps per game (the
RTP comparison of A.6 is in ``rtp.py``).

Staff disable one game, or every game of a provider, globally, for one brand or in one
jurisdiction; the kill switch disables all gaming (everywhere, for a brand or in a
jurisdiction). A game is refused if any control that applies to the player disables it. A
disabled game refuses *new* rounds only: a round already open finishes, its later stakes (a
double, a provider's next bet in the round) and its wins included (§4.15). Stake caps per game
hold in one jurisdiction and currency, beside the jurisdiction's caps per product that policy
applies (``may_bet``: the UK slot caps).

Products ask :func:`check_play` before every stake. It reads the controls that could apply in
one small query on the unique index (by provider and game, or the ``*`` wildcard): no cache, so
a switch in one process holds at once in every other. Every change is an audit record with the
acting person, before and after, and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple

from sqlalchemy import Connection, and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import errors
from croupier.core.gamecontrol.models import GameControl
from croupier.core.players import get_brand
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.db import AnySelect, one_of
from croupier.kernel.errors import DomainError
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import jurisdiction as jurisdiction_rules
from croupier.kernel.money import Money
from croupier.kernel.money import currency as currency_of

ALL: Final = "*"  # every provider, or every game of a provider
IN_HOUSE_PROVIDER: Final = "croupier"  # the in-house titles, by their codes
REASON_LENGTH: Final = (3, 500)
MAX_STAKE_CAP: Final = 2**63 - 1

_PROVIDER = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_GAME_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class Scope(StrEnum):
    GLOBAL = "global"
    BRAND = "brand"
    JURISDICTION = "jurisdiction"


class ControlKind(StrEnum):
    DISABLED = "disabled"
    STAKE_CAP = "stake_cap"


@dataclass(frozen=True, slots=True)
class GameControlView:
    id: str
    kind: ControlKind
    provider: str  # "*": all gaming (the kill switch)
    game_code: str  # "*": every game of the provider
    scope: Scope
    scope_value: str | None  # the brand id or jurisdiction code; None for global
    currency: str | None  # stake caps only
    max_stake: int | None  # stake caps only, ledger units
    reason: str
    changed_by: str
    changed_at: datetime


def _view(row: GameControl) -> GameControlView:
    return GameControlView(
        id=row.id,
        kind=ControlKind(row.kind),
        provider=row.provider,
        game_code=row.game_code,
        scope=Scope(row.scope),
        scope_value=row.scope_value or None,
        currency=row.currency or None,
        max_stake=row.max_stake,
        reason=row.reason,
        changed_by=row.changed_by,
        changed_at=row.changed_at,
    )


def _snapshot(view: GameControlView) -> dict[str, Any]:
    """What the audit trail keeps of a control."""
    return {
        "scope": view.scope.value,
        "scope_value": view.scope_value,
        "currency": view.currency,
        "max_stake": view.max_stake,
        "reason": view.reason,
    }


# -- checking input ----------------------------------------------------------------------------


def _check_game(provider: str, game_code: str) -> tuple[str, str]:
    if not _PROVIDER.fullmatch(provider) or not (
        game_code == ALL or _GAME_CODE.fullmatch(game_code)
    ):
        raise errors.InvalidGame(
            f"{provider!r} / {game_code!r} is not a provider name and a game code.",
            provider=provider,
            game_code=game_code,
        )
    return provider, game_code


def _check_place(session: Session, scope: str, value: str | None) -> tuple[Scope, str]:
    """The scope and its value as stored: a brand that exists, a jurisdiction of the rule base
    (``jurisdiction.unknown`` otherwise), nothing for global."""
    try:
        where = Scope(scope)
    except ValueError:
        raise errors.InvalidScope(
            f"No scope {scope!r}; scopes are {', '.join(Scope)}.", scope=scope
        ) from None
    if where is Scope.GLOBAL:
        if value:
            raise errors.InvalidScope("A global control takes no scope value.", scope=scope)
        return where, ""
    if not value:
        raise errors.InvalidScope(f"A {where.value} control needs a scope value.", scope=scope)
    if where is Scope.BRAND:
        return where, get_brand(session, value).id  # players.brand_not_found
    return where, jurisdiction_rules(value.strip().upper()).code


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    low, high = REASON_LENGTH
    if not low <= len(reason) <= high or not reason.isprintable():
        raise errors.ReasonRequired(f"Give a reason of {low} to {high} printable characters.")
    return reason


def _check_cap(max_stake: object) -> int:
    if (
        isinstance(max_stake, bool)
        or not isinstance(max_stake, int)
        or not 0 < max_stake <= MAX_STAKE_CAP
    ):
        raise errors.InvalidStakeCap(f"{max_stake!r} is not a positive number of ledger units.")
    return max_stake


# -- controls ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Key:
    """What makes a control unique: the columns of ``uq_game_controls_...``."""

    kind: ControlKind
    provider: str
    game_code: str
    scope: Scope
    scope_value: str
    currency: str = ""

    def find(self, session: Session, *, lock: bool = False) -> GameControl | None:
        query = select(GameControl).where(
            GameControl.kind == self.kind.value,
            GameControl.provider == self.provider,
            GameControl.game_code == self.game_code,
            GameControl.scope == self.scope.value,
            GameControl.scope_value == self.scope_value,
            GameControl.currency == self.currency,
        )
        return session.scalars(query.with_for_update() if lock else query).one_or_none()

    @property
    def subject_id(self) -> str:
        return f"{self.provider}/{self.game_code}"


def _disabling(
    session: Session, game: tuple[str, str] | None, scope: str, scope_value: str | None
) -> _Key:
    """The key of a game's disabling (``game`` None: all gaming, the kill switch)."""
    provider, game_code = _check_game(*game) if game is not None else (ALL, ALL)
    where, value = _check_place(session, scope, scope_value)
    return _Key(ControlKind.DISABLED, provider, game_code, where, value)


def _capping(
    session: Session, provider: str, game_code: str, jurisdiction: str, currency: str
) -> _Key:
    """The key of a game's stake cap in a jurisdiction and currency."""
    provider, game_code = _check_game(provider, game_code)
    _, where = _check_place(session, Scope.JURISDICTION, jurisdiction)
    currency_of(currency)  # money.unknown_currency
    return _Key(ControlKind.STAKE_CAP, provider, game_code, Scope.JURISDICTION, where, currency)


def _action(key: _Key, verb: str) -> str:
    if key.kind is ControlKind.STAKE_CAP:
        return f"gamecontrol.stake_cap_{verb}"  # set, removed
    if key.provider == ALL:
        return "gamecontrol.gaming_suspended" if verb == "set" else "gamecontrol.gaming_resumed"
    return "gamecontrol.game_disabled" if verb == "set" else "gamecontrol.game_enabled"


def _insert(
    session: Session,
    clock: Clock,
    key: _Key,
    *,
    max_stake: int | None,
    reason: str,
    actor: str,
) -> GameControlView | None:
    """Add the control (audited); None when another transaction added it at the same moment."""
    row = GameControl(
        id=new_id("gct"),
        kind=key.kind.value,
        provider=key.provider,
        game_code=key.game_code,
        scope=key.scope.value,
        scope_value=key.scope_value,
        currency=key.currency,
        max_stake=max_stake,
        reason=reason,
        changed_by=actor,
        changed_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    view = _view(row)
    record_event(
        session,
        clock,
        actor=actor,
        action=_action(key, "set"),
        subject_type="game",
        subject_id=key.subject_id,
        after=_snapshot(view),
        reason=reason,
    )
    return view


def _switch_off(
    session: Session, clock: Clock, key: _Key, *, reason: str, actor: str
) -> GameControlView:
    """Disable (idempotent: a game disabled there already stays as it is, unaudited)."""
    existing = key.find(session)
    if existing is not None:
        return _view(existing)
    added = _insert(session, clock, key, max_stake=None, reason=reason, actor=actor)
    if added is not None:
        return added
    raced = key.find(session)
    assert raced is not None
    return _view(raced)


def _lift(session: Session, clock: Clock, key: _Key, *, reason: str, actor: str) -> GameControlView:
    """Remove the control in force (audited); ``gamecontrol.control_not_found`` if there is
    none, so that a mistyped scope is noticed rather than silently doing nothing."""
    row = key.find(session, lock=True)
    if row is None:
        place = f"{key.scope.value} {key.scope_value}".strip()
        raise errors.ControlNotFound(
            f"No {key.kind.value} control of {key.subject_id} is in force at {place}.",
            provider=key.provider,
            game_code=key.game_code,
            scope=key.scope.value,
            scope_value=key.scope_value or None,
        )
    view = _view(row)
    session.execute(delete(GameControl).where(GameControl.id == row.id))
    record_event(
        session,
        clock,
        actor=actor,
        action=_action(key, "removed"),
        subject_type="game",
        subject_id=key.subject_id,
        before=_snapshot(view),
        reason=reason,
    )
    return view


def disable_game(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    game_code: str,
    scope: str,
    scope_value: str | None = None,
    reason: str,
    actor: str,
) -> GameControlView:
    """Disable a game (``game_code`` ``*``: every game of the provider) globally, for a brand
    or in a jurisdiction (GLI-19 §2.4.1). New rounds are refused; open ones finish (§4.15).
    Disabling it again where it is disabled already changes nothing."""
    key = _disabling(session, (provider, game_code), scope, scope_value)
    return _switch_off(session, clock, key, reason=_check_reason(reason), actor=actor)


def enable_game(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    game_code: str,
    scope: str,
    scope_value: str | None = None,
    reason: str,
    actor: str,
) -> GameControlView:
    """Lift the disabling of a game at exactly this scope (other scopes stay in force);
    answers the control lifted."""
    key = _disabling(session, (provider, game_code), scope, scope_value)
    return _lift(session, clock, key, reason=_check_reason(reason), actor=actor)


def suspend_gaming(
    session: Session,
    clock: Clock,
    *,
    scope: str = Scope.GLOBAL,
    scope_value: str | None = None,
    reason: str,
    actor: str,
) -> GameControlView:
    """The kill switch (GLI-19 §2.4.1): no new round of any game starts, everywhere or for one
    brand or jurisdiction; open rounds finish (§4.15)."""
    key = _disabling(session, None, scope, scope_value)
    return _switch_off(session, clock, key, reason=_check_reason(reason), actor=actor)


def resume_gaming(
    session: Session,
    clock: Clock,
    *,
    scope: str = Scope.GLOBAL,
    scope_value: str | None = None,
    reason: str,
    actor: str,
) -> GameControlView:
    """Release the kill switch at this scope; answers the control lifted."""
    key = _disabling(session, None, scope, scope_value)
    return _lift(session, clock, key, reason=_check_reason(reason), actor=actor)


def set_stake_cap(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    game_code: str,
    jurisdiction_code: str,
    currency_code: str,
    max_stake: int,
    reason: str,
    actor: str,
) -> GameControlView:
    """Cap the stake of a game (``*``: every game of the provider) in one jurisdiction and
    currency, in ledger units; replaces the cap there (audited with before and after). It
    applies beside the jurisdiction's own caps (the UK slot caps of ``may_bet``)."""
    key = _capping(session, provider, game_code, jurisdiction_code, currency_code)
    cap = _check_cap(max_stake)
    reason = _check_reason(reason)
    row = key.find(session, lock=True)
    if row is None:
        added = _insert(session, clock, key, max_stake=cap, reason=reason, actor=actor)
        if added is not None:
            return added
        row = key.find(session, lock=True)  # set at the same moment: replace it
        assert row is not None
    before = _snapshot(_view(row))
    if row.max_stake == cap:
        return _view(row)
    row.max_stake, row.reason, row.changed_by, row.changed_at = cap, reason, actor, clock.now()
    session.flush()
    view = _view(row)
    record_event(
        session,
        clock,
        actor=actor,
        action=_action(key, "set"),
        subject_type="game",
        subject_id=key.subject_id,
        before=before,
        after=_snapshot(view),
        reason=reason,
    )
    return view


def remove_stake_cap(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    game_code: str,
    jurisdiction_code: str,
    currency_code: str,
    reason: str,
    actor: str,
) -> GameControlView:
    """Remove a game's stake cap in a jurisdiction and currency; answers the cap removed."""
    key = _capping(session, provider, game_code, jurisdiction_code, currency_code)
    return _lift(session, clock, key, reason=_check_reason(reason), actor=actor)


def list_controls(session: Session, *, provider: str | None = None) -> list[GameControlView]:
    """Every control in force (of ``provider``'s games, and the kill switches, if given)."""
    query = select(GameControl)
    if provider is not None:
        query = query.where(GameControl.provider.in_((provider, ALL)))
    rows = session.scalars(
        query.order_by(
            GameControl.provider,
            GameControl.game_code,
            GameControl.kind,
            GameControl.scope,
            GameControl.scope_value,
            GameControl.currency,
        )
    )
    return [_view(r) for r in rows]


@dataclass(frozen=True, slots=True)
class PlayCheck:
    """One stake (or launch) to judge: see :func:`check_play` for the fields."""

    provider: str
    game_code: str
    brand_id: str
    jurisdiction: str
    currency: str
    stake: int | None
    new_round: bool


def check_play(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    game_code: str,
    brand_id: str,
    jurisdiction: str,
    currency: str,
    stake: int | None,
    new_round: bool,
) -> None:
    """Refuse a stake that game control forbids; the products call it before every stake.

    A new round (``new_round``) is refused while the kill switch or a disabling of the game
    applies to the player's brand or jurisdiction, or globally: ``gamecontrol.gaming_suspended``
    or ``gamecontrol.game_disabled``. A stake in a round already open is not (GLI-19 §4.15: the
    round finishes). Any stake above the game's cap in the player's jurisdiction and currency
    is ``gamecontrol.stake_above_game_cap``. ``stake`` None checks only whether the game may
    start (a launch). One indexed query; nothing is cached, so a switch holds at once
    everywhere.
    """
    check = PlayCheck(provider, game_code, brand_id, jurisdiction, currency, stake, new_round)
    refusal = check_plays(session, clock, [check])[0]
    if refusal is not None:
        raise refusal


def check_plays(
    session: Session,
    clock: Clock,  # noqa: ARG001 (every policy check takes the clock)
    checks: Sequence[PlayCheck],
) -> list[DomainError | None]:
    """:func:`check_play` for many stakes at once (a batch of wallet calls): one query for
    all of them, then each judged on the controls that apply to it; one refusal or None per
    check, in order."""
    if not checks:
        return []
    conn = session.connection()
    return judge_plays(checks, conn.execute(controls_query(conn, checks)).all())


_CONTROL_COLUMNS = (
    GameControl.kind,
    GameControl.provider,
    GameControl.game_code,
    GameControl.scope,
    GameControl.scope_value,
    GameControl.currency,
    GameControl.max_stake,
)


class _Control(NamedTuple):
    kind: str
    provider: str
    game_code: str
    scope: str
    scope_value: str
    currency: str
    max_stake: int | None


def controls_query(conn: Connection, checks: Sequence[PlayCheck]) -> AnySelect:
    """The game controls that may apply to any of these checks, for :func:`judge_plays`
    (a caller that reads them together with other rows); its text does not depend on the
    number of checks on PostgreSQL."""
    c = GameControl
    return select(*_CONTROL_COLUMNS).where(
        one_of(conn, c.provider, {k.provider for k in checks} | {ALL}, name="gc_providers"),
        one_of(conn, c.game_code, {k.game_code for k in checks} | {ALL}, name="gc_games"),
        one_of(conn, c.currency, {k.currency for k in checks} | {""}, name="gc_currencies"),
        or_(
            c.scope == Scope.GLOBAL.value,
            and_(
                c.scope == Scope.BRAND.value,
                one_of(conn, c.scope_value, {k.brand_id for k in checks}, name="gc_brands"),
            ),
            and_(
                c.scope == Scope.JURISDICTION.value,
                one_of(
                    conn, c.scope_value, {k.jurisdiction for k in checks}, name="gc_jurisdictions"
                ),
            ),
        ),
    )


def judge_plays(
    checks: Sequence[PlayCheck], rows: Iterable[Sequence[Any]]
) -> list[DomainError | None]:
    """Each check judged on the rows of :func:`controls_query`: a refusal or None, in
    order."""
    controls = [_Control(*row) for row in rows]
    return [_judge(c, controls) for c in checks]


def _judge(check: PlayCheck, rows: Sequence[_Control]) -> DomainError | None:
    scopes = {
        (Scope.GLOBAL.value, ""),
        (Scope.BRAND.value, check.brand_id),
        (Scope.JURISDICTION.value, check.jurisdiction),
    }
    applying = [
        r
        for r in rows
        if r.provider in (check.provider, ALL)
        and r.game_code in (check.game_code, ALL)
        and (r.scope, r.scope_value) in scopes
        and r.currency in ("", check.currency)
    ]
    disabled = [r for r in applying if r.kind == ControlKind.DISABLED.value]
    if check.new_round and disabled:
        where = sorted({r.scope for r in disabled})
        if any(r.provider == ALL for r in disabled):
            return errors.GamingSuspended("No new game can start now.", scope=where)
        return errors.GameDisabled(
            f"{check.game_code} is disabled: no new round can start.",
            game_code=check.game_code,
            scope=where,
        )
    caps = [r.max_stake for r in applying if r.kind == ControlKind.STAKE_CAP.value]
    if check.stake is not None and caps:
        cap = min(c for c in caps if c is not None)
        if check.stake > cap:
            return errors.StakeAboveGameCap(
                f"The most you may stake on {check.game_code} is {Money(cap, check.currency)}.",
                cap=cap,
            )
    return None

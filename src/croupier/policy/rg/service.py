"""Responsible gaming: player-set limits with cooling-off, time-outs and self-exclusion.

Rules come from the player's jurisdiction (``kernel.jurisdictions``): the limit periods on
offer, how long a raise waits (GB and MT 24 hours; SE 72 hours and not before the current
period ends), the time-out range, the self-exclusion periods, and whether an expired
self-exclusion lifts itself. Usage is read from the ledger by transfer code: ``deposit``
credits, ``bet`` debits and ``win`` credits of the player's cash account.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import Row, and_, bindparam, select
from sqlalchemy.orm import Session

from croupier.core.players import (
    PLAYER_VIEW_COLUMNS,
    PlayerView,
    end_self_exclusion,
    get_player,
    mark_self_excluded,
    minutes_logged_in,
    player_view_of_row,
    session_started_at,
)
from croupier.core.players.models import Player
from croupier.core.wallet import sum_posted, sums_posted
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.errors import InvalidRequest
from croupier.kernel.events import publish
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import Jurisdiction, LimitKind, LimitPeriod, jurisdiction
from croupier.kernel.money import MAX_AMOUNT
from croupier.policy.rg import errors
from croupier.policy.rg.events import LimitIncreaseRequested
from croupier.policy.rg.models import (
    RgExclusion,
    RgLimit,
    RgRealityCheck,
    RgRealityCheckSetting,
)

# A self-exclusion that does not lift itself ends this long after the player asks (UKGC
# LCCP SR 3.5.3: positive action, then a one-day cooling-off).
SELF_EXCLUSION_END_COOLING_OFF = timedelta(hours=24)
MONEY_LIMITS = (LimitKind.DEPOSIT, LimitKind.LOSS, LimitKind.WAGER)
ALL_LIMITS = (*MONEY_LIMITS, LimitKind.SESSION_TIME)
_PERIOD_MINUTES = {
    LimitPeriod.DAY: 24 * 60,
    LimitPeriod.WEEK: 7 * 24 * 60,
    LimitPeriod.MONTH: 31 * 24 * 60,
}
DEPOSIT_CODES = ("deposit",)
BET_CODES = ("bet",)
WIN_CODES = ("win",)


class ExclusionKind(StrEnum):
    TIMEOUT = "timeout"
    SELF_EXCLUSION = "self_exclusion"


# -- periods ---------------------------------------------------------------------------------


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _step(moment: datetime, period: LimitPeriod, count: int) -> datetime:
    if period is LimitPeriod.MONTH:
        return _add_months(moment, count)
    return moment + count * (
        timedelta(hours=24) if period is LimitPeriod.DAY else timedelta(days=7)
    )


def period_bounds(
    anchor: datetime, period: LimitPeriod, now: datetime
) -> tuple[datetime, datetime]:
    """The anchored period that contains ``now``: [start, end)."""
    if period is LimitPeriod.MONTH:
        months = (now.year - anchor.year) * 12 + now.month - anchor.month
        start = _add_months(anchor, months)
        if start > now:
            months -= 1
            start = _add_months(anchor, months)
        return start, _add_months(anchor, months + 1)
    length = timedelta(hours=24) if period is LimitPeriod.DAY else timedelta(days=7)
    count = (now - anchor) // length
    start = anchor + count * length
    return start, start + length


# -- limits ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitView:
    kind: LimitKind
    period: LimitPeriod
    amount: int
    used: int
    remaining: int
    period_started_at: datetime
    period_ends_at: datetime
    pending_amount: int | None
    pending_effective_at: datetime | None
    set_by: str = "player"


def _rules(player: PlayerView) -> Jurisdiction:
    return jurisdiction(player.jurisdiction)


class _LimitRow(NamedTuple):
    kind: str
    period: str
    amount: int
    anchor_at: datetime
    pending_amount: int | None
    pending_effective_at: datetime | None
    set_by: str


class _ExclusionRow(NamedTuple):
    id: str
    kind: str
    starts_at: datetime
    ends_at: datetime | None
    end_requested_at: datetime | None
    ended_at: datetime | None


def _view(
    session: Session, player: PlayerView, row: RgLimit | Row[Any] | _LimitRow, now: datetime
) -> LimitView:
    return _views(session, player, [row], now)[0]


def _limit_view(
    row: RgLimit | Row[Any] | _LimitRow, start: datetime, end: datetime, used: int
) -> LimitView:
    return LimitView(
        kind=LimitKind(row.kind),
        period=LimitPeriod(row.period),
        amount=row.amount,
        used=used,
        remaining=max(0, row.amount - used),
        period_started_at=start,
        period_ends_at=end,
        pending_amount=row.pending_amount,
        pending_effective_at=row.pending_effective_at,
        set_by=row.set_by,
    )


def _views(
    session: Session,
    player: PlayerView,
    limits: Sequence[RgLimit | Row[Any] | _LimitRow],
    now: datetime,
) -> list[LimitView]:
    """Limits with what their current periods have used: gross deposits, total stakes, net
    losses (stakes minus wins, never below zero) from the ledger, all in one statement, or
    minutes logged in."""
    until = now + timedelta(microseconds=1)
    starts = [period_bounds(r.anchor_at, LimitPeriod(r.period), now) for r in limits]
    windows: dict[tuple[str, tuple[str, ...], datetime], int] = {}
    for row, (start, _end) in zip(limits, starts, strict=True):
        for side, codes in _USAGE_WINDOWS.get(LimitKind(row.kind), ()):
            windows.setdefault((side, codes, start), len(windows))
    sums = sums_posted(session, player.cash_account_id, list(windows), until=until)
    views = []
    for row, (start, end) in zip(limits, starts, strict=True):
        kind = LimitKind(row.kind)
        if kind is LimitKind.SESSION_TIME:
            used = minutes_logged_in(session, player.id, start, until)
        else:
            parts = [sums[windows[(side, codes, start)]] for side, codes in _USAGE_WINDOWS[kind]]
            used = max(0, parts[0] - parts[1]) if kind is LimitKind.LOSS else parts[0]
        views.append(_limit_view(row, start, end, used))
    return views


# What each money limit counts: the side of the player's cash account and the transfer
# codes; a loss is stakes minus wins.
_USAGE_WINDOWS: dict[LimitKind, tuple[tuple[str, tuple[str, ...]], ...]] = {
    LimitKind.DEPOSIT: (("credit", DEPOSIT_CODES),),
    LimitKind.WAGER: (("debit", BET_CODES),),
    LimitKind.LOSS: (("debit", BET_CODES), ("credit", WIN_CODES)),
}


def list_limits(session: Session, clock: Clock, player_id: str) -> list[LimitView]:
    """The player's limits with what each period has used so far."""
    return limits_of(session, clock, get_player(session, player_id, brand_scope=None))


def limits_of(
    session: Session,
    clock: Clock,
    player: PlayerView,
    kinds: tuple[LimitKind, ...] = ALL_LIMITS,
) -> list[LimitView]:
    """The player's limits of ``kinds``, each with its usage (read only for those kinds)."""
    # Rows straight from the connection: no ORM objects on the decision path.
    rows = session.connection().execute(
        _LIMITS_OF_PLAYER, {"player_id": player.id, "kinds": [k.value for k in kinds]}
    )
    return [_view(session, player, r, clock.now()) for r in rows]


# Built once: decisions read these on every bet (statement construction showed in profiles).
_LIMITS_OF_PLAYER = (
    select(RgLimit.__table__)
    .where(
        RgLimit.player_id == bindparam("player_id"),
        RgLimit.kind.in_(bindparam("kinds", expanding=True)),
    )
    .order_by(RgLimit.kind, RgLimit.period, RgLimit.set_by)
)
_OPEN_EXCLUSIONS = (
    select(RgExclusion.__table__)
    .where(RgExclusion.player_id == bindparam("player_id"), RgExclusion.ended_at.is_(None))
    .order_by(RgExclusion.starts_at)
)


def _limit_row(
    session: Session, player_id: str, kind: LimitKind, period: LimitPeriod, *, set_by: str
) -> RgLimit | None:
    """The player's limit of ``kind`` over ``period`` set by the player or the operator."""
    return session.scalars(
        select(RgLimit).where(
            RgLimit.player_id == player_id,
            RgLimit.kind == kind.value,
            RgLimit.period == period.value,
            RgLimit.set_by == set_by,
        )
    ).one_or_none()


def set_limit(
    session: Session,
    clock: Clock,
    player_id: str,
    kind: LimitKind,
    period: LimitPeriod,
    amount: int,
    *,
    actor: str,
) -> LimitView:
    """Set, lower or ask to raise a limit (GLI-19 A.3.7, UKGC RTS 12).

    A new limit and a lower one apply at once. A higher one waits for the jurisdiction's
    cooling-off (and, where it says so, for the current period to end), then for the
    player's confirmation (:func:`confirm_limit_increase`).
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise errors.InvalidLimit("A limit is a positive whole number of ledger units.")
    if kind is LimitKind.SESSION_TIME and amount > _PERIOD_MINUTES[period]:
        raise errors.InvalidLimit(
            f"A session-time limit is in minutes, at most {_PERIOD_MINUTES[period]} for {period}."
        )
    player = get_player(session, player_id, brand_scope=None)
    rules = _rules(player)
    if period not in rules.limit_periods:
        raise errors.PeriodNotOffered(
            f"{rules.name} offers limits over {', '.join(sorted(rules.limit_periods))}.",
            period=period.value,
        )
    now = clock.now()
    row = _limit_row(session, player_id, kind, period, set_by="player")
    audit: dict[str, object] = {"kind": kind.value, "period": period.value}
    before: dict[str, object] | None
    if row is None:
        row = RgLimit(
            id=new_id("lim"),
            player_id=player_id,
            kind=kind.value,
            period=period.value,
            set_by="player",
            amount=amount,
            anchor_at=now,
            updated_at=now,
        )
        session.add(row)
        action, before, after = "rg.limit_set", None, audit | {"amount": amount}
    elif amount <= row.amount:
        before = audit | {"amount": row.amount, "pending_amount": row.pending_amount}
        row.amount = amount
        row.pending_amount = row.pending_requested_at = row.pending_effective_at = None
        row.updated_at = now
        action, after = "rg.limit_decreased", audit | {"amount": amount}
    else:
        effective = now + rules.limit_increase_cooling_off
        if rules.limit_increase_waits_for_period_end:
            effective = max(effective, period_bounds(row.anchor_at, period, now)[1])
        before = audit | {"amount": row.amount}
        row.pending_amount = amount
        row.pending_requested_at = now
        row.pending_effective_at = effective
        row.updated_at = now
        action = "rg.limit_increase_requested"
        publish(
            session,
            LimitIncreaseRequested(
                player_id=player_id, kind=kind.value, period=period.value, amount=amount
            ),
            clock,
        )
        after = audit | {"amount": row.amount, "pending_amount": amount, "effective_at": effective}
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action=action,
        subject_type="player",
        subject_id=player_id,
        before=before,
        after=after,
    )
    return _view(session, player, row, now)


def confirm_limit_increase(
    session: Session,
    clock: Clock,
    player_id: str,
    kind: LimitKind,
    period: LimitPeriod,
    *,
    actor: str,
) -> LimitView:
    """Apply a requested raise once its cooling-off has passed, on the player's confirmation."""
    player = get_player(session, player_id, brand_scope=None)
    row = _limit_row(session, player_id, kind, period, set_by="player")
    if row is None or row.pending_amount is None or row.pending_effective_at is None:
        raise errors.NoPendingChange()
    now = clock.now()
    if now < row.pending_effective_at:
        raise errors.CoolingOff(
            f"The new limit can be confirmed from {row.pending_effective_at.isoformat()}.",
            effective_at=row.pending_effective_at.isoformat(),
        )
    before = row.amount
    row.amount = row.pending_amount
    row.pending_amount = row.pending_requested_at = row.pending_effective_at = None
    row.updated_at = now
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.limit_increased",
        subject_type="player",
        subject_id=player_id,
        before={"kind": kind.value, "period": period.value, "amount": before},
        after={"kind": kind.value, "period": period.value, "amount": row.amount},
    )
    session.flush()
    return _view(session, player, row, now)


# -- time-outs and self-exclusion ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExclusionView:
    id: str
    kind: ExclusionKind
    starts_at: datetime
    ends_at: datetime | None
    end_requested_at: datetime | None
    in_force: bool


def _in_force(
    row: RgExclusion | Row[Any] | _ExclusionRow, rules: Jurisdiction, now: datetime
) -> bool:
    if row.ended_at is not None and row.ended_at <= now:
        return False
    if row.kind == ExclusionKind.TIMEOUT.value:
        return row.ends_at is None or now < row.ends_at
    if row.ends_at is not None and now >= row.ends_at and rules.self_exclusion_lifted_automatically:
        return False
    if row.end_requested_at is not None:
        return now < row.end_requested_at + SELF_EXCLUSION_END_COOLING_OFF
    return True


def _exclusion_view(
    row: RgExclusion | Row[Any] | _ExclusionRow, rules: Jurisdiction, now: datetime
) -> ExclusionView:
    return ExclusionView(
        id=row.id,
        kind=ExclusionKind(row.kind),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        end_requested_at=row.end_requested_at,
        in_force=_in_force(row, rules, now),
    )


def exclusions_in_force(session: Session, clock: Clock, player: PlayerView) -> list[ExclusionView]:
    """The player's time-outs and self-exclusions in force now."""
    rules = _rules(player)
    now = clock.now()
    rows = session.connection().execute(_OPEN_EXCLUSIONS, {"player_id": player.id})
    return [v for v in (_exclusion_view(r, rules, now) for r in rows) if v.in_force]


@dataclass(frozen=True, slots=True)
class GamingState:
    """What a deposit or bet decision needs of a player, read in one statement."""

    player: PlayerView
    exclusions: list[ExclusionView]  # the time-outs and self-exclusions in force now
    limits: list[LimitView]  # limits of the kinds asked for, each with its usage
    reality_check_minutes: int | None  # the interval in force (jurisdiction's or player's)


@dataclass(frozen=True, slots=True)
class PolicyRows:
    """A player's rows that decisions read, as stored: nothing of the clock applied, so a
    process may keep them (``compliance.PolicyCache``) until one of them changes."""

    player: PlayerView
    exclusions: tuple[_ExclusionRow, ...]  # not ended, by start
    limits: tuple[_LimitRow, ...]  # every kind, by (kind, period, set_by)
    rc_interval_minutes: int | None  # the player's own reality-check interval


def read_policy_rows(session: Session, player_id: str) -> PolicyRows:
    """The player, their open exclusions, all their limits and their reality-check setting,
    in one statement (the player outer-joined to the rest): on PostgreSQL every statement is
    a round trip, and a policy decision runs before every bet. Raises ``PlayerNotFound``
    like ``get_player``."""
    rows: Sequence[Any] = session.connection().execute(_POLICY_ROWS, {"player_id": player_id}).all()
    if not rows:
        return PolicyRows(get_player(session, player_id, brand_scope=None), (), (), None)
    exclusions: dict[str, _ExclusionRow] = {}
    limits: dict[tuple[str, str, str], _LimitRow] = {}
    for r in rows:
        if r.x_id is not None:
            exclusions[r.x_id] = _ExclusionRow(
                r.x_id, r.x_kind, r.x_starts_at, r.x_ends_at, r.x_end_requested_at, None
            )
        if r.l_kind is not None:
            limits[(r.l_kind, r.l_period, r.l_set_by)] = _LimitRow(
                r.l_kind,
                r.l_period,
                r.l_amount,
                r.l_anchor_at,
                r.l_pending_amount,
                r.l_pending_effective_at,
                r.l_set_by,
            )
    return PolicyRows(
        player_view_of_row(rows[0]),
        tuple(sorted(exclusions.values(), key=lambda x: x.starts_at)),
        tuple(limits[key] for key in sorted(limits)),
        rows[0].rc_interval_minutes,
    )


def gaming_state(
    session: Session,
    clock: Clock,
    player_id: str,
    kinds: tuple[LimitKind, ...],
    *,
    rows: PolicyRows | None = None,
) -> GamingState:
    """The player, their exclusions in force and their limits of ``kinds`` with usage, from
    ``rows`` (a cached read) or read now. Usage is read only for the limits of ``kinds``.
    Raises ``PlayerNotFound`` like ``get_player``.
    """
    if rows is None:
        rows = read_policy_rows(session, player_id)
    player = rows.player
    rules = _rules(player)
    now = clock.now()
    in_force = [v for v in (_exclusion_view(x, rules, now) for x in rows.exclusions) if v.in_force]
    views = _views(session, player, [r for r in rows.limits if LimitKind(r.kind) in kinds], now)
    interval = effective_reality_check_minutes(rules, rows.rc_interval_minutes)
    return GamingState(player, in_force, views, interval)


_x = RgExclusion.__table__.alias("x")
_l = RgLimit.__table__.alias("l")
_rc = RgRealityCheckSetting.__table__.alias("rc")
_players = Player.__table__
# Built once: statement construction showed in the decision profiles.
_POLICY_ROWS = (
    select(
        *PLAYER_VIEW_COLUMNS,
        _x.c.id.label("x_id"),
        _x.c.kind.label("x_kind"),
        _x.c.starts_at.label("x_starts_at"),
        _x.c.ends_at.label("x_ends_at"),
        _x.c.end_requested_at.label("x_end_requested_at"),
        _l.c.kind.label("l_kind"),
        _l.c.period.label("l_period"),
        _l.c.set_by.label("l_set_by"),
        _l.c.amount.label("l_amount"),
        _l.c.anchor_at.label("l_anchor_at"),
        _l.c.pending_amount.label("l_pending_amount"),
        _l.c.pending_effective_at.label("l_pending_effective_at"),
        _rc.c.interval_minutes.label("rc_interval_minutes"),
    )
    .select_from(
        _players.outerjoin(_rc, _rc.c.player_id == _players.c.id)
        .outerjoin(_x, and_(_x.c.player_id == _players.c.id, _x.c.ended_at.is_(None)))
        .outerjoin(_l, _l.c.player_id == _players.c.id)
    )
    .where(_players.c.id == bindparam("player_id"))
)


def take_timeout(
    session: Session, clock: Clock, player_id: str, duration: timedelta, *, actor: str
) -> ExclusionView:
    """A break from gambling, in force at once and ending on time (UKGC: 24 hours to 6
    weeks; the jurisdiction's range). It cannot be shortened."""
    player = get_player(session, player_id, brand_scope=None)
    rules = _rules(player)
    shortest = timedelta(hours=rules.timeout_min_hours)
    longest = timedelta(days=rules.timeout_max_days)
    if not shortest <= duration <= longest:
        raise errors.InvalidExclusionPeriod(
            f"{rules.name} offers time-outs from {shortest} to {longest}.",
            shortest_hours=rules.timeout_min_hours,
            longest_days=rules.timeout_max_days,
        )
    now = clock.now()
    row = RgExclusion(
        id=new_id("exc"),
        player_id=player_id,
        kind=ExclusionKind.TIMEOUT.value,
        starts_at=now,
        ends_at=now + duration,
    )
    session.add(row)
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.timeout_started",
        subject_type="player",
        subject_id=player_id,
        after={"ends_at": row.ends_at},
    )
    session.flush()
    return _exclusion_view(row, rules, now)


def self_exclude(
    session: Session,
    clock: Clock,
    player_id: str,
    *,
    months: int | None,
    actor: str,
) -> ExclusionView:
    """Self-exclusion (GLI-19 A.3.8), in force at once: no deposits and no bets, withdrawals
    still allowed, no marketing. ``months=None`` is permanent where the jurisdiction offers it.
    """
    player = get_player(session, player_id, brand_scope=None)
    rules = _rules(player)
    if months is None and not rules.self_exclusion_permanent:
        raise errors.InvalidExclusionPeriod(f"{rules.name} offers no permanent self-exclusion.")
    if months is not None and months not in rules.self_exclusion_months:
        raise errors.InvalidExclusionPeriod(
            f"{rules.name} offers self-exclusion for "
            f"{', '.join(str(m) for m in rules.self_exclusion_months)} months.",
            offered_months=list(rules.self_exclusion_months),
        )
    now = clock.now()
    row = RgExclusion(
        id=new_id("exc"),
        player_id=player_id,
        kind=ExclusionKind.SELF_EXCLUSION.value,
        starts_at=now,
        ends_at=_add_months(now, months) if months is not None else None,
    )
    session.add(row)
    mark_self_excluded(session, clock, player_id, actor=actor, reason="self-exclusion")
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.self_excluded",
        subject_type="player",
        subject_id=player_id,
        after={"months": months, "ends_at": row.ends_at},
    )
    session.flush()
    return _exclusion_view(row, rules, now)


def request_self_exclusion_end(
    session: Session, clock: Clock, player_id: str, *, actor: str
) -> ExclusionView:
    """Ask to end an expired self-exclusion where it does not lift itself; it ends one day
    later (UKGC LCCP SR 3.5.3)."""
    player = get_player(session, player_id, brand_scope=None)
    rules = _rules(player)
    now = clock.now()
    rows = session.scalars(
        select(RgExclusion).where(
            RgExclusion.player_id == player_id,
            RgExclusion.kind == ExclusionKind.SELF_EXCLUSION.value,
            RgExclusion.ended_at.is_(None),
        )
    ).all()
    live = [r for r in rows if _in_force(r, rules, now)]
    if not live:
        raise errors.NoPendingChange("There is no self-exclusion in force.")
    for row in live:
        if row.ends_at is None or now < row.ends_at:
            raise errors.ExclusionStillInForce(
                "The self-exclusion runs until "
                + (row.ends_at.isoformat() if row.ends_at else "it is lifted: it is permanent"),
                ends_at=row.ends_at.isoformat() if row.ends_at else None,
            )
    for row in live:
        row.end_requested_at = now
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.self_exclusion_end_requested",
        subject_type="player",
        subject_id=player_id,
        after={"ends_at": now + SELF_EXCLUSION_END_COOLING_OFF},
    )
    session.flush()
    return _exclusion_view(live[-1], rules, now)


def settle_expired_self_exclusions(session: Session, clock: Clock, player: PlayerView) -> bool:
    """Close self-exclusions that are over and return the player to ``active``; True if the
    player is free of them now."""
    rules = _rules(player)
    now = clock.now()
    rows = session.scalars(
        select(RgExclusion).where(
            RgExclusion.player_id == player.id,
            RgExclusion.kind == ExclusionKind.SELF_EXCLUSION.value,
            RgExclusion.ended_at.is_(None),
        )
    ).all()
    if any(_in_force(r, rules, now) for r in rows):
        return False
    for row in rows:
        row.ended_at = now
    if rows:
        end_self_exclusion(session, clock, player.id, actor="system:rg", reason="exclusion ended")
    return True


# -- reality checks --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RealityCheckView:
    session_started_at: datetime
    elapsed_minutes: int
    staked: int
    won: int
    net_position: int  # won - staked in this session
    interval_minutes: int | None
    due: bool
    due_at: datetime | None


def reality_check(
    session: Session, clock: Clock, player: PlayerView, session_id: str
) -> RealityCheckView:
    """Time in this session and its net position, and whether a reality check is due: at the
    jurisdiction's interval (ES and US-PA every 60 minutes, NL every 30) or the player's own,
    whichever is shorter."""
    now = clock.now()
    started = session_started_at(session, session_id)
    account = player.cash_account_id
    staked = sum_posted(session, account, side="debit", codes=BET_CODES, since=started)
    won = sum_posted(session, account, side="credit", codes=WIN_CODES, since=started)
    chosen = session.get(RgRealityCheckSetting, player.id)
    interval = effective_reality_check_minutes(
        _rules(player), chosen.interval_minutes if chosen is not None else None
    )
    due_at = None
    if interval is not None:
        row = session.get(RgRealityCheck, session_id)
        last = row.acknowledged_at if row is not None else started
        due_at = last + timedelta(minutes=interval)
    return RealityCheckView(
        session_started_at=started,
        elapsed_minutes=int((now - started).total_seconds() // 60),
        staked=staked,
        won=won,
        net_position=won - staked,
        interval_minutes=interval,
        due=due_at is not None and now >= due_at,
        due_at=due_at,
    )


REALITY_CHECK_MIN_MINUTES = 5
REALITY_CHECK_MAX_MINUTES = 240


def effective_reality_check_minutes(rules: Jurisdiction, chosen: int | None) -> int | None:
    """The interval in force: the player's where they chose one, never longer than the
    jurisdiction's mandatory interval; None where neither asks for reality checks."""
    intervals = [m for m in (rules.reality_check_minutes, chosen) if m is not None]
    return min(intervals) if intervals else None


@dataclass(frozen=True, slots=True)
class RealityCheckSettingView:
    chosen_minutes: int | None  # what the player set; None: nothing set
    jurisdiction_minutes: int | None  # the jurisdiction's mandatory interval, if any
    interval_minutes: int | None  # what applies: the shorter of the two
    min_minutes: int
    max_minutes: int


def reality_check_setting(session: Session, player: PlayerView) -> RealityCheckSettingView:
    row = session.get(RgRealityCheckSetting, player.id)
    rules = _rules(player)
    chosen = row.interval_minutes if row is not None else None
    return RealityCheckSettingView(
        chosen_minutes=chosen,
        jurisdiction_minutes=rules.reality_check_minutes,
        interval_minutes=effective_reality_check_minutes(rules, chosen),
        min_minutes=REALITY_CHECK_MIN_MINUTES,
        max_minutes=rules.reality_check_minutes or REALITY_CHECK_MAX_MINUTES,
    )


def set_reality_check_interval(
    session: Session, clock: Clock, player_id: str, minutes: int | None, *, actor: str
) -> RealityCheckSettingView:
    """The player chooses how often to see a reality check (UKGC RTS 13; MGA), or stops
    choosing (``None``). Where the jurisdiction mandates an interval, a longer one is refused:
    the player may ask to be reminded more often, not less. In force from the next check."""
    player = get_player(session, player_id, brand_scope=None)
    rules = _rules(player)
    longest = rules.reality_check_minutes or REALITY_CHECK_MAX_MINUTES
    if minutes is not None and (
        isinstance(minutes, bool)
        or not isinstance(minutes, int)
        or not REALITY_CHECK_MIN_MINUTES <= minutes <= longest
    ):
        raise errors.InvalidRealityCheckInterval(
            f"Choose between {REALITY_CHECK_MIN_MINUTES} and {longest} minutes.",
            min_minutes=REALITY_CHECK_MIN_MINUTES,
            max_minutes=longest,
        )
    row = session.get(RgRealityCheckSetting, player.id)
    before = row.interval_minutes if row is not None else None
    if minutes is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            RgRealityCheckSetting(
                player_id=player.id, interval_minutes=minutes, updated_at=clock.now()
            )
        )
    else:
        row.interval_minutes = minutes
        row.updated_at = clock.now()
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.reality_check_interval_set",
        subject_type="player",
        subject_id=player.id,
        before={"interval_minutes": before},
        after={"interval_minutes": minutes},
    )
    session.flush()
    return reality_check_setting(session, player)


def acknowledge_reality_check(
    session: Session, clock: Clock, player: PlayerView, session_id: str
) -> RealityCheckView:
    """The player has seen the reality check; the next one is due an interval from now."""
    session_started_at(session, session_id)  # players.session_not_found
    row = session.get(RgRealityCheck, session_id)
    if row is None:
        row = RgRealityCheck(
            session_id=session_id, player_id=player.id, acknowledged_at=clock.now()
        )
        session.add(row)
    row.acknowledged_at = clock.now()
    session.flush()
    return reality_check(session, clock, player, session_id)


def set_operator_limit(
    session: Session,
    clock: Clock,
    player_id: str,
    kind: LimitKind,
    period: LimitPeriod,
    amount: int | None,
    *,
    reason: str,
    actor: str,
    brand_scope: str | None,
) -> list[LimitView]:
    """Set, change or (``amount=None``) lift a limit the RG team imposes on a player. It
    applies at once; the player cannot change it; where the player has a limit of the same
    kind too, the lower one applies (GLI-19 §2.5.5). Returns the player's limits."""
    if not reason.strip():
        raise InvalidRequest("An operator limit needs a reason.")
    if amount is not None and (
        isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT
    ):
        raise errors.InvalidLimit()
    player = get_player(session, player_id, brand_scope=brand_scope)
    now = clock.now()
    row = _limit_row(session, player_id, kind, period, set_by="operator")
    before = None if row is None else {"amount": row.amount}
    if amount is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(
            RgLimit(
                id=new_id("lim"),
                player_id=player_id,
                kind=kind.value,
                period=period.value,
                set_by="operator",
                amount=amount,
                anchor_at=now,
                updated_at=now,
            )
        )
    else:
        row.amount = amount
        row.updated_at = now
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="rg.operator_limit_changed",
        subject_type="player",
        subject_id=player_id,
        before=None if before is None else {"kind": kind.value, "period": period.value, **before},
        after={"kind": kind.value, "period": period.value, "amount": amount},
        reason=reason,
    )
    return limits_of(session, clock, player)

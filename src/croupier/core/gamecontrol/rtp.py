"""Actual against theoretical RTP (GLI-19 A.6): the sums a comparison needs, its 99 %
confidence interval, and the alerts it raises.

The products own the rounds; each sums its own with :func:`rtp_sum_columns` (one aggregate
query) into :class:`RtpSums`. The actual RTP is what returned of everything staked,
``Σ returned / Σ staked``, the same ratio as a PAR sheet's. How far it may stray by chance
comes from the rounds themselves: the observed spread of each round's return around that ratio
(the delta method for a ratio estimator), so no game's volatility needs to be known in
advance. The interval is normal, ``theoretical ± z·se`` with z for 99 % two-sided; where the
theoretical RTP is a range (a title whose configurations differ, or a provider's games
together) it is ``[low − z·se, high + z·se]``, because a mix of configurations returns some
average within that range. Below :data:`MIN_ROUNDS` rounds the normal approximation is not
trusted and nothing is raised.

An alert is stored, audited and published (an outbox event) once when the actual RTP leaves
its interval, and cleared when it is back inside: looking at the figures again raises nothing
new.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Float, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core.gamecontrol.events import RtpAlertCleared, RtpAlertRaised
from croupier.core.gamecontrol.models import RtpAlert
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.events import publish
from croupier.kernel.ids import new_id

Z_99: Final = 2.5758293035489004  # two-sided 99 % normal quantile
MIN_ROUNDS: Final = 1000


@dataclass(frozen=True, slots=True)
class RtpSums:
    """Sums over a set of rounds: how many, what they staked and returned (ledger units of one
    currency), and the sums of squares and products the spread needs (floats: statistics, not
    money, and their squares would overflow 64-bit integers)."""

    rounds: int = 0
    staked: int = 0
    returned: int = 0
    staked_squares: float = 0.0
    returned_squares: float = 0.0
    products: float = 0.0

    def __add__(self, other: RtpSums) -> RtpSums:
        return RtpSums(
            self.rounds + other.rounds,
            self.staked + other.staked,
            self.returned + other.returned,
            self.staked_squares + other.staked_squares,
            self.returned_squares + other.returned_squares,
            self.products + other.products,
        )

    @property
    def actual(self) -> float | None:
        """What returned per unit staked; None before anything was staked."""
        return self.returned / self.staked if self.staked else None

    @property
    def standard_error(self) -> float | None:
        """Of :attr:`actual`: ``√(n/(n−1) · Σ(rᵢ − R·sᵢ)²) / Σ sᵢ`` (the delta method), with
        ``Σ(r − R·s)² = Σr² − 2R·Σrs + R²·Σs²``."""
        ratio = self.actual
        if ratio is None or self.rounds < 2:
            return None
        spread = self.returned_squares - 2 * ratio * self.products + ratio**2 * self.staked_squares
        return math.sqrt(max(spread, 0.0) * self.rounds / (self.rounds - 1)) / self.staked


def rtp_sum_columns(
    staked: ColumnExpressionArgument[int], returned: ColumnExpressionArgument[int]
) -> tuple[ColumnElement[Any], ...]:
    """The aggregate columns of :class:`RtpSums`, in its order, over rounds whose stake and
    return are these columns (to select, grouped by game and currency)."""
    s, r = cast(staked, Float), cast(returned, Float)
    return (
        func.count(),
        func.coalesce(func.sum(staked), 0),
        func.coalesce(func.sum(returned), 0),
        func.coalesce(func.sum(s * s), 0.0),
        func.coalesce(func.sum(r * r), 0.0),
        func.coalesce(func.sum(s * r), 0.0),
    )


def rtp_sums(values: Sequence[Any]) -> RtpSums:
    """:class:`RtpSums` from the values of :func:`rtp_sum_columns` (PostgreSQL sums bigints
    as numeric)."""
    rounds, staked, returned, ss, rr, sr = values
    return RtpSums(int(rounds), int(staked), int(returned), float(ss), float(rr), float(sr))


def rtp_interval(
    sums: RtpSums, theoretical: tuple[float, float], *, min_rounds: int = MIN_ROUNDS
) -> tuple[float, float] | None:
    """Where the actual RTP of these rounds falls with 99 % confidence if the game returns
    what it should (``theoretical`` as a (low, high) range, equal for one figure); None with
    fewer than ``min_rounds`` rounds."""
    se = sums.standard_error
    if se is None or sums.rounds < min_rounds:
        return None
    low, high = theoretical
    return low - Z_99 * se, high + Z_99 * se


@dataclass(frozen=True, slots=True)
class RtpAlertView:
    provider: str
    game_code: str  # "*": the provider's games together
    currency: str
    rounds: int
    actual_rtp: float
    interval_low: float
    interval_high: float
    raised_at: datetime
    cleared_at: datetime | None


def _alert_view(row: RtpAlert) -> RtpAlertView:
    return RtpAlertView(
        provider=row.provider,
        game_code=row.game_code,
        currency=row.currency,
        rounds=row.rounds,
        actual_rtp=row.actual_rtp,
        interval_low=row.interval_low,
        interval_high=row.interval_high,
        raised_at=row.raised_at,
        cleared_at=row.cleared_at,
    )


@dataclass(frozen=True, slots=True)
class RtpComparison:
    """A fresh comparison of one game's actual RTP (in one currency) with its interval."""

    provider: str
    game_code: str
    currency: str
    rounds: int
    actual_rtp: float
    interval_low: float
    interval_high: float

    @property
    def outside(self) -> bool:
        return not self.interval_low <= self.actual_rtp <= self.interval_high


def _open_alert(session: Session, c: RtpComparison) -> RtpAlert | None:
    return session.scalars(
        select(RtpAlert).where(
            RtpAlert.provider == c.provider,
            RtpAlert.game_code == c.game_code,
            RtpAlert.currency == c.currency,
            RtpAlert.cleared_at.is_(None),
        )
    ).one_or_none()


def record_rtp_comparison(
    session: Session, clock: Clock, comparison: RtpComparison, *, actor: str
) -> RtpAlertView | None:
    """Keep a game's RTP alert in step with a fresh comparison; answers the open alert.

    Outside the interval with no alert open: an alert is raised, once (stored, audited and
    published as ``gamecontrol.rtp_alert_raised``); looking again while it stays outside
    raises nothing more. Back inside: the open alert is cleared (audited and published).
    """
    row = _open_alert(session, comparison)
    if row is None:
        return _raise(session, clock, comparison, actor) if comparison.outside else None
    if comparison.outside:
        return _alert_view(row)
    row.cleared_at = clock.now()
    session.flush()
    figures = asdict(comparison)
    record_event(
        session,
        clock,
        actor=actor,
        action="gamecontrol.rtp_alert_cleared",
        subject_type="game",
        subject_id=f"{comparison.provider}/{comparison.game_code}",
        before=asdict(_alert_view(row)) | {"cleared_at": None},
        after=figures,
    )
    del figures["interval_low"], figures["interval_high"]
    publish(session, RtpAlertCleared(**figures), clock)
    return None


def _raise(session: Session, clock: Clock, c: RtpComparison, actor: str) -> RtpAlertView | None:
    row = RtpAlert(id=new_id("rta"), **asdict(c), raised_at=clock.now(), cleared_at=None)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process raised it at the same moment
        raced = _open_alert(session, c)
        return _alert_view(raced) if raced is not None else None
    record_event(
        session,
        clock,
        actor=actor,
        action="gamecontrol.rtp_alert_raised",
        subject_type="game",
        subject_id=f"{c.provider}/{c.game_code}",
        after=asdict(c),
    )
    publish(session, RtpAlertRaised(**asdict(c)), clock)
    return _alert_view(row)


def open_rtp_alerts(session: Session) -> list[RtpAlertView]:
    """The RTP alerts not cleared yet, oldest first."""
    rows = session.scalars(
        select(RtpAlert).where(RtpAlert.cleared_at.is_(None)).order_by(RtpAlert.raised_at)
    )
    return [_alert_view(r) for r in rows]

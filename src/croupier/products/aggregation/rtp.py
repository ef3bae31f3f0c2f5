"""Live RTP per game and per provider, actual against theoretical (GLI-19 A.6).

The actual RTP is what returned of everything staked: for a provider's game, over its rounds
in ``provider_rounds`` (open and closed, net of rollbacks, free bets counted as staked); for
the in-house titles (provider ``croupier``), over their settled rounds and crash bets
(``croupier.products.rgs.service.rtp_sums_by_title``). Each figure is per currency: ledger
units of different currencies do not add up. The theoretical RTP is the provider game's
recorded RTP (none recorded: nothing to compare) or an in-house title's PAR sheets, the range
of its configurations; a provider's games together are compared with the range of theirs.

A comparison falls outside when the actual RTP leaves the 99 % interval around the theoretical
one (``croupier.core.gamecontrol.rtp``: the interval, and the alert raised once and cleared
once back inside). It runs in every server process periodically (``jobs.game_control_loop``),
and whenever staff look (``croupier games rtp``, ``GET /api/v1/backoffice/games/rtp``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import (
    ALL,
    IN_HOUSE_PROVIDER,
    MIN_ROUNDS,
    RtpComparison,
    RtpSums,
    open_rtp_alerts,
    record_rtp_comparison,
    rtp_interval,
    rtp_sum_columns,
    rtp_sums,
)
from croupier.kernel.clock import Clock
from croupier.products.aggregation.models import GameProvider, ProviderGame, ProviderRound
from croupier.products.rgs.service import rtp_sums_by_title, title_rtp_range

CHECK_ACTOR: Final = "system:game-control"

Theoretical = tuple[float, float] | None  # (low, high) return per unit staked; None: unknown


class RtpStatus(StrEnum):
    OK = "ok"  # inside the interval
    OUTSIDE = "outside"  # outside it: an alert is open
    TOO_FEW_ROUNDS = "too_few_rounds"  # not enough rounds to tell
    NO_THEORETICAL = "no_theoretical"  # nothing to compare with


@dataclass(frozen=True, slots=True)
class RtpFigures:
    """One game's (or, ``game_code`` ``*``, one provider's) figures in one currency. RTPs are
    returns per unit staked (0.965 is 96.5 %)."""

    provider: str
    game_code: str
    currency: str
    rounds: int
    staked: int  # ledger units
    returned: int
    actual_rtp: float | None
    theoretical_rtp_low: float | None
    theoretical_rtp_high: float | None
    interval_low: float | None
    interval_high: float | None
    status: RtpStatus
    alert_raised_at: datetime | None  # the open alert, if any


@dataclass(frozen=True, slots=True)
class _Sample:
    provider: str
    game_code: str
    currency: str
    sums: RtpSums
    theoretical: Theoretical


def _theoretical_of_percent(rtp: str | None) -> Theoretical:
    if rtp is None:
        return None
    value = float(Decimal(rtp) / 100)
    return value, value


def _provider_samples(session: Session, provider: str | None) -> list[_Sample]:
    query = (
        select(
            GameProvider.name,
            ProviderGame.code,
            ProviderGame.rtp,
            ProviderRound.currency,
            *rtp_sum_columns(ProviderRound.staked, ProviderRound.won),
        )
        .join(ProviderGame, ProviderGame.id == ProviderRound.game_id)
        .join(GameProvider, GameProvider.id == ProviderRound.provider_id)
        .where(or_(ProviderRound.staked > 0, ProviderRound.won > 0))  # not all rolled back
        .group_by(GameProvider.name, ProviderGame.code, ProviderGame.rtp, ProviderRound.currency)
    )
    if provider is not None:
        query = query.where(GameProvider.name == provider)
    return [
        _Sample(name, code, currency, rtp_sums(sums), _theoretical_of_percent(rtp))
        for name, code, rtp, currency, *sums in session.execute(query)
    ]


def _in_house_samples(session: Session) -> list[_Sample]:
    samples = []
    for title in rtp_sums_by_title(session):
        rtp = title_rtp_range(title.title)
        theoretical = (float(rtp[0]), float(rtp[1])) if rtp is not None else None
        samples.append(
            _Sample(IN_HOUSE_PROVIDER, title.title, title.currency, title.sums, theoretical)
        )
    return samples


def _provider_totals(games: Iterable[_Sample]) -> list[_Sample]:
    """Each provider's games together, per currency, against the range of their theoretical
    RTPs (unknown if any game's is)."""
    grouped: dict[tuple[str, str], list[_Sample]] = defaultdict(list)
    for g in games:
        grouped[g.provider, g.currency].append(g)
    totals = []
    for (provider, currency), members in grouped.items():
        sums = sum((m.sums for m in members), RtpSums())
        ranges = [m.theoretical for m in members]
        theoretical = (
            (min(r[0] for r in ranges if r), max(r[1] for r in ranges if r))
            if all(ranges)
            else None
        )
        totals.append(_Sample(provider, ALL, currency, sums, theoretical))
    return totals


def check_rtp(
    session: Session,
    clock: Clock,
    *,
    provider: str | None = None,
    min_rounds: int = MIN_ROUNDS,
    actor: str = CHECK_ACTOR,
) -> list[RtpFigures]:
    """Compare every game's actual RTP (of ``provider``'s games, if given) with its
    theoretical one, and each provider's games together; raise or clear the alerts that the
    comparison calls for (each once). Sorted by provider, game (``*`` first) and currency."""
    games = _provider_samples(session, provider)
    if provider in (None, IN_HOUSE_PROVIDER):
        games.extend(_in_house_samples(session))
    alerts = {(a.provider, a.game_code, a.currency): a for a in open_rtp_alerts(session)}
    figures = []
    for sample in sorted(
        [*games, *_provider_totals(games)], key=lambda s: (s.provider, s.game_code, s.currency)
    ):
        key = (sample.provider, sample.game_code, sample.currency)
        interval = (
            rtp_interval(sample.sums, sample.theoretical, min_rounds=min_rounds)
            if sample.theoretical is not None
            else None
        )
        alert = alerts.get(key)
        actual = sample.sums.actual
        if interval is not None and actual is not None:
            alert = record_rtp_comparison(
                session,
                clock,
                RtpComparison(*key, sample.sums.rounds, actual, *interval),
                actor=actor,
            )
        figures.append(_figures(sample, interval, alert.raised_at if alert else None))
    return figures


def _figures(
    sample: _Sample, interval: Theoretical, alert_raised_at: datetime | None
) -> RtpFigures:
    sums = sample.sums
    if sample.theoretical is None:
        status = RtpStatus.NO_THEORETICAL
    elif interval is None or sums.actual is None:
        status = RtpStatus.TOO_FEW_ROUNDS
    elif interval[0] <= sums.actual <= interval[1]:
        status = RtpStatus.OK
    else:
        status = RtpStatus.OUTSIDE
    low, high = sample.theoretical or (None, None)
    interval_low, interval_high = interval or (None, None)
    return RtpFigures(
        provider=sample.provider,
        game_code=sample.game_code,
        currency=sample.currency,
        rounds=sums.rounds,
        staked=sums.staked,
        returned=sums.returned,
        actual_rtp=sums.actual,
        theoretical_rtp_low=low,
        theoretical_rtp_high=high,
        interval_low=interval_low,
        interval_high=interval_high,
        status=status,
        alert_raised_at=alert_raised_at,
    )

"""Background work of game aggregation: stale provider rounds, and the RTP comparison.

A provider round stays open until the provider says it is over. One left open for longer than
``CROUPIER_PROVIDER_ROUND_MAX_AGE_HOURS`` (48 by default) is closed here, as closed by
``timeout``: no money moves (its stakes went to the house when they were bet, and a win that
still comes is paid, because the wallet accepts wins on closed rounds), but it no longer counts
as open, and no new bet joins it. Each closure is an audit record. The rounds are locked in id
order and checked again under the lock, so several processes may run this at once. No player
is locked: a wallet batch holds several players' locks at once, and waiting for them here could
deadlock; a bet that read the round as open just before it closed still lands in it, with its
money moved exactly as for any other bet.

Both run from the CLI (``croupier games close-stale-rounds``, ``croupier games rtp``) and
periodically inside each server process (``CROUPIER_GAME_CONTROL_CHECK_SECONDS``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.products.aggregation.models import ProviderRound
from croupier.products.aggregation.rtp import CHECK_ACTOR, check_rtp

log = structlog.get_logger(__name__)

CLOSED_BY_TIMEOUT: Final = "timeout"


@dataclass(slots=True)
class StaleRoundsReport:
    """What a run closed of the rounds opened before ``opened_before`` and still open;
    ``examined`` counts the stale rounds it found (some may have closed meanwhile)."""

    opened_before: datetime
    examined: int = 0
    closed: list[str] = field(default_factory=list)


def close_stale_rounds(
    session: Session,
    clock: Clock,
    *,
    max_age: timedelta,
    limit: int = 500,
    actor: str = CHECK_ACTOR,
) -> StaleRoundsReport:
    """Close up to ``limit`` provider rounds open for longer than ``max_age``, in the caller's
    unit of work; no money moves. Each closure is audited as done by ``actor`` (the job, or
    who ran it)."""
    report = StaleRoundsReport(opened_before=clock.now() - max_age)
    stale = (
        ProviderRound.status == "open",
        ProviderRound.opened_at < report.opened_before,
    )
    found = session.scalars(
        select(ProviderRound.id).where(*stale).order_by(ProviderRound.id).limit(limit)
    ).all()
    report.examined = len(found)
    if not found:
        return report
    rows = session.scalars(
        select(ProviderRound)
        .where(ProviderRound.id.in_(found), *stale)  # again, under the lock
        .order_by(ProviderRound.id)
        .with_for_update()
    ).all()
    hours = f"{max_age.total_seconds() / 3600:g}"
    for row in rows:
        row.status, row.closed_at, row.closed_by = "closed", clock.now(), CLOSED_BY_TIMEOUT
        record_event(
            session,
            clock,
            actor=actor,
            action="provider_round.closed_by_timeout",
            subject_type="provider_round",
            subject_id=row.id,
            before={"status": "open"},
            after={"status": "closed", "closed_by": CLOSED_BY_TIMEOUT, "round": row.round},
            reason=f"open longer than {hours} hours",
        )
        report.closed.append(row.id)
    session.flush()
    return report


def close_all_stale_rounds(
    database: Database,
    clock: Clock,
    *,
    max_age: timedelta,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
    actor: str = CHECK_ACTOR,
) -> StaleRoundsReport:
    """Close every stale provider round, ``batch`` rounds per unit of work."""
    total: StaleRoundsReport | None = None
    while True:
        with database.unit_of_work() as session:
            page = close_stale_rounds(session, clock, max_age=max_age, limit=batch, actor=actor)
        total = total or StaleRoundsReport(opened_before=page.opened_before)
        total.examined += page.examined
        total.closed.extend(page.closed)
        if progress is not None:
            progress(len(page.closed))
        if page.examined < batch:
            break
    return total


def game_control_loop(
    database: Database,
    clock: Clock,
    *,
    max_age: timedelta,
    every_seconds: float,
    stop: threading.Event,
) -> None:
    """Every ``every_seconds`` until ``stop`` is set (a server's background thread): close
    the stale provider rounds, then compare actual with theoretical RTP (GLI-19 A.6). A failed
    run is logged and tried again next time: it never stops the server."""
    while not stop.wait(every_seconds):
        try:
            closed = close_all_stale_rounds(database, clock, max_age=max_age).closed
            if closed:
                log.info("aggregation.stale_rounds_closed", closed=len(closed))
            with database.unit_of_work() as session:
                check_rtp(session, clock)  # a new alert is an outbox event, once
        except Exception:
            log.exception("aggregation.game_control_job_failed")

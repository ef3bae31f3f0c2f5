"""Background work of the in-house games: interrupted rounds (GLI-19 §4.16).

A round the player left open (a closed browser, a lost connection) keeps its stake held. When
it has not moved for a while, this job plays on the rounds that need no input from the player
(free spins) to their end and credits their wins; a round that waits for a real choice (hit or
stand, which tile) stays held and is resumed with its exact state when the player comes back.
Each round is completed in its own unit of work, so one failure holds only that round; every
completion is an audit record (a significant event, §2.8.8). Several processes may run the job
at once: a round is locked while it moves and its money moves under transfer ids derived from
the round, so nothing is paid twice.

It runs from ``croupier games complete-rounds`` (cron) and every minute inside each server
process (``CROUPIER_RGS_INTERRUPTED_CHECK_SECONDS``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog

from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.crypto import Keyring
from croupier.kernel.db import Database
from croupier.kernel.errors import DomainError
from croupier.products.rgs.games.catalogue import PLAYS_ON_BY_ITSELF
from croupier.products.rgs.service import (
    DEFAULT_INTERRUPTED_AFTER,
    InterruptedRound,
    complete_interrupted_round,
    held_stakes,
    interrupted_rounds,
)

log = structlog.get_logger(__name__)

JOB_ACTOR = "system:rgs-interrupted-rounds"


@dataclass(slots=True)
class InterruptedRoundsReport:
    """What one run found: rounds completed by themselves, and the rounds still held after
    it with the stakes they hold per currency (GLI-19 §2.9, funds in interrupted games)."""

    examined: int = 0
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    held: int = 0
    held_stakes: dict[str, int] = field(default_factory=dict)


def complete_interrupted_rounds(
    database: Database,
    clock: Clock,
    keyring: Keyring,
    *,
    idle_for: timedelta = DEFAULT_INTERRUPTED_AFTER,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> InterruptedRoundsReport:
    """Complete every interrupted round that needs no input; report the ones still held.

    Only rounds of titles that can play on by themselves are replayed: a round waiting for a
    choice stays as it is until the player moves, so looking at it again every minute, in
    every process, would only cost. The held ones are counted by one aggregate."""
    report = InterruptedRoundsReport()
    after: str | None = None
    while True:
        with database.read_only() as session:
            page = interrupted_rounds(
                session,
                clock,
                idle_for=idle_for,
                limit=batch,
                after_id=after,
                titles=PLAYS_ON_BY_ITSELF,
            )
        for waiting in page:
            _complete(database, clock, keyring, waiting, report)
            if progress is not None:
                progress(1)
        if len(page) < batch:
            break
        after = page[-1].id
    with database.read_only() as session:
        for currency, (count, staked) in held_stakes(session, clock, idle_for=idle_for).items():
            report.held += count
            report.held_stakes[currency] = staked
    if report.completed or report.failed:
        log.info(
            "rgs.interrupted_rounds",
            examined=report.examined,
            completed=len(report.completed),
            held=report.held,
            failed=len(report.failed),
        )
    return report


def _complete(
    database: Database,
    clock: Clock,
    keyring: Keyring,
    waiting: InterruptedRound,
    report: InterruptedRoundsReport,
) -> None:
    report.examined += 1
    try:
        with database.unit_of_work() as session:
            view = complete_interrupted_round(session, clock, keyring, waiting.id)
            if view is not None:
                record_event(
                    session,
                    clock,
                    actor=JOB_ACTOR,
                    action="rgs.round_completed",
                    subject_type="rgs_round",
                    subject_id=waiting.id,
                    before={"state": "open"},
                    after={"state": view.state, "moves": len(view.actions), "payout": view.payout},
                    reason="interrupted round played on: no input needed (GLI-19 §4.16)",
                )
    except DomainError as exc:
        # A round that cannot move now (its account closed, say) stays held: staff see it.
        log.warning("rgs.interrupted_round_failed", round_id=waiting.id, code=exc.code)
        report.failed.append(waiting.id)
        return
    if view is not None and view.state == "settled":
        report.completed.append(waiting.id)


def interrupted_rounds_loop(
    database: Database,
    clock: Clock,
    keyring: Keyring,
    *,
    idle_for: timedelta,
    every_seconds: float,
    stop: threading.Event,
) -> None:
    """Run the job every ``every_seconds`` until ``stop`` is set (a server's background
    thread). A failed run is logged and tried again next time: it never stops the server."""
    while not stop.wait(every_seconds):
        try:
            complete_interrupted_rounds(database, clock, keyring, idle_for=idle_for)
        except Exception:
            log.exception("rgs.interrupted_rounds_job_failed")

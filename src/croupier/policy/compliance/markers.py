"""Markers of harm: patterns of play that call for a look from the responsible-gaming team.

Products call :func:`evaluate_markers` after a deposit or a bet (as they call AML's
``evaluate_movement``); the limits code calls it when a player asks to raise a limit. Each
marker that shows opens an ``rg`` case (one open case per player and marker).

- ``rg.night_play``: ten or more bets between 00:00 and 06:00 UTC in 7 days (the player's local
  time is not known yet: UTC is used and documented).
- ``rg.rising_deposits``: at least five deposits in the last 7 days and twice as many as in
  the 7 days before.
- ``rg.chasing_losses``: three or more deposits within 2 hours while the last 24 hours' play
  is a net loss.
- ``rg.limit_increases``: two or more requests to raise a limit within 30 days.
- ``rg.reversed_withdrawals``: two or more withdrawals the player took back within 30 days
  (the money went back into play). A withdrawal is held by a pending ledger transfer; the
  player taking it back is the void of that hold with the code ``withdrawal_reversal``
  (:data:`WITHDRAWAL_REVERSAL_CODE`), which payments uses; a withdrawal the operator rejects
  or a payout that fails is voided with another code and is not the player's doing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.core.wallet import posted_amounts, sum_posted
from croupier.core.wallet.models import LedgerTransfer, TransferKind
from croupier.kernel.clock import Clock
from croupier.kernel.events import DeliveredEvent, OutboxDispatcher
from croupier.kernel.models import AuditRecord
from croupier.policy.compliance.cases import CaseKind, CaseView, open_case, open_cases_of
from croupier.policy.rg.events import LimitIncreaseRequested

ACTOR = "system:rg"
NIGHT_BETS = 10
NIGHT_END_HOUR = 6
WITHDRAWAL_REVERSAL_CODE = "withdrawal_reversal"
REVERSALS = 2


def _markers(session: Session, clock: Clock, player_id: str) -> list[tuple[str, str]]:
    player = get_player(session, player_id, brand_scope=None)
    account = player.cash_account_id
    now = clock.now()
    found: list[tuple[str, str]] = []

    bet_times = session.scalars(
        select(LedgerTransfer.created_at).where(
            LedgerTransfer.debit_account_id == account,
            LedgerTransfer.code == "bet",
            LedgerTransfer.created_at >= now - timedelta(days=7),
        )
    ).all()
    night = sum(1 for t in bet_times if t.hour < NIGHT_END_HOUR)
    if night >= NIGHT_BETS:
        found.append(("rg.night_play", f"{night} bets between 00:00 and 06:00 UTC in 7 days"))

    def deposits(since: timedelta, until: timedelta = timedelta(0)) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(LedgerTransfer)
                .where(
                    LedgerTransfer.credit_account_id == account,
                    LedgerTransfer.code == "deposit",
                    LedgerTransfer.created_at >= now - since,
                    LedgerTransfer.created_at < now - until + timedelta(microseconds=1),
                )
            )
            or 0
        )

    this_week, last_week = (
        deposits(timedelta(days=7)),
        deposits(timedelta(days=14), timedelta(days=7)),
    )
    if this_week >= 5 and this_week >= 2 * last_week:
        found.append(
            ("rg.rising_deposits", f"{this_week} deposits in 7 days, {last_week} the week before")
        )

    recent = posted_amounts(
        session, account, side="credit", codes=("deposit",), since=now - timedelta(hours=2)
    )
    day = now - timedelta(hours=24)
    net = sum_posted(session, account, side="credit", codes=("win",), since=day) - sum_posted(
        session, account, side="debit", codes=("bet",), since=day
    )
    if len(recent) >= 3 and net < 0:
        found.append(
            ("rg.chasing_losses", f"{len(recent)} deposits in 2 hours after a net loss of {-net}")
        )

    raises = session.scalar(
        select(func.count())
        .select_from(AuditRecord)
        .where(
            AuditRecord.subject_type == "player",
            AuditRecord.subject_id == player_id,
            AuditRecord.action == "rg.limit_increase_requested",
            AuditRecord.occurred_at >= now - timedelta(days=30),
        )
    )
    if raises is not None and raises >= 2:
        found.append(("rg.limit_increases", f"{raises} requests to raise a limit in 30 days"))

    reversals = session.scalar(
        select(func.count())
        .select_from(LedgerTransfer)
        .where(
            LedgerTransfer.debit_account_id == account,
            LedgerTransfer.kind == TransferKind.VOID_PENDING.value,
            LedgerTransfer.code == WITHDRAWAL_REVERSAL_CODE,
            LedgerTransfer.created_at >= now - timedelta(days=30),
        )
    )
    if reversals is not None and reversals >= REVERSALS:
        found.append(("rg.reversed_withdrawals", f"{reversals} withdrawals taken back in 30 days"))
    return found


def evaluate_markers(session: Session, clock: Clock, player_id: str) -> list[CaseView]:
    """Open an RG case for each marker of harm that shows (once per open case)."""
    open_markers = {c.details.get("marker") for c in open_cases_of(session, player_id, CaseKind.RG)}
    opened = []
    for marker, detail in _markers(session, clock, player_id):
        if marker in open_markers:
            continue
        opened.append(
            open_case(
                session,
                clock,
                player_id=player_id,
                kind=CaseKind.RG,
                title=f"{marker}: {detail}",
                details={"marker": marker, "detail": detail},
                actor=ACTOR,
            )
        )
    return opened


def subscribe_markers(dispatcher: OutboxDispatcher, clock: Clock) -> None:
    """A request to raise a limit is itself a marker: look at the player then."""

    def on_raise(session: Session, event: DeliveredEvent) -> None:
        evaluate_markers(session, clock, event.payload["player_id"])

    dispatcher.subscribe(LimitIncreaseRequested.type, "compliance.rg_markers", on_raise)

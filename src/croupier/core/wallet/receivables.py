"""Taking money back from a player whose cash may no longer hold it.

A chargeback of a deposit the player has since staked, or a corrected result that takes back
winnings already spent: the platform is owed money the player's cash account cannot give, and
that account must never go negative. :func:`take_back` takes what the cash holds and books the
rest to the player's receivable account (``player_receivable``, which may go negative: what
the player owes), both parts linked so they commit together or not at all.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session

from croupier.core.wallet import errors
from croupier.core.wallet.models import AccountKind
from croupier.core.wallet.service import (
    NewTransfer,
    create_transfers,
    get_balance,
    get_transfer,
    platform_account,
)
from croupier.kernel.clock import Clock

log = structlog.get_logger(__name__)


def receivable_account(session: Session, clock: Clock, *, player_id: str, currency: str) -> str:
    """The account of what a player owes the house in ``currency`` (opened on first use)."""
    return platform_account(
        session,
        clock,
        kind=AccountKind.PLAYER_RECEIVABLE,
        currency_code=currency,
        name=f"receivable:{player_id}",
    ).id


def take_back(
    session: Session,
    clock: Clock,
    *,
    transfer_id: str,
    player_id: str,
    cash_account_id: str,
    to_account_id: str,
    amount: int,
    currency: str,
    code: str,
    reference: str,
    attempts: int = 5,
) -> int:
    """Move ``amount`` from a player to ``to_account_id``: from their cash as far as its
    available balance goes (``transfer_id``, ``code``), the rest from their receivable account
    (``{transfer_id}:receivable``, ``{code}_receivable``). Returns the part now owed.

    The balance is read, then the transfers are made; a debit of the cash in between (a bet)
    makes the cash part fail for insufficient funds, and the split is computed again, at most
    ``attempts`` times (then ``InsufficientFunds`` is raised and nothing has moved). Another
    refusal is raised at once. A call again with the same ``transfer_id`` moves nothing and
    returns what the first left owed.
    """
    made = _made_before(session, transfer_id)
    if made is not None:
        return made
    for attempt in range(1, attempts + 1):
        available = get_balance(session, cash_account_id).available
        from_cash = min(max(available, 0), amount)
        owed = amount - from_cash
        moves = []
        if from_cash:
            moves.append(
                NewTransfer(
                    id=transfer_id,
                    debit_account_id=cash_account_id,
                    credit_account_id=to_account_id,
                    amount=from_cash,
                    currency=currency,
                    code=code,
                    reference=reference,
                    linked=bool(owed),
                )
            )
        if owed:
            moves.append(
                NewTransfer(
                    id=f"{transfer_id}:receivable",
                    debit_account_id=receivable_account(
                        session, clock, player_id=player_id, currency=currency
                    ),
                    credit_account_id=to_account_id,
                    amount=owed,
                    currency=currency,
                    code=f"{code}_receivable",
                    reference=reference,
                )
            )
        results = create_transfers(session, clock, moves)
        if all(r.ok for r in results):
            if owed:
                log.warning("ledger.receivable_recorded", transfer=transfer_id, owed=owed)
            return owed
        failures = [r.error for r in results if r.error is not None]
        # The cause, not the partner that failed with it because they were linked.
        cause = next(e for e in failures if not isinstance(e, errors.LinkedTransferFailed))
        if not isinstance(cause, errors.InsufficientFunds) or attempt == attempts:
            raise cause
    raise AssertionError("attempts must be at least 1")


def _made_before(session: Session, transfer_id: str) -> int | None:
    """What an earlier call with ``transfer_id`` left owed, or None if there was none (the
    split depends on the balance at the time: a retry must not compute it again)."""
    parts = []
    for part_id in (transfer_id, f"{transfer_id}:receivable"):
        try:
            parts.append(get_transfer(session, part_id))
        except errors.TransferNotFound:
            continue
    if not parts:
        return None
    return sum(t.amount for t in parts if t.id != transfer_id)


__all__ = ["receivable_account", "take_back"]

"""Helpers for the in-house game tests."""

from __future__ import annotations

from sqlalchemy import func, select

from croupier.core.wallet import get_balance
from croupier.core.wallet.models import LedgerTransfer
from croupier.products.rgs.models import RgsRound, RgsSeedPair


def money_state(db, view):
    """Balance, transfers, rounds and the seed pairs' nonces: equal means nothing moved."""
    with db.read_only() as s:
        return (
            get_balance(s, view.cash_account_id).posted,
            s.scalar(select(func.count()).select_from(LedgerTransfer)),
            s.scalar(select(func.count()).select_from(RgsRound)),
            s.scalar(select(func.sum(RgsSeedPair.next_nonce))),
        )

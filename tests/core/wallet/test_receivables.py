"""Taking money back from a player: from their cash as far as it goes, the rest owed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from croupier.core.wallet import errors, get_balance, take_back
from croupier.core.wallet import receivables as receivables_module
from croupier.core.wallet.receivables import receivable_account
from tests.core.wallet.ledger_fixtures import (
    account,
    assert_ledger_verifies,
    house,
    open_player,
    snapshot,
)


def _take(db, clock, player, to, amount, transfer_id="tb-1", **kw):
    with db.unit_of_work() as s:
        return take_back(
            s,
            clock,
            transfer_id=transfer_id,
            player_id="ply_test",
            cash_account_id=player,
            to_account_id=to,
            amount=amount,
            currency="EUR",
            code="chargeback",
            reference="ref",
            **kw,
        )


def _owed(db, clock) -> int:
    with db.unit_of_work() as s:
        acc = receivable_account(s, clock, player_id="ply_test", currency="EUR")
        return -get_balance(s, acc).available


@pytest.mark.parametrize(
    ("funds", "amount", "owed"), [(500, 300, 0), (200, 300, 100), (0, 300, 300)]
)
def test_what_the_cash_holds_is_taken_and_the_rest_is_owed(db, clock, funds, amount, owed):
    player = open_player(db, clock, funds=funds)
    to = house(db, clock)

    assert _take(db, clock, player, to, amount) == owed

    assert account(db, player).balance.available == max(funds - amount, 0)
    assert _owed(db, clock) == owed
    assert_ledger_verifies(db)


def test_a_retry_with_the_same_id_moves_nothing_more(db, clock):
    player = open_player(db, clock, funds=200)
    to = house(db, clock)
    assert _take(db, clock, player, to, 300) == 100
    before = snapshot(db)

    assert _take(db, clock, player, to, 300) == 100  # what the first call left owed

    assert snapshot(db) == before


def test_cash_spent_between_the_read_and_the_transfer_is_split_again(db, clock, monkeypatch):
    player = open_player(db, clock, funds=200)
    to = house(db, clock)
    real = receivables_module.get_balance
    reads = []

    def stale_first(session, account_id):
        balance = real(session, account_id)
        reads.append(balance.available)
        if len(reads) == 1:  # as read before a bet took 150 of it
            return replace(balance, available=balance.available + 150)
        return balance

    monkeypatch.setattr(receivables_module, "get_balance", stale_first)
    assert _take(db, clock, player, to, 300) == 100
    assert len(reads) == 2
    assert _owed(db, clock) == 100
    assert_ledger_verifies(db)


def test_when_the_cash_keeps_changing_it_gives_up_and_nothing_moves(db, clock, monkeypatch):
    player = open_player(db, clock, funds=200)
    to = house(db, clock)
    real = receivables_module.get_balance

    def always_stale(session, account_id):
        balance = real(session, account_id)
        return replace(balance, available=balance.available + 150)

    monkeypatch.setattr(receivables_module, "get_balance", always_stale)
    before = snapshot(db)
    with pytest.raises(errors.InsufficientFunds):
        _take(db, clock, player, to, 300, attempts=3)
    assert snapshot(db) == before

"""Withdrawals: held at once, checked, approved (automatically, by one operator, or by two
different ones), paid out through the PSP; a failed payout releases the hold exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from croupier.core.players import PlayerView
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.policy.rg import service as rg
from croupier.products.payments import errors, orchestration, service
from croupier.products.payments.models import PaymentInstrument
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.simulators.psp import RunningPsp
from tests.policy.policy_fixtures import move, player_in
from tests.products.payments.payment_fixtures import (
    UNIT,
    Janitor,
    available,
    balance,
    config_for,
    counts,
    deposit,
    ledger_ok,
    next_id,
)


@pytest.fixture
def card() -> Iterator[RunningPsp]:
    with RunningPsp("card") as psp:
        # Deposits complete without 3-D Secure here; payouts resolve at once.
        psp.set_faults(payout_delay_ms=0, three_ds_threshold=10**12)
        yield psp


@pytest.fixture
def runtime(card: RunningPsp) -> Iterator[PaymentsRuntime]:
    built = PaymentsRuntime.build(
        config_for(
            [(card, "card")],
            withdrawals={
                "auto_approve_below": {"EUR": "100.00"},
                "four_eyes_from": {"EUR": "1000.00"},
            },
        )
    )
    yield built
    built.close()


def funded(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, amount: int, country: str = "MT"
) -> tuple[PlayerView, str]:
    """A player who deposited ``amount`` by card and played with it (a withdrawal after
    little play would be an AML alert that needs an approver); returns them and the card's
    instrument id."""
    player = player_in(db, clock, country)
    assert deposit(db, clock, runtime, player, amount).status == "captured"
    move(db, clock, player, "bet", amount // 2)
    move(db, clock, player, "win", amount // 2)
    with db.read_only() as s:
        instrument = s.scalar(
            select(PaymentInstrument).where(PaymentInstrument.player_id == player.id)
        )
        assert instrument is not None
        return player, instrument.id


def withdraw(
    db: Database,
    clock: ManualClock,
    runtime: PaymentsRuntime,
    player_id: str,
    instrument_id: str,
    amount: int,
) -> service.PaymentView:
    return orchestration.withdraw(
        db,
        clock,
        runtime,
        player_id,
        service.WithdrawalRequest(
            client_id=next_id("wd"), amount=amount, currency="EUR", instrument_id=instrument_id
        ),
    )


def test_a_small_withdrawal_is_approved_and_paid_out(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 40 * UNIT)
    view = withdraw(db, clock, runtime, player.id, instrument, 30 * UNIT)
    assert view.status in ("pending", "paid")
    assert available(db, player) == 10 * UNIT
    assert Janitor(db, clock, runtime).until(view.id, "paid") == "paid"
    assert balance(db, player) == 10 * UNIT
    assert ledger_ok(db)


def test_a_withdrawal_above_the_balance_is_refused_and_nothing_is_held(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 40 * UNIT)
    before = counts(db)
    with pytest.raises(errors.InsufficientFunds):
        withdraw(db, clock, runtime, player.id, instrument, 41 * UNIT)
    assert counts(db) == before
    assert available(db, player) == 40 * UNIT


def test_four_eyes_needs_two_different_operators(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 1500 * UNIT)
    view = withdraw(db, clock, runtime, player.id, instrument, 1200 * UNIT)
    assert view.status == "awaiting_approval"
    assert view.approvals_needed == 2
    assert available(db, player) == 300 * UNIT
    with db.unit_of_work() as s:
        first = service.approve_withdrawal(s, clock, view.id, operator_id="op-1", note="docs ok")
    assert first.status == "awaiting_approval"
    with db.unit_of_work() as s, pytest.raises(errors.AlreadyApproved):
        service.approve_withdrawal(s, clock, view.id, operator_id="op-1", note="me again")
    with db.unit_of_work() as s:
        second = service.approve_withdrawal(s, clock, view.id, operator_id="op-2", note="agreed")
    assert second.status == "approved"
    assert second.approvals == 2
    orchestration.place_stored(db, clock, runtime, view.id)
    assert Janitor(db, clock, runtime).until(view.id, "paid") == "paid"
    assert balance(db, player) == 300 * UNIT
    assert ledger_ok(db)


def test_one_approver_is_enough_between_the_thresholds(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 500 * UNIT)
    view = withdraw(db, clock, runtime, player.id, instrument, 200 * UNIT)
    assert view.approvals_needed == 1
    with db.unit_of_work() as s:
        assert (
            service.approve_withdrawal(s, clock, view.id, operator_id="op-1", note="fine").status
            == "approved"
        )


def test_a_failed_payout_voids_the_hold_and_restores_the_balance_exactly(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime, card: RunningPsp
) -> None:
    player, instrument = funded(db, clock, runtime, 40 * UNIT)
    card.set_faults(decline_rules=[{"amount_gte": 2000, "code": "closed"}])
    view = withdraw(db, clock, runtime, player.id, instrument, 25 * UNIT)
    assert Janitor(db, clock, runtime).until(view.id, "failed") == "failed"
    assert balance(db, player) == 40 * UNIT
    assert available(db, player) == 40 * UNIT
    with db.read_only() as s:
        codes = sorted(
            t.code
            for t in s.scalars(select(LedgerTransfer).where(LedgerTransfer.reference == view.id))
        )
    assert codes == ["withdrawal", "withdrawal_void"]
    assert ledger_ok(db)


def test_a_self_excluded_player_can_still_withdraw(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 40 * UNIT)
    with db.unit_of_work() as s:
        rg.self_exclude(s, clock, player.id, months=6, actor="test")
    view = withdraw(db, clock, runtime, player.id, instrument, 40 * UNIT)
    assert Janitor(db, clock, runtime).until(view.id, "paid") == "paid"
    assert balance(db, player) == 0


def test_payouts_go_only_to_an_instrument_in_the_players_name(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 40 * UNIT)
    other, other_instrument = funded(db, clock, runtime, 40 * UNIT)
    before = counts(db)
    with pytest.raises(errors.InstrumentNotTheirs):
        withdraw(db, clock, runtime, player.id, other_instrument, 10 * UNIT)
    # A card deposited with under someone else's name does not qualify either.
    with db.unit_of_work() as s:
        row = s.get(PaymentInstrument, instrument)
        assert row is not None
        row.holder_name = "Somebody Else"
    with pytest.raises(errors.InstrumentNotTheirs):
        withdraw(db, clock, runtime, player.id, instrument, 10 * UNIT)
    assert counts(db) == before
    assert other.id != player.id


def test_a_maltese_player_may_take_a_waiting_withdrawal_back(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 500 * UNIT, country="MT")
    view = withdraw(db, clock, runtime, player.id, instrument, 200 * UNIT)
    # A Maltese player may take it back while it waits (a marker of harm, watched).
    with db.unit_of_work() as s:
        cancelled = service.cancel_withdrawal(s, clock, view.id, player.id)
    assert cancelled.status == "cancelled"
    assert available(db, player) == 500 * UNIT
    with db.read_only() as s:
        void = s.scalar(select(LedgerTransfer).where(LedgerTransfer.id == f"wd:{view.id}:void"))
        assert void is not None
        assert void.code == "withdrawal_reversal"


def test_reverse_withdrawals_are_refused_in_great_britain(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    from croupier.products.payments.models import Payment

    player, instrument = funded(db, clock, runtime, 500 * UNIT)
    view = withdraw(db, clock, runtime, player.id, instrument, 200 * UNIT)
    # The same withdrawal as if the player were licensed in Great Britain (UKGC RTS 14B).
    from croupier.core.players.models import Player

    with db.unit_of_work() as s:
        row = s.get(Player, player.id)
        assert row is not None
        row.jurisdiction = "GB"
    with db.unit_of_work() as s, pytest.raises(errors.ReverseWithdrawalForbidden):
        service.cancel_withdrawal(s, clock, view.id, player.id)
    with db.read_only() as s:
        payment = s.get(Payment, view.id)
        assert payment is not None
        assert payment.status == "awaiting_approval"
    assert available(db, player) == 300 * UNIT


def test_a_rejected_withdrawal_returns_the_money(
    db: Database, clock: ManualClock, runtime: PaymentsRuntime
) -> None:
    player, instrument = funded(db, clock, runtime, 500 * UNIT)
    view = withdraw(db, clock, runtime, player.id, instrument, 200 * UNIT)
    with db.unit_of_work() as s:
        rejected = service.reject_withdrawal(
            s, clock, view.id, operator_id="op-1", reason="documents missing"
        )
    assert rejected.status == "rejected"
    assert available(db, player) == 500 * UNIT
    with db.read_only() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(LedgerTransfer)
                .where(LedgerTransfer.reference == view.id)
            )
            == 2
        )
    assert ledger_ok(db)

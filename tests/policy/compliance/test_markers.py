"""Markers of harm open responsible-gaming cases; ordinary play opens none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from croupier.kernel.clock import ManualClock
from croupier.policy.compliance.cases import CaseKind, open_cases_of
from croupier.policy.compliance.markers import evaluate_markers
from tests.core.players.player_fixtures import logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move, player_in


def _markers(db, clock, player_id) -> list[str]:
    with db.unit_of_work() as s:
        evaluate_markers(s, clock, player_id)
    with db.read_only() as s:
        return sorted(c.details["marker"] for c in open_cases_of(s, player_id, CaseKind.RG))


@pytest.fixture
def night_clock():
    return ManualClock(datetime(2026, 11, 2, 1, 0, tzinfo=UTC))


def test_night_play_is_a_marker(db, night_clock):
    player = player_in(db, night_clock, "MT")
    move(db, night_clock, player, "deposit", 100 * UNIT)
    for _ in range(10):
        move(db, night_clock, player, "bet", UNIT)
        night_clock.advance(timedelta(minutes=10))

    assert _markers(db, night_clock, player.id) == ["rg.night_play"]


def test_rising_deposit_frequency_is_a_marker(db, clock):
    player = player_in(db, clock, "MT")
    move(db, clock, player, "deposit", 10 * UNIT)
    clock.advance(timedelta(days=8))
    for _ in range(5):
        move(db, clock, player, "deposit", 10 * UNIT)
        clock.advance(timedelta(hours=20))

    assert _markers(db, clock, player.id) == ["rg.rising_deposits"]


def test_depositing_again_and_again_after_losses_is_chasing(db, clock):
    player = player_in(db, clock, "MT")
    for _ in range(3):
        move(db, clock, player, "deposit", 20 * UNIT)
        move(db, clock, player, "bet", 20 * UNIT)
        clock.advance(timedelta(minutes=20))

    assert _markers(db, clock, player.id) == ["rg.chasing_losses"]


def test_ordinary_play_shows_no_marker(db, clock):
    player = player_in(db, clock, "MT")
    for _ in range(3):
        move(db, clock, player, "deposit", 20 * UNIT)
        move(db, clock, player, "bet", 10 * UNIT)
        move(db, clock, player, "win", 12 * UNIT)
        clock.advance(timedelta(days=2))
    assert _markers(db, clock, player.id) == []


def test_asking_twice_to_raise_a_limit_opens_a_case_through_the_event(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        player = register(c, country="GB", currency="GBP")
        c.headers.update(logged_in(c))
        c.put("/api/v1/me/limits/deposit/24h", json={"amount": 10 * UNIT})
        c.put("/api/v1/me/limits/deposit/24h", json={"amount": 20 * UNIT})
        first = _open(db, player["id"])
        c.put("/api/v1/me/limits/deposit/24h", json={"amount": 30 * UNIT})
        second = _open(db, player["id"])
    assert first == []
    assert second == ["rg.limit_increases"]


def _open(db, player_id):
    with db.read_only() as s:
        return [c.details["marker"] for c in open_cases_of(s, player_id, CaseKind.RG)]


def _withdraw_then(db, clock, player, hold_id, void_code):
    """A withdrawal held by a pending transfer, then voided with ``void_code``."""
    from croupier.core.wallet import (
        AccountKind,
        NewTransfer,
        TransferKind,
        create_transfers,
        platform_account,
    )

    with db.unit_of_work() as s:
        clearing = platform_account(
            s, clock, kind=AccountKind.HOUSE, currency_code=player.currency, name="house"
        )
        create_transfers(
            s,
            clock,
            [
                NewTransfer(
                    id=hold_id, debit_account_id=player.cash_account_id,
                    credit_account_id=clearing.id, amount=20 * UNIT,
                    kind=TransferKind.PENDING, code="withdrawal",
                )
            ],
        )[0].unwrap()  # fmt: skip
    with db.unit_of_work() as s:
        create_transfers(
            s,
            clock,
            [
                NewTransfer(
                    id=f"{hold_id}:void", kind=TransferKind.VOID_PENDING, pending_id=hold_id,
                    code=void_code,
                )
            ],
        )[0].unwrap()  # fmt: skip


def test_taking_withdrawals_back_is_a_marker_and_a_rejected_one_is_not(db, clock):
    from croupier.policy.compliance.markers import WITHDRAWAL_REVERSAL_CODE

    player = player_in(db, clock, "GB", currency="GBP")
    move(db, clock, player, "deposit", 100 * UNIT)
    _withdraw_then(db, clock, player, "wd-1", "withdrawal_rejected")
    _withdraw_then(db, clock, player, "wd-2", WITHDRAWAL_REVERSAL_CODE)
    assert _markers(db, clock, player.id) == []  # one reversal, one operator rejection

    clock.advance(timedelta(days=3))
    _withdraw_then(db, clock, player, "wd-3", WITHDRAWAL_REVERSAL_CODE)
    assert _markers(db, clock, player.id) == ["rg.reversed_withdrawals"]


def test_reversals_a_month_apart_are_no_marker(db, clock):
    from croupier.policy.compliance.markers import WITHDRAWAL_REVERSAL_CODE

    player = player_in(db, clock, "GB", currency="GBP")
    move(db, clock, player, "deposit", 100 * UNIT)
    _withdraw_then(db, clock, player, "wd-1", WITHDRAWAL_REVERSAL_CODE)
    clock.advance(timedelta(days=31))
    _withdraw_then(db, clock, player, "wd-2", WITHDRAWAL_REVERSAL_CODE)
    assert _markers(db, clock, player.id) == []

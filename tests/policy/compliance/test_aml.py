"""AML monitoring: each rule fires on the pattern it is for, once, and not on normal play."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from croupier.policy.compliance.aml import Movement, MovementKind, evaluate_movement
from croupier.policy.compliance.cases import CaseKind, open_cases_of
from tests.policy.policy_fixtures import UNIT, move, player_in

_ids = itertools.count()


def _movement(db, clock, player, kind: MovementKind, amount: int, **extra) -> list[str]:
    """Post the movement to the ledger, then evaluate it, as a product would."""
    move(db, clock, player, kind.value, amount)
    with db.unit_of_work() as s:
        cases = evaluate_movement(
            s, clock, player.id, Movement(kind, amount, f"t{next(_ids)}", **extra)
        )
    return [c.details["rule"] for c in cases]


def _open_rules(db, player) -> list[str]:
    with db.read_only() as s:
        return sorted(c.details["rule"] for c in open_cases_of(s, player.id, CaseKind.AML))


@pytest.fixture
def player(db, clock):
    return player_in(db, clock, "MT")  # EUR; due diligence at 2,000 EUR


def test_three_deposits_of_700_eur_in_a_day_raise_a_cdd_alert(db, clock, player):
    assert _movement(db, clock, player, MovementKind.DEPOSIT, 700 * UNIT) == []
    clock.advance(timedelta(hours=5))
    assert _movement(db, clock, player, MovementKind.DEPOSIT, 700 * UNIT) == []
    clock.advance(timedelta(hours=5))

    assert _movement(db, clock, player, MovementKind.DEPOSIT, 700 * UNIT) == ["aml.cdd_threshold"]
    assert _movement(db, clock, player, MovementKind.DEPOSIT, 100 * UNIT) == []  # one open case


def test_deposits_spread_over_days_do_not_add_up(db, clock, player):
    for _ in range(3):
        assert _movement(db, clock, player, MovementKind.DEPOSIT, 700 * UNIT) == []
        clock.advance(timedelta(hours=25))
    assert _open_rules(db, player) == []


def test_deposits_just_below_the_threshold_look_like_structuring(db, clock, player):
    for _ in range(3):
        _movement(db, clock, player, MovementKind.DEPOSIT, 1_900 * UNIT)
        clock.advance(timedelta(days=2))

    assert "aml.structuring" in _open_rules(db, player)


def test_a_withdrawal_after_little_play_is_flagged(db, clock, player):
    _movement(db, clock, player, MovementKind.DEPOSIT, 500 * UNIT)
    _movement(db, clock, player, MovementKind.BET, 20 * UNIT)

    assert _movement(db, clock, player, MovementKind.WITHDRAWAL, 450 * UNIT) == ["aml.little_play"]


def test_a_withdrawal_after_real_play_is_not(db, clock, player):
    _movement(db, clock, player, MovementKind.DEPOSIT, 500 * UNIT)
    _movement(db, clock, player, MovementKind.BET, 400 * UNIT)
    _movement(db, clock, player, MovementKind.WIN, 380 * UNIT)

    assert _movement(db, clock, player, MovementKind.WITHDRAWAL, 450 * UNIT) == []


def test_rapid_deposit_and_withdrawal_cycles_are_flagged(db, clock, player):
    rules = []
    for _ in range(3):
        rules += _movement(db, clock, player, MovementKind.DEPOSIT, 100 * UNIT)
        _movement(db, clock, player, MovementKind.BET, 90 * UNIT)  # enough play
        rules += _movement(db, clock, player, MovementKind.WITHDRAWAL, 10 * UNIT)
    assert "aml.rapid_cycling" in rules


def test_a_payment_account_in_another_name_is_flagged_and_the_own_name_is_not(db, clock, player):
    own = _movement(
        db, clock, player, MovementKind.DEPOSIT, 10 * UNIT,
        payment_account_name=player.legal_name.upper(),
    )  # fmt: skip
    other = _movement(
        db, clock, player, MovementKind.DEPOSIT, 10 * UNIT, payment_account_name="Hugo Fischer"
    )
    assert own == []
    assert other == ["aml.name_mismatch"]


def test_a_card_shared_by_two_players_is_flagged(db, clock, player):
    other = player_in(db, clock, "MT")
    assert (
        _movement(
            db, clock, other, MovementKind.DEPOSIT, 10 * UNIT, instrument_fingerprint="card-1"
        )
        == []
    )

    shared = _movement(
        db, clock, player, MovementKind.DEPOSIT, 10 * UNIT, instrument_fingerprint="card-1"
    )

    assert shared == ["aml.shared_instrument"]


def test_a_large_win_is_flagged(db, clock, player):
    assert _movement(db, clock, player, MovementKind.WIN, 10_000 * UNIT) == [
        "aml.cdd_threshold",
        "aml.large_transaction",
    ]


def test_ordinary_play_raises_nothing(db, clock, player):
    for _ in range(5):
        _movement(db, clock, player, MovementKind.DEPOSIT, 50 * UNIT)
        _movement(db, clock, player, MovementKind.BET, 40 * UNIT)
        _movement(db, clock, player, MovementKind.WIN, 30 * UNIT)
        clock.advance(timedelta(days=1))
    assert _open_rules(db, player) == []


def test_a_player_in_another_currency_is_not_evaluated_until_rates_exist(db, clock):
    gb = player_in(db, clock, "GB", currency="GBP")
    assert _movement(db, clock, gb, MovementKind.WIN, 50_000 * UNIT) == []

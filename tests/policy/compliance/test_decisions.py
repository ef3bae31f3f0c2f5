"""The policy entry point: self-exclusion, time-outs, verification, products, stake caps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from croupier.core.players import PlayerStatus, get_player
from croupier.kernel.jurisdictions import Product
from croupier.policy.compliance import (
    marketing_allowed,
    may_bet,
    may_deposit,
    may_login,
    may_play,
    may_withdraw,
)
from croupier.policy.rg import errors
from croupier.policy.rg.service import request_self_exclusion_end, self_exclude, take_timeout
from tests.core.wallet.ledger_fixtures import assert_ledger_verifies
from tests.policy.policy_fixtures import UNIT, move, player_in


def _decide(db, clock, player):
    with db.unit_of_work() as s:
        return {
            "login": may_login(s, clock, player.id),
            "deposit": may_deposit(s, clock, player.id, 10 * UNIT),
            "bet": may_bet(s, clock, player.id, Product.CASINO, UNIT),
            "withdraw": may_withdraw(s, clock, player.id, UNIT),
            "marketing": marketing_allowed(s, clock, player.id),
        }


def test_a_self_excluded_player_cannot_deposit_or_bet_but_can_log_in_and_withdraw(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    move(db, clock, player, "deposit", 50 * UNIT)
    with db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=6, actor=f"player:{player.id}")

    decided = _decide(db, clock, player)

    assert decided["deposit"].code == "rg.self_excluded"
    assert decided["bet"].code == "rg.self_excluded"
    assert decided["login"].allowed
    assert decided["withdraw"].allowed
    assert decided["marketing"] is False
    with db.read_only() as s:
        assert get_player(s, player.id, brand_scope=None).status is PlayerStatus.SELF_EXCLUDED


def test_a_gb_self_exclusion_is_not_lifted_automatically_at_expiry(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    with db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=6, actor="player")
    clock.advance(timedelta(days=190))
    assert _decide(db, clock, player)["deposit"].code == "rg.self_excluded"

    with db.unit_of_work() as s:
        request_self_exclusion_end(s, clock, player.id, actor="player")
    clock.advance(timedelta(hours=23))
    assert _decide(db, clock, player)["deposit"].code == "rg.self_excluded"
    clock.advance(timedelta(hours=1))

    assert _decide(db, clock, player)["deposit"].allowed
    with db.read_only() as s:
        assert get_player(s, player.id, brand_scope=None).status is PlayerStatus.ACTIVE


def test_ending_a_self_exclusion_before_it_expires_is_refused(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    with db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=6, actor="player")
    clock.advance(timedelta(days=30))
    with pytest.raises(errors.ExclusionStillInForce), db.unit_of_work() as s:
        request_self_exclusion_end(s, clock, player.id, actor="player")
    assert _decide(db, clock, player)["bet"].code == "rg.self_excluded"


def test_a_self_exclusion_period_the_jurisdiction_does_not_offer_is_refused(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    with pytest.raises(errors.InvalidExclusionPeriod), db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=2, actor="player")
    with pytest.raises(errors.InvalidExclusionPeriod), db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=None, actor="player")  # no permanent in GB
    assert _decide(db, clock, player)["deposit"].allowed


def test_a_time_out_blocks_deposits_and_bets_and_ends_on_time(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    with db.unit_of_work() as s:
        take_timeout(s, clock, player.id, timedelta(hours=48), actor="player")

    clock.advance(timedelta(hours=47, minutes=59))
    during = _decide(db, clock, player)
    clock.advance(timedelta(minutes=1))
    after = _decide(db, clock, player)

    assert during["deposit"].code == during["bet"].code == "rg.timed_out"
    assert during["withdraw"].allowed
    assert during["marketing"] is False
    assert after["deposit"].allowed
    assert after["bet"].allowed
    assert after["marketing"]


@pytest.mark.parametrize("duration", [timedelta(hours=23), timedelta(days=43)])
def test_a_time_out_outside_the_jurisdictions_range_is_refused(db, clock, duration):
    player = player_in(db, clock, "GB", currency="GBP")
    with pytest.raises(errors.InvalidExclusionPeriod), db.unit_of_work() as s:
        take_timeout(s, clock, player.id, duration, actor="player")
    assert _decide(db, clock, player)["bet"].allowed


def test_gb_slot_stakes_are_capped_at_5_pounds_and_at_2_for_ages_18_to_24(db, clock):
    adult = player_in(db, clock, "GB", currency="GBP", born=date(1980, 5, 5))
    young = player_in(db, clock, "GB", currency="GBP", born=date(2004, 5, 5))  # 22
    with db.unit_of_work() as s:
        assert may_bet(s, clock, adult.id, Product.SLOTS, 5 * UNIT).allowed
        assert may_bet(s, clock, adult.id, Product.SLOTS, 5 * UNIT + 1).code == (
            "compliance.stake_above_cap"
        )
        assert may_bet(s, clock, young.id, Product.SLOTS, 2 * UNIT).allowed
        assert may_bet(s, clock, young.id, Product.SLOTS, 3 * UNIT).code == (
            "compliance.stake_above_cap"
        )
        assert may_bet(s, clock, young.id, Product.CASINO, 3 * UNIT).allowed  # slots only


def test_a_product_the_jurisdiction_does_not_license_is_refused(db, clock):
    player = player_in(db, clock, "FR")  # France licenses no online casino
    with db.unit_of_work() as s:
        assert may_bet(s, clock, player.id, Product.SLOTS, UNIT).code == (
            "compliance.product_not_offered"
        )
        assert may_bet(s, clock, player.id, Product.SPORTS, UNIT).allowed


def test_an_unverified_gb_player_may_not_deposit_or_bet(db, clock):
    player = player_in(db, clock, "GB", currency="GBP", active=False)
    decided = _decide(db, clock, player)
    assert decided["deposit"].code == "compliance.verification_required"
    assert decided["bet"].code == "compliance.verification_required"


def test_a_suspended_player_may_neither_deposit_nor_withdraw(db, clock):
    from croupier.core.players import change_status

    player = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        change_status(
            s,
            clock,
            player.id,
            PlayerStatus.SUSPENDED,
            reason="review",
            actor="test",
            brand_scope=None,
        )
    decided = _decide(db, clock, player)
    assert decided["deposit"].code == decided["withdraw"].code == "compliance.account_not_active"


def test_a_decision_moves_no_money(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    move(db, clock, player, "deposit", 10 * UNIT)
    _decide(db, clock, player)
    assert_ledger_verifies(db)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({}, None),
        ({"date_of_birth": date(2010, 1, 1)}, "players.under_age"),
        ({"country": "US", "region": "NJ", "date_of_birth": date(2006, 1, 1)}, "players.under_age"),
        ({"brand_code": "nosuch"}, "players.brand_not_found"),
        ({"currency_code": "JPY"}, "players.currency_not_offered"),
        ({"country": "US", "region": None}, "jurisdiction.region_required"),
    ],
)
def test_may_register_applies_the_registration_rules_without_creating_anything(
    db, clock, overrides, code
):
    from croupier.policy.compliance import may_register
    from tests.core.players.player_fixtures import footprint, make_brand

    make_brand(db, clock)
    before = footprint(db)
    asked = {
        "brand_code": "luckystar",
        "country": "MT",
        "region": None,
        "currency_code": "EUR",
        "date_of_birth": date(1990, 1, 1),
        "legal_name": "Ada Lovelace",
        "postcode": "VLT 1117",
        **overrides,
    }
    with db.unit_of_work() as s:
        decision = may_register(s, clock, **asked)

    assert decision.code == code
    assert footprint(db) == before


def test_may_play_asks_what_may_bet_asks_except_the_stake(db, clock):
    from croupier.core.players import change_status

    active = player_in(db, clock, "MT")
    unverified = player_in(db, clock, "GB", currency="GBP", active=False)
    in_france = player_in(db, clock, "FR")
    on_a_break = player_in(db, clock, "MT")
    suspended = player_in(db, clock, "MT")
    with db.unit_of_work() as s:
        take_timeout(s, clock, on_a_break.id, timedelta(days=1), actor="player")
        change_status(
            s,
            clock,
            suspended.id,
            PlayerStatus.SUSPENDED,
            reason="review",
            actor="test",
            brand_scope=None,
        )

    with db.unit_of_work() as s:
        decided = {
            p.id: may_play(s, clock, p.id, Product.SLOTS)
            for p in (active, unverified, in_france, on_a_break, suspended)
        }

    assert decided[active.id].allowed
    assert decided[unverified.id].code == "compliance.verification_required"
    assert decided[in_france.id].code == "compliance.product_not_offered"
    assert decided[on_a_break.id].code == "rg.timed_out"
    assert decided[suspended.id].code == "compliance.account_not_active"

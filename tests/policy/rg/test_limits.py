"""Player-set limits (GLI-19 A.3.7, UKGC RTS 12), scenario by scenario on the test clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from croupier.kernel.jurisdictions import LimitKind, LimitPeriod, Product, jurisdiction
from croupier.policy.compliance import may_bet, may_deposit
from croupier.policy.rg import errors
from croupier.policy.rg.service import confirm_limit_increase, list_limits, set_limit
from tests.policy.policy_fixtures import UNIT, move, player_in

DAY, WEEK, MONTH = LimitPeriod.DAY, LimitPeriod.WEEK, LimitPeriod.MONTH
DEPOSIT = LimitKind.DEPOSIT


def _set(db, clock, player, amount, kind=DEPOSIT, period=DAY):
    with db.unit_of_work() as s:
        return set_limit(s, clock, player.id, kind, period, amount, actor="test")


def _confirm(db, clock, player, kind=DEPOSIT, period=DAY):
    with db.unit_of_work() as s:
        return confirm_limit_increase(s, clock, player.id, kind, period, actor="test")


def _may_deposit(db, clock, player, amount):
    with db.unit_of_work() as s:
        return may_deposit(s, clock, player.id, amount)


def test_a_gb_player_lowers_a_daily_deposit_limit_at_once_and_a_raise_waits_24_h_and_a_yes(
    db, clock
):
    player = player_in(db, clock, "GB", currency="GBP")
    _set(db, clock, player, 100 * UNIT)
    lowered = _set(db, clock, player, 50 * UNIT)
    assert lowered.amount == 50 * UNIT  # a decrease is immediate

    raised = _set(db, clock, player, 200 * UNIT)
    assert (raised.amount, raised.pending_amount) == (50 * UNIT, 200 * UNIT)
    assert raised.pending_effective_at == clock.now() + timedelta(hours=24)
    clock.advance(timedelta(hours=23))
    with pytest.raises(errors.CoolingOff):
        _confirm(db, clock, player)
    assert _may_deposit(db, clock, player, 60 * UNIT).code == "rg.deposit_limit_exceeded"

    clock.advance(timedelta(hours=1))
    assert _may_deposit(db, clock, player, 60 * UNIT).code == "rg.deposit_limit_exceeded"
    confirmed = _confirm(db, clock, player)  # after 24 h, and only with the confirmation

    assert (confirmed.amount, confirmed.pending_amount) == (200 * UNIT, None)
    assert _may_deposit(db, clock, player, 60 * UNIT).allowed


def test_a_se_raise_waits_72_hours_and_for_the_end_of_the_period(db, clock):
    player = player_in(db, clock, "SE", currency="SEK")
    _set(db, clock, player, 1_000 * UNIT, period=MONTH)
    clock.advance(timedelta(days=2))

    raised = _set(db, clock, player, 2_000 * UNIT, period=MONTH)

    # Asked on day 2 of a month anchored at 2026-11-01 12:00: 72 h would be day 5, but the
    # month runs to 2026-12-01 12:00.
    assert raised.pending_effective_at == raised.period_ends_at
    clock.advance(timedelta(days=5))
    with pytest.raises(errors.CoolingOff):
        _confirm(db, clock, player, period=MONTH)
    clock.advance(raised.period_ends_at - clock.now())
    assert _confirm(db, clock, player, period=MONTH).amount == 2_000 * UNIT


def test_a_se_raise_near_the_end_of_a_day_still_waits_72_hours(db, clock):
    player = player_in(db, clock, "SE", currency="SEK")
    _set(db, clock, player, 100 * UNIT, period=DAY)
    clock.advance(timedelta(hours=23))

    raised = _set(db, clock, player, 200 * UNIT, period=DAY)

    assert raised.pending_effective_at == clock.now() + timedelta(hours=72)


def test_a_deposit_beyond_the_limit_is_refused_and_the_lowest_limit_wins(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    _set(db, clock, player, 100 * UNIT, period=DAY)
    _set(db, clock, player, 150 * UNIT, period=WEEK)
    move(db, clock, player, "deposit", 80 * UNIT)

    day = _may_deposit(db, clock, player, 30 * UNIT)
    assert day.code == "rg.deposit_limit_exceeded"
    assert day.refusal.extra["remaining"] == 20 * UNIT
    assert _may_deposit(db, clock, player, 20 * UNIT).allowed

    clock.advance(timedelta(days=1))  # a new day, same week: the weekly limit binds
    move(db, clock, player, "deposit", 60 * UNIT)
    week = _may_deposit(db, clock, player, 20 * UNIT)
    assert week.refusal.extra["remaining"] == 10 * UNIT


def test_usage_counts_only_the_current_period(db, clock):
    player = player_in(db, clock, "GB", currency="GBP")
    _set(db, clock, player, 100 * UNIT)
    move(db, clock, player, "deposit", 100 * UNIT)
    assert _may_deposit(db, clock, player, 1).code == "rg.deposit_limit_exceeded"

    clock.advance(timedelta(hours=24))

    assert _may_deposit(db, clock, player, 100 * UNIT).allowed
    with db.read_only() as s:
        [view] = list_limits(s, clock, player.id)
    assert (view.used, view.remaining) == (0, 100 * UNIT)


def test_wager_and_loss_limits_refuse_a_stake_that_would_pass_them(db, clock):
    player = player_in(db, clock, "MT")
    move(db, clock, player, "deposit", 500 * UNIT)
    _set(db, clock, player, 100 * UNIT, kind=LimitKind.LOSS)
    _set(db, clock, player, 300 * UNIT, kind=LimitKind.WAGER)
    move(db, clock, player, "bet", 90 * UNIT)
    move(db, clock, player, "win", 30 * UNIT)  # net loss 60

    with db.unit_of_work() as s:
        loss = may_bet(s, clock, player.id, Product.CASINO, 50 * UNIT)
        ok = may_bet(s, clock, player.id, Product.CASINO, 40 * UNIT)
    assert loss.code == "rg.loss_limit_exceeded"
    assert ok.allowed
    move(db, clock, player, "bet", 40 * UNIT)
    move(db, clock, player, "win", 200 * UNIT)  # wins lower the net loss, not the wagers
    with db.unit_of_work() as s:
        wager = may_bet(s, clock, player.id, Product.CASINO, 171 * UNIT)
    assert wager.code == "rg.wager_limit_exceeded"


@pytest.mark.parametrize(
    ("amount", "period", "error"),
    [
        (0, DAY, errors.InvalidLimit),
        (-5, DAY, errors.InvalidLimit),
    ],
)
def test_a_bad_limit_is_refused_and_nothing_is_set(db, clock, amount, period, error):
    player = player_in(db, clock, "GB", currency="GBP")
    with pytest.raises(error):
        _set(db, clock, player, amount, period=period)
    with db.read_only() as s:
        assert list_limits(s, clock, player.id) == []


def test_a_period_the_jurisdiction_does_not_offer_is_refused(db, clock):
    player = player_in(db, clock, "FR")  # France: 7-day limits (Décret 2010-518 art. 16)
    missing = next(p for p in LimitPeriod if p not in jurisdiction("FR").limit_periods)
    with pytest.raises(errors.PeriodNotOffered):
        _set(db, clock, player, 10 * UNIT, period=missing)


def test_an_operator_limit_applies_at_once_and_the_lower_of_the_two_wins(db, clock):
    from croupier.policy.rg.service import set_operator_limit

    player = player_in(db, clock, "GB", currency="GBP")
    _set(db, clock, player, 100 * UNIT)
    with db.unit_of_work() as s:
        views = set_operator_limit(
            s, clock, player.id, DEPOSIT, DAY, 40 * UNIT, reason="affordability review",
            actor="operator:opr_test", brand_scope=None,
        )  # fmt: skip
    assert sorted((v.set_by, v.amount) for v in views) == [
        ("operator", 40 * UNIT),
        ("player", 100 * UNIT),
    ]
    assert _may_deposit(db, clock, player, 50 * UNIT).refusal.extra["remaining"] == 40 * UNIT

    # The player's own raise cannot lift it; lifting it is the operator's.
    _set(db, clock, player, 500 * UNIT)
    clock.advance(timedelta(hours=24))
    _confirm(db, clock, player)
    assert _may_deposit(db, clock, player, 50 * UNIT).code == "rg.deposit_limit_exceeded"
    with db.unit_of_work() as s:
        set_operator_limit(
            s, clock, player.id, DEPOSIT, DAY, None, reason="review closed",
            actor="operator:opr_test", brand_scope=None,
        )  # fmt: skip
    assert _may_deposit(db, clock, player, 50 * UNIT).allowed


def test_a_decisions_single_read_sees_what_the_separate_reads_see(db, clock):
    # gaming_state joins the player to their exclusions and limits in one statement; with two
    # exclusions and four limits the join has eight rows, and each must count once.
    from croupier.core.players import get_player
    from croupier.policy.rg.service import (
        ALL_LIMITS,
        exclusions_in_force,
        gaming_state,
        limits_of,
        set_operator_limit,
        take_timeout,
    )

    player = player_in(db, clock, "GB", currency="GBP")
    _set(db, clock, player, 100 * UNIT)
    _set(db, clock, player, 50 * UNIT, kind=LimitKind.LOSS, period=WEEK)
    _set(db, clock, player, 80 * UNIT, kind=LimitKind.WAGER, period=MONTH)
    with db.unit_of_work() as s:
        set_operator_limit(
            s, clock, player.id, DEPOSIT, DAY, 40 * UNIT, reason="affordability review",
            actor="operator:opr_test", brand_scope=None,
        )  # fmt: skip
        take_timeout(s, clock, player.id, timedelta(days=1), actor="test")
    clock.advance(timedelta(days=2))  # the first break is over
    move(db, clock, player, "deposit", 30 * UNIT)
    move(db, clock, player, "bet", 10 * UNIT)
    with db.unit_of_work() as s:
        take_timeout(s, clock, player.id, timedelta(days=3), actor="test")
    with db.read_only() as s:
        state = gaming_state(s, clock, player.id, ALL_LIMITS)
        view = get_player(s, player.id, brand_scope=None)
        assert state.player == view
        assert state.exclusions == exclusions_in_force(s, clock, view)
        assert len(state.exclusions) == 1
        assert state.limits == limits_of(s, clock, view, ALL_LIMITS)
        assert [(v.kind, v.set_by, v.used) for v in state.limits] == [
            (DEPOSIT, "operator", 30 * UNIT),
            (DEPOSIT, "player", 30 * UNIT),
            (LimitKind.LOSS, "player", 10 * UNIT),
            (LimitKind.WAGER, "player", 10 * UNIT),
        ]
        only_deposits = gaming_state(s, clock, player.id, (DEPOSIT,))
        assert [v.kind for v in only_deposits.limits] == [DEPOSIT, DEPOSIT]

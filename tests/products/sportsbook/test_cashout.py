"""Cash-out: the value from today's prices less the margin, full and partial cash-outs through
the ledger and the settlement of what stays in play, refusals that move nothing, replays,
an accumulator with a leg already won, automatic rules, the player API, and the property that
cash-out and settlement together neither make nor lose money."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import timedelta
from fractions import Fraction
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from croupier.core.players import activate_player, get_player
from croupier.core.wallet import AccountKind, get_balance, platform_account, verify_ledger
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import cashout, catalogue, errors, exposure, settlement
from croupier.products.sportsbook.models import Bet, CashOut, MarketStatus, Sport
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move
from tests.products.sportsbook.book_fixtures import Fixture, bettor
from tests.products.sportsbook.test_betting import place

API = "/api/v1/sportsbook"
MARGIN = Fraction(5, 100)  # the default cash-out margin
_n = itertools.count()
_ids = itertools.count()


def book(
    db: Database, clock: ManualClock, prices: tuple[str, str, str] = ("2", "3.5", "4")
) -> Fixture:
    """A pre-match 1X2 market whose margin is proportional, so that fair probabilities are
    the implied ones over their sum, easy to check by hand."""
    n = next(_n)
    with db.unit_of_work() as s:
        competition = catalogue.create_competition(s, clock, sport=Sport.FOOTBALL, name="Cup")
        event = catalogue.create_event(
            s, clock, competition_id=competition, competitors=[f"Home {n}", f"Away {n}"],
            starts_at=clock.now() + timedelta(hours=2),
        )  # fmt: skip
        market = catalogue.create_market(
            s, clock, event_id=event.id, kind="1x2", params={},
            prices=dict(zip(("1", "X", "2"), prices, strict=True)),
            liability_limit=10**12, margin_method="proportional",
        )  # fmt: skip
    return Fixture(event.id, event.starts_at, market)


def reprice(db: Database, clock: ManualClock, fx: Fixture, prices: tuple[str, str, str]) -> None:
    with db.unit_of_work() as s:
        catalogue.set_prices(
            s, clock, fx.match_odds.id, dict(zip(("1", "X", "2"), prices, strict=True))
        )


def quote(db: Database, player_id: str, bet_id: str, fraction: Fraction = Fraction(1)) -> int:
    with db.read_only() as s:
        return cashout.quote_for_player(s, player_id, bet_id, fraction).value


def cash(
    db: Database,
    clock: ManualClock,
    player_id: str,
    bet_id: str,
    expected: int,
    fraction: Fraction = Fraction(1),
    client_id: str | None = None,
) -> cashout.CashOutView:
    with db.unit_of_work() as s:
        return cashout.cash_out(
            s,
            clock,
            player_id,
            bet_id,
            fraction=fraction,
            expected_value=expected,
            client_id=client_id or f"co-{next(_ids)}",
        )


def settle(db: Database, clock: ManualClock, fx: Fixture, home: int, away: int) -> None:
    with db.unit_of_work() as s:
        settlement.settle_market(
            s, clock, fx.match_odds.id, {"home": home, "away": away}, actor="operator:trader"
        )


def posted(db: Database, account: str) -> int:
    with db.read_only() as s:
        return get_balance(s, account).posted


def available(db: Database, account: str) -> int:
    with db.read_only() as s:
        return get_balance(s, account).available


def bet_row(db: Database, bet_id: str) -> Bet:
    with db.read_only() as s:
        bet = s.get(Bet, bet_id)
        assert bet is not None
        s.expunge(bet)
        return bet


def footprint(db: Database) -> tuple[int, int]:
    with db.read_only() as s:
        return (
            int(s.scalar(select(func.count()).select_from(LedgerTransfer)) or 0),
            int(s.scalar(select(func.count()).select_from(CashOut)) or 0),
        )


def ledger_ok(db: Database) -> None:
    with db.read_only() as s:
        assert verify_ledger(s) == []
        assert exposure.drift(s) == []  # the kept exposure is the open bets' sum


# 10.00 on the home win at 2.0; then the prices move to 1.5 / 4 / 6 (implied 2/3 + 1/4 + 1/6
# = 13/12): the fair chance of a home win is (2/3) / (13/12) = 8/13, the expected return
# 10 × 2 × 8/13 = 160/13, and the value 95 % of it, 152/13 = 11.692307..., floored.
STAKE = 10 * UNIT
SHORTER = ("1.5", "4", "6")
VALUE = math.floor(Fraction(STAKE) * 2 * Fraction(8, 13) * (1 - MARGIN))


def test_the_value_of_a_single_is_its_fair_expected_return_less_the_margin(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    # At the prices taken (2 / 3.5 / 4: 1/2 + 2/7 + 1/4 = 29/28), home is (1/2) / (29/28).
    assert quote(db, player.id, bet.id) == math.floor(
        Fraction(STAKE) * 2 * Fraction(14, 29) * Fraction(95, 100)
    )
    reprice(db, clock, fx, SHORTER)
    assert VALUE == 11_692_307
    assert quote(db, player.id, bet.id) == VALUE
    assert quote(db, player.id, bet.id, Fraction(1, 2)) == math.floor(Fraction(VALUE * 1, 1) / 2)


def test_a_full_cash_out_pays_the_value_and_the_bet_does_not_settle_again(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    reprice(db, clock, fx, SHORTER)
    done = cash(db, clock, player.id, bet.id, VALUE)
    assert (done.amount, done.stake_part, done.seq) == (VALUE, STAKE, 1)
    assert (done.bet.status, done.bet.returned, done.bet.cashed_out) == ("cashed_out", VALUE, VALUE)
    assert posted(db, player.cash_account_id) == 100 * UNIT - STAKE + VALUE
    ledger_ok(db)
    before = footprint(db)
    settle(db, clock, fx, 2, 0)  # the home win it would have been paid 20.00 for
    assert posted(db, player.cash_account_id) == 100 * UNIT - STAKE + VALUE
    assert footprint(db) == before
    row = bet_row(db, bet.id)
    assert (row.status, row.returned) == ("cashed_out", VALUE)
    with db.read_only() as s, pytest.raises(errors.CashOutUnavailable):
        cashout.quote_for_player(s, player.id, bet.id)
    ledger_ok(db)


@pytest.mark.parametrize(("home", "away", "settled_pays"), [(2, 0, 10 * UNIT), (0, 1, 0)])
def test_a_partial_cash_out_pays_its_part_and_settlement_pays_the_rest(
    db: Database, clock: ManualClock, home: int, away: int, settled_pays: int
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    reprice(db, clock, fx, SHORTER)
    # Half: 5.00 of stake out of play, paid 76/13 = 5.846153... floored.
    half = math.floor(Fraction(STAKE) * 2 * Fraction(8, 13) * (1 - MARGIN) / 2)
    assert half == 5_846_153
    done = cash(db, clock, player.id, bet.id, half, Fraction(1, 2))
    assert (done.amount, done.stake_part, done.bet.status) == (half, 5 * UNIT, "accepted")
    assert (done.bet.stake, done.bet.potential_return) == (5 * UNIT, 10 * UNIT)
    # The 5.00 left in play is held again: the player's posted cash has paid the cashed part
    # only, and the rest is not available.
    assert posted(db, player.cash_account_id) == 100 * UNIT - 5 * UNIT + half
    assert available(db, player.cash_account_id) == 100 * UNIT - STAKE + half
    with db.read_only() as s:
        moved = {
            t.id: (t.kind, t.amount)
            for t in s.scalars(select(LedgerTransfer).where(LedgerTransfer.reference == bet.id))
        }
    prefix = f"sb:{bet.id}:cashout:1"
    assert moved[f"{prefix}:post"] == ("post_pending", 5 * UNIT)
    assert moved[f"{prefix}:stake"] == ("pending", 5 * UNIT)
    assert moved[f"{prefix}:pay"] == ("single", half)
    ledger_ok(db)
    settle(db, clock, fx, home, away)
    assert posted(db, player.cash_account_id) == 100 * UNIT - STAKE + half + settled_pays
    row = bet_row(db, bet.id)
    assert (row.status, row.returned, row.cashed_out) == ("settled", half + settled_pays, half)
    ledger_ok(db)


def test_a_partly_cashed_out_bet_on_a_voided_market_refunds_the_stake_left(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    value = quote(db, player.id, bet.id, Fraction(3, 10))
    cash(db, clock, player.id, bet.id, value, Fraction(3, 10))
    with db.unit_of_work() as s:
        settlement.void_market(s, clock, fx.match_odds.id, actor="operator:trader", reason="x")
    assert posted(db, player.cash_account_id) == 100 * UNIT - 3 * UNIT + value
    assert bet_row(db, bet.id).returned == value + 7 * UNIT
    ledger_ok(db)


def test_a_cash_out_is_refused_while_the_market_is_suspended_and_nothing_moves(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    value = quote(db, player.id, bet.id)
    with db.unit_of_work() as s:
        catalogue.set_market_status(
            s, clock, fx.match_odds.id, MarketStatus.SUSPENDED, actor="feed", reason="danger"
        )
    before = footprint(db), available(db, player.cash_account_id)
    with pytest.raises(errors.CashOutUnavailable) as refused:
        cash(db, clock, player.id, bet.id, value)
    assert refused.value.extra["reason"] == "market_suspended"
    assert (footprint(db), available(db, player.cash_account_id)) == before
    assert bet_row(db, bet.id).status == "accepted"
    ledger_ok(db)


def test_a_lower_value_than_shown_is_refused_and_nothing_moves_a_higher_one_is_paid(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    shown = quote(db, player.id, bet.id)
    reprice(db, clock, fx, ("2.5", "3.2", "2.9"))  # home drifts: worth less
    lower = quote(db, player.id, bet.id)
    assert lower < shown
    before = footprint(db), available(db, player.cash_account_id)
    with pytest.raises(errors.CashOutValueChanged) as changed:
        cash(db, clock, player.id, bet.id, shown)
    assert changed.value.status == 409
    assert changed.value.extra["value"] == lower
    assert (footprint(db), available(db, player.cash_account_id)) == before
    reprice(db, clock, fx, SHORTER)  # home shortens: worth more than shown
    assert cash(db, clock, player.id, bet.id, shown).amount == VALUE > shown
    ledger_ok(db)


def test_a_retry_with_the_same_id_returns_the_first_cash_out(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    value = quote(db, player.id, bet.id, Fraction(1, 4))
    first = cash(db, clock, player.id, bet.id, value, Fraction(1, 4), client_id="co-same")
    after = footprint(db), posted(db, player.cash_account_id)
    reprice(db, clock, fx, SHORTER)
    again = cash(db, clock, player.id, bet.id, value, Fraction(1, 4), client_id="co-same")
    assert (again.seq, again.amount, again.stake_part) == (first.seq, value, first.stake_part)
    assert (footprint(db), posted(db, player.cash_account_id)) == after
    ledger_ok(db)


def test_an_accumulator_with_a_leg_already_won_counts_it_at_its_price(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    first, second = book(db, clock), book(db, clock, ("3", "3.5", "2.5"))
    bet = place(db, clock, player.id, [first, second], ["1", "1"], kind="double", stake=STAKE)
    settle(db, clock, first, 1, 0)  # won at 2.0
    # Second leg at 3.0, market 3 / 3.5 / 2.5: 1/3 + 2/7 + 2/5 = 107/105; fair 35/107.
    expected = Fraction(STAKE) * 2 * 3 * Fraction(35, 107)
    assert quote(db, player.id, bet.id) == math.floor(expected * (1 - MARGIN))
    done = cash(db, clock, player.id, bet.id, math.floor(expected * (1 - MARGIN)))
    assert done.bet.status == "cashed_out"
    settle(db, clock, second, 1, 0)
    assert posted(db, player.cash_account_id) == 100 * UNIT - STAKE + done.amount
    ledger_ok(db)


def test_an_automatic_rule_cashes_out_when_the_prices_move_its_way(
    db: Database, clock: ManualClock
) -> None:
    player = bettor(db, clock)
    fx = book(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=STAKE)
    with db.unit_of_work() as s:
        cashout.set_auto_cash_out(s, clock, player.id, bet.id, at_value=11 * UNIT)
    with db.unit_of_work() as s:
        assert cashout.run_auto_cash_outs(s, clock) == 0
    assert bet_row(db, bet.id).status == "accepted"
    reprice(db, clock, fx, SHORTER)  # worth 11.69: above the rule
    with db.unit_of_work() as s:
        assert cashout.run_auto_cash_outs(s, clock) == 1
    row = bet_row(db, bet.id)
    assert (row.status, row.returned, row.auto_cash_out_at) == ("cashed_out", VALUE, None)
    with db.unit_of_work() as s:
        assert cashout.run_auto_cash_outs(s, clock) == 0
    assert posted(db, player.cash_account_id) == 100 * UNIT - STAKE + VALUE
    other = place(db, clock, player.id, fx, "2", stake=UNIT, prices={fx.sel("2"): "6"})
    with db.unit_of_work() as s, pytest.raises(errors.InvalidCashOut):  # beyond its potential
        cashout.set_auto_cash_out(s, clock, player.id, other.id, at_value=100 * UNIT)
    ledger_ok(db)


@pytest.fixture
def api(db: Database, clock: ManualClock) -> Iterator[tuple[TestClient, Fixture]]:
    make_brand(db, clock)
    with make_client(db, clock) as client:
        registered = register(client)
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            player = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, player, "deposit", 100 * UNIT)
        client.headers.update(logged_in(client))
        yield client, book(db, clock)


def test_a_player_sees_the_value_cashes_out_part_then_the_rest_over_http(
    db: Database, api: tuple[TestClient, Fixture]
) -> None:
    client, fx = api
    slip: dict[str, Any] = {
        "id": "slip-1",
        "kind": "single",
        "selections": [fx.sel("1")],
        "stake_per_line": STAKE,
        "prices": {fx.sel("1"): fx.price("1")},
    }
    bet = client.post(f"{API}/bets", json=slip).json()
    url = f"{API}/bets/{bet['id']}/cash-out"
    whole = client.get(url).json()
    half = client.get(url, params={"fraction": "0.5"}).json()
    assert (half["fraction"], half["stake_part"]) == ("1/2", 5 * UNIT)
    assert half["value"] == whole["value"] // 2
    too_high = client.post(url, json={"id": "co-1", "expected_value": whole["value"] + 1})
    assert_problem(too_high, 409, "sportsbook.cash_out_value_changed")
    assert too_high.json()["value"] == whole["value"]
    done = client.post(url, json={"id": "co-1", "fraction": "1/2", "expected_value": half["value"]})
    assert done.status_code == 201, done.text
    assert (done.json()["amount"], done.json()["bet"]["stake"]) == (half["value"], 5 * UNIT)
    rule = client.put(f"{API}/bets/{bet['id']}/auto-cash-out", json={"at_value": 9 * UNIT})
    assert rule.json() == {"bet_id": bet["id"], "at_value": 9 * UNIT}
    assert client.get(f"{API}/bets").json()[0]["auto_cash_out_at"] == 9 * UNIT
    rest = client.get(url).json()
    final = client.post(url, json={"id": "co-2", "expected_value": rest["value"]}).json()
    assert final["bet"]["status"] == "cashed_out"
    assert final["bet"]["returned"] == half["value"] + rest["value"]
    assert_problem(client.get(url), 422, "sportsbook.cash_out_unavailable")
    assert_problem(client.get(f"{API}/bets/bet_nope/cash-out"), 404, "sportsbook.bet_not_found")
    assert_problem(client.get(url, params={"fraction": "2"}), 422, "sportsbook.invalid_cash_out")
    ledger_ok(db)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["single", "double", "trixie"]),
    part=st.fractions(min_value=Fraction(1, 100), max_value=1),
    scores=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=3, max_size=3),
    moves=st.lists(
        st.sampled_from([("1.5", "4", "6"), ("2.5", "3.2", "2.9")]), min_size=3, max_size=3
    ),
)
def test_cash_out_and_settlement_never_pay_more_than_the_potential_and_lose_no_money(
    sqlite_db: Database,
    kind: str,
    part: Fraction,
    scores: list[tuple[int, int]],
    moves: list[tuple[str, str, str]],
) -> None:
    db = sqlite_db
    clock = ManualClock()
    player = bettor(db, clock, 1000 * UNIT)
    legs = {"single": 1, "double": 2, "trixie": 3}[kind]
    fixtures = [book(db, clock) for _ in range(legs)]
    picks: Fixture | list[Fixture] = fixtures if legs > 1 else fixtures[0]
    bet = place(db, clock, player.id, picks, ["1"] * legs, kind=kind, stake=3 * UNIT + 7)
    staked, potential = bet.stake, bet.potential_return
    with db.unit_of_work() as s:
        house = platform_account(
            s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="sportsbook"
        ).id
    house_before, cash_before = posted(db, house), posted(db, player.cash_account_id)
    for fx, prices in zip(fixtures, moves, strict=False):
        reprice(db, clock, fx, prices)
    value = quote(db, player.id, bet.id, part)
    cash(db, clock, player.id, bet.id, value, part)
    for fx, (home, away) in zip(fixtures, scores, strict=False):
        settle(db, clock, fx, home, away)
    row = bet_row(db, bet.id)
    paid = row.returned or 0
    assert row.status in ("settled", "cashed_out")
    assert value <= paid <= potential
    assert paid + (posted(db, house) - house_before) == staked
    assert posted(db, player.cash_account_id) == cash_before - staked + paid
    ledger_ok(db)

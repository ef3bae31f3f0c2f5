"""Bet types, their lines and what they pay: exact returns, void legs at odds 1, half wins,
dead heats, cancelled events, the rounding rule; and the money invariants as properties."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.sportsbook.bets import (
    SYSTEM_BETS,
    Bet,
    BetType,
    Leg,
    bet_type,
    line_count,
    lines,
    plan,
    potential_return,
    return_factor,
    selections_for,
    settle,
    settle_bet,
)
from croupier.products.sportsbook.markets import (
    AsianHandicap,
    EventCancelled,
    FootballScore,
    OneXTwo,
    Outcome,
    OutcomeKind,
    Outright,
    OutrightResult,
)
from croupier.products.sportsbook.markets import settle as settle_market
from croupier.products.sportsbook.settlement_errors import (
    InvalidLeg,
    InvalidLegCount,
    InvalidStake,
    LegNotSettled,
    UnknownBetType,
)

EUR = 1_000_000  # ledger units (micro-euros) in one euro
WIN, LOSE, VOID = Outcome.win(), Outcome.lose(), Outcome.void()


def F(text: str) -> Fraction:
    return Fraction(text)


def bet(kind: str, *legs: tuple[str, Outcome | None], stake: int = EUR) -> Bet:
    """A bet on legs given as (decimal price text, outcome), named A, B, C, ..."""
    return Bet(
        bet_type(kind),
        tuple(Leg(chr(65 + i), F(price), outcome) for i, (price, outcome) in enumerate(legs)),
        stake,
    )


# --- Bet types and their lines ------------------------------------------------------------

# kind → (selections, number of lines of each size from singles up)
LINE_TABLE = {
    "single": (1, [1]),
    "double": (2, [0, 1]),
    "treble": (3, [0, 0, 1]),
    "trixie": (3, [0, 3, 1]),
    "patent": (3, [3, 3, 1]),
    "yankee": (4, [0, 6, 4, 1]),
    "lucky15": (4, [4, 6, 4, 1]),
    "canadian": (5, [0, 10, 10, 5, 1]),
    "lucky31": (5, [5, 10, 10, 5, 1]),
    "heinz": (6, [0, 15, 20, 15, 6, 1]),
    "lucky63": (6, [6, 15, 20, 15, 6, 1]),
    "super_heinz": (7, [0, 21, 35, 35, 21, 7, 1]),
    "goliath": (8, [0, 28, 56, 70, 56, 28, 8, 1]),
}
TOTAL_LINES = {
    "trixie": 4,
    "patent": 7,
    "yankee": 11,
    "lucky15": 15,
    "canadian": 26,
    "lucky31": 31,
    "heinz": 57,
    "lucky63": 63,
    "super_heinz": 120,
    "goliath": 247,
}


@pytest.mark.parametrize("kind", list(LINE_TABLE))
def test_each_bet_type_expands_into_its_lines(kind: str) -> None:
    selections, by_size = LINE_TABLE[kind]
    assert selections_for(kind) == selections
    combos = lines(kind, selections)
    sizes = [sum(1 for c in combos if len(c) == size) for size in range(1, selections + 1)]
    assert sizes == by_size
    assert len(set(combos)) == len(combos)
    if kind in TOTAL_LINES:
        assert line_count(kind, selections) == TOTAL_LINES[kind]


def test_system_bets_are_the_full_cover_bets() -> None:
    assert {kind.value for kind in SYSTEM_BETS} == set(TOTAL_LINES)


def test_the_total_stake_is_the_stake_per_line_times_the_lines() -> None:
    goliath = Bet(BetType.GOLIATH, tuple(Leg(f"s{i}", F("2")) for i in range(8)), 50_000)
    assert goliath.line_count == 247
    assert goliath.total_stake == 247 * 50_000


@pytest.mark.parametrize("legs", [2, 3, 7, 20])
def test_an_accumulator_is_one_line_of_all_its_legs(legs: int) -> None:
    assert lines("accumulator", legs) == (tuple(range(legs)),)
    assert selections_for("accumulator") is None


@pytest.mark.parametrize(
    ("kind", "legs"),
    [("single", 2), ("trixie", 4), ("goliath", 7), ("accumulator", 1), ("lucky15", 0)],
)
def test_a_bet_type_refuses_the_wrong_number_of_selections(kind: str, legs: int) -> None:
    with pytest.raises(InvalidLegCount) as caught:
        Bet(bet_type(kind), tuple(Leg(f"s{i}", F("2")) for i in range(legs)), EUR)
    assert caught.value.code == "sportsbook.invalid_leg_count"
    assert caught.value.status == 422


def test_bet_type_names_and_aliases() -> None:
    assert bet_type("super_yankee") is BetType.CANADIAN
    assert bet_type("Lucky_15") is BetType.LUCKY15
    assert bet_type(BetType.HEINZ) is BetType.HEINZ
    with pytest.raises(UnknownBetType) as caught:
        bet_type("round_robin")
    assert caught.value.code == "sportsbook.unknown_bet_type"


@pytest.mark.parametrize("price", [Fraction(1), Fraction(1, 2), 2.5, 2, "2.5"])
def test_a_price_is_exact_decimal_odds_above_one(price: Any) -> None:
    with pytest.raises(InvalidLeg):
        Leg("s1", price)


def test_a_bet_takes_each_selection_once() -> None:
    with pytest.raises(InvalidLeg):
        Bet(BetType.DOUBLE, (Leg("s1", F("2")), Leg("s1", F("3"))), EUR)


@pytest.mark.parametrize("stake", [0, -5, True, 1.5, 2**63])
def test_the_stake_per_line_is_a_positive_whole_number_of_ledger_units(stake: Any) -> None:
    with pytest.raises(InvalidStake):
        Bet(BetType.SINGLE, (Leg("s1", F("2")),), stake)


def test_a_total_stake_beyond_the_ledger_is_refused() -> None:
    with pytest.raises(InvalidStake):
        Bet(BetType.TRIXIE, tuple(Leg(f"s{i}", F("2")) for i in range(3)), 2**62)


# --- Singles: every outcome ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "returned"),
    [
        (WIN, 25_000_000),  # 10 × 2.5
        (LOSE, 0),
        (VOID, 10_000_000),  # stake back
        (Outcome.half_win(), 17_500_000),  # 5 × 2.5 + 5 back
        (Outcome.half_lose(), 5_000_000),  # 5 back, 5 lost
        (Outcome.dead_heat_of(Fraction(1, 2)), 12_500_000),  # 5 × 2.5, 5 lost
        (Outcome.dead_heat_of(Fraction(1, 3)), 8_333_333),  # 10/3 × 2.5 = 8.3333…, floored
    ],
)
def test_a_single_returns_by_its_outcome(outcome: Outcome, returned: int) -> None:
    settled = settle_bet(bet("single", ("2.5", outcome), stake=10 * EUR))
    assert settled.stake == 10 * EUR
    assert settled.total_return == returned


def test_returns_are_rounded_down_once_per_bet_and_the_remainder_stays_with_the_house() -> None:
    # 3 units at 1.91 is 5.73 units: 5 paid, 0.73 kept.
    settled = settle_bet(bet("single", ("1.91", WIN), stake=3))
    assert settled.exact_return == Fraction(573, 100)
    assert settled.total_return == 5
    assert settled.rounding_remainder == Fraction(73, 100)
    assert settled.house_take == 3 - 5
    # A trixie at 1 unit a line on 1.5, 1.5, 1.5: lines return 2.25 × 3 + 3.375 = 10.125.
    # Rounding per line would pay 2 × 3 + 3 = 9; once per bet it pays 10.
    trixie = settle_bet(bet("trixie", ("1.5", WIN), ("1.5", WIN), ("1.5", WIN), stake=1))
    assert [line.exact_return for line in trixie.lines] == [F("2.25")] * 3 + [F("3.375")]
    assert trixie.total_return == 10


def test_a_price_that_does_not_terminate_is_paid_exactly() -> None:
    # American -110 is 21/11: 110 units return exactly 210.
    assert (
        settle_bet(Bet(BetType.SINGLE, (Leg("s", Fraction(21, 11), WIN),), 110)).total_return == 210
    )


# --- Accumulators -----------------------------------------------------------------------


def test_an_accumulator_pays_the_product_of_its_prices() -> None:
    settled = settle_bet(bet("treble", ("2", WIN), ("1.5", WIN), ("1.8", WIN), stake=10 * EUR))
    assert settled.total_return == 54 * EUR
    lost = settle_bet(bet("treble", ("2", WIN), ("1.5", LOSE), ("1.8", WIN), stake=10 * EUR))
    assert lost.total_return == 0


def test_a_void_leg_of_an_accumulator_counts_at_odds_one() -> None:
    four = bet("accumulator", ("2", WIN), ("1.5", WIN), ("3", VOID), ("1.8", WIN), stake=10 * EUR)
    # 10 × 2 × 1.5 × 1 × 1.8 = 54: the treble that is left.
    assert settle_bet(four).total_return == 54 * EUR


def test_a_half_won_and_a_dead_heat_leg_in_a_double() -> None:
    double = bet(
        "double",
        ("1.9", Outcome.half_win()),
        ("5", Outcome.dead_heat_of(Fraction(1, 2))),
        stake=10 * EUR,
    )
    # 10 × (1.9 + 1)/2 × (1/2 × 5) = 10 × 1.45 × 2.5 = 36.25
    assert settle_bet(double).total_return == 36_250_000


# --- System bets ------------------------------------------------------------------------


def test_a_lucky_15_with_one_void_leg() -> None:
    """Prices A 2, B 3, C 4, D 5 at 1 EUR a line (15 EUR); A, B, C win, D is void (odds 1).

    singles:  A 2 + B 3 + C 4 + D 1                               = 10
    doubles:  AB 6 + AC 8 + AD 2 + BC 12 + BD 3 + CD 4            = 35
    trebles:  ABC 24 + ABD 6 + ACD 8 + BCD 12                     = 50
    fourfold: ABCD 24                                             = 24
    total                                                         = 119 EUR
    """
    lucky = bet("lucky15", ("2", WIN), ("3", WIN), ("4", WIN), ("5", VOID))
    settled = settle_bet(lucky)
    assert settled.stake == 15 * EUR
    assert len(settled.lines) == 15
    assert settled.total_return == 119 * EUR
    assert settled.house_take == -104 * EUR
    by_line = {"".join(line.selections): line.exact_return / EUR for line in settled.lines}
    assert by_line["D"] == 1
    assert by_line["AD"] == 2
    assert by_line["ABCD"] == 24


def test_a_trixie_with_a_half_won_quarter_handicap_leg() -> None:
    """A 2.0 wins; B is Asian handicap home -0.75 at 1.9 and home wins 1-0 (half won: the
    -0.5 half wins, the -1 half is pushed, factor (1.9 + 1)/2 = 1.45); C 3.0 wins. At 2 EUR
    a line (8 EUR): AB 2.9 + AC 6 + BC 4.35 + ABC 8.7 = 21.95 per unit, 43.90 EUR."""
    half = settle_market(AsianHandicap(Fraction(-3, 4)), "home", FootballScore(1, 0))
    assert half == Outcome.half_win()
    trixie = bet("trixie", ("2", WIN), ("1.9", half), ("3", WIN), stake=2 * EUR)
    settled = settle_bet(trixie)
    assert settled.stake == 8 * EUR
    assert [line.exact_return / (2 * EUR) for line in settled.lines] == [
        F("2.9"),
        F("6"),
        F("4.35"),
        F("8.7"),
    ]
    assert settled.total_return == 43_900_000


def test_a_patent_with_a_dead_heat_and_a_loser() -> None:
    """A: outright dead heat of two for first at 6.0 (factor 1/2); B 2.0 wins; C loses.
    Singles A 3 + B 2 + C 0; doubles AB 6, AC 0, BC 0; treble 0 → 11 per unit."""
    heat = settle_market(Outright(("x", "y", "z")), "x", OutrightResult((("x", "y"), ("z",))))
    patent = bet("patent", ("6", heat), ("2", WIN), ("3", LOSE), stake=EUR)
    assert settle_bet(patent).total_return == 11 * EUR


@pytest.mark.parametrize("kind", sorted(SYSTEM_BETS))
def test_a_system_bet_with_every_leg_void_refunds_the_stake(kind: BetType) -> None:
    n = selections_for(kind)
    assert n is not None
    all_void = Bet(kind, tuple(Leg(f"s{i}", F("3.5"), VOID) for i in range(n)), 7)
    assert settle_bet(all_void).total_return == all_void.total_stake


@pytest.mark.parametrize("kind", sorted(SYSTEM_BETS))
def test_a_system_bet_with_every_leg_winning_pays_every_line(kind: BetType) -> None:
    n = selections_for(kind)
    assert n is not None
    winning = Bet(kind, tuple(Leg(f"s{i}", F("2"), WIN) for i in range(n)), 1)
    expected = sum(2 ** len(line) for line in winning.lines)
    assert settle_bet(winning).total_return == expected


# --- Cancelled events ---------------------------------------------------------------------


def test_a_single_on_a_cancelled_event_is_refunded() -> None:
    void = settle_market(OneXTwo(), "1", EventCancelled("cancelled"))
    assert settle_bet(bet("single", ("2.2", void), stake=12_345)).total_return == 12_345


def test_a_double_with_a_cancelled_leg_becomes_a_single() -> None:
    void = settle_market(OneXTwo(), "X", EventCancelled("abandoned"))
    assert settle_bet(bet("double", ("3.4", void), ("1.5", WIN), stake=EUR)).total_return == (
        1_500_000
    )


# --- Unsettled bets -----------------------------------------------------------------------


def test_a_bet_with_a_leg_still_open_cannot_be_settled() -> None:
    with pytest.raises(LegNotSettled) as caught:
        settle_bet(bet("double", ("2", WIN), ("3", None)))
    assert caught.value.code == "sportsbook.leg_not_settled"
    assert caught.value.status == 409


def test_potential_return_assumes_every_open_leg_wins() -> None:
    yankee = bet("yankee", ("2", None), ("2", None), ("2", None), ("2", None), stake=EUR)
    # 6 doubles × 4 + 4 trebles × 8 + 16 = 72
    assert potential_return(yankee) == 72 * EUR
    # One leg lost: only the 3 doubles and the treble without it remain: 3 × 4 + 8 = 20.
    assert potential_return(yankee.with_outcomes({"A": LOSE})) == 20 * EUR
    # Once all legs are settled it is the settlement.
    done = yankee.with_outcomes({"A": WIN, "B": VOID, "C": WIN, "D": LOSE})
    assert potential_return(done) == settle_bet(done).total_return


def test_plan_and_settle_shortcuts() -> None:
    shape = plan("trixie", [F("2"), F("3"), F("1.5")])
    assert shape.lines == 4
    assert shape.return_per_unit == 6 + 3 + F("4.5") + 9
    assert settle("double", [(F("2"), WIN), (F("3"), VOID)], 100) == 200


# --- Properties ---------------------------------------------------------------------------

prices = st.integers(1, 12).flatmap(
    lambda den: st.integers(den + 1, 40 * den).map(lambda num: Fraction(num, den))
)
outcomes = st.one_of(
    st.sampled_from([WIN, LOSE, VOID, Outcome.half_win(), Outcome.half_lose()]),
    st.integers(2, 6).flatmap(
        lambda n: st.integers(1, n - 1).map(lambda k: Outcome.dead_heat_of(Fraction(k, n)))
    ),
)


@st.composite
def bets(draw: st.DrawFn, settled: bool = True) -> Bet:
    kind = draw(st.sampled_from(list(BetType)))
    n = selections_for(kind) or draw(st.integers(2, 8))
    legs = tuple(Leg(f"s{i}", draw(prices), draw(outcomes) if settled else None) for i in range(n))
    return Bet(kind, legs, draw(st.integers(1, 10**9)))


def reference_return(kind: BetType, legs: tuple[Leg, ...], stake_per_line: int) -> Fraction:
    """An independent reading of the rules: the line sizes from LINE_TABLE, the factors
    written out again."""
    n = len(legs)
    sizes = (
        [n]
        if kind is BetType.ACCUMULATOR
        else [size for size, count in enumerate(LINE_TABLE[kind.value][1], start=1) if count]
    )
    total = Fraction(0)
    for size in sizes:
        for combo in itertools.combinations(legs, size):
            line = Fraction(stake_per_line)
            for leg in combo:
                assert leg.outcome is not None
                p, o = leg.price, leg.outcome
                line *= {
                    OutcomeKind.WIN: p,
                    OutcomeKind.LOSE: Fraction(0),
                    OutcomeKind.VOID: Fraction(1),
                    OutcomeKind.HALF_WIN: p / 2 + Fraction(1, 2),
                    OutcomeKind.HALF_LOSE: Fraction(1, 2),
                    OutcomeKind.DEAD_HEAT: (o.dead_heat or Fraction(0)) * p,
                }[o.kind]
            total += line
    return total


@settings(max_examples=150, deadline=None)
@given(placed=bets())
def test_a_return_is_never_negative_and_is_the_exact_return_floored(placed: Bet) -> None:
    settled = settle_bet(placed)
    exact = reference_return(placed.kind, placed.legs, placed.stake_per_line)
    assert settled.exact_return == exact
    assert settled.total_return == math.floor(exact)
    assert 0 <= settled.total_return <= exact < settled.total_return + 1
    assert settled.stake == placed.stake_per_line * len(settled.lines)


@settings(max_examples=60, deadline=None)
@given(placed=bets(settled=False))
def test_a_bet_with_every_leg_void_returns_exactly_its_stake(placed: Bet) -> None:
    void = placed.with_outcomes({leg.selection_id: VOID for leg in placed.legs})
    settled = settle_bet(void)
    assert settled.total_return == placed.total_stake
    assert settled.house_take == 0
    assert settled.rounding_remainder == 0


@settings(max_examples=40, deadline=None)
@given(book=st.lists(bets(), min_size=1, max_size=25))
def test_paid_plus_the_house_take_is_what_was_staked_over_a_book(book: list[Bet]) -> None:
    staked = paid = take = 0
    for placed in book:
        settled = settle_bet(placed)
        exact = reference_return(placed.kind, placed.legs, placed.stake_per_line)
        assert settled.total_return == math.floor(exact) <= exact  # never above the exact sum
        staked += placed.total_stake
        paid += settled.total_return
        take += settled.house_take
    assert paid + take == staked
    assert take == staked - paid


@settings(max_examples=100, deadline=None)
@given(placed=bets(), data=st.data())
def test_a_better_outcome_on_a_leg_never_lowers_the_return(
    placed: Bet, data: st.DataObject
) -> None:
    leg = placed.legs[data.draw(st.integers(0, len(placed.legs) - 1))].selection_id
    ladder = [LOSE, Outcome.half_lose(), VOID, Outcome.half_win(), WIN]
    returns = [settle_bet(placed.with_outcomes({leg: o})).total_return for o in ladder]
    assert returns == sorted(returns)
    heat = settle_bet(placed.with_outcomes({leg: Outcome.dead_heat_of(Fraction(1, 2))}))
    assert returns[0] <= heat.total_return <= returns[-1]


@settings(max_examples=60, deadline=None)
@given(placed=bets(settled=False), data=st.data())
def test_the_potential_return_bounds_every_settlement(placed: Bet, data: st.DataObject) -> None:
    most = potential_return(placed)
    assert most == math.floor(
        plan(placed.kind, [leg.price for leg in placed.legs]).return_per_unit
        * placed.stake_per_line
    )
    chosen = {leg.selection_id: data.draw(outcomes) for leg in placed.legs}
    assert settle_bet(placed.with_outcomes(chosen)).total_return <= most


@given(price=prices, outcome=outcomes)
def test_a_leg_return_factor_lies_between_nothing_and_the_price(
    price: Fraction, outcome: Outcome
) -> None:
    assert 0 <= return_factor(price, outcome) <= price

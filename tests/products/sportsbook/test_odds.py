"""Odds: exact values, their decimal, fractional and American forms, and the odds ladder."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.products.sportsbook.errors import InvalidLadder, InvalidOdds, OddsOffLadder
from croupier.products.sportsbook.odds import STANDARD_LADDER, Odds, OddsLadder

# Exact decimal odds above 1: any rational, including non-terminating ones (American -110).
odds_values = st.fractions(
    min_value=Fraction(1), max_value=Fraction(100_000), max_denominator=10**6
)
any_odds = odds_values.filter(lambda value: value > 1).map(Odds)
ladder_range_odds = st.fractions(
    min_value=Fraction(101, 100), max_value=Fraction(1000), max_denominator=10**4
).map(Odds)


# Known conversions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "decimal", "fractional", "american"),
    [
        ("2", "2.00", "evens", "+100"),
        ("1.5", "1.50", "1/2", "-200"),
        ("2.375", "2.38", "11/8", "+138"),  # +137.5: the magnitude is rounded half up
        ("1.4", "1.40", "2/5", "-250"),
        ("3", "3.00", "2/1", "+200"),
        ("2.5", "2.50", "6/4", "+150"),  # bookmakers write 6/4, never 3/2
        ("5/3", "1.67", "4/6", "-150"),  # 4/6 does not terminate as a decimal
        ("13/3", "4.33", "100/30", "+333"),
        ("21/11", "1.91", "10/11", "-110"),  # the standard US price
        ("1.91", "1.91", "91/100", "-110"),  # -109.89 shown as -110
        ("1.01", "1.01", "1/100", "-10000"),
        ("1000", "1000.00", "999/1", "+99900"),
    ],
)
def test_known_odds_show_in_every_format(stored, decimal, fractional, american):
    odds = Odds.parse(stored)
    assert str(odds) == stored
    assert odds.decimal == decimal
    assert odds.fractional == fractional
    assert odds.american == american
    assert Odds.from_fractional(fractional) == odds


def test_evens_is_two_and_plus_or_minus_one_hundred():
    evens = Odds.from_decimal("2.0")
    assert evens.value == 2
    assert Odds.from_fractional("evens") == evens
    assert Odds.from_fractional("EVS") == evens
    assert Odds.from_fractional("1/1") == evens
    assert Odds.from_american("+100") == evens
    assert Odds.from_american(-100) == evens
    assert evens.implied_probability == Fraction(1, 2)


@pytest.mark.parametrize(
    ("american", "stored"),
    [
        ("+138", "2.38"),
        ("-250", "1.4"),
        ("-200", "1.5"),
        ("+137.5", "2.375"),
        ("150", "2.5"),
        ("-110", "21/11"),
        ("-120", "11/6"),
        ("+250", "3.5"),
    ],
)
def test_american_odds_convert_to_exact_decimal_odds(american, stored):
    assert str(Odds.from_american(american)) == stored


def test_minus_110_is_exactly_21_over_11_and_pays_100_per_110():
    odds = Odds.from_american(-110)
    assert odds.value == Fraction(21, 11)
    assert (odds.value - 1) * 110 == 100
    assert not odds.is_terminating
    assert odds.american_value == -110


def test_fractional_prices_are_exact_even_when_their_decimal_does_not_terminate():
    assert Odds.from_fractional("4/6") == Odds.from_fractional("2/3")
    assert Odds.from_fractional("4/6").value == Fraction(5, 3)
    assert Odds.from_fractional("8/13").value == Fraction(21, 13)
    assert Odds.from_fractional("11/8") == Odds.parse("2.375")


def test_american_value_is_exact_and_signed():
    assert Odds.parse("2.375").american_value == Fraction(275, 2)
    assert Odds.parse("1.4").american_value == -250


@pytest.mark.parametrize(
    ("stored", "american"),
    [("2.005", "+101"), ("1.995", "-101"), ("1.999", "-100"), ("2.125", "+113")],
)
def test_american_display_rounds_the_magnitude_half_up(stored, american):
    assert Odds.parse(stored).american == american


@pytest.mark.parametrize(
    ("stored", "places", "shown"),
    [
        ("2.125", 2, "2.13"),
        ("2.375", 2, "2.38"),
        ("1.005", 2, "1.01"),
        ("1.004", 2, "1.00"),
        ("21/11", 2, "1.91"),
        ("21/11", 4, "1.9091"),
        ("5/3", 3, "1.667"),
        ("2.5", 0, "3"),
    ],
)
def test_decimal_display_rounds_half_up(stored, places, shown):
    assert format(Odds.parse(stored).to_decimal(places), "f") == shown


def test_storage_text_is_canonical():
    assert str(Odds.parse("2.50")) == "2.5"
    assert str(Odds.parse("1000.000")) == "1000"
    assert str(Odds.from_decimal(Decimal("1.910"))) == "1.91"
    assert str(Odds.parse("10/4")) == "2.5"
    assert repr(Odds.parse("2.375")) == "Odds('2.375')"


# Comparison and accumulators ------------------------------------------------------------------


def test_odds_compare_and_hash_by_value():
    assert Odds.parse("2.5") == Odds.parse("2.50") == Odds.parse("5/2")
    assert len({Odds.parse("2.5"), Odds.parse("5/2"), Odds.from_fractional("6/4")}) == 1
    assert Odds.parse("1.91") < Odds.parse("2") < Odds.parse("2.375")
    assert Odds.from_american(-110) < Odds.parse("1.91")
    assert max(Odds.parse("3"), Odds.parse("1.5")) == Odds.parse("3")


def test_an_accumulator_multiplies_its_legs_exactly():
    double = Odds.parse("2.375") * Odds.parse("1.91")
    assert str(double) == "4.53625"
    treble = Odds.product([Odds.parse("2"), Odds.parse("1.5"), Odds.from_american(-110)])
    assert treble.value == 3 * Fraction(21, 11)
    assert Odds.product([Odds.parse("1.5")]) == Odds.parse("1.5")


def test_an_accumulator_without_legs_is_refused():
    with pytest.raises(InvalidOdds):
        Odds.product([])


# Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1",
        "1.0",
        "0.5",
        "0",
        "-2",
        "+2",
        " 2",
        "2 ",
        "2,5",
        "1e3",
        "abc",
        "",
        "1/1",
        "3/4",
        "2/0",
        "٢",
        "2." + "5" * 70,
    ],
)
def test_malformed_or_too_short_odds_are_refused(text):
    with pytest.raises(InvalidOdds) as refused:
        Odds.parse(text)
    assert refused.value.code == "sportsbook.invalid_odds"
    assert refused.value.status == 422


def test_a_float_never_becomes_odds():
    with pytest.raises(InvalidOdds):
        Odds.from_decimal(2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidOdds):
        Odds(2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidOdds):
        Odds.from_decimal(Decimal("NaN"))
    with pytest.raises(InvalidOdds):
        Odds.from_american(-110.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["+50", "-99", "0", "99.9", "--110", "+-110", "1e2", True])
def test_american_odds_between_minus_and_plus_100_do_not_exist(value):
    with pytest.raises(InvalidOdds):
        Odds.from_american(value)


@pytest.mark.parametrize("text", ["0/1", "11/0", "11:8", "11-8", "1.5/1", "even money", ""])
def test_malformed_fractional_odds_are_refused(text):
    with pytest.raises(InvalidOdds):
        Odds.from_fractional(text)


def test_odds_of_one_or_less_are_refused():
    with pytest.raises(InvalidOdds):
        Odds(Fraction(1))
    with pytest.raises(InvalidOdds):
        Odds.from_decimal(1)


# Properties -----------------------------------------------------------------------------------


@given(any_odds)
def test_storage_text_round_trips_exactly(odds):
    text = str(odds)
    assert Odds.parse(text) == odds
    assert str(Odds.parse(text)) == text


@given(any_odds)
def test_fractional_text_round_trips_exactly(odds):
    assert Odds.from_fractional(odds.fractional) == odds


@given(any_odds)
def test_implied_probability_round_trips_exactly(odds):
    assert 0 < odds.implied_probability < 1
    assert Odds.from_probability(odds.implied_probability) == odds


@given(st.integers(100, 10**6), st.booleans())
def test_whole_american_prices_round_trip(magnitude, negative):
    price = -magnitude if negative else magnitude
    odds = Odds.from_american(price)
    assert odds.american_value == (price if price != -100 else 100)
    assert odds.american == (f"-{magnitude}" if negative and magnitude != 100 else f"+{magnitude}")


@given(st.decimals(min_value=Decimal("1.000001"), max_value=Decimal(10**6), places=6))
def test_decimal_text_round_trips_exactly(value):
    odds = Odds.from_decimal(value)
    assert odds.is_terminating
    assert Decimal(str(odds)) == value
    assert Odds.parse(format(value, "f")) == odds


@given(any_odds, any_odds)
def test_order_and_product_follow_the_exact_values(first, second):
    assert (first < second) == (first.value < second.value)
    assert (first * second).value == first.value * second.value
    assert first * second > max(first, second)


@given(any_odds)
def test_the_displayed_decimal_is_within_half_a_hundredth(odds):
    assert abs(Fraction(odds.to_decimal()) - odds.value) <= Fraction(1, 200)


# The ladder -----------------------------------------------------------------------------------


def test_the_standard_ladder_is_betfairs_350_prices_from_1_01_to_1000():
    assert len(STANDARD_LADDER) == 350
    assert STANDARD_LADDER.minimum == Odds.parse("1.01")
    assert STANDARD_LADDER.maximum == Odds.parse("1000")
    prices = STANDARD_LADDER.prices
    assert list(prices) == sorted(set(prices))
    assert all(price.is_terminating and len(str(price).partition(".")[2]) <= 2 for price in prices)


@pytest.mark.parametrize(
    ("price", "tick_up"),
    [
        ("1.01", "1.02"),
        ("1.99", "2"),
        ("2", "2.02"),
        ("2.98", "3"),
        ("3", "3.05"),
        ("3.95", "4"),
        ("4", "4.1"),
        ("5.9", "6"),
        ("6", "6.2"),
        ("9.8", "10"),
        ("10", "10.5"),
        ("19.5", "20"),
        ("20", "21"),
        ("29", "30"),
        ("30", "32"),
        ("48", "50"),
        ("50", "55"),
        ("95", "100"),
        ("100", "110"),
        ("990", "1000"),
    ],
)
def test_ladder_ticks_follow_the_bands(price, tick_up):
    lower, upper = Odds.parse(price), Odds.parse(tick_up)
    assert lower in STANDARD_LADDER
    assert upper in STANDARD_LADDER
    assert STANDARD_LADDER.next_up(lower) == upper
    assert STANDARD_LADDER.next_down(upper) == lower


@pytest.mark.parametrize(
    "price", ["2.01", "3.02", "4.05", "6.1", "10.2", "20.5", "31", "52", "105"]
)
def test_prices_between_ticks_are_not_on_the_ladder(price):
    assert Odds.parse(price) not in STANDARD_LADDER


@pytest.mark.parametrize(
    ("price", "down", "nearest"),
    [
        ("2.375", "2.36", "2.38"),
        ("2.37", "2.36", "2.36"),  # a tie goes to the lower price
        ("2.01", "2", "2"),
        ("1.015", "1.01", "1.01"),
        ("3.04", "3", "3.05"),
        ("1500", "1000", "1000"),
        ("21/11", "1.9", "1.91"),
        ("4.3", "4.3", "4.3"),
    ],
)
def test_snapping_to_the_ladder(price, down, nearest):
    odds = Odds.parse(price)
    assert STANDARD_LADDER.round_down(odds) == Odds.parse(down)
    assert STANDARD_LADDER.round_nearest(odds) == Odds.parse(nearest)


def test_odds_below_the_ladder_cannot_be_snapped_onto_it():
    below = Odds.parse("1.005")
    with pytest.raises(OddsOffLadder) as refused:
        STANDARD_LADDER.round_down(below)
    assert refused.value.code == "sportsbook.odds_off_ladder"
    with pytest.raises(OddsOffLadder):
        STANDARD_LADDER.round_nearest(below)
    with pytest.raises(OddsOffLadder):
        STANDARD_LADDER.next_down(STANDARD_LADDER.minimum)
    with pytest.raises(OddsOffLadder):
        STANDARD_LADDER.next_up(STANDARD_LADDER.maximum)


def test_off_ladder_odds_step_to_their_neighbours():
    odds = Odds.parse("2.375")
    assert STANDARD_LADDER.next_up(odds) == Odds.parse("2.38")
    assert STANDARD_LADDER.next_down(odds) == Odds.parse("2.36")
    assert STANDARD_LADDER.next_down(Odds.parse("1500")) == STANDARD_LADDER.maximum


@given(ladder_range_odds)
def test_round_down_never_exceeds_the_price_and_is_the_highest_that_does_not(odds):
    down = STANDARD_LADDER.round_down(odds)
    assert down in STANDARD_LADDER
    assert down <= odds
    if down != STANDARD_LADDER.maximum:
        assert STANDARD_LADDER.next_up(down) > odds


@given(ladder_range_odds)
def test_round_nearest_is_the_closer_neighbour(odds):
    nearest = STANDARD_LADDER.round_nearest(odds)
    down = STANDARD_LADDER.round_down(odds)
    assert nearest in STANDARD_LADDER
    assert abs(nearest.value - odds.value) <= abs(down.value - odds.value)
    if odds < STANDARD_LADDER.maximum:
        up = STANDARD_LADDER.next_up(down)
        assert abs(nearest.value - odds.value) <= abs(up.value - odds.value)


@given(st.sampled_from(STANDARD_LADDER.prices[1:-1]))
def test_a_tick_up_and_a_tick_down_come_back(price):
    assert STANDARD_LADDER.next_down(STANDARD_LADDER.next_up(price)) == price
    assert STANDARD_LADDER.next_up(STANDARD_LADDER.next_down(price)) == price
    assert STANDARD_LADDER.round_down(price) == STANDARD_LADDER.round_nearest(price) == price


def test_a_custom_ladder():
    ladder = OddsLadder(Decimal("1.1"), [("2", "0.1"), ("5", "0.5")])
    assert [str(price) for price in ladder.prices] == [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "1.9", "2",
        "2.5", "3", "3.5", "4", "4.5", "5",
    ]  # fmt: skip
    assert ladder.round_down(Odds.parse("2.99")) == Odds.parse("2.5")


@pytest.mark.parametrize(
    ("start", "bands"),
    [
        ("1.01", [("2", "0.02")]),  # steps of 0.02 from 1.01 miss 2
        ("1", [("2", "0.01")]),  # starts at 1
        ("1.5", [("1.2", "0.1")]),  # falls
        ("1.1", [("2", "0")]),
        ("1.1", [("2", "-0.1")]),
        ("1.1", [("2", 0.1)]),  # a float
        ("1.01", [("1000000", "0.01")]),  # too many prices
    ],
)
def test_malformed_ladders_are_refused(start, bands):
    with pytest.raises(InvalidLadder) as refused:
        OddsLadder(start, bands)
    assert refused.value.code == "sportsbook.invalid_ladder"

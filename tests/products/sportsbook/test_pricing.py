"""Pricing: margins applied by the proportional, power and Shin methods, and removed again."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.sportsbook.errors import (
    InvalidMargin,
    InvalidOdds,
    InvalidProbabilities,
    MarginNotAttainable,
    OddsOffLadder,
    OverroundBelowOne,
    TooFewOutcomes,
    UnknownMarginMethod,
)
from croupier.products.sportsbook.odds import STANDARD_LADDER, Odds
from croupier.products.sportsbook.pricing import (
    MarginMethod,
    apply_margin,
    offered_probabilities,
    overround,
    remove_margin,
)

METHODS = list(MarginMethod)
FIVE_PERCENT = Fraction(5, 100)
# The 1X2 market of docs/sportsbook.md: home 50 %, draw 28 %, away 22 %.
ONE_X_TWO = (Fraction(50, 100), Fraction(28, 100), Fraction(22, 100))
MARKETS = {
    "coin toss": (Fraction(1, 2), Fraction(1, 2)),
    "tennis favourite": (Fraction(7, 10), Fraction(3, 10)),
    "1x2": ONE_X_TWO,
    "outright": tuple(Fraction(weight, 55) for weight in range(1, 11)),
    "correct score tail": (Fraction(9, 10), Fraction(99, 1000), Fraction(1, 1000)),
}
MARGINS = [Fraction(0), Fraction(1, 100), FIVE_PERCENT, Fraction(3, 10)]
RECOVERY_TOLERANCE = Fraction(1, 10**9)


def _fair_odds(probabilities):
    return [Odds.from_probability(p) for p in probabilities]


def _attainable(probabilities, margin, method):
    """Markets that the method can price at this margin (the others are tested for refusal)."""
    if method is MarginMethod.SHIN:
        return sum(math.sqrt(p) for p in probabilities) ** 2 >= 1 + margin
    return True


# The worked example of docs/sportsbook.md ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "offered_odds"),
    [
        (MarginMethod.PROPORTIONAL, ["1.9", "3.4", "4.3"]),
        (MarginMethod.POWER, ["1.93", "3.35", "4.2"]),
        (MarginMethod.SHIN, ["1.92", "3.35", "4.2"]),
    ],
)
def test_the_documented_1x2_example_at_5_percent(method, offered_odds):
    assert [str(odds) for odds in apply_margin(ONE_X_TWO, FIVE_PERCENT, method)] == offered_odds


def test_the_documented_example_in_fractional_and_american():
    prices = apply_margin(ONE_X_TWO, FIVE_PERCENT, MarginMethod.PROPORTIONAL)
    assert [(odds.fractional, odds.american) for odds in prices] == [
        ("9/10", "-111"),
        ("12/5", "+240"),
        ("33/10", "+330"),
    ]


def test_proportional_margin_is_exact():
    offered = offered_probabilities(ONE_X_TWO, FIVE_PERCENT, "proportional")
    assert offered == (Fraction(525, 1000), Fraction(294, 1000), Fraction(231, 1000))
    assert remove_margin(_fair_odds(offered), "multiplicative") == ONE_X_TWO


# Every method hits its target -----------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("margin", MARGINS)
@pytest.mark.parametrize("market", MARKETS, ids=str)
def test_every_method_offers_exactly_the_target_overround(method, margin, market):
    probabilities = MARKETS[market]
    if not _attainable(probabilities, margin, method):
        with pytest.raises(MarginNotAttainable):
            offered_probabilities(probabilities, margin, method)
        return
    offered = offered_probabilities(probabilities, margin, method)
    assert sum(offered) == 1 + margin
    if max(offered) * STANDARD_LADDER.minimum.value > 1:
        # A 90 % favourite under a 30 % margin: no price above 1.01 can carry it.
        with pytest.raises(OddsOffLadder):
            apply_margin(probabilities, margin, method)
        return
    assert overround(_fair_odds(offered)) == 1 + margin
    recovered = remove_margin(_fair_odds(offered), method)
    assert sum(recovered) == 1
    assert all(
        abs(r - p) <= RECOVERY_TOLERANCE for r, p in zip(recovered, probabilities, strict=True)
    )


@pytest.mark.parametrize("method", METHODS)
def test_removing_the_margin_from_ladder_prices_recovers_the_probabilities_closely(method):
    prices = apply_margin(ONE_X_TWO, FIVE_PERCENT, method)
    assert overround(prices) >= 1 + FIVE_PERCENT
    recovered = remove_margin(prices, method)
    assert sum(recovered) == 1
    assert all(abs(r - p) < Fraction(1, 1000) for r, p in zip(recovered, ONE_X_TWO, strict=True))


def test_the_power_method_uses_one_exponent_for_every_outcome():
    offered = offered_probabilities(ONE_X_TWO, FIVE_PERCENT, "power")
    exponents = [math.log(q) / math.log(p) for q, p in zip(offered, ONE_X_TWO, strict=True)]
    assert max(exponents) - min(exponents) < 1e-9
    assert 0 < exponents[0] < 1


def test_shins_method_uses_one_insider_share_for_every_outcome():
    offered = offered_probabilities(ONE_X_TWO, FIVE_PERCENT, "shin")
    booksum = float(sum(offered))
    # From π_i = √(z p_i + (1 - z) p_i²) · √Π, each outcome gives z = (π_i²/Π - p_i²)/(p_i - p_i²).
    shares = [
        (float(q) ** 2 / booksum - float(p) ** 2) / (float(p) - float(p) ** 2)
        for q, p in zip(offered, ONE_X_TWO, strict=True)
    ]
    assert max(shares) - min(shares) < 1e-9
    assert 0 < shares[0] < 1


@pytest.mark.parametrize("method", METHODS)
def test_a_zero_margin_changes_nothing(method):
    assert offered_probabilities(ONE_X_TWO, 0, method) == ONE_X_TWO
    assert apply_margin((Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)), 0, method) == (
        Odds.parse("2"),
        Odds.parse("4"),
        Odds.parse("4"),
    )


@pytest.mark.parametrize("method", METHODS)
def test_odds_without_margin_give_their_implied_probabilities(method):
    assert remove_margin(_fair_odds(ONE_X_TWO), method) == ONE_X_TWO


# The favourite-longshot bias ----------------------------------------------------------------


def _markups(method, probabilities=(Fraction(7, 10), Fraction(2, 10), Fraction(1, 10))):
    offered = offered_probabilities(probabilities, FIVE_PERCENT, method)
    return [q / p for q, p in zip(offered, probabilities, strict=True)]


def test_proportional_gives_every_outcome_the_same_relative_markup():
    assert len(set(_markups(MarginMethod.PROPORTIONAL))) == 1


@pytest.mark.parametrize("method", [MarginMethod.POWER, MarginMethod.SHIN])
def test_power_and_shin_load_the_margin_on_longshots(method):
    favourite, middle, longshot = _markups(method)
    assert 1 < favourite < middle < longshot


@pytest.mark.parametrize("method", [MarginMethod.POWER, MarginMethod.SHIN])
def test_power_and_shin_read_longshots_as_less_likely_than_proportional_does(method):
    prices = [Odds.parse("1.36"), Odds.parse("4.5"), Odds.parse("9")]
    proportional = remove_margin(prices, MarginMethod.PROPORTIONAL)
    corrected = remove_margin(prices, method)
    assert corrected[0] > proportional[0]
    assert corrected[2] < proportional[2]


# Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "probabilities",
    [
        (Fraction(1, 2), Fraction(0), Fraction(1, 2)),
        (Fraction(3, 2), Fraction(-1, 2)),
        (Fraction(1), Fraction(0)),
        (Fraction(1, 2), Fraction(2, 5)),  # sums to 0.9: an outcome is missing
        (Fraction(1, 2), Fraction(3, 5)),
        (0.5, 0.5),  # floats
        (Fraction(1, 2), "1/2"),
    ],
)
def test_invalid_probabilities_are_refused(probabilities):
    with pytest.raises(InvalidProbabilities) as refused:
        apply_margin(probabilities, FIVE_PERCENT, "power")
    assert refused.value.code == "sportsbook.invalid_probabilities"
    assert refused.value.status == 422


def test_a_market_has_at_least_two_outcomes():
    with pytest.raises(TooFewOutcomes) as refused:
        apply_margin((Fraction(1, 2),), FIVE_PERCENT, "shin")
    assert refused.value.code == "sportsbook.too_few_outcomes"
    with pytest.raises(TooFewOutcomes):
        remove_margin([Odds.parse("1.5")], "shin")


def test_probabilities_off_by_rounding_only_are_scaled_to_one():
    third = Decimal("0.333333333333")  # three of them sum to 1 - 1e-12
    offered = offered_probabilities((third, third, third), FIVE_PERCENT, "proportional")
    assert offered == (Fraction(7, 20),) * 3


@pytest.mark.parametrize(
    "margin", [Fraction(-1, 100), Fraction(31, 100), 1, 0.05, Decimal("Infinity"), True]
)
def test_a_margin_outside_0_to_30_percent_is_refused(margin):
    with pytest.raises(InvalidMargin) as refused:
        apply_margin(ONE_X_TWO, margin, "proportional")
    assert refused.value.code == "sportsbook.invalid_margin"


def test_margins_may_be_given_as_decimals_up_to_30_percent():
    decimal_probabilities = (Decimal("0.5"), Decimal("0.28"), Decimal("0.22"))
    assert apply_margin(decimal_probabilities, Decimal("0.05"), "power") == apply_margin(
        ONE_X_TWO, FIVE_PERCENT, "power"
    )
    assert overround(apply_margin(ONE_X_TWO, Decimal("0.30"), "shin")) >= Fraction(13, 10)


def test_an_unknown_method_is_refused():
    with pytest.raises(UnknownMarginMethod) as refused:
        apply_margin(ONE_X_TWO, FIVE_PERCENT, "additive")
    assert refused.value.code == "sportsbook.unknown_margin_method"
    assert MarginMethod("multiplicative") is MarginMethod.PROPORTIONAL


def test_a_favourite_priced_below_the_ladder_is_refused_by_name():
    with pytest.raises(OddsOffLadder) as refused:
        apply_margin((Fraction(995, 1000), Fraction(5, 1000)), FIVE_PERCENT, "proportional")
    assert refused.value.extra["outcome"] == 0


def test_shin_cannot_put_a_large_margin_on_a_near_certainty():
    # (√0.99 + √0.01)² ≈ 1.199: Shin's prices can carry at most about 19.9 % here.
    with pytest.raises(MarginNotAttainable) as refused:
        offered_probabilities((Fraction(99, 100), Fraction(1, 100)), Fraction(3, 10), "shin")
    assert refused.value.code == "sportsbook.margin_not_attainable"


@pytest.mark.parametrize("method", METHODS)
def test_odds_implying_less_than_one_have_no_margin_to_remove(method):
    with pytest.raises(OverroundBelowOne) as refused:
        remove_margin([Odds.parse("2.1"), Odds.parse("2.1")], method)
    assert refused.value.code == "sportsbook.overround_below_one"


def test_remove_margin_takes_odds_only():
    with pytest.raises(InvalidOdds):
        remove_margin([Odds.parse("1.9"), 2], "power")  # type: ignore[list-item]


# Properties -------------------------------------------------------------------------------------


@st.composite
def markets(draw):
    """A complete market: 2 to 12 outcomes with exact probabilities from random weights."""
    weights = draw(st.lists(st.integers(1, 10_000), min_size=2, max_size=12))
    total = sum(weights)
    return tuple(Fraction(weight, total) for weight in weights)


margins = st.integers(0, 3000).map(lambda basis_points: Fraction(basis_points, 10_000))
methods = st.sampled_from(METHODS)


@settings(deadline=None)
@given(markets(), margins, methods)
def test_offered_prices_carry_at_least_the_margin_and_keep_the_order(probabilities, margin, method):
    if not _attainable(probabilities, margin, method):
        with pytest.raises(MarginNotAttainable):
            apply_margin(probabilities, margin, method)
        return
    offered = offered_probabilities(probabilities, margin, method)
    if max(offered) * STANDARD_LADDER.minimum.value > 1:
        with pytest.raises(OddsOffLadder):
            apply_margin(probabilities, margin, method)
        return
    prices = apply_margin(probabilities, margin, method)
    assert len(prices) == len(probabilities)
    assert all(price in STANDARD_LADDER and price.value > 1 for price in prices)
    assert all(price.is_terminating for price in prices)
    booksum = overround(prices)
    assert booksum >= 1 + margin
    # Each price is at most one tick (under 0.01 of probability) shorter than computed.
    assert booksum < 1 + margin + Fraction(len(prices), 100)
    for p_i, odds_i in zip(probabilities, prices, strict=True):
        for p_j, odds_j in zip(probabilities, prices, strict=True):
            if p_i > p_j:
                assert odds_i <= odds_j
            if p_i == p_j:
                assert odds_i == odds_j


@settings(deadline=None)
@given(markets(), margins, methods)
def test_offered_probabilities_sum_to_the_target_and_recover_the_true_ones(
    probabilities, margin, method
):
    if not _attainable(probabilities, margin, method):
        return
    offered = offered_probabilities(probabilities, margin, method)
    assert sum(offered) == 1 + margin
    assert all(q >= p for q, p in zip(offered, probabilities, strict=True))
    order = sorted(range(len(probabilities)), key=lambda index: probabilities[index])
    assert [offered[index] for index in order] == sorted(offered)
    if max(offered) >= 1:
        return
    recovered = remove_margin(_fair_odds(offered), method)
    assert sum(recovered) == 1
    assert all(
        abs(r - p) <= RECOVERY_TOLERANCE for r, p in zip(recovered, probabilities, strict=True)
    )

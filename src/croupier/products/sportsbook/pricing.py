"""Pricing: from true probabilities to offered odds with a margin, and back.

A bookmaker's prices imply probabilities that sum to more than 1; the excess is the *margin*
(``overround = Σ 1/odds = 1 + margin``). How the margin is spread over the outcomes is the
*method*. croupier has the three that Clarke, Kovalchik & Ingram (2017) compare:

``proportional`` (also called multiplicative, or normalisation)
    Every outcome carries the same relative share: ``π_i = p_i · (1 + m)``. Exact (no solver).
``power``
    ``π_i = p_i ** c`` with one exponent ``0 < c ≤ 1`` chosen so that ``Σ π_i = 1 + m``
    (removing the margin: ``p_i = π_i ** k`` with ``k = 1/c``). Because ``p ** c / p`` grows as
    ``p`` shrinks, long shots carry a larger share of the margin: the favourite-longshot bias.
``shin``
    Shin's model of a bookmaker facing a fraction ``z`` of insiders (Shin 1991, 1993):
    ``π_i = √(z·p_i + (1 − z)·p_i²) · Σ_j √(z·p_j + (1 − z)·p_j²)``, with ``z`` in ``[0, 1)``
    chosen so that ``Σ π_i = 1 + m``. Its inverse (Jullien & Salanié 1994) is
    ``p_i = (√(z² + 4(1 − z)·π_i²/Π) − z) / (2(1 − z))`` with ``Π = Σ π_i``. Also favours
    long shots, and is the best of the three at recovering true probabilities in Štrumbelj's
    (2014) and Clarke et al.'s (2017) data.

Exactness: probabilities, margins and odds are Fractions (Decimals accepted as input; floats
refused). ``proportional`` is exact. ``power`` and ``shin`` solve for their one parameter by
bisection in floating point (at most :data:`SOLVER_ITERATIONS` halvings), then scale the result
exactly so that the offered probabilities sum to exactly ``1 + m`` (or the recovered ones to
exactly 1). The scaling is refused (:class:`MarginNotAttainable`) when it would differ from 1 by
more than :data:`SOLVER_TOLERANCE`, so each method's own equation holds within that relative
tolerance. Offered odds come from the exact offered probabilities, rounded *down* onto the odds
ladder: the overround of the prices offered is therefore at least ``1 + m``, and no float ever
reaches a price.

References
    Shin, H. S. (1991). Optimal betting odds against insider traders. The Economic Journal
    101(408), 1179-1185.
    Shin, H. S. (1993). Measuring the incidence of insider trading in a market for
    state-contingent claims. The Economic Journal 103(420), 1141-1153.
    Jullien, B., Salanié, B. (1994). Measuring the incidence of insider trading: a comment on
    Shin. The Economic Journal 104(427), 1418-1419.
    Štrumbelj, E. (2014). On determining probability forecasts from betting odds. International
    Journal of Forecasting 30(4), 934-943.
    Clarke, S., Kovalchik, S., Ingram, M. (2017). Adjusting bookmaker's odds to allow for
    overround. American Journal of Sports Science 5(6), 45-49.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

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
from croupier.products.sportsbook.odds import STANDARD_LADDER, Odds, OddsLadder

MIN_OUTCOMES: Final = 2
MAX_MARGIN: Final = Fraction(3, 10)
# Probabilities from a model are exact fractions of its own arithmetic; a sum off by more than
# this is a mistake (a missing outcome), not rounding, and is refused.
PROBABILITY_SUM_TOLERANCE: Final = Fraction(1, 10**9)
# The iterative methods' equation holds to this relative error before the exact final scaling.
SOLVER_TOLERANCE: Final = 1e-12
SOLVER_ITERATIONS: Final = 200


class MarginMethod(StrEnum):
    """How a margin is spread over a market's outcomes (see the module's docstring)."""

    PROPORTIONAL = "proportional"
    POWER = "power"
    SHIN = "shin"

    @classmethod
    def _missing_(cls, value: object) -> MarginMethod | None:
        # Clarke et al. (2017) call the proportional method "multiplicative".
        if value == "multiplicative":
            return cls.PROPORTIONAL
        return None


def margin_method(method: MarginMethod | str) -> MarginMethod:
    """The method named ``method``: proportional (or multiplicative), power or shin."""
    try:
        return MarginMethod(method)
    except ValueError:
        raise UnknownMarginMethod(
            f"{method!r} is not a margin method; use proportional, power or shin.",
            method=str(method),
        ) from None


def overround(odds: Sequence[Odds]) -> Fraction:
    """The sum of the implied probabilities of a market's odds, exactly (1 + margin)."""
    return sum((price.implied_probability for price in odds), Fraction(0))


def _exact_margin(margin: Fraction | Decimal | int) -> Fraction:
    exact_number = isinstance(margin, Fraction | int) and not isinstance(margin, bool)
    if exact_number or (isinstance(margin, Decimal) and margin.is_finite()):
        value = Fraction(margin)
    else:
        raise InvalidMargin(f"A margin is an exact Fraction or Decimal, not {margin!r}.")
    if not 0 <= value <= MAX_MARGIN:
        raise InvalidMargin(
            f"A margin is from 0 to {MAX_MARGIN} (30 %), not {value}.", margin=str(value)
        )
    return value


def _exact_probabilities(probabilities: Sequence[Fraction | Decimal]) -> tuple[Fraction, ...]:
    """Validated probabilities of a complete market, scaled to sum to exactly 1."""
    if len(probabilities) < MIN_OUTCOMES:
        raise TooFewOutcomes(
            f"A market has at least {MIN_OUTCOMES} outcomes, not {len(probabilities)}."
        )
    values: list[Fraction] = []
    for outcome, probability in enumerate(probabilities):
        if isinstance(probability, Fraction):
            value = probability
        elif isinstance(probability, Decimal) and probability.is_finite():
            value = Fraction(probability)
        else:
            raise InvalidProbabilities(
                f"Outcome {outcome}'s probability is not an exact Fraction or Decimal: "
                f"{probability!r}.",
                outcome=outcome,
            )
        if not 0 < value < 1:
            raise InvalidProbabilities(
                f"Outcome {outcome}'s probability must be above 0 and below 1, not {value}.",
                outcome=outcome,
            )
        values.append(value)
    total = sum(values, Fraction(0))
    if abs(total - 1) > PROBABILITY_SUM_TOLERANCE:
        raise InvalidProbabilities(
            f"A complete market's probabilities sum to 1, these to {float(total):.12g}.",
            total=str(total),
        )
    return tuple(value / total for value in values)


def _bisect(function: Callable[[float], float], low: float, high: float) -> float:
    """A root of a monotone ``function`` that changes sign on ``[low, high]``.

    Evaluates ``function`` at ``low`` and at midpoints only, never at ``high`` (the Shin
    inverse is undefined at z = 1). Stops after :data:`SOLVER_ITERATIONS` halvings or when the
    interval cannot shrink any more in floating point.
    """
    low_is_negative = function(low) < 0
    for _ in range(SOLVER_ITERATIONS):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        value = function(middle)
        if value == 0:
            return middle
        if (value < 0) == low_is_negative:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _scaled(raw: Sequence[float], total: Fraction) -> tuple[Fraction, ...]:
    """The solver's floats as exact Fractions scaled to sum to exactly ``total``."""
    values = [Fraction(value) for value in raw]
    if any(value <= 0 for value in values):
        raise MarginNotAttainable(
            "The method's solution puts a probability at 0 in floating point; these odds are "
            "too far apart for it."
        )
    found = sum(values, Fraction(0))
    if abs(float(found / total) - 1) > SOLVER_TOLERANCE:
        raise MarginNotAttainable(
            f"The solver stopped {float(found - total):.3g} away from its target."
        )
    return tuple(value * total / found for value in values)


def _power_offered(probabilities: Sequence[float], target: float) -> list[float]:
    # Σ p^c falls from n (c = 0) to 1 (c = 1); target = 1 + m is in between.
    def excess(exponent: float) -> float:
        return math.fsum(p**exponent for p in probabilities) - target

    exponent = _bisect(excess, 0.0, 1.0)
    return [p**exponent for p in probabilities]


def _shin_weights(probabilities: Sequence[float], z: float) -> list[float]:
    return [math.sqrt(z * p + (1 - z) * p * p) for p in probabilities]


def _shin_offered(probabilities: Sequence[float], target: float) -> list[float]:
    # (Σ √(z p + (1 - z) p²))² rises from 1 (z = 0) to (Σ √p)² (z = 1).
    highest = math.fsum(math.sqrt(p) for p in probabilities) ** 2
    if highest < target:
        raise MarginNotAttainable(
            f"Shin's method can put at most {highest - 1:.4f} of margin on these probabilities.",
            method=MarginMethod.SHIN.value,
        )

    def excess(z: float) -> float:
        return math.fsum(_shin_weights(probabilities, z)) ** 2 - target

    z = _bisect(excess, 0.0, 1.0)
    weights = _shin_weights(probabilities, z)
    total = math.fsum(weights)
    return [weight * total for weight in weights]


def offered_probabilities(
    probabilities: Sequence[Fraction | Decimal],
    margin: Fraction | Decimal | int,
    method: MarginMethod | str,
) -> tuple[Fraction, ...]:
    """The implied probabilities to offer, before the ladder: they sum to exactly ``1 + margin``.

    ``probabilities`` are the true probabilities of a complete market (at least 2 outcomes,
    each above 0 and below 1, summing to 1 within :data:`PROBABILITY_SUM_TOLERANCE`; a sum that
    is off by less is scaled to 1 first). ``margin`` is a fraction from 0 to 0.30. Each offered
    probability is a strictly increasing function of the true one, so the order of outcomes is
    kept. A zero margin returns the probabilities unchanged, exactly, for every method.
    """
    chosen = margin_method(method)
    exact = _exact_probabilities(probabilities)
    extra = _exact_margin(margin)
    total = 1 + extra
    if extra == 0:
        return exact
    if chosen is MarginMethod.PROPORTIONAL:
        return tuple(p * total for p in exact)
    floats = [float(p) for p in exact]
    if chosen is MarginMethod.POWER:
        return _scaled(_power_offered(floats, float(total)), total)
    return _scaled(_shin_offered(floats, float(total)), total)


def apply_margin(
    probabilities: Sequence[Fraction | Decimal],
    margin: Fraction | Decimal | int,
    method: MarginMethod | str,
    ladder: OddsLadder = STANDARD_LADDER,
) -> tuple[Odds, ...]:
    """The odds to offer for each outcome, on the ladder, with at least ``margin`` built in.

    Computes :func:`offered_probabilities` (overround exactly ``1 + margin``), turns each into
    exact odds ``1/π`` and rounds them *down* onto ``ladder``, so the overround of the prices
    offered is at least ``1 + margin`` and no outcome is priced more generously than the method
    says. Odds above the ladder are offered at its maximum. An outcome whose price would fall
    below the ladder's minimum (a heavy favourite under a large margin) cannot be offered: the
    market is refused with :class:`OddsOffLadder` naming the outcome.
    """
    offered = offered_probabilities(probabilities, margin, method)
    prices: list[Odds] = []
    lowest = ladder.minimum.value
    for outcome, probability in enumerate(offered):
        if probability * lowest > 1:
            shown = (
                format(Odds.from_probability(probability).to_decimal(4), "f")
                if probability < 1
                else "1 or less"
            )
            raise OddsOffLadder(
                f"Outcome {outcome} would be priced at {shown}, below the ladder's lowest "
                f"price {ladder.minimum}; lower the margin or leave the outcome out.",
                outcome=outcome,
            )
        prices.append(ladder.round_down(Odds.from_probability(probability)))
    # Rounding odds down can only raise their implied probabilities.
    assert overround(prices) >= 1 + _exact_margin(margin)
    return tuple(prices)


def _power_true(implied: Sequence[float]) -> list[float]:
    # Σ π^k falls from Π ≥ 1 (k = 1) towards 0; find where it crosses 1.
    def excess(exponent: float) -> float:
        return math.fsum(p**exponent for p in implied) - 1

    high = 2.0
    while excess(high) > 0:
        high *= 2
        if high > 2.0**60:
            raise MarginNotAttainable("The power method found no exponent for these odds.")
    exponent = _bisect(excess, 1.0, high)
    return [p**exponent for p in implied]


def _shin_true_at(implied: Sequence[float], booksum: float, z: float) -> list[float]:
    return [(math.sqrt(z * z + 4 * (1 - z) * p * p / booksum) - z) / (2 * (1 - z)) for p in implied]


def _shin_true(implied: Sequence[float]) -> list[float]:
    # Σ p_i(z) is √Π ≥ 1 at z = 0 and tends to Σ π²/Π < 1 as z → 1.
    booksum = math.fsum(implied)

    def excess(z: float) -> float:
        return math.fsum(_shin_true_at(implied, booksum, z)) - 1

    z = _bisect(excess, 0.0, 1.0)
    return _shin_true_at(implied, booksum, z)


def remove_margin(odds: Sequence[Odds], method: MarginMethod | str) -> tuple[Fraction, ...]:
    """The true probabilities behind a complete market's odds: they sum to exactly 1.

    The inverse of :func:`offered_probabilities` for the same method: removing the margin from
    exact offered odds gives back the true probabilities within the solver's tolerance (from
    ladder prices, within the ladder's rounding). Odds whose implied probabilities sum to less
    than 1 have no margin to remove and are refused (:class:`OverroundBelowOne`).
    """
    chosen = margin_method(method)
    if len(odds) < MIN_OUTCOMES:
        raise TooFewOutcomes(f"A market has at least {MIN_OUTCOMES} outcomes, not {len(odds)}.")
    for outcome, price in enumerate(odds):
        if not isinstance(price, Odds):
            raise InvalidOdds(f"Outcome {outcome}'s odds are not Odds: {price!r}.")
    implied = [price.implied_probability for price in odds]
    booksum = sum(implied, Fraction(0))
    if booksum < 1:
        raise OverroundBelowOne(
            f"These odds imply {float(booksum):.6f} in total, less than 1.", overround=str(booksum)
        )
    if booksum == 1 or chosen is MarginMethod.PROPORTIONAL:
        return tuple(p / booksum for p in implied)
    floats = [float(p) for p in implied]
    if chosen is MarginMethod.POWER:
        return _scaled(_power_true(floats), Fraction(1))
    return _scaled(_shin_true(floats), Fraction(1))

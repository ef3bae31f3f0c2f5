"""Odds as exact values, their three written forms, and the odds ladder.

Decimal odds are held as a :class:`fractions.Fraction` above 1, never as a float and not as a
Decimal with a fixed number of places, because the prices a sportsbook takes are not all
terminating decimals:

- American prices: ``-110``, the standard US price, is ``1 + 100/110 = 21/11 = 1.9090…``.
  A US book pays exactly 100 for every 110 staked, so only a rational holds it exactly.
- Traditional fractional prices: ``4/6`` is ``5/3 = 1.666…``, ``8/13`` is ``21/13``.
- Accumulators multiply their legs' odds; the product of exact rationals is exact, so the
  rounding of a payout happens once, in money, by the settlement's own rule.

The text form for storage (``str(odds)``, read back by :meth:`Odds.parse`) is the exact decimal
when the odds terminate (``"2.375"``, ``"1.91"``, ``"1000"``) and the exact ratio of the
*decimal* odds otherwise (``"21/11"`` for American -110). Prices that croupier itself offers are
on the odds ladder and therefore always terminate, with at most 2 places.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from croupier.products.sportsbook.errors import (
    InvalidLadder,
    InvalidOdds,
    InvalidProbabilities,
    OddsOffLadder,
)

# Odds text comes from storage, requests and operator configuration; bound it so that a huge
# string cannot make us build a huge integer.
MAX_ODDS_TEXT_LENGTH: Final = 64
# A ladder is a list of prices that is searched and sent to clients; keep it finite and small.
MAX_LADDER_PRICES: Final = 10_000

DISPLAY_PLACES: Final = 2

_DECIMAL_TEXT: Final = re.compile(r"(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
_RATIO_TEXT: Final = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")
_AMERICAN_TEXT: Final = re.compile(r"([+-]?)((?:0|[1-9][0-9]*)(?:\.[0-9]+)?)")
_EVENS_WORDS: Final = frozenset({"evens", "evs"})

# UK bookmakers write a few prices unreduced, by long habit: 4/6 (never 2/3), 6/4 (never 3/2)
# and 100/30 (never 10/3). Every other fractional price is shown in lowest terms.
_TRADITIONAL_FRACTIONS: Final[dict[Fraction, str]] = {
    Fraction(2, 3): "4/6",
    Fraction(3, 2): "6/4",
    Fraction(10, 3): "100/30",
}


def _round_half_up(value: Fraction) -> int:
    """The integer nearest to a non-negative ``value``, halves rounded up."""
    assert value >= 0
    quotient, remainder = divmod(value.numerator, value.denominator)
    return quotient + 1 if 2 * remainder >= value.denominator else quotient


def _terminating_decimal(value: Fraction) -> Decimal | None:
    """``value`` as an exact Decimal, or None when its decimal expansion does not terminate."""
    rest = value.denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1:
        return None
    places = max(twos, fives)
    scaled = value.numerator * 10**places // value.denominator
    # Built from text, so no decimal context can round it.
    return Decimal(f"{scaled}E-{places}")


def _exact_text(value: Fraction) -> str:
    exact = _terminating_decimal(value)
    if exact is None:
        return f"{value.numerator}/{value.denominator}"
    return format(exact, "f")


def _checked_text(text: object, what: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_ODDS_TEXT_LENGTH:
        raise InvalidOdds(f"{what} must be text of at most {MAX_ODDS_TEXT_LENGTH} characters.")
    return text


@dataclass(frozen=True, slots=True, order=True, repr=False)
class Odds:
    """Decimal odds, exactly: the total returned per unit staked on a win, stake included.

    ``Odds(Fraction(19, 8))`` is 2.375, which is 11/8 fractional and +137.5 American. Odds
    compare, hash and multiply (an accumulator's odds are the product of its legs') exactly.
    """

    value: Fraction

    def __post_init__(self) -> None:
        if not isinstance(self.value, Fraction):
            raise InvalidOdds("Odds hold an exact Fraction; use Odds.parse or a from_ method.")
        if self.value <= 1:
            raise InvalidOdds(
                f"Decimal odds must be above 1, not {_exact_text(self.value)}.",
                odds=_exact_text(self.value),
            )

    # Constructors -------------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> Odds:
        """Read the storage form written by ``str(odds)``.

        Accepts exact decimal odds (``"2.375"``, ``"2.50"``) or an exact ratio of decimal odds
        (``"21/11"``). The ratio is the *decimal* odds, not a fractional price: fractional
        ``"11/8"`` is read by :meth:`from_fractional`.
        """
        text = _checked_text(text, "Odds")
        if match := _RATIO_TEXT.fullmatch(text):
            return cls._above_one(Fraction(int(match[1]), int(match[2])), text)
        if _DECIMAL_TEXT.fullmatch(text):
            return cls._above_one(Fraction(text), text)
        raise InvalidOdds(f"{text!r} is not decimal odds such as '2.375' or '21/11'.", odds=text)

    @classmethod
    def from_decimal(cls, value: Decimal | str | int) -> Odds:
        """Decimal odds given as an exact Decimal, decimal text or an integer; floats refused."""
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise InvalidOdds(f"Decimal odds must be a finite number, not {value}.")
            return cls._above_one(Fraction(value), str(value))
        if isinstance(value, str):
            text = _checked_text(value, "Decimal odds")
            if not _DECIMAL_TEXT.fullmatch(text):
                raise InvalidOdds(f"{text!r} is not decimal odds such as '2.375'.", odds=text)
            return cls._above_one(Fraction(text), text)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls._above_one(Fraction(value), str(value))
        # A float cannot hold 1.1 or 2.3 exactly; a price must never pass through one.
        raise InvalidOdds(f"Decimal odds are exact (Decimal, text or int), not {type(value)}.")

    @classmethod
    def from_fractional(cls, text: str) -> Odds:
        """Fractional (UK) odds: profit per unit staked, ``"11/8"``, ``"4/6"``, ``"evens"``.

        Decimal odds are 1 + the fraction: ``"11/8"`` is 2.375 and ``"evens"`` (or ``"evs"``,
        ``"1/1"``) is 2.
        """
        text = _checked_text(text, "Fractional odds")
        if text.lower() in _EVENS_WORDS:
            return cls(Fraction(2))
        match = _RATIO_TEXT.fullmatch(text)
        if match is None:
            raise InvalidOdds(
                f"{text!r} is not fractional odds such as '11/8' or 'evens'.", odds=text
            )
        return cls(1 + Fraction(int(match[1]), int(match[2])))

    @classmethod
    def from_american(cls, value: str | int) -> Odds:
        """American (moneyline) odds: ``+138`` wins 138 per 100 staked, ``-250`` risks 250 for 100.

        A positive price ``a`` (at least 100) is decimal ``1 + a/100``; a negative price ``-a``
        (``a`` at least 100) is ``1 + 100/a``. Both ``+100`` and ``-100`` are evens (2.0). A price
        between -100 and +100 does not exist and is refused. Text may carry decimals
        (``"+137.5"``); an unsigned number is positive.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            price = Fraction(value)
            shown = str(value)
        elif isinstance(value, str):
            shown = _checked_text(value, "American odds")
            match = _AMERICAN_TEXT.fullmatch(shown)
            if match is None:
                raise InvalidOdds(
                    f"{shown!r} is not American odds such as '+138' or '-250'.", odds=shown
                )
            price = Fraction(match[2]) * (-1 if match[1] == "-" else 1)
        else:
            raise InvalidOdds(f"American odds are text or an int, not {type(value)}.")
        if abs(price) < 100:
            raise InvalidOdds(
                f"American odds are at least +100 or at most -100, not {shown}.", odds=shown
            )
        if price > 0:
            return cls(1 + price / 100)
        return cls(1 + 100 / -price)

    @classmethod
    def from_probability(cls, probability: Fraction) -> Odds:
        """Fair decimal odds for an exact probability strictly between 0 and 1: ``1 / p``."""
        if not isinstance(probability, Fraction) or not 0 < probability < 1:
            raise InvalidProbabilities(
                f"A probability for odds is an exact Fraction above 0 and below 1, "
                f"not {probability!r}."
            )
        return cls(1 / probability)

    @classmethod
    def product(cls, legs: Iterable[Odds]) -> Odds:
        """An accumulator's odds: the exact product of its legs' odds."""
        result = Fraction(1)
        count = 0
        for leg in legs:
            result *= leg.value
            count += 1
        if count == 0:
            raise InvalidOdds("An accumulator has at least one leg.")
        return cls(result)

    @classmethod
    def _above_one(cls, value: Fraction, shown: str) -> Odds:
        if value <= 1:
            raise InvalidOdds(f"Decimal odds must be above 1, not {shown}.", odds=shown)
        return cls(value)

    # Forms ----------------------------------------------------------------------------------

    def __str__(self) -> str:
        """The exact storage form: ``"2.375"``, ``"1000"``, or ``"21/11"`` when not terminating."""
        return _exact_text(self.value)

    def __repr__(self) -> str:
        return f"Odds('{self}')"

    @property
    def is_terminating(self) -> bool:
        """True when the odds are an exact finite decimal (every ladder price is)."""
        return _terminating_decimal(self.value) is not None

    def to_decimal(self, places: int = DISPLAY_PLACES) -> Decimal:
        """The odds rounded to ``places`` decimals, halves rounded up (2.375 → 2.38).

        For display only: a bet is accepted and settled at the exact :attr:`value`. Halves go up
        because that is what players see elsewhere for the same price (-110 is shown as 1.91,
        4/6 as 1.67); every price croupier offers is on the ladder and needs no rounding.
        """
        if places < 0:
            raise ValueError("places must not be negative")
        return Decimal(f"{_round_half_up(self.value * 10**places)}E-{places}")

    @property
    def decimal(self) -> str:
        """Decimal odds as shown to players: 2 places, halves up (``"2.38"``, ``"2.00"``)."""
        return format(self.to_decimal(DISPLAY_PLACES), "f")

    @property
    def fractional(self) -> str:
        """Fractional odds, exact: ``"11/8"``, ``"evens"`` for 2.0, ``"91/100"`` for 1.91.

        The profit ratio ``value - 1`` in lowest terms, except the three prices bookmakers
        traditionally leave unreduced: ``4/6``, ``6/4`` and ``100/30``.
        """
        profit = self.value - 1
        if profit == 1:
            return "evens"
        traditional = _TRADITIONAL_FRACTIONS.get(profit)
        if traditional is not None:
            return traditional
        return f"{profit.numerator}/{profit.denominator}"

    @property
    def american_value(self) -> Fraction:
        """American odds, exact and signed: 2.375 is ``+275/2``, 1.4 is ``-250``."""
        if self.value >= 2:
            return (self.value - 1) * 100
        return -100 / (self.value - 1)

    @property
    def american(self) -> str:
        """American odds as shown: signed whole number, magnitude rounded half up.

        2.375 (+137.5) is ``"+138"``; 1.4 is ``"-250"``; 21/11 is ``"-110"``; 1.91
        (-109.89…) is ``"-110"``; 2.0 is ``"+100"`` (odds of 2 or more take the plus sign).
        """
        exact = self.american_value
        sign = "+" if exact > 0 else "-"
        return f"{sign}{_round_half_up(abs(exact))}"

    @property
    def implied_probability(self) -> Fraction:
        """The probability these odds imply, exactly: ``1 / value`` (margin included)."""
        return 1 / self.value

    def __mul__(self, other: object) -> Odds:
        """Accumulator arithmetic: the odds of two legs combined, exactly."""
        if not isinstance(other, Odds):
            return NotImplemented
        return Odds(self.value * other.value)


def _ladder_number(value: Decimal | str, what: str) -> Fraction:
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        return Fraction(value)
    raise InvalidLadder(f"The ladder's {what} must be an exact decimal, not {value!r}.")


class OddsLadder:
    """The prices a sportsbook may offer, from lowest to highest.

    Defined by a start price and bands ``(up_to, step)``: each band continues from the previous
    band's top (or the start) in exact steps and ends exactly on ``up_to``. Computed prices are
    snapped onto the ladder; :meth:`round_down` is the one pricing uses, so a price offered is
    never more generous than the price computed.
    """

    __slots__ = ("_prices", "_values")

    def __init__(self, start: Decimal | str, bands: Sequence[tuple[Decimal | str, Decimal | str]]):
        price = _ladder_number(start, "start")
        if price <= 1:
            raise InvalidLadder("A ladder starts above 1.")
        values = [price]
        for up_to_given, step_given in bands:
            up_to = _ladder_number(up_to_given, "band top")
            step = _ladder_number(step_given, "step")
            if step <= 0 or up_to <= price:
                raise InvalidLadder(
                    f"A band rises: {up_to_given} is not above {_exact_text(price)} "
                    f"or its step {step_given} is not positive."
                )
            count, rest = divmod(up_to - price, step)
            if rest != 0:
                raise InvalidLadder(
                    f"Steps of {step_given} from {_exact_text(price)} do not reach {up_to_given}."
                )
            if len(values) + count > MAX_LADDER_PRICES:
                raise InvalidLadder(f"A ladder has at most {MAX_LADDER_PRICES} prices.")
            values.extend(price + index * step for index in range(1, int(count) + 1))
            price = up_to
        self._values: tuple[Fraction, ...] = tuple(values)
        self._prices: tuple[Odds, ...] = tuple(Odds(value) for value in values)

    @property
    def prices(self) -> tuple[Odds, ...]:
        """Every price on the ladder, lowest first."""
        return self._prices

    @property
    def minimum(self) -> Odds:
        return self._prices[0]

    @property
    def maximum(self) -> Odds:
        return self._prices[-1]

    def __len__(self) -> int:
        return len(self._prices)

    def __contains__(self, odds: object) -> bool:
        if not isinstance(odds, Odds):
            return False
        index = bisect_left(self._values, odds.value)
        return index < len(self._values) and self._values[index] == odds.value

    def __repr__(self) -> str:
        return f"OddsLadder({self.minimum}..{self.maximum}, {len(self)} prices)"

    def round_down(self, odds: Odds) -> Odds:
        """The highest ladder price at or below ``odds``; above the ladder, its maximum.

        Never more than the computed price, so the book's margin is never given away by
        rounding. Odds below the ladder's minimum cannot be offered and are refused.
        """
        index = bisect_right(self._values, odds.value) - 1
        if index < 0:
            raise OddsOffLadder(
                f"Odds {odds} are below the ladder's lowest price {self.minimum}.", odds=str(odds)
            )
        return self._prices[index]

    def round_nearest(self, odds: Odds) -> Odds:
        """The ladder price nearest to ``odds`` (a tie goes to the lower price).

        Above the ladder, its maximum; below its minimum, refused as in :meth:`round_down`.
        """
        index = bisect_right(self._values, odds.value) - 1
        if index < 0:
            return self.round_down(odds)  # raises
        lower = self._values[index]
        if lower == odds.value or index + 1 == len(self._values):
            return self._prices[index]
        upper = self._values[index + 1]
        if upper - odds.value < odds.value - lower:
            return self._prices[index + 1]
        return self._prices[index]

    def next_up(self, odds: Odds) -> Odds:
        """The lowest ladder price strictly above ``odds`` (one tick up)."""
        index = bisect_right(self._values, odds.value)
        if index == len(self._values):
            raise OddsOffLadder(
                f"There is no ladder price above {odds} (the highest is {self.maximum}).",
                odds=str(odds),
            )
        return self._prices[index]

    def next_down(self, odds: Odds) -> Odds:
        """The highest ladder price strictly below ``odds`` (one tick down)."""
        index = bisect_left(self._values, odds.value) - 1
        if index < 0:
            raise OddsOffLadder(
                f"There is no ladder price below {odds} (the lowest is {self.minimum}).",
                odds=str(odds),
            )
        return self._prices[index]


# Betfair's price ladder, the industry's common reference: 350 prices from 1.01 to 1000, with
# steps that widen as the odds lengthen, so that one tick is a similar change of probability.
STANDARD_LADDER: Final = OddsLadder(
    "1.01",
    [
        ("2", "0.01"),
        ("3", "0.02"),
        ("4", "0.05"),
        ("6", "0.1"),
        ("10", "0.2"),
        ("20", "0.5"),
        ("30", "1"),
        ("50", "2"),
        ("100", "5"),
        ("1000", "10"),
    ],
)

"""Bet types and what a bet pays, exactly. Pure: no database.

A bet is a kind, its legs (a selection, the price taken, the outcome once settled) and a stake
per line. Every kind expands into lines, each a combination of legs that wins only if all of
its legs do:

| kind | selections | lines |
|---|---|---|
| single | 1 | 1 |
| double, treble | 2, 3 | 1 |
| accumulator (n-fold) | n ≥ 2 | 1 |
| trixie | 3 | 4: 3 doubles, 1 treble |
| patent | 3 | 7: 3 singles, 3 doubles, 1 treble |
| yankee | 4 | 11: 6 doubles, 4 trebles, 1 fourfold |
| lucky15 | 4 | 15: a yankee and 4 singles |
| canadian (super yankee) | 5 | 26: every double to the fivefold |
| lucky31 | 5 | 31: a canadian and 5 singles |
| heinz | 6 | 57: every double to the sixfold |
| lucky63 | 6 | 63: a heinz and 6 singles |
| super_heinz | 7 | 120: every double to the sevenfold |
| goliath | 8 | 247: every double to the eightfold |

The total stake is the stake per line times the number of lines. The consolation and bonus
terms some books add to Lucky 15/31/63 (double odds on a single winner, a bonus when all win)
are not offered.

A line returns its stake times the product of its legs' return factors
(:func:`return_factor`): win → price; lose → 0; void → 1 (the leg is taken out at odds 1);
half win → (price + 1) / 2; half lose → 1/2; dead heat with factor f → f × price. Returns are
exact Fractions. A bet's return is the sum of its lines' returns, rounded *down* to a whole
ledger unit once per bet (not per line); the remainder, less than one unit, stays with the
house. A bet whose every leg is void returns exactly its stake.

Prices are decimal odds as ``fractions.Fraction`` above 1; :func:`to_price` is the one place
that reads them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache

from croupier.kernel.money import MAX_AMOUNT
from croupier.products.sportsbook.markets import Outcome, OutcomeKind
from croupier.products.sportsbook.settlement_errors import (
    InvalidLeg,
    InvalidLegCount,
    InvalidStake,
    LegNotSettled,
    UnknownBetType,
)


class BetType(StrEnum):
    SINGLE = "single"
    DOUBLE = "double"
    TREBLE = "treble"
    ACCUMULATOR = "accumulator"
    TRIXIE = "trixie"
    PATENT = "patent"
    YANKEE = "yankee"
    LUCKY15 = "lucky15"
    CANADIAN = "canadian"
    LUCKY31 = "lucky31"
    HEINZ = "heinz"
    LUCKY63 = "lucky63"
    SUPER_HEINZ = "super_heinz"
    GOLIATH = "goliath"


# kind → (number of selections, smallest line); None: an accumulator, any n ≥ 2, one n-fold.
# Every kind's largest line is the n-fold of all its selections.
_RULES: Mapping[BetType, tuple[int, int] | None] = {
    BetType.SINGLE: (1, 1),
    BetType.DOUBLE: (2, 2),
    BetType.TREBLE: (3, 3),
    BetType.ACCUMULATOR: None,
    BetType.TRIXIE: (3, 2),
    BetType.PATENT: (3, 1),
    BetType.YANKEE: (4, 2),
    BetType.LUCKY15: (4, 1),
    BetType.CANADIAN: (5, 2),
    BetType.LUCKY31: (5, 1),
    BetType.HEINZ: (6, 2),
    BetType.LUCKY63: (6, 1),
    BetType.SUPER_HEINZ: (7, 2),
    BetType.GOLIATH: (8, 2),
}

_ALIASES: Mapping[str, BetType] = {
    "super_yankee": BetType.CANADIAN,
    "lucky_15": BetType.LUCKY15,
    "lucky_31": BetType.LUCKY31,
    "lucky_63": BetType.LUCKY63,
}

# The full-cover system bets, in order of size.
SYSTEM_BETS: tuple[BetType, ...] = tuple(
    kind for kind, rule in _RULES.items() if rule is not None and rule[0] > 1 and rule[1] < rule[0]
)


def bet_type(value: BetType | str) -> BetType:
    """The bet type named ``value`` (also ``super_yankee`` for a canadian, ``lucky_15`` for
    lucky15 and so on)."""
    if isinstance(value, BetType):
        return value
    if isinstance(value, str):
        name = value.strip().lower()
        if name in _ALIASES:
            return _ALIASES[name]
        try:
            return BetType(name)
        except ValueError:
            pass
    raise UnknownBetType(f"Unknown bet type {value!r}.")


def selections_for(kind: BetType | str) -> int | None:
    """How many selections a bet type takes; None for an accumulator (2 or more)."""
    rule = _RULES[bet_type(kind)]
    return None if rule is None else rule[0]


@lru_cache(maxsize=256)
def _combinations(kind: BetType, legs: int) -> tuple[tuple[int, ...], ...]:
    rule = _RULES[kind]
    if rule is None:
        if legs < 2:
            raise InvalidLegCount("An accumulator has at least 2 selections.", selections=legs)
        return (tuple(range(legs)),)
    count, smallest = rule
    if legs != count:
        raise InvalidLegCount(
            f"A {kind.value} has {count} selection{'s' if count > 1 else ''}, not {legs}.",
            selections=legs,
        )
    return tuple(
        combination
        for size in range(smallest, legs + 1)
        for combination in itertools.combinations(range(legs), size)
    )


def lines(kind: BetType | str, legs: int) -> tuple[tuple[int, ...], ...]:
    """The lines of a ``kind`` bet on ``legs`` selections, as tuples of leg indices: singles
    first, then doubles, and so on, each size in lexicographic order. Refuses a number of
    selections the kind does not take (``sportsbook.invalid_leg_count``)."""
    if isinstance(legs, bool) or not isinstance(legs, int):
        raise InvalidLegCount("The number of selections is a whole number.")
    return _combinations(bet_type(kind), legs)


def line_count(kind: BetType | str, legs: int) -> int:
    """How many lines (and so stakes) a ``kind`` bet on ``legs`` selections has."""
    return len(lines(kind, legs))


# --- Prices and legs --------------------------------------------------------------------


def to_price(value: Fraction) -> Fraction:
    """A leg's price: decimal odds, exact, above 1. The one place where prices enter this
    module (the ``Odds`` type will be read here)."""
    if not isinstance(value, Fraction):
        raise InvalidLeg(f"A price is exact decimal odds (a Fraction), not {value!r}.")
    if value <= 1:
        raise InvalidLeg(f"Decimal odds are above 1, not {value}.")
    return value


@dataclass(frozen=True, slots=True)
class Leg:
    """One selection of a bet at the price taken; ``outcome`` is None until its market is
    settled."""

    selection_id: str
    price: Fraction
    outcome: Outcome | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.selection_id, str) or not self.selection_id:
            raise InvalidLeg("A leg names its selection.")
        object.__setattr__(self, "price", to_price(self.price))
        if self.outcome is not None and not isinstance(self.outcome, Outcome):
            raise InvalidLeg("A leg's outcome is an Outcome or None.")


def return_factor(price: Fraction, outcome: Outcome) -> Fraction:
    """What one unit staked on a leg at ``price`` becomes:

    - win: ``price``; lose: 0;
    - void (push, refund, cancelled event): 1, the stake back, so in a multiple the leg
      counts at odds 1;
    - half win: ``(price + 1) / 2``, half the stake won at ``price``, half pushed;
    - half lose: ``1/2``, half the stake pushed, half lost;
    - dead heat with factor ``f``: ``f × price``, a share ``f`` of the stake won at full odds
      and the rest lost (two tied for one place: half the stake at full odds).
    """
    kind = outcome.kind
    if kind is OutcomeKind.WIN:
        return price
    if kind is OutcomeKind.LOSE:
        return Fraction(0)
    if kind is OutcomeKind.VOID:
        return Fraction(1)
    if kind is OutcomeKind.HALF_WIN:
        return (price + 1) / 2
    if kind is OutcomeKind.HALF_LOSE:
        return Fraction(1, 2)
    assert outcome.dead_heat is not None
    return outcome.dead_heat * price


# --- Bets -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bet:
    """A bet of ``kind`` on ``legs`` (distinct selections) with ``stake_per_line`` ledger
    units on each of its lines."""

    kind: BetType
    legs: tuple[Leg, ...]
    stake_per_line: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", bet_type(self.kind))
        if not isinstance(self.legs, tuple) or not all(isinstance(g, Leg) for g in self.legs):
            raise InvalidLeg("The legs are a tuple of Leg.")
        if len({leg.selection_id for leg in self.legs}) != len(self.legs):
            raise InvalidLeg("Each selection at most once in a bet.")
        stake = self.stake_per_line
        if isinstance(stake, bool) or not isinstance(stake, int) or not 0 < stake <= MAX_AMOUNT:
            raise InvalidStake()
        if stake * self.line_count > MAX_AMOUNT:
            raise InvalidStake("The total stake is beyond the ledger's range.")

    @property
    def lines(self) -> tuple[tuple[int, ...], ...]:
        """The lines as tuples of indices into ``legs``."""
        return lines(self.kind, len(self.legs))

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @property
    def total_stake(self) -> int:
        """Stake per line × number of lines."""
        return self.stake_per_line * self.line_count

    def with_outcomes(self, outcomes: Mapping[str, Outcome]) -> Bet:
        """This bet with the outcomes of the selections in ``outcomes`` set (others kept)."""
        return Bet(
            self.kind,
            tuple(
                Leg(leg.selection_id, leg.price, outcomes.get(leg.selection_id, leg.outcome))
                for leg in self.legs
            ),
            self.stake_per_line,
        )


@dataclass(frozen=True, slots=True)
class LineReturn:
    """One line of a settled bet: its selections, its stake and its exact return."""

    selections: tuple[str, ...]
    stake: int
    exact_return: Fraction


@dataclass(frozen=True, slots=True)
class Settlement:
    """A settled bet: what was staked, each line's exact return, their exact sum and what
    is paid, the sum rounded down to a ledger unit. ``house_take`` is the stake less the
    payment (negative when the player won); ``rounding_remainder`` (below one unit) is part
    of it."""

    stake: int
    lines: tuple[LineReturn, ...]
    exact_return: Fraction
    total_return: int

    @property
    def house_take(self) -> int:
        return self.stake - self.total_return

    @property
    def rounding_remainder(self) -> Fraction:
        return self.exact_return - self.total_return


def _line_returns(bet: Bet, factors: Sequence[Fraction]) -> tuple[LineReturn, ...]:
    return tuple(
        LineReturn(
            tuple(bet.legs[i].selection_id for i in line),
            bet.stake_per_line,
            bet.stake_per_line * math.prod((factors[i] for i in line), start=Fraction(1)),
        )
        for line in bet.lines
    )


def settle_bet(bet: Bet) -> Settlement:
    """Settle a bet whose legs all have outcomes (``sportsbook.leg_not_settled`` if one has
    none): each line returns its stake times the product of its legs' return factors; the
    bet returns their sum rounded down to a whole ledger unit, once per bet, the remainder
    staying with the house."""
    factors = []
    for leg in bet.legs:
        if leg.outcome is None:
            raise LegNotSettled(f"{leg.selection_id} has no outcome yet.")
        factors.append(return_factor(leg.price, leg.outcome))
    returns = _line_returns(bet, factors)
    exact = sum((line.exact_return for line in returns), start=Fraction(0))
    return Settlement(bet.total_stake, returns, exact, math.floor(exact))


def potential_return(bet: Bet) -> int:
    """The most the bet can still return: every leg without an outcome wins, settled legs
    count as settled; rounded down like a settlement."""
    factors = [
        leg.price if leg.outcome is None else return_factor(leg.price, leg.outcome)
        for leg in bet.legs
    ]
    exact = sum((line.exact_return for line in _line_returns(bet, factors)), start=Fraction(0))
    return math.floor(exact)


# --- Shortcuts for callers that keep the kind, prices and outcomes apart -----------------


@dataclass(frozen=True, slots=True)
class BetPlan:
    """A bet type on given prices: its number of lines and what one unit staked on every
    line returns if all legs win (the potential return is this × the stake per line)."""

    kind: BetType
    lines: int
    return_per_unit: Fraction


def plan(kind: BetType | str, prices: Sequence[Fraction]) -> BetPlan:
    """The lines and the all-win return per unit of stake per line of ``kind`` on
    ``prices``."""
    chosen = bet_type(kind)
    checked = [to_price(price) for price in prices]
    combos = lines(chosen, len(checked))
    per_unit = sum(
        (math.prod((checked[i] for i in line), start=Fraction(1)) for line in combos),
        start=Fraction(0),
    )
    return BetPlan(chosen, len(combos), per_unit)


def settle(
    kind: BetType | str, legs: Sequence[tuple[Fraction, Outcome]], stake_per_line: int
) -> int:
    """What a ``kind`` bet pays, in ledger units, given its legs as (price, outcome) in
    order and its stake per line (:func:`settle_bet`)."""
    bet = Bet(
        bet_type(kind),
        tuple(Leg(str(i), price, outcome) for i, (price, outcome) in enumerate(legs)),
        stake_per_line,
    )
    return settle_bet(bet).total_return


__all__ = [
    "SYSTEM_BETS",
    "Bet",
    "BetPlan",
    "BetType",
    "Leg",
    "LineReturn",
    "Settlement",
    "bet_type",
    "line_count",
    "lines",
    "plan",
    "potential_return",
    "return_factor",
    "selections_for",
    "settle",
    "settle_bet",
    "to_price",
]

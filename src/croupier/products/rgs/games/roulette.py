"""Roulette: European (single zero), French (single zero with la partage) and American (0, 00).

The pocket is ``pick(37)`` (European, French) or ``pick(38)`` (American) from PROTOCOLS.md §1;
on the American wheel index 37 is the pocket "00". A round carries 1 to 20 bets, each with a
``weight``: its share of the round's stake. The round pays
``Σ weight_i · return_i / Σ weight_i`` per unit stake, where ``return_i`` is the payout plus the
stake when bet ``i`` wins, half the stake for an even-money bet when 0 comes on the French
table (la partage), and nothing otherwise.

The bets and their payouts are the standard table's:

=========  ==================================================  ======
kind       what it covers                                      pays
=========  ==================================================  ======
straight   one pocket (0, 00 included)                         35:1
split      two neighbours on the layout                        17:1
street     a row of three                                      11:1
corner     four numbers meeting at a corner                    8:1
six_line   two neighbouring rows                               5:1
top_line   0, 00, 1, 2, 3 (American only)                      6:1
dozen      1–12, 13–24 or 25–36 (``"dozen": 1..3``)            2:1
column     a column of twelve (``"column": 1..3``)             2:1
red/black  the eighteen red or black numbers                   1:1
odd/even   odd or even numbers of 1–36                         1:1
low/high   1–18 or 19–36                                       1:1
=========  ==================================================  ======

The layout puts 1–36 in twelve rows of three, row ``r`` holding ``3r−2, 3r−1, 3r``; column
``c`` holds the numbers ``n`` with ``n ≡ c (mod 3)`` (column 3: multiples of 3). A split joins
horizontal neighbours in a row (``n, n+1``) or vertical ones (``n, n+3``); a corner is a 2×2
square; a six line is two neighbouring rows. The zeros sit above row 1:

- European and French: splits 0–1, 0–2, 0–3; streets (trios) 0–1–2 and 0–2–3.
- American: split 0–00; streets 0–1–2, 0–00–2 and 00–2–3; the top line 0–00–1–2–3.

Every bet returns 36/37 on the single-zero wheels and 36/38 on the American one, but for the
French even-money bets (73/74, la partage gives back half the stake on 0) and the American top
line (35/38, the one bet with a worse edge than the rest of its table).

Left out on purpose, because their availability differs from casino to casino: the European
"first four" (0–1–2–3, 8:1) and the American splits of a zero with 1, 2 or 3 (0–1, 0–2, 00–2,
00–3). Call bets of the French racetrack (voisins, tiers, orphelins) are combinations of the
bets above and can be placed as a bet list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import AMERICAN_POCKETS, EUROPEAN_POCKETS, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.math import Outcome

DOUBLE_ZERO: Final = 37  # the index of "00" on the American wheel
DOUBLE_ZERO_LABEL: Final = "00"
MIN_BETS: Final = 1
MAX_BETS: Final = 20
MIN_WEIGHT: Final = 1
MAX_WEIGHT: Final = 1_000
DEFAULT_WEIGHT: Final = 1

RED: Final = frozenset({1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36})
BLACK: Final = frozenset(range(1, 37)) - RED

# What a winning bet pays on top of the stake ("35 to 1").
PAYOUTS: Final[Mapping[str, int]] = {
    "straight": 35,
    "split": 17,
    "street": 11,
    "corner": 8,
    "six_line": 5,
    "top_line": 6,
    "dozen": 2,
    "column": 2,
    "red": 1,
    "black": 1,
    "odd": 1,
    "even": 1,
    "low": 1,
    "high": 1,
}
# Bets on numbers the player names, and how many.
INSIDE_SIZES: Final[Mapping[str, int]] = {
    "straight": 1,
    "split": 2,
    "street": 3,
    "corner": 4,
    "six_line": 6,
}
EVEN_MONEY: Final = ("red", "black", "odd", "even", "low", "high")
SELECTORS: Final[Mapping[str, str]] = {"dozen": "dozen", "column": "column"}  # kind → its key
SELECTOR_RANGE: Final = range(1, 4)
AMERICAN_ONLY: Final = frozenset({"top_line"})

ZERO: Final = Fraction(0)
HALF: Final = Fraction(1, 2)

BetKey = tuple[str, tuple[int, ...], int]  # kind, pockets named or selector, weight


def _row(r: int) -> frozenset[int]:
    return frozenset({3 * r - 2, 3 * r - 1, 3 * r})


@lru_cache(maxsize=2)
def _inside_bets(pockets: int) -> Mapping[str, frozenset[frozenset[int]]]:
    """Every inside bet the table takes, as sets of pocket indices (00 is 37)."""
    american = pockets == AMERICAN_POCKETS
    splits = {frozenset({n, n + 1}) for n in range(1, 36) if n % 3 != 0}
    splits |= {frozenset({n, n + 3}) for n in range(1, 34)}
    streets = {_row(r) for r in range(1, 13)}
    if american:
        splits.add(frozenset({0, DOUBLE_ZERO}))
        streets |= {
            frozenset({0, 1, 2}),
            frozenset({0, DOUBLE_ZERO, 2}),
            frozenset({DOUBLE_ZERO, 2, 3}),
        }
    else:
        splits |= {frozenset({0, 1}), frozenset({0, 2}), frozenset({0, 3})}
        streets |= {frozenset({0, 1, 2}), frozenset({0, 2, 3})}
    return {
        "straight": frozenset(frozenset({p}) for p in range(pockets)),
        "split": frozenset(splits),
        "street": frozenset(streets),
        "corner": frozenset(
            frozenset({n, n + 1, n + 3, n + 4}) for n in range(1, 33) if n % 3 != 0
        ),
        "six_line": frozenset(_row(r) | _row(r + 1) for r in range(1, 12)),
    }


def _covered(kind: str, chosen: tuple[int, ...]) -> frozenset[int]:
    """The pockets a bet wins on; ``chosen`` holds the named pockets, or the dozen/column."""
    if kind in INSIDE_SIZES:
        return frozenset(chosen)
    if kind == "top_line":
        return frozenset({0, DOUBLE_ZERO, 1, 2, 3})
    if kind == "dozen":
        return frozenset(range(12 * chosen[0] - 11, 12 * chosen[0] + 1))
    if kind == "column":
        return frozenset(n for n in range(1, 37) if n % 3 == chosen[0] % 3)
    return {
        "red": RED,
        "black": BLACK,
        "odd": frozenset(range(1, 37, 2)),
        "even": frozenset(range(2, 37, 2)),
        "low": frozenset(range(1, 19)),
        "high": frozenset(range(19, 37)),
    }[kind]


@lru_cache(maxsize=4096)
def _returns(pockets: int, la_partage: bool, bets: tuple[BetKey, ...]) -> tuple[Fraction, ...]:
    """What the round pays per unit stake for each pocket index: shared constants, so a
    simulation counts them by identity."""
    total = sum(weight for _, _, weight in bets)
    paid = [Fraction(0)] * pockets
    for kind, chosen, weight in bets:
        back = weight * (PAYOUTS[kind] + 1)
        for p in _covered(kind, chosen):
            paid[p] += back
        if la_partage and kind in EVEN_MONEY:
            paid[0] += HALF * weight  # la partage: half the stake back when 0 comes
    shared: dict[Fraction, Fraction] = {ZERO: ZERO}
    return tuple(shared.setdefault(m, m) for m in (back / total for back in paid))


def _bet_key(bet: Mapping[str, Any]) -> BetKey:
    kind: str = bet["kind"]
    if kind in INSIDE_SIZES:
        chosen = tuple(DOUBLE_ZERO if n == DOUBLE_ZERO_LABEL else n for n in bet["numbers"])
    elif kind in SELECTORS:
        chosen = (bet[SELECTORS[kind]],)
    else:
        chosen = ()
    return kind, chosen, bet["weight"]


def _refused(index: int, detail: str) -> InvalidBet:
    return InvalidBet(f"Bet {index + 1}: {detail}", parameter="bets", bet=index)


def _label(pocket: int) -> int | str:
    return DOUBLE_ZERO_LABEL if pocket == DOUBLE_ZERO else pocket


def _color(pocket: int) -> str:
    if pocket in RED:
        return "red"
    return "black" if pocket in BLACK else "green"


def _table_order(pocket: int) -> tuple[int, int]:
    # 0, 00, 1, 2, …, 36: the zeros first, as the layout reads.
    return (0, 1) if pocket == DOUBLE_ZERO else (0 if pocket == 0 else 1, pocket)


@dataclass(frozen=True)
class Roulette:
    code: str
    name: str
    pockets: int  # 37 or 38
    la_partage: bool = False
    mechanic: str = "roulette"
    fair_game: str = "roulette"

    @property
    def kinds(self) -> tuple[str, ...]:
        american = self.pockets == AMERICAN_POCKETS
        return tuple(k for k in PAYOUTS if american or k not in AMERICAN_ONLY)

    def check(self, params: Params) -> Params:
        bets = params.get("bets")
        if not isinstance(bets, list | tuple) or not MIN_BETS <= len(bets) <= MAX_BETS:
            raise InvalidBet(f"bets is a list of {MIN_BETS} to {MAX_BETS} bets.", parameter="bets")
        return {"bets": [self._check_bet(bet, i) for i, bet in enumerate(bets)]}

    def _check_bet(self, bet: object, index: int) -> dict[str, Any]:
        if not isinstance(bet, Mapping):
            raise _refused(index, "a bet is an object with a kind and a weight.")
        kind = bet.get("kind")
        if not isinstance(kind, str) or kind not in self.kinds:
            raise _refused(index, f"kind is one of {', '.join(self.kinds)}.")
        weight = bet.get("weight", DEFAULT_WEIGHT)
        if isinstance(weight, bool) or not isinstance(weight, int):
            raise _refused(index, "weight is a whole number.")
        if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
            raise _refused(index, f"weight is from {MIN_WEIGHT} to {MAX_WEIGHT}.")
        checked: dict[str, Any] = {"kind": kind, "weight": weight}
        if kind in INSIDE_SIZES:
            checked["numbers"] = self._check_numbers(kind, bet.get("numbers"), index)
        elif kind in SELECTORS:
            key = SELECTORS[kind]
            value = bet.get(key)
            # An int check first: 2.0 in range(1, 4) is true, and JSON would echo it as 2.0.
            if isinstance(value, bool) or not isinstance(value, int) or value not in SELECTOR_RANGE:
                raise _refused(index, f"{key} is 1, 2 or 3.")
            checked[key] = value
        # A key the kind does not use (numbers on a red bet) is refused rather than ignored:
        # the player must never believe a stake covers what it does not.
        extra = set(bet) - set(checked)
        if extra:
            raise _refused(index, f"{kind} takes no {', '.join(sorted(map(str, extra)))}.")
        return checked

    def _check_numbers(self, kind: str, numbers: object, index: int) -> list[int | str]:
        size = INSIDE_SIZES[kind]
        if not isinstance(numbers, list | tuple) or len(numbers) != size:
            raise _refused(index, f"a {kind} names {size} number{'s' if size > 1 else ''}.")
        american = self.pockets == AMERICAN_POCKETS
        pockets: list[int] = []
        for n in numbers:
            if american and isinstance(n, str) and n == DOUBLE_ZERO_LABEL:
                pockets.append(DOUBLE_ZERO)
            elif isinstance(n, int) and not isinstance(n, bool) and 0 <= n <= 36:
                pockets.append(n)
            else:
                zeros = '0, "00"' if american else "0"
                raise _refused(index, f"numbers are {zeros} and 1 to 36, got {n!r}.")
        # Duplicates shrink the set, so [17, 17] is no split either.
        if frozenset(pockets) not in _inside_bets(self.pockets)[kind]:
            raise _refused(index, f"{list(numbers)!r} is not a {kind} on this table's layout.")
        return [_label(p) for p in sorted(pockets, key=_table_order)]

    def _table(self, params: Params) -> tuple[Fraction, ...]:
        bets = tuple(_bet_key(bet) for bet in params["bets"])
        return _returns(self.pockets, self.la_partage, bets)

    def play(self, stream: NumberStream, params: Params) -> Play:
        pocket = stream.pick(self.pockets)
        return Play(
            multiplier=self._table(params)[pocket],
            outcome={"pocket": _label(pocket), "color": _color(pocket)},
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        chance = Fraction(1, self.pockets)
        return [Outcome(chance, m) for m in self._table(params)]

    def configurations(self) -> Sequence[Params]:
        # Every bet of a kind has the same RTP (each pocket it covers pays alike), so one bet
        # of each kind, alone, stands for all of them.
        examples: dict[str, dict[str, Any]] = {
            "straight": {"numbers": [17]},
            "split": {"numbers": [17, 20]},
            "street": {"numbers": [16, 17, 18]},
            "corner": {"numbers": [17, 18, 20, 21]},
            "six_line": {"numbers": [13, 14, 15, 16, 17, 18]},
            "dozen": {"dozen": 2},
            "column": {"column": 2},
        }
        return [
            self.check({"bets": [{"kind": kind, **examples.get(kind, {})}]}) for kind in self.kinds
        ]


EUROPEAN: Final = Roulette(
    code="roulette-european", name="European Roulette", pockets=EUROPEAN_POCKETS
)
FRENCH: Final = Roulette(
    code="roulette-french", name="French Roulette", pockets=EUROPEAN_POCKETS, la_partage=True
)
AMERICAN: Final = Roulette(
    code="roulette-american", name="American Roulette", pockets=AMERICAN_POCKETS
)

TITLES: Final[tuple[SingleDrawTitle, ...]] = (EUROPEAN, FRENCH, AMERICAN)

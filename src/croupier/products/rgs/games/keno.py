"""Keno: pick 1 to 10 of the squares 1 … 40; ten are drawn; the pay depends on the hits.

The draw is PROTOCOLS.md §1's keno mapping: for ``i = 0 … 9``, the square at index
``pick(40 − i)`` of those remaining, in ascending order. With ``n`` squares picked, ``h`` of
them are drawn with the hypergeometric probability ``C(n, h) · C(40 − n, 10 − h) / C(40, 10)``,
so the return depends only on how many squares the player picks, not on which. The player
sees the squares drawn and their own squares among them (``hits``), both in draw order.

Each risk level has one paytable per number of picks, designed in-house and indexed by hits
(0 … n). *Classic* pays from about a third of the picks hit, up to 500x; *low* pays more
often and less (a miss on a single pick still returns 0.6x; top awards of 2.16x to 200x);
*high* pays only the rarer catches, up to 1,000x. Every table returns between 98.5 % and
99.5 % exactly (``tests/products/rgs/games/test_keno.py`` recomputes each one).

The tables were shaped by a geometric curve from the first paying catch to the top award,
rounded and nudged by a cent (or a unit, for the large awards) to land near 99 %; what is stored
below is the final table, multiplier for 0 hits first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import comb
from typing import Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import KENO_DRAWS, KENO_SQUARES, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.math import Outcome

RISKS: Final = ("classic", "low", "high")
MIN_PICKS: Final = 1
MAX_PICKS: Final = 10
SQUARES: Final = tuple(range(1, KENO_SQUARES + 1))

# Multipliers per unit stake, for 0 … n hits, by risk and number of squares picked (n).
PAYTABLES: Final[Mapping[str, Mapping[int, str]]] = {
    "classic": {
        1: "0 3.96",
        2: "0 1.5 7.16",
        3: "0 0.48 3.48 25",
        4: "0 0 1.65 11.5 80",
        5: "0 0 0.77 4.96 32 200",
        6: "0 0 0.58 2.75 13.2 63 300",
        7: "0 0 0 2.25 8.24 30 110 400",
        8: "0 0 0 1.6 4.93 15.2 47 151 450",
        9: "0 0 0 1.2 3.28 8.98 25 66 193 500",
        10: "0 0 0 0 3.44 7.9 18.2 41 90 203 500",
    },
    "low": {
        1: "0.6 2.16",
        2: "0 1.8 5.16",
        3: "0 0.99 3.16 10.1",
        4: "0 0.62 1.97 6.26 20",
        5: "0 0 1.66 4.8 13.9 40",
        6: "0 0 1.13 3.03 8.22 22 62",
        7: "0 0 0.82 2.1 5.36 13.6 35 94",
        8: "0 0 0.65 1.55 3.69 8.81 20 50 120",
        9: "0 0 0 1.51 3.29 7.15 15.7 34 85 160",
        10: "0 0 0 1.16 2.42 5.05 10.6 22 48 97 200",
    },
    "high": {
        1: "0 3.96",
        2: "0 0 17.16",
        3: "0 0 0 81.51",
        4: "0 0 0 9.97 260",
        5: "0 0 0 3.79 48 600",
        6: "0 0 0 0 26 161 1000",
        7: "0 0 0 0 12.7 55 234 1000",
        8: "0 0 0 0 7.26 25 84 292 1000",
        9: "0 0 0 0 0 29 71 181 323 1000",
        10: "0 0 0 0 0 16.2 37 83 202 293 1000",
    },
}


def _multipliers(table: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(value) for value in table.split())


# Parsed once: play() returns these very objects (the simulator counts by identity).
_MULTIPLIERS: Final = {
    risk: {picks: _multipliers(table) for picks, table in tables.items()}
    for risk, tables in PAYTABLES.items()
}


def hit_probability(picks: int, hits: int) -> Fraction:
    """The chance that exactly ``hits`` of ``picks`` chosen squares are among the 10 drawn."""
    return Fraction(
        comb(picks, hits) * comb(KENO_SQUARES - picks, KENO_DRAWS - hits),
        comb(KENO_SQUARES, KENO_DRAWS),
    )


@dataclass(frozen=True)
class Keno:
    code: str
    name: str
    risk: str
    mechanic: str = "keno"
    fair_game: str = "keno"

    def __post_init__(self) -> None:
        if self.risk not in RISKS:
            raise ValueError(f"Unknown keno risk {self.risk!r}: one of {', '.join(RISKS)}.")

    def check(self, params: Params) -> Params:
        picks = params.get("picks")
        # A list (or tuple) as JSON sends it; a string or a set is not a choice of squares.
        if not isinstance(picks, list | tuple):
            raise InvalidBet("picks is a list of squares.", parameter="picks")
        if not MIN_PICKS <= len(picks) <= MAX_PICKS:
            raise InvalidBet(f"Pick from {MIN_PICKS} to {MAX_PICKS} squares.", parameter="picks")
        for square in picks:
            if isinstance(square, bool) or not isinstance(square, int):
                raise InvalidBet("A square is a whole number.", parameter="picks")
            if not 1 <= square <= KENO_SQUARES:
                raise InvalidBet(f"Squares are numbered 1 to {KENO_SQUARES}.", parameter="picks")
        if len(set(picks)) != len(picks):
            raise InvalidBet("Each square can be picked once.", parameter="picks")
        return {"picks": sorted(picks)}

    def paytable(self, params: Params) -> tuple[Fraction, ...]:
        """The multipliers for 0 … n hits for these (checked) parameters."""
        return _MULTIPLIERS[self.risk][len(params["picks"])]

    def play(self, stream: NumberStream, params: Params) -> Play:
        picks = params["picks"]
        remaining = list(SQUARES)
        # pick(40 − i) of draw i is (k · (40 − i)) >> 32 of its number k, read all at once.
        drawn = [
            remaining.pop((k * (KENO_SQUARES - i)) >> 32)
            for i, k in enumerate(stream.numbers(KENO_DRAWS))
        ]
        chosen = set(picks)
        hits = [square for square in drawn if square in chosen]
        return Play(
            multiplier=_MULTIPLIERS[self.risk][len(picks)][len(hits)],
            outcome={"drawn": drawn, "hits": hits},
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        picks = len(params["picks"])
        return [
            Outcome(hit_probability(picks, hits), multiplier)
            for hits, multiplier in enumerate(self.paytable(params))
        ]

    def configurations(self) -> Sequence[Params]:
        # The return depends only on how many squares are picked: one configuration per count.
        return [
            self.check({"picks": list(range(1, n + 1))}) for n in range(MIN_PICKS, MAX_PICKS + 1)
        ]


TITLES: Final[tuple[SingleDrawTitle, ...]] = (
    Keno("keno-classic", "Keno", risk="classic"),
    Keno("keno-low", "Keno Low", risk="low"),
    Keno("keno-high", "Keno High", risk="high"),
)

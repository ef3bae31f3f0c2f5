"""Limbo: name a target multiplier; win it if the round's multiplier reaches it.

The round's multiplier is PROTOCOLS.md §1's limbo mapping of the first number ``k``:
``max(100, floor(99 · 2^32 / k))`` hundredths, and the maximum for ``k = 0``
(:func:`~croupier.products.rgs.fair.limbo_multiplier_for`). The player names a target ``t`` in
hundredths from 101 (1.01×) to 100,000,000 (1,000,000×); the bet wins when the multiplier is at
least ``t`` and then pays exactly ``t / 100`` times the stake.

The win probability is exact. For ``t > 100`` and ``k > 0`` the floor of the quotient reaches
``t`` exactly when the quotient does, so ``floor(99 · 2^32 / k) ≥ t ⟺ 99 · 2^32 ≥ t · k ⟺
k ≤ floor(99 · 2^32 / t)``; with ``k = 0`` (the maximum, above any target) the winning numbers
are ``0 … floor(99 · 2^32 / t)``. The RTP is that count over ``2^32`` times ``t / 100``: 99 %
plus at most one number's worth (``t / (100 · 2^32)``, under 0.024 % at the top target).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NUMBER_RANGE, NumberStream, limbo_multiplier_for
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.math import Outcome

MIN_TARGET: Final = 101  # 1.01×: a target of 1.00× would win every round
MAX_TARGET: Final = 100_000_000  # 1,000,000×
DEFAULT_TARGET: Final = 200  # 2.00×
EDGE_NUMERATOR: Final = 99  # the mapping's 99 · 2^32: a 1 % house edge

ZERO: Final = Fraction(0)


def winning_numbers(target: int) -> int:
    """How many numbers ``k`` in ``0 … 2^32 − 1`` give a multiplier of at least ``target``
    hundredths (``target > 100``): ``k = 0`` and ``1 … floor(99 · 2^32 / target)``."""
    return 1 + EDGE_NUMERATOR * NUMBER_RANGE // target


@lru_cache(maxsize=4096)
def _multiplier(target: int) -> Fraction:
    """What a winning bet pays per unit stake: the target itself."""
    return Fraction(target, 100)


@dataclass(frozen=True)
class Limbo:
    code: str = "limbo"
    name: str = "Limbo"
    mechanic: str = "limbo"
    fair_game: str = "limbo"

    def check(self, params: Params) -> Params:
        target = params.get("target", DEFAULT_TARGET)
        if isinstance(target, bool) or not isinstance(target, int):
            raise InvalidBet("target is a whole number of hundredths.", parameter="target")
        if not MIN_TARGET <= target <= MAX_TARGET:
            raise InvalidBet(
                f"target is from {MIN_TARGET} (1.01×) to {MAX_TARGET} (1,000,000×).",
                parameter="target",
            )
        return {"target": target}

    def play(self, stream: NumberStream, params: Params) -> Play:
        hundredths = limbo_multiplier_for(stream.next_number())
        target: int = params["target"]
        return Play(
            multiplier=_multiplier(target) if hundredths >= target else ZERO,
            outcome={"multiplier": hundredths / 100},
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        target: int = params["target"]
        p_win = Fraction(winning_numbers(target), NUMBER_RANGE)
        return [Outcome(p_win, _multiplier(target)), Outcome(1 - p_win, ZERO)]

    def configurations(self) -> Sequence[Params]:
        # The RTP is 99 % plus one number's worth for every target; these span the range.
        return [
            self.check({"target": t})
            for t in (101, 150, 200, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, MAX_TARGET)
        ]


LIMBO: Final = Limbo()

TITLES: Final[tuple[SingleDrawTitle, ...]] = (LIMBO,)

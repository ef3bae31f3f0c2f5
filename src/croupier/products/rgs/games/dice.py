"""Dice: roll 0.00–100.00 and win if the roll lands under (or over) the player's target.

The roll is ``pick(10001) / 100`` (PROTOCOLS.md §1), 10,001 equally likely values. A bet
"under T" wins on the ``T`` values below ``T``; "over T" on the ``10000 − T`` values above it.
The payout multiplier is ``0.99 · 10001 / winning values``, so every target returns exactly
99 %. The player chooses a win chance from 1 % to 98 % (100 to 9,800 winning values), which
keeps the top award at 99.01× and the smallest at 1.0103×.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import DICE_OUTCOMES, NumberStream
from croupier.products.rgs.games.base import Params, Play
from croupier.products.rgs.math import Outcome

RTP: Final = Fraction(99, 100)
MIN_WINNING: Final = 100  # 1 % win chance
MAX_WINNING: Final = 9_800  # 98 %
DIRECTIONS: Final = ("under", "over")


ZERO: Final = Fraction(0)


def _winning_values(target: int, direction: str) -> int:
    return target if direction == "under" else DICE_OUTCOMES - 1 - target


@lru_cache(maxsize=4096)
def _multiplier(target: int, direction: str) -> Fraction:
    """What a winning bet pays per unit stake: 99 % spread over the winning values."""
    return RTP * DICE_OUTCOMES / _winning_values(target, direction)


@dataclass(frozen=True)
class Dice:
    code: str = "dice"
    name: str = "Dice"
    mechanic: str = "dice"
    fair_game: str = "dice"

    def check(self, params: Params) -> Params:
        target = params.get("target", 5000)
        direction = params.get("direction", "under")
        if direction not in DIRECTIONS:
            raise InvalidBet("direction is 'under' or 'over'.", parameter="direction")
        if isinstance(target, bool) or not isinstance(target, int):
            raise InvalidBet("target is a whole number of hundredths.", parameter="target")
        winning = _winning_values(target, direction) if 0 <= target <= 10_000 else -1
        if not MIN_WINNING <= winning <= MAX_WINNING:
            raise InvalidBet(
                "The target must give a win chance from 1 % to 98 %.", parameter="target"
            )
        return {"target": target, "direction": direction}

    def multiplier(self, params: Params) -> Fraction:
        return _multiplier(params["target"], params["direction"])

    def play(self, stream: NumberStream, params: Params) -> Play:
        roll = stream.pick(DICE_OUTCOMES)
        target, direction = params["target"], params["direction"]
        won = roll < target if direction == "under" else roll > target
        return Play(
            multiplier=_multiplier(target, direction) if won else ZERO,
            outcome={"roll": roll / 100},
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        winning = _winning_values(params["target"], params["direction"])
        p_win = Fraction(winning, DICE_OUTCOMES)
        return [Outcome(p_win, self.multiplier(params)), Outcome(1 - p_win, Fraction(0))]

    def configurations(self) -> Sequence[Params]:
        # Every target has the same RTP by construction; these span the range of chances.
        return [
            self.check({"target": t, "direction": d})
            for d in DIRECTIONS
            for t in ((100, 5000, 9800) if d == "under" else (200, 5000, 9900))
        ]

"""Wheel: spin a wheel of 10 to 50 segments; the segment it stops on pays its multiplier.

The segment is ``pick(segments)`` (PROTOCOLS.md §1), each equally likely, so a wheel returns
the mean of its multipliers. The player chooses 10, 20, 30, 40 or 50 segments (10 by default).

Each risk level has one wheel per size, designed in-house and listed from segment 0 clockwise
as it is drawn (ten segments to a line on the larger wheels). *Low* loses on a fifth of the
segments and pays 1.1x or 1.3x on the others but one, which pays 1.8x to 4.6x; *medium* loses
on half and pays 1.5x to 2.2x on the others but one, which pays 3x to 11x; *high* pays on two
segments only, ``0.89 · segments`` (8.9x to 44.5x) and ``0.1 · segments``. Each value is spread
evenly around the wheel. Every wheel returns exactly 99 % (``tests/products/rgs/games/
test_wheel.py`` recomputes each; the band allowed is 98.5 % to 99.5 %).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import DEFAULT_WHEEL_SEGMENTS, NumberStream, format_hundredths
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.math import Outcome

RISKS: Final = ("low", "medium", "high")
SEGMENTS: Final = (10, 20, 30, 40, 50)

# Multipliers per unit stake, segment 0 … segments − 1, by risk and number of segments.
WHEELS: Final[Mapping[str, Mapping[int, str]]] = {
    "low": {
        10: "1.8 1.1 1.3 1.1 0 1.1 1.3 1.1 1.1 0",
        20: "2.5 1.1 0 1.1 1.1 1.3 1.1 0 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 1.1 0 1.1 1.3",
        30: (
            "3.2 0 1.1 1.1 1.3 1.1 0 1.1 1.1 1.3"
            " 1.1 0 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1"
            " 1.1 0 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1"
        ),
        40: (
            "3.9 1.1 1.3 1.1 0 1.1 1.1 1.3 1.1 0"
            " 1.1 1.1 1.3 1.1 0 1.1 1.3 1.1 1.1 0"
            " 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 1.1 0"
            " 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 0 1.1"
        ),
        50: (
            "4.6 1.1 1.3 1.1 0 1.1 1.1 1.3 1.1 0"
            " 1.1 1.1 1.3 1.1 0 1.1 1.1 1.3 1.1 0"
            " 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 1.1 0"
            " 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 1.1 0"
            " 1.1 1.3 1.1 1.1 0 1.1 1.3 1.1 0 1.1"
        ),
    },
    "medium": {
        10: "3 0 2.1 1.5 0 1.8 0 0 1.5 0",
        20: "5 1.5 0 1.8 1.5 0 2.2 0 1.5 0 0 1.5 0 1.8 1.5 0 0 1.5 0 0",
        30: (
            "7 0 2.2 1.5 0 1.5 0 0 1.5 0"
            " 1.5 0 1.8 1.5 0 0 1.5 2.2 0 1.5"
            " 0 1.5 0 0 1.5 0 1.5 0 0 1.5"
        ),
        40: (
            "9 1.5 0 0 1.8 1.5 0 0 1.5 1.8"
            " 0 1.5 0 0 1.5 1.8 0 0 1.5 0"
            " 1.8 1.5 0 0 1.5 0 1.8 0 1.5 0"
            " 1.5 0 1.8 0 1.5 0 0 1.5 1.8 0"
        ),
        50: (
            "11 1.5 0 0 1.5 0 1.5 0 1.8 0"
            " 1.5 2.2 0 1.5 0 1.5 0 1.8 0 1.5"
            " 0 1.5 0 0 1.5 1.8 0 1.5 0 0"
            " 1.5 0 1.5 1.8 0 0 1.5 0 1.5 0"
            " 0 1.8 1.5 0 1.5 0 0 1.5 0 1.8"
        ),
    },
    "high": {
        10: "8.9 0 0 0 1 0 0 0 0 0",
        20: "17.8 0 0 0 0 0 0 2 0 0 0 0 0 0 0 0 0 0 0 0",
        30: "26.7 0 0 0 0 0 0 0 0 0 0 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        40: "35.6 0 0 0 0 0 0 0 0 0 0 0 0 0 4 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
        50: (
            "44.5 0 0 0 0 0 0 0 0 0"
            " 0 0 0 0 0 0 0 5 0 0"
            " 0 0 0 0 0 0 0 0 0 0"
            " 0 0 0 0 0 0 0 0 0 0"
            " 0 0 0 0 0 0 0 0 0 0"
        ),
    },
}


def _multipliers(wheel: str) -> tuple[Fraction, ...]:
    return tuple(Fraction(value) for value in wheel.split())


# Parsed once: play() returns these very objects (the simulator counts by identity), and the
# player sees each multiplier as "x.xx".
_MULTIPLIERS: Final = {
    risk: {segments: _multipliers(wheel) for segments, wheel in wheels.items()}
    for risk, wheels in WHEELS.items()
}
_LABELS: Final = {
    risk: {
        segments: tuple(format_hundredths(int(m * 100)) for m in multipliers)
        for segments, multipliers in wheels.items()
    }
    for risk, wheels in _MULTIPLIERS.items()
}


@dataclass(frozen=True)
class Wheel:
    code: str
    name: str
    risk: str
    mechanic: str = "wheel"
    fair_game: str = "wheel"

    def __post_init__(self) -> None:
        if self.risk not in RISKS:
            raise ValueError(f"Unknown wheel risk {self.risk!r}: one of {', '.join(RISKS)}.")

    def check(self, params: Params) -> Params:
        segments = params.get("segments", DEFAULT_WHEEL_SEGMENTS)
        if isinstance(segments, bool) or not isinstance(segments, int):
            raise InvalidBet("segments is a whole number.", parameter="segments")
        if segments not in SEGMENTS:
            raise InvalidBet(
                f"segments is one of {', '.join(map(str, SEGMENTS))}.", parameter="segments"
            )
        return {"segments": segments}

    def wheel(self, params: Params) -> tuple[Fraction, ...]:
        """The multipliers of segments 0 … segments − 1 for these (checked) parameters."""
        return _MULTIPLIERS[self.risk][params["segments"]]

    def play(self, stream: NumberStream, params: Params) -> Play:
        segments = params["segments"]
        segment = stream.pick(segments)
        return Play(
            multiplier=_MULTIPLIERS[self.risk][segments][segment],
            outcome={"segment": segment, "multiplier": _LABELS[self.risk][segments][segment]},
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        wheel = self.wheel(params)
        return [Outcome(Fraction(1, len(wheel)), multiplier) for multiplier in wheel]

    def configurations(self) -> Sequence[Params]:
        return [self.check({"segments": segments}) for segments in SEGMENTS]


TITLES: Final[tuple[SingleDrawTitle, ...]] = (
    Wheel("wheel-low", "Wheel Low", risk="low"),
    Wheel("wheel-medium", "Wheel Medium", risk="medium"),
    Wheel("wheel-high", "Wheel High", risk="high"),
)

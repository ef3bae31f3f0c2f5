"""Game mathematics: the PAR sheet of a title from its outcome distribution.

A single-draw game is a probability distribution over *multipliers*: what one unit of stake
returns (0 = lost, 1 = stake back, 2 = even money won). Where combinatorics allow, a title
gives that distribution exactly (``Fraction`` probabilities) and the PAR sheet is exact; where
they do not, a seeded simulation estimates it with a confidence interval.

GLI-19 §4.7.1: the return to player is at least 75 % in every configuration and the top award
can be won; the issue asks 85 %–99.5 % for every title.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

MIN_RTP: Final = Fraction(75, 100)  # GLI-19 §4.7.1, in every configuration
TITLE_RTP_RANGE: Final = (Fraction(85, 100), Fraction(995, 1000))  # the band
Z_99: Final = 2.5758293035489004  # two-sided 99 % normal quantile


@dataclass(frozen=True, slots=True)
class Outcome:
    """One outcome of a round: its probability and what a unit stake returns."""

    probability: Fraction
    multiplier: Fraction


@dataclass(frozen=True, slots=True)
class ParSheet:
    """The figures a test lab asks of a title (or of one configuration of it)."""

    title: str
    configuration: str  # e.g. "rows=16" or "picks=10"; "" for a title with one configuration
    rtp: Fraction  # expected return per unit stake
    hit_frequency: Fraction  # probability that a round returns anything (multiplier > 0)
    win_frequency: Fraction  # probability that a round returns more than the stake
    variance: Fraction  # of the return per unit stake
    max_multiplier: Fraction  # the top award, per unit stake
    max_probability: Fraction  # the chance of the top award in one round
    outcomes: int  # distinct multipliers
    exact: bool = True

    @property
    def volatility(self) -> float:
        """Standard deviation of the return per unit stake."""
        return math.sqrt(self.variance)

    def rtp_interval(self, rounds: int, z: float = Z_99) -> tuple[float, float]:
        """Where the mean return of ``rounds`` rounds falls with the given confidence (normal
        approximation: ``rtp ± z·σ/√n``): what a simulation is checked against."""
        half = z * self.volatility / math.sqrt(rounds)
        return float(self.rtp) - half, float(self.rtp) + half


def par_sheet(title: str, configuration: str, outcomes: Iterable[Outcome]) -> ParSheet:
    """The exact PAR sheet of a distribution; refuses one whose probabilities do not sum to 1."""
    merged: dict[Fraction, Fraction] = defaultdict(Fraction)
    for o in outcomes:
        if o.probability < 0 or o.multiplier < 0:
            raise ValueError(f"{title} {configuration}: negative probability or multiplier")
        if o.probability:
            merged[o.multiplier] += o.probability
    total = sum(merged.values(), Fraction(0))
    if total != 1:
        raise ValueError(f"{title} {configuration}: probabilities sum to {total}, not 1")
    rtp = sum((p * m for m, p in merged.items()), Fraction(0))
    second = sum((p * m * m for m, p in merged.items()), Fraction(0))
    top = max(merged)
    return ParSheet(
        title=title,
        configuration=configuration,
        rtp=rtp,
        hit_frequency=sum((p for m, p in merged.items() if m > 0), Fraction(0)),
        win_frequency=sum((p for m, p in merged.items() if m > 1), Fraction(0)),
        variance=second - rtp * rtp,
        max_multiplier=top,
        max_probability=merged[top],
        outcomes=len(merged),
    )


def binomial(n: int, k: int) -> int:
    return math.comb(n, k)

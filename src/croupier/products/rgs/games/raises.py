"""The RTP of a title whose player stakes more inside a round (a play bet, a raise).

The round service debits the round's stake once at the start and, when a move makes the view's
``units_staked`` grow, the extra stake then (see ``service.act``). A round's multiplier is what
it returns per *original* stake, so a round that stakes 2 units and wins even money on both
returns 4.

The RTP such a title reports is what returns of all the money staked, ``E[returned] /
E[staked]`` (as blackjack's): the house edge per original unit would overstate what the game
keeps of the money put at risk. The PAR sheet takes it as a distribution per unit *staked*: a
round outcome of probability ``p`` returning ``r`` on ``u`` staked becomes the multiplier
``r/u`` with weight ``p·u/E[u]``; the weights sum to 1 and ``Σ p·u/E[u] · r/u = E[r]/E[u]``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from croupier.products.rgs.math import Outcome


@dataclass(frozen=True, slots=True)
class RoundOutcome:
    """One outcome of a round, per original stake: its probability, what it returned and what
    it staked in all."""

    probability: Fraction
    returned: Fraction
    staked: Fraction


def expected_staked(outcomes: Iterable[RoundOutcome]) -> Fraction:
    return sum((o.probability * o.staked for o in outcomes), Fraction(0))


def expected_returned(outcomes: Iterable[RoundOutcome]) -> Fraction:
    return sum((o.probability * o.returned for o in outcomes), Fraction(0))


def returned_over_staked(outcomes: Sequence[RoundOutcome]) -> Fraction:
    """The RTP: ``E[returned] / E[staked]``."""
    return expected_returned(outcomes) / expected_staked(outcomes)


def per_unit_staked(outcomes: Sequence[RoundOutcome]) -> list[Outcome]:
    """The distribution the PAR sheet reads: multiplier ``r/u``, weight ``p·u/E[u]``."""
    staked = expected_staked(outcomes)
    merged: dict[Fraction, Fraction] = defaultdict(Fraction)
    for o in outcomes:
        merged[o.returned / o.staked] += o.probability * o.staked / staked
    return [Outcome(p, m) for m, p in sorted(merged.items())]

"""Dragon Tiger: one card to the dragon, one to the tiger; the higher card wins.

Both cards come from an infinite shoe, ``CARDS[pick(52)]`` (PROTOCOLS.md §1, cards with
replacement): the first number of the stream is the dragon's card, the second the tiger's
(``croupier fair verify cards --count 2``). Cards rank ace low, as the game is dealt in Macau
and online: A, 2, 3, …, 10, J, Q, K; suits do not rank. Equal ranks are a tie; equal ranks of
one suit (the same card, as the shoe is infinite) are a *suited tie*.

A round carries 1 to 4 bets, one per kind, each with a ``weight``: its share of the round's
stake (as in roulette). The round pays ``Σ weight_i · return_i / Σ weight_i`` per unit stake,
where ``return_i`` is what bet ``i`` gives back per unit staked on it:

==========  ==========================================  ======  ========  ==============
kind        wins when                                   pays    on a tie  RTP
==========  ==========================================  ======  ========  ==============
dragon      the dragon's card is higher                 1:1     half back 25/26 (96.15 %)
tiger       the tiger's card is higher                  1:1     half back 25/26 (96.15 %)
tie         the ranks are equal (suited or not)         11:1    —         12/13 (92.31 %)
suited_tie  the two cards are the same rank and suit    50:1    —         51/52 (98.08 %)
==========  ==========================================  ======  ========  ==============

The tie bet pays 11:1, not the 8:1 of a casino's eight-deck shoe: with replacement a tie is
1 in 13 (more often than from a shoe), and 8:1 would return 9/13 (69.2 %), below GLI-19's
75 % floor; 11:1 is the highest whole payout under 100 %. Losing half of a dragon or tiger bet
on a tie is the standard rule. The suited tie's 50:1 is the common payout; with replacement it
returns 51/52.

Left out: the side bets on one hand's card (big/small, odd/even, red/black), whose payouts and
treatment of the seven differ from casino to casino.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Final

from croupier.products.rgs.fair import CARDS, RANKS, SUITS, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.games.bets import check_kind_bets
from croupier.products.rgs.math import Outcome

KINDS: Final = ("dragon", "tiger", "tie", "suited_tie")

# Ace low: A = 1, 2 … 9, T = 10, J = 11, Q = 12, K = 13.
ACE_LOW: Final = "A23456789TJQK"
RANK_VALUE: Final[Mapping[str, int]] = {rank: i + 1 for i, rank in enumerate(ACE_LOW)}

DRAGON: Final = "dragon"
TIGER: Final = "tiger"
TIE: Final = "tie"
SUITED_TIE: Final = "suited_tie"
RESULTS: Final = (DRAGON, TIGER, TIE, SUITED_TIE)

ZERO: Final = Fraction(0)
HALF: Final = Fraction(1, 2)
# What one unit staked on a bet gives back, by result (stake included).
RETURNS: Final[Mapping[str, Mapping[str, Fraction]]] = {
    "dragon": {DRAGON: Fraction(2), TIGER: ZERO, TIE: HALF, SUITED_TIE: HALF},
    "tiger": {DRAGON: ZERO, TIGER: Fraction(2), TIE: HALF, SUITED_TIE: HALF},
    "tie": {DRAGON: ZERO, TIGER: ZERO, TIE: Fraction(12), SUITED_TIE: Fraction(12)},
    "suited_tie": {DRAGON: ZERO, TIGER: ZERO, TIE: ZERO, SUITED_TIE: Fraction(51)},
}

BetKey = tuple[tuple[str, int], ...]  # (kind, weight) per bet


def result(dragon: str, tiger: str) -> str:
    """Who wins between two card codes: ``"dragon"``, ``"tiger"``, ``"tie"`` or
    ``"suited_tie"`` (a suited tie is a tie too, for every bet but the suited tie bet)."""
    if dragon == tiger:
        return SUITED_TIE
    d, t = RANK_VALUE[dragon[0]], RANK_VALUE[tiger[0]]
    if d == t:
        return TIE
    return DRAGON if d > t else TIGER


@lru_cache(maxsize=1)
def _results() -> Mapping[str, Fraction]:
    """The exact probability of each result: by rank (1/13 each), then, for equal ranks, by
    whether the tiger's suit is the dragon's (1 in 4)."""
    p_rank = Fraction(1, len(RANKS))
    p_same_suit = Fraction(1, len(SUITS))
    probabilities = dict.fromkeys(RESULTS, ZERO)
    for d in RANKS:
        for t in RANKS:
            if d == t:
                probabilities[SUITED_TIE] += p_rank * p_rank * p_same_suit
                probabilities[TIE] += p_rank * p_rank * (1 - p_same_suit)
            else:
                higher = DRAGON if RANK_VALUE[d] > RANK_VALUE[t] else TIGER
                probabilities[higher] += p_rank * p_rank
    return probabilities


@lru_cache(maxsize=4096)
def _returns(bets: BetKey) -> Mapping[str, Fraction]:
    """What the round pays per unit stake for each result: shared constants, so a simulation
    counts them by identity."""
    stake = sum(weight for _, weight in bets)
    shared: dict[Fraction, Fraction] = {ZERO: ZERO}
    table: dict[str, Fraction] = {}
    for outcome in RESULTS:
        paid = sum((weight * RETURNS[kind][outcome] for kind, weight in bets), ZERO) / stake
        table[outcome] = shared.setdefault(paid, paid)
    return table


@dataclass(frozen=True)
class DragonTiger:
    code: str = "dragon-tiger"
    name: str = "Dragon Tiger"
    mechanic: str = "dragon-tiger"
    fair_game: str = "cards"

    def check(self, params: Params) -> Params:
        return check_kind_bets(params, KINDS)

    def _table(self, params: Params) -> Mapping[str, Fraction]:
        return _returns(tuple((bet["kind"], bet["weight"]) for bet in params["bets"]))

    def play(self, stream: NumberStream, params: Params) -> Play:
        dragon = CARDS[stream.pick(len(CARDS))]
        tiger = CARDS[stream.pick(len(CARDS))]
        outcome = result(dragon, tiger)
        return Play(
            multiplier=self._table(params)[outcome],
            outcome={
                "cards": [dragon, tiger],
                "dragon": dragon,
                "tiger": tiger,
                "winner": TIE if outcome == SUITED_TIE else outcome,
                "suited_tie": outcome == SUITED_TIE,
            },
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        table = self._table(params)
        return [Outcome(p, table[outcome]) for outcome, p in _results().items()]

    def configurations(self) -> Sequence[Params]:
        # A mixture of bets returns the weighted mean of its bets' returns, so each bet alone
        # stands for every mixture.
        return [self.check({"bets": [{"kind": kind}]}) for kind in KINDS]


DRAGON_TIGER: Final = DragonTiger()

TITLES: Final[tuple[SingleDrawTitle, ...]] = (DRAGON_TIGER,)

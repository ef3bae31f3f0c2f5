"""Andar Bahar: on which side does the joker's rank turn up first?

Dealt from one shuffled 52-card deck (PROTOCOLS.md §1, a full shuffled deck, read through
:class:`~croupier.products.rgs.games.deck.Deck`). The first card is the *joker* (the middle
card; not a wild card). Then cards go alternately to Andar and Bahar, **Andar first**, until
one has the joker's rank: card 1, 3, 5, … after the joker goes to Andar, card 2, 4, … to
Bahar. The side that receives it wins. The round's ``cards`` are the joker and every card
dealt after it, in deck order: the first 2 to 50 of ``croupier fair verify deck --count K``.

Andar first is the common fixed rule (others start by the joker's colour: black to Andar, red
to Bahar). Dealing first is an advantage, so the side dealt first pays less: Andar 0.9:1,
Bahar 1:1.

A round carries 1 to 10 bets, one per kind, each with a weight (its share of the stake), as
baccarat's. The round pays ``Σ weight_i · return_i / Σ weight_i`` per unit stake:

=============  ====================================================  =========  ===============
kind           wins when                                             pays       RTP (exact)
=============  ====================================================  =========  ===============
andar          the match is the 1st, 3rd, 5th … card after the joker  0.9:1      97.8511 %
bahar          the match is the 2nd, 4th … card                      1:1        96.9988 %
cards_1_5      the match is card 1 to 5 after the joker              3.5 for 1  94.8739 %
cards_6_10     … card 6 to 10                                        4.5 for 1  97.6711 %
cards_11_15    … card 11 to 15                                       5.5 for 1  92.9652 %
cards_16_25    … card 16 to 25                                       4.5 for 1  98.1032 %
cards_26_30    … card 26 to 30                                       15 for 1   91.4766 %
cards_31_35    … card 31 to 35                                       25 for 1   92.4370 %
cards_36_40    … card 36 to 40                                       50 for 1   94.8379 %
cards_41_49    … card 41 to 49                                       120 for 1  95.0780 %
=============  ====================================================  =========  ===============

The side bets are on how many cards are dealt after the joker, the matching card included;
their pays are "for one" (stake included: 3.5 for 1 is 2.5:1). The ranges follow the
live-dealer games' side bets, but this paytable is croupier's own: no published table was at
hand to check it against, so its returns are what the exact math above says of it, not a
copy of a studio's. Every mixture of bets returns the weighted mean of its bets' returns.

Exact math, by dynamic programming over the deck (:func:`match_chances`): after the joker 51
cards remain, three of its rank; with ``left`` cards left and none matched yet the next card
matches with chance ``3/left``. The match is card n after the joker with chance
``C(51 − n, 2) / C(51, 3)``, so n runs from 1 to 49. Andar wins 10,725 / 20,825 =
51.5006 % of rounds: Andar at 0.9:1 returns 1.9 · 10,725 / 20,825 = 97.8511 % (house edge
2.15 %) and Bahar at 1:1 returns 2 · 10,100 / 20,825 = 96.9988 % (3.00 %). Published
analyses of the game give the side dealt first about 51.5 % of rounds, hence the 0.9:1 on
Andar. Andar at 0.95:1, which some tables pay, would return 100.43 % with Andar always dealt
first, so it is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from operator import itemgetter
from typing import Any, Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.games.bets import check_kind_bets
from croupier.products.rgs.math import Outcome

ANDAR: Final = "andar"
BAHAR: Final = "bahar"
SUITS_LEFT: Final = 3  # cards of the joker's rank after the joker
AFTER_JOKER: Final = len(CARDS) - 1  # 51 cards
LONGEST: Final = AFTER_JOKER - SUITS_LEFT + 1  # the match is at most card 49 after the joker

# The side bets on the number of cards dealt after the joker: (kind, first, last, returns).
COUNT_BETS: Final[tuple[tuple[str, int, int, Fraction], ...]] = (
    ("cards_1_5", 1, 5, Fraction(7, 2)),
    ("cards_6_10", 6, 10, Fraction(9, 2)),
    ("cards_11_15", 11, 15, Fraction(11, 2)),
    ("cards_16_25", 16, 25, Fraction(9, 2)),
    ("cards_26_30", 26, 30, Fraction(15)),
    ("cards_31_35", 31, 35, Fraction(25)),
    ("cards_36_40", 36, 40, Fraction(50)),
    ("cards_41_49", 41, LONGEST, Fraction(120)),
)
KINDS: Final = (ANDAR, BAHAR, *(kind for kind, *_ in COUNT_BETS))
ZERO: Final = Fraction(0)
# What one unit on the side returns when it wins: Andar 0.9:1 (it is dealt first), Bahar 1:1.
SIDE_RETURNS: Final[Mapping[str, Fraction]] = {ANDAR: Fraction(19, 10), BAHAR: Fraction(2)}

BetKey = tuple[tuple[str, int], ...]  # (kind, weight) per bet


def winner(dealt: int) -> str:
    """The side that receives card ``dealt`` (1-based) after the joker: Andar deals first."""
    return ANDAR if dealt % 2 else BAHAR


def bet_returns(kind: str, dealt: int) -> Fraction:
    """What one unit on ``kind`` returns when the match is card ``dealt`` after the joker."""
    if kind in SIDE_RETURNS:
        return SIDE_RETURNS[kind] if winner(dealt) == kind else ZERO
    for name, first, last, returns in COUNT_BETS:
        if name == kind:
            return returns if first <= dealt <= last else ZERO
    raise ValueError(kind)


@cache
def match_chances() -> tuple[Fraction, ...]:
    """``chances[n]``: the chance that the first card of the joker's rank is card n after the
    joker (``chances[0]`` is 0): dynamic programming over the cards left."""
    chances = [ZERO]
    unmatched = Fraction(1)
    for n in range(1, LONGEST + 1):
        left = AFTER_JOKER - (n - 1)
        match = Fraction(SUITS_LEFT, left)
        chances.append(unmatched * match)
        unmatched *= 1 - match
    assert unmatched == 0
    assert sum(chances) == 1
    return tuple(chances)


@lru_cache(maxsize=4096)
def _returns(bets: BetKey) -> tuple[Fraction, ...]:
    """What the round pays per unit stake by the card that matches (index 1 … 49): shared
    constants, so a simulation counts them by identity."""
    stake = sum(weight for _, weight in bets)
    shared: dict[Fraction, Fraction] = {ZERO: ZERO}
    table = [ZERO]
    for dealt in range(1, LONGEST + 1):
        paid = sum((w * bet_returns(kind, dealt) for kind, w in bets), ZERO) / stake
        table.append(shared.setdefault(paid, paid))
    return tuple(table)


_KIND_AND_WEIGHT: Final = itemgetter("kind", "weight")


def _deal_to_match(stream: NumberStream) -> list[int]:
    """The joker, then every card up to the first of its rank, as indices in CARDS (the rank
    of index i is i >> 2: four suits per rank)."""
    left: list[int] = list(range(len(CARDS)))
    order: list[int] = []
    pop, append, size = left.pop, order.append, len(left)
    joker_rank = -1
    while True:
        for k in stream.rest_of_round():
            card = pop((k * size) >> 32)
            size -= 1
            append(card)
            if joker_rank < 0:
                joker_rank = card >> 2
            elif card >> 2 == joker_rank:
                return order


@dataclass(frozen=True)
class AndarBahar:
    code: str = "andar-bahar"
    name: str = "Andar Bahar"
    mechanic: str = "andar-bahar"
    fair_game: str = "deck"

    def check(self, params: Params) -> Params:
        extra = sorted(map(str, set(params) - {"bets"}))
        if extra:
            raise InvalidBet(f"Andar Bahar takes no {extra[0]}: only bets.", parameter=extra[0])
        return check_kind_bets(params, KINDS)

    def _table(self, params: Params) -> tuple[Fraction, ...]:
        return _returns(tuple(map(_KIND_AND_WEIGHT, params["bets"])))

    def play(self, stream: NumberStream, params: Params) -> Play:
        # The deck's mapping (card i is index pick(52 − i) of the cards left, as games/deck.py
        # deals it), with the numbers read a whole HMAC block at a time: a round deals 14
        # cards on average and up to 50, and nothing else reads this stream, so reading to the
        # end of a block changes no card. Cards are their indices in CARDS while dealt: the
        # rank of index i is i >> 2 (four suits per rank).
        cards = list(map(CARDS.__getitem__, _deal_to_match(stream)))
        joker, dealt = cards[0], len(cards) - 1
        outcome: dict[str, Any] = {
            "joker": joker,
            "andar": cards[1::2],  # Andar is dealt first
            "bahar": cards[2::2],
            "dealt": dealt,  # cards after the joker, the matching one included
            "winner": ANDAR if dealt % 2 else BAHAR,  # winner(dealt), inline
            "cards": cards,  # deck order, as `croupier fair verify deck` prints
        }
        return Play(self._table(params)[dealt], outcome)

    def distribution(self, params: Params) -> Sequence[Outcome]:
        table = self._table(params)
        merged: dict[Fraction, Fraction] = {}
        for dealt, p in enumerate(match_chances()):
            if p:
                merged[table[dealt]] = merged.get(table[dealt], ZERO) + p
        return [Outcome(p, m) for m, p in merged.items()]

    def configurations(self) -> Sequence[Params]:
        # A mixture of bets returns the weighted mean of its bets' returns, so each bet alone
        # stands for every mixture.
        return [self.check({"bets": [{"kind": kind}]}) for kind in KINDS]


ANDAR_BAHAR: Final = AndarBahar()

TITLES: Final[tuple[SingleDrawTitle, ...]] = (ANDAR_BAHAR,)

"""Baccarat (punto banco), dealt from an infinite shoe.

Every card is ``CARDS[pick(52)]`` (PROTOCOLS.md §1, cards with replacement), read from the
stream in the order a dealer deals them: player's first card, banker's first, player's second,
banker's second, then the player's third card if the player draws, then the banker's third if
the banker draws. A verifier's ``cards`` list for the round (``croupier fair verify cards
--count K`` with K the number of cards dealt, 4 to 6) is that order exactly.

A hand counts the last digit of its cards' points: ace 1, two to nine their pips, ten and
faces 0. The third-card rules are the fixed tableau of punto banco (no player decisions):

- a *natural* (either hand 8 or 9 on two cards): both stand;
- the player draws on 0–5 and stands on 6–7;
- if the player stood, the banker draws on 0–5 and stands on 6–7;
- if the player drew, the banker draws by its total and the player's third card's points:
  0–2 always; 3 unless it is an 8; 4 on 2–7; 5 on 4–7; 6 on 6–7; 7 never.

The higher total wins; equal totals are a tie. A round carries 1 to 5 bets, one per kind, each
with a ``weight``: its share of the round's stake (as in roulette). The round pays
``Σ weight_i · return_i / Σ weight_i`` per unit stake, where ``return_i`` is what bet ``i``
gives back per unit staked on it:

===========  =============================================================  ==========
kind         wins when                                                      pays
===========  =============================================================  ==========
player       the player's total is higher (a tie pushes: stake back)        1:1
banker       the banker's total is higher (a tie pushes: stake back)        0.95:1
tie          the totals are equal                                           8:1
player_pair  the player's first two cards are of one rank (K-K, not K-Q)    11:1
banker_pair  the banker's first two cards are of one rank                   11:1
===========  =============================================================  ==========

The banker bet's 0.95:1 is the usual 5 % commission on a banker win. Dealing with replacement
is the infinite-deck game: the banker wins 2,212,744, the player 2,153,464 and a tie 460,601 of
the 13^6 equally likely rank sequences, so the banker bet returns 23,877,259/24,134,045
(98.936 %), the player bet 366,733/371,293 (98.772 %) and the tie 4,145,409/4,826,809
(85.883 %); each pair bet 12/13 (92.31 %). From an eight-deck shoe the figures are 98.94 %,
98.76 % and 85.64 %: without card removal a tie is a little more likely. A pair is 1 in 13
here, more often than from a shoe, so its 11:1 returns more than a casino's pair bet does.
Every mixture of bets returns the weighted mean of its bets' returns, all within 85 %–99.5 %.

Left out: side bets that vary from casino to casino (dragon bonus, big/small, either pair) and
the commission-free variants (EZ baccarat, super 6), which change the banker bet's payout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Final

from croupier.products.rgs.fair import CARDS, RANKS, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.games.bets import check_kind_bets
from croupier.products.rgs.math import Outcome

KINDS: Final = ("player", "banker", "tie", "player_pair", "banker_pair")

PLAYER: Final = "player"
BANKER: Final = "banker"
TIE: Final = "tie"

# Points of a card by its rank (the first character of its code).
POINTS: Final[Mapping[str, int]] = {
    rank: (1 if rank == "A" else 0 if rank in "TJQK" else int(rank)) for rank in RANKS
}
MAX_CARDS: Final = 6  # two hands of at most three cards
NATURAL: Final = 8  # 8 or 9 on two cards: both hands stand
PLAYER_STANDS: Final = 6  # the player draws on 0–5
BANKER_STANDS: Final = 6  # without a player's third card, the banker draws on 0–5
# With a player's third card: the third card's points on which the banker draws, by the
# banker's two-card total (0–2 always, 7 never).
BANKER_DRAWS_ON: Final[Mapping[int, frozenset[int]]] = {
    0: frozenset(range(10)),
    1: frozenset(range(10)),
    2: frozenset(range(10)),
    3: frozenset(range(10)) - {8},
    4: frozenset(range(2, 8)),
    5: frozenset(range(4, 8)),
    6: frozenset({6, 7}),
    7: frozenset(),
}

ZERO: Final = Fraction(0)
PUSH: Final = Fraction(1)
# What one unit staked on a bet gives back when it wins (stake included).
WIN_RETURNS: Final[Mapping[str, Fraction]] = {
    "player": Fraction(2),
    "banker": Fraction(39, 20),  # 1 + 0.95: 5 % commission on the win
    "tie": Fraction(9),
    "player_pair": Fraction(12),
    "banker_pair": Fraction(12),
}

# A settled coup, as far as the bets are concerned: winner, player pair, banker pair.
Result = tuple[str, bool, bool]
BetKey = tuple[tuple[str, int], ...]  # (kind, weight) per bet


def total(cards: Sequence[str]) -> int:
    """A hand's total: the last digit of its points."""
    return sum(POINTS[card[0]] for card in cards) % 10


def banker_draws(banker_total: int, player_third: str | None) -> bool:
    """The tableau: whether a banker with two cards totalling ``banker_total`` (not a natural)
    draws, given the player's third card (None if the player stood)."""
    if player_third is None:
        return banker_total < BANKER_STANDS
    return POINTS[player_third[0]] in BANKER_DRAWS_ON[banker_total]


def _bet_return(kind: str, result: Result) -> Fraction:
    winner, player_pair, banker_pair = result
    if kind == "player_pair":
        return WIN_RETURNS[kind] if player_pair else ZERO
    if kind == "banker_pair":
        return WIN_RETURNS[kind] if banker_pair else ZERO
    if kind == winner:
        return WIN_RETURNS[kind]
    return PUSH if winner == TIE else ZERO  # player and banker bets push on a tie


def _third_cards() -> Mapping[int, Fraction]:
    """A drawn card by its points: each rank is 1/13; ten and the faces all count 0."""
    thirds: dict[int, Fraction] = {}
    for rank in RANKS:
        thirds[POINTS[rank]] = thirds.get(POINTS[rank], ZERO) + Fraction(1, 13)
    return thirds


def _final_totals(player: int, banker: int) -> dict[tuple[int, int], Fraction]:
    """The final totals of both hands, with their probabilities, from two-card totals."""
    thirds = _third_cards()
    if player >= NATURAL or banker >= NATURAL:
        return {(player, banker): Fraction(1)}
    finals: dict[tuple[int, int], Fraction] = {}
    if player >= PLAYER_STANDS:
        if banker >= BANKER_STANDS:
            return {(player, banker): Fraction(1)}
        for points, q in thirds.items():
            finals[player, (banker + points) % 10] = q
        return finals
    for player_points, q in thirds.items():
        final_player = (player + player_points) % 10
        if player_points not in BANKER_DRAWS_ON[banker]:
            key = (final_player, banker)
            finals[key] = finals.get(key, ZERO) + q
            continue
        for banker_points, r in thirds.items():
            key = (final_player, (banker + banker_points) % 10)
            finals[key] = finals.get(key, ZERO) + q * r
    return finals


def _winner(player: int, banker: int) -> str:
    if player == banker:
        return TIE
    return PLAYER if player > banker else BANKER


@lru_cache(maxsize=1)
def _results() -> Mapping[Result, Fraction]:
    """The exact probability of every result, by rank: each of a hand's first two cards is one
    of the 13 ranks with probability 1/13 (the pair bets need the rank, not only the points);
    a third card matters only by its points."""
    hands: dict[tuple[int, bool], Fraction] = {}  # two-card hands by (total, pair)
    for first in RANKS:
        for second in RANKS:
            hand = (total((first, second)), first == second)
            hands[hand] = hands.get(hand, ZERO) + Fraction(1, 169)
    results: dict[Result, Fraction] = {}
    for (player, player_pair), p_player in hands.items():
        for (banker, banker_pair), p_banker in hands.items():
            for (final_player, final_banker), q in _final_totals(player, banker).items():
                result = (_winner(final_player, final_banker), player_pair, banker_pair)
                results[result] = results.get(result, ZERO) + p_player * p_banker * q
    return results


@lru_cache(maxsize=4096)
def _returns(bets: BetKey) -> Mapping[Result, Fraction]:
    """What the round pays per unit stake for each result: shared constants, so a simulation
    counts them by identity."""
    stake = sum(weight for _, weight in bets)
    shared: dict[Fraction, Fraction] = {ZERO: ZERO}
    table: dict[Result, Fraction] = {}
    for result in _results():
        paid = sum((weight * _bet_return(kind, result) for kind, weight in bets), ZERO) / stake
        table[result] = shared.setdefault(paid, paid)
    return table


@dataclass(frozen=True)
class Baccarat:
    code: str = "baccarat"
    name: str = "Baccarat"
    mechanic: str = "baccarat"
    fair_game: str = "cards"

    def check(self, params: Params) -> Params:
        return check_kind_bets(params, KINDS)

    def _table(self, params: Params) -> Mapping[Result, Fraction]:
        return _returns(tuple((bet["kind"], bet["weight"]) for bet in params["bets"]))

    def play(self, stream: NumberStream, params: Params) -> Play:
        deck = len(CARDS)
        # The six cards a round can need, read at once (all within the first HMAC block):
        # card i is CARDS[pick(52)] of the i-th number, (k · 52) >> 32. A round that deals
        # four or five uses the first four or five, as dealing them one by one would.
        shoe = [CARDS[(k * deck) >> 32] for k in stream.numbers(MAX_CARDS)]
        dealt = shoe[:4]  # P1, B1, P2, B2
        player, banker = [dealt[0], dealt[2]], [dealt[1], dealt[3]]
        player_total, banker_total = total(player), total(banker)
        if player_total < NATURAL and banker_total < NATURAL:
            player_third: str | None = None
            if player_total < PLAYER_STANDS:
                player_third = shoe[len(dealt)]
                player.append(player_third)
                dealt.append(player_third)
                player_total = total(player)
            if banker_draws(banker_total, player_third):
                banker.append(shoe[len(dealt)])
                dealt.append(banker[-1])
                banker_total = total(banker)
        winner = _winner(player_total, banker_total)
        player_pair, banker_pair = player[0][0] == player[1][0], banker[0][0] == banker[1][0]
        return Play(
            multiplier=self._table(params)[winner, player_pair, banker_pair],
            outcome={
                "cards": dealt,
                "player": player,
                "banker": banker,
                "player_total": player_total,
                "banker_total": banker_total,
                "winner": winner,
                "player_pair": player_pair,
                "banker_pair": banker_pair,
            },
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        table = self._table(params)
        return [Outcome(p, table[result]) for result, p in _results().items()]

    def configurations(self) -> Sequence[Params]:
        # A mixture of bets returns the weighted mean of its bets' returns, so each bet alone
        # stands for every mixture.
        return [self.check({"bets": [{"kind": kind}]}) for kind in KINDS]


BACCARAT: Final = Baccarat()

TITLES: Final[tuple[SingleDrawTitle, ...]] = (BACCARAT,)

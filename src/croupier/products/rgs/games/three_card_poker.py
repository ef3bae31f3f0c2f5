"""Three Card Poker: ante and play against the dealer's three cards, and the Pair Plus bet.

Dealt from one shuffled 52-card deck (PROTOCOLS.md §1, a full shuffled deck, read through
:class:`~croupier.products.rgs.games.deck.Deck`): the player's three cards, then the dealer's
three, in deck order. The settled view's ``cards`` are those six, the first six of ``croupier
fair verify deck --count 6``.

Hands, highest first (three cards, aces high, an ace also low in A-2-3; suits never rank):
straight flush, three of a kind, straight, flush, pair, high card. Within a kind: straights
by their top card (A-K-Q highest, A-2-3 lowest), a pair by its rank then the odd card, the
others card by card from the highest. Equal hands tie.

A round carries one or two bets, as baccarat's: ``{"bets": [{"kind": "ante", "weight": 1},
{"kind": "pair_plus", "weight": 1}]}``, each weight its share of the round's stake; without
``bets`` the round is the ante alone. Money, per original stake S with weights a (ante) and p
(pair plus):

- the deal takes S: a/(a+p)·S on the ante, p/(a+p)·S on pair plus;
- with an ante the player sees their cards and chooses ``play`` or ``fold``. ``play`` stakes
  the play bet, one more ante: the view's ``units_staked`` goes from 1 to (2a+p)/(a+p) (2 with
  no pair plus) and the round service debits the difference. ``fold`` loses the ante and ends
  the round; pair plus is settled all the same;
- without an ante (pair plus alone, as casinos allow) there is nothing to choose: the round
  settles at the deal;
- the multiplier is what the round returns per original stake, ``(a·ante_play + p·pair_plus) /
  (a+p)``, each term what that bet returns per unit on it, stake included.

Ante and play (per ante unit; 2 units staked once played): the dealer qualifies with queen
high or better. Not qualified: the ante pays 1:1, the play bet pushes (returns 3). Qualified:
the higher hand wins, both bets paying 1:1 (returns 4) or losing (0); a tie pushes both (2).
The ante bonus pays a played straight 1:1, three of a kind 4:1 and a straight flush 5:1 on the
ante, whatever the dealer holds.

Pair plus (per unit, on the player's three cards alone): pair 1:1, flush 4:1, straight 6:1,
three of a kind 30:1, straight flush 40:1: the original pay table, 1-4-6-30-40 (the common
1-3-6-30-40, flush 3:1, returns only 92.72 %).

Exact returns, by full enumeration of the 22,100 player hands against the 18,424 dealer hands
of the other 49 cards each (:func:`_player_hands`; counted with inclusion–exclusion over the
cards the two hands would share, so it takes about a second):

- Pair plus: 21,588 / 22,100 = 97.6833 % (house edge 2.3167 %, Wizard of Odds: 2.32 %).
- Ante and play with the PAR strategy, play Q-6-4 or better (``{"strategy": "q64"}``), which
  the enumeration confirms is the strategy of highest expected win: for every player hand,
  playing beats folding exactly when the hand is Q-6-4 or better (no hand is indifferent).
  Per ante unit a round returns E[returned] = 1.640478 on E[staked] = 1.674208 (the play bet
  is made 67.42 % of the time): a loss of 3.3730 % of the ante (Wizard of Odds: house edge
  3.37 %) and an RTP, returned over staked as blackjack reports it (module :mod:`.raises`), of
  33,397,711 / 34,084,400 = 97.9853 % (element of risk 2.0147 %; Wizard of Odds: 2.01 %).
- Both bets at equal weights: 266,422,883 / 272,214,600 = 97.8724 % returned over staked.

The PAR sheet reports ante alone, pair plus alone and both at equal weights; any other
weighting returns between the two bets' figures. Left out: the six-card bonus and the mini
royal, which vary from casino to casino.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, lru_cache
from itertools import combinations
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream
from croupier.products.rgs.games.base import Action, MultiStepTitle, Params, Step
from croupier.products.rgs.games.bets import check_kind_bets
from croupier.products.rgs.games.deck import RANK_OF, SUIT_OF, Deck
from croupier.products.rgs.games.raises import RoundOutcome, per_unit_staked
from croupier.products.rgs.math import Outcome

ANTE: Final = "ante"
PAIR_PLUS: Final = "pair_plus"
KINDS: Final = (ANTE, PAIR_PLUS)
STRATEGY: Final = "q64"  # play Q-6-4 or better, fold the rest
PLAY, FOLD = "play", "fold"
ACTIONS: Final = (PLAY, FOLD)
HAND_CARDS: Final = 3

HIGH_CARD, PAIR, FLUSH, STRAIGHT, THREE_OF_A_KIND, STRAIGHT_FLUSH = range(6)
HANDS: Final = ("high_card", "pair", "flush", "straight", "three_of_a_kind", "straight_flush")
ACE, QUEEN, SIX, FOUR, THREE, TWO = 12, 10, 4, 2, 1, 0  # rank indexes, 0 for a 2


def _value(kind: int, first: int, second: int = 0, third: int = 0) -> int:
    """A hand's value: its kind, then up to three ranks that break ties, as one integer."""
    return kind << 12 | first << 8 | second << 4 | third


QUALIFIES: Final = _value(HIGH_CARD, QUEEN, THREE, TWO)  # the lowest queen-high hand
PLAY_FROM: Final = _value(HIGH_CARD, QUEEN, SIX, FOUR)

# Ante bonus: what a played hand wins per ante unit, whatever the dealer holds.
ANTE_BONUS: Final[Mapping[int, int]] = {STRAIGHT: 1, THREE_OF_A_KIND: 4, STRAIGHT_FLUSH: 5}
# Pair plus, 1-4-6-30-40: what one unit returns, stake included.
PAIR_PLUS_RETURNS: Final[Mapping[int, int]] = {
    HIGH_CARD: 0,
    PAIR: 2,
    FLUSH: 5,
    STRAIGHT: 7,
    THREE_OF_A_KIND: 31,
    STRAIGHT_FLUSH: 41,
}

# How the ante and play bets end.
FOLDED: Final = "fold"
NOT_QUALIFIED: Final = "dealer_does_not_qualify"
WON: Final = "win"
TIED: Final = "tie"
LOST: Final = "lose"
# What the ante and play return per ante unit, before the ante bonus.
ANTE_PLAY_RETURNS: Final[Mapping[str, int]] = {
    FOLDED: 0,
    NOT_QUALIFIED: 3,
    WON: 4,
    TIED: 2,
    LOST: 0,
}

DEALS: Final = 22_100 * 18_424  # player hands × dealer hands from the other 49 cards


def hand_value(cards: Sequence[str]) -> int:
    """The value of a three-card hand: a higher value is a better hand, equal values tie."""
    first, second, third = sorted((RANK_OF[c] for c in cards), reverse=True)
    suit = SUIT_OF[cards[0]]
    flush = SUIT_OF[cards[1]] == suit and SUIT_OF[cards[2]] == suit
    if first == third:
        return _value(THREE_OF_A_KIND, first)
    if second in (first, third):
        kicker = third if first == second else first
        return _value(PAIR, second, kicker)
    top = first if first - third == 2 else THREE if (first, second) == (ACE, THREE) else None
    if top is not None:
        return _value(STRAIGHT_FLUSH if flush else STRAIGHT, top)
    return _value(FLUSH if flush else HIGH_CARD, first, second, third)


def kind_of(value: int) -> int:
    return value >> 12


def plays(value: int) -> bool:
    """The PAR strategy: play Q-6-4 or better."""
    return value >= PLAY_FROM


def ante_play_result(player: int, dealer: int) -> str:
    """How played ante and play bets end, from the two hands' values."""
    if dealer < QUALIFIES:
        return NOT_QUALIFIED
    return WON if player > dealer else TIED if player == dealer else LOST


def ante_play_returns(result: str, kind: int) -> int:
    """What the ante and play return per ante unit (the ante bonus only when played)."""
    if result == FOLDED:
        return 0
    return ANTE_PLAY_RETURNS[result] + ANTE_BONUS.get(kind, 0)


# -- exact enumeration ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlayerHand:
    """One of the 22,100 player hands and how the 18,424 dealer hands of the other 49 cards
    meet it: not qualifying, qualifying below it, equal to it (and qualifying), above it."""

    value: int
    not_qualified: int
    below: int
    equal: int
    above: int

    def returned_if_played(self) -> Fraction:
        """The expected return per ante unit of playing (2 units staked)."""
        kind = kind_of(self.value)
        total = sum(
            n * ante_play_returns(result, kind)
            for result, n in (
                (NOT_QUALIFIED, self.not_qualified),
                (WON, self.below),
                (TIED, self.equal),
                (LOST, self.above),
            )
        )
        return Fraction(total, self.not_qualified + self.below + self.equal + self.above)


@cache
def _player_hands() -> tuple[PlayerHand, ...]:
    """Every player hand against every dealer hand dealt from the other 49 cards.

    How many dealer hands avoiding the player's cards have a value under x: all hands under x,
    less those holding each player card, plus those holding each two of them, less the player's
    own hand (inclusion–exclusion), each count a bisection of sorted values.
    """
    hands = list(combinations(range(len(CARDS)), HAND_CARDS))
    values = [hand_value([CARDS[i] for i in hand]) for hand in hands]
    holding: list[list[int]] = [[] for _ in CARDS]
    holding_two: dict[tuple[int, int], list[int]] = defaultdict(list)
    for hand, value in zip(hands, values, strict=True):
        for card in hand:
            holding[card].append(value)
        for two in combinations(hand, 2):
            holding_two[two].append(value)
    everything = sorted(values)
    for sorted_values in (*holding, *holding_two.values()):
        sorted_values.sort()
    dealer_hands = DEALS // len(hands)

    out = []
    for hand, value in zip(hands, values, strict=True):
        singles = [holding[card] for card in hand]
        pairs = [holding_two[two] for two in combinations(hand, 2)]

        def under(x: int, singles: list[list[int]] = singles, pairs: list[list[int]] = pairs,
                  own: int = value) -> int:  # fmt: skip
            n = bisect_left(everything, x) - (own < x)
            n -= sum(bisect_left(s, x) for s in singles)
            return n + sum(bisect_left(p, x) for p in pairs)

        not_qualified = under(QUALIFIES)
        if value < QUALIFIES:  # any dealer who qualifies beats the hand
            below = equal = 0
        else:
            below = under(value) - not_qualified
            equal = under(value + 1) - not_qualified - below
        above = dealer_hands - not_qualified - below - equal
        out.append(PlayerHand(value, not_qualified, below, equal, above))
    return tuple(out)


@cache
def _results() -> Mapping[tuple[str, int], int]:
    """How many of the DEALS end each way for the ante and play, by (result, player's hand
    kind), with the PAR strategy; a folded hand is counted against every dealer hand."""
    counts: Counter[tuple[str, int]] = Counter()
    for hand in _player_hands():
        kind = kind_of(hand.value)
        dealers = hand.not_qualified + hand.below + hand.equal + hand.above
        if not plays(hand.value):
            counts[FOLDED, kind] += dealers
            continue
        counts[NOT_QUALIFIED, kind] += hand.not_qualified
        counts[WON, kind] += hand.below
        counts[TIED, kind] += hand.equal
        counts[LOST, kind] += hand.above
    assert sum(counts.values()) == DEALS
    return counts


@lru_cache(maxsize=64)
def round_outcomes(ante: int, pair_plus: int) -> tuple[RoundOutcome, ...]:
    """The exact joint distribution of (returned, staked) per original stake, with the PAR
    strategy, for bets weighing ``ante`` and ``pair_plus`` (either may be 0, not both)."""
    weight = ante + pair_plus
    merged: dict[tuple[int, int], int] = defaultdict(int)
    for (result, kind), n in _results().items():
        returned = ante * ante_play_returns(result, kind) + pair_plus * PAIR_PLUS_RETURNS[kind]
        staked = (2 if result != FOLDED else 1) * ante + pair_plus
        merged[returned, staked] += n
    return tuple(
        RoundOutcome(Fraction(n, DEALS), Fraction(r, weight), Fraction(u, weight))
        for (r, u), n in sorted(merged.items())
    )


# -- a round ----------------------------------------------------------------------------------


def _weights(params: Params) -> tuple[int, int]:
    weights = {bet["kind"]: bet["weight"] for bet in params["bets"]}
    return weights.get(ANTE, 0), weights.get(PAIR_PLUS, 0)


def _units(ante: int, pair_plus: int, played: bool) -> Fraction:
    return Fraction(2 * ante + pair_plus, ante + pair_plus) if played else Fraction(1)


def _hand(cards: list[str], value: int) -> dict[str, Any]:
    return {"cards": cards, "hand": HANDS[kind_of(value)]}


@dataclass(frozen=True)
class ThreeCardPoker:
    code: str = "three-card-poker"
    name: str = "Three Card Poker"
    mechanic: str = "three-card-poker"
    fair_game: str = "deck"

    def check(self, params: Params) -> Params:
        extra = sorted(map(str, set(params) - {"bets"}))
        if extra:
            raise InvalidBet(
                f"Three Card Poker takes no {extra[0]}: only bets (ante, pair_plus).",
                parameter=extra[0],
            )
        if "bets" not in params:
            return {"bets": [{"kind": ANTE, "weight": 1}]}  # the ante alone
        return check_kind_bets(params, KINDS)

    def replay(self, stream: NumberStream, params: Params, actions: Sequence[Action]) -> Step:
        deck = Deck(stream)
        player, dealer = deck.deal_many(HAND_CARDS), deck.deal_many(HAND_CARDS)
        ante, pair_plus = _weights(params)
        decision: str | None = None
        for action in actions:
            if decision is not None or not ante:
                raise InvalidAction("The round is over.", action=action.name)
            if action.name not in ACTIONS:
                raise InvalidAction(
                    f"Unknown action {action.name!r}: play or fold.", action=action.name
                )
            if action.args:
                raise InvalidAction(
                    f"{action.name} takes no arguments.", parameter=sorted(map(str, action.args))[0]
                )
            decision = action.name
        player_value = hand_value(player)
        if ante and decision is None:
            view = {"player": _hand(player, player_value), "units_staked": "1"}
            return Step(finished=False, view=view, allowed=ACTIONS)
        return self._settle(deck.dealt, player, dealer, player_value, ante, pair_plus, decision)

    def _settle(
        self,
        dealt: list[str],
        player: list[str],
        dealer: list[str],
        player_value: int,
        ante: int,
        pair_plus: int,
        decision: str | None,
    ) -> Step:
        dealer_value = hand_value(dealer)
        kind = kind_of(player_value)
        view: dict[str, Any] = {
            "player": _hand(player, player_value),
            "dealer": {**_hand(dealer, dealer_value), "qualifies": dealer_value >= QUALIFIES},
            "decision": decision,
        }
        returned = 0
        if ante:
            result = FOLDED if decision == FOLD else ante_play_result(player_value, dealer_value)
            ante_play = ante_play_returns(result, kind)
            view["result"] = result
            view["ante_bonus"] = ANTE_BONUS.get(kind, 0) if result != FOLDED else 0
            view["ante_play_returned"] = ante_play
            returned += ante * ante_play
        if pair_plus:
            view["pair_plus_returned"] = PAIR_PLUS_RETURNS[kind]
            returned += pair_plus * PAIR_PLUS_RETURNS[kind]
        multiplier = Fraction(returned, ante + pair_plus)
        view["units_staked"] = str(_units(ante, pair_plus, decision == PLAY))
        view["multiplier"] = str(multiplier)
        view["cards"] = list(dealt)  # deck order, as `croupier fair verify deck` prints
        return Step(finished=True, view=view, multiplier=multiplier)

    def round_outcomes(self, params: Params) -> tuple[RoundOutcome, ...]:
        """The exact joint distribution of what a round returns and stakes, per original stake,
        for a configuration (checked bets, and the strategy when there is an ante)."""
        strategy = {k: v for k, v in params.items() if k == "strategy"}
        ante, pair_plus = _weights(self.check({k: v for k, v in params.items() if k != "strategy"}))
        if ante and strategy != {"strategy": STRATEGY}:
            raise InvalidBet(f"strategy is {STRATEGY!r} with an ante.", parameter="strategy")
        if not ante and strategy:
            raise InvalidBet("Pair plus alone has no strategy.", parameter="strategy")
        return round_outcomes(ante, pair_plus)

    def distribution(self, params: Params) -> Sequence[Outcome]:
        # Per unit staked (module raises): the play bet is money staked too.
        return per_unit_staked(self.round_outcomes(params))

    def configurations(self) -> Sequence[Params]:
        ante = {"kind": ANTE, "weight": 1}
        pair_plus = {"kind": PAIR_PLUS, "weight": 1}
        return [
            {"bets": [ante], "strategy": STRATEGY},
            {"bets": [pair_plus]},
            {"bets": [ante, pair_plus], "strategy": STRATEGY},
        ]


THREE_CARD_POKER: Final = ThreeCardPoker()

TITLES: Final[tuple[MultiStepTitle, ...]] = (THREE_CARD_POKER,)

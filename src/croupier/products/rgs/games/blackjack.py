"""Blackjack against the dealer, dealt from an infinite shoe: two rule sets.

Cards come with replacement: each is ``CARDS[pick(52)]`` (PROTOCOLS.md §1, as baccarat),
read from the round's stream in a fixed order:

1. the player's first card, the dealer's up card, the player's second card, then the dealer's
   hole card (``blackjack-classic`` only: the European dealer takes no hole card);
2. then each further card when play needs it: the player's hands left to right (after a split
   each hand gets its second card when its turn comes), then the dealer's cards.

So the settled view's ``cards`` (stream order) equal ``croupier fair verify cards --count K``
with K the cards dealt. A card the game does not need is never read: the dealer draws only
while a hand that is neither bust nor a natural waits for him (and, without a hole card, takes
his second card also to settle insurance or to check a natural against an ace or a ten).

Common rules: a natural (two-card 21 of the unsplit hand) pays 3:2; a pair (two cards of one
value: any two of T, J, Q, K count) may be split once, into two hands; split aces take one
card each; a 21 after a split is not a natural; a hand stands by itself on 21; a double takes
exactly one card. When the up card is an ace the first decision is ``insurance``
(``{"take": true|false}``, half a unit, pays 2:1 on a dealer blackjack); taken with a natural
it is the usual even money (the round returns 5/2 on 3/2 staked whatever the dealer holds).

==================  ==========================================  =============================
                    ``blackjack-classic``                       ``blackjack-european``
==================  ==========================================  =============================
dealer              stands on soft 17; hole card; peeks under   stands on soft 17; no hole
                    an ace (after insurance) or a ten: a        card: a dealer blackjack
                    blackjack ends the round at once, losing    beats every hand but a
                    only the original unit                      natural, taking doubles and
                                                                splits too
double              any two cards, also after a split           hard 9, 10 or 11; not after
                                                                a split
==================  ==========================================  =============================

Moves: ``insurance`` (only first, only under an ace), then on the leftmost hand still to play
``stand``, ``hit``, ``double`` and ``split`` as the rules open them (``allowed`` lists them).
The round settles by itself when no choice is left: a natural, a dealer blackjack, every hand
bust, stood, doubled or on 21. While it is open the view shows the dealer's up card only.

Money. The engine takes one stake, the *original unit*; a double or a split commits one more
unit and insurance half a unit. ``view["units_staked"]`` (exact fraction text) is 1 at the
start and grows by 1 per double or split and by 1/2 for insurance: the engine debits what it
adds. A finished step's ``multiplier`` (and ``view["multiplier"]``) is the whole round's
return per *original* unit: a won double returns 4 on 2 staked, a split with both hands
doubled and won returns 8 on 4, the top award.

The PAR sheet plays *basic strategy* (``{"strategy": "basic"}``): every decision is the move
of highest expected net win, computed exactly (``Fraction``) for the infinite shoe by
recursion over hand totals against the dealer's exact final distribution for the up card
(seen after the peek where there is one); insurance is never taken (it returns 12/13).
``round_outcomes`` is the exact joint distribution of (returned, staked) per original unit.
The RTP is what returns of all that is staked, ``E[returned] / E[staked]`` (``rtp``), not the
return per original unit. ``distribution`` gives it to the PAR sheet as a distribution per
unit *staked*: a round outcome of probability ``p`` returning ``r`` on ``u`` staked becomes
multiplier ``r/u`` with weight ``p·u/E[u]``; the weights sum to 1 and
``Σ p·u/E[u] · r/u = E[r]/E[u]``. Its top award is 5/2 per unit staked (a natural) and its
volatility is per unit staked.

==================  ============  ============  ==================  ============================
title               E[returned]   E[staked]     RTP E[r]/E[u]       exact RTP
==================  ============  ============  ==================  ============================
blackjack-classic   1.12123091    1.12693479    99.493859 %         7911865040755275415257305528
                                                                    / 7952113957576948743581430823
blackjack-european  1.07719839    1.08602640    99.187128 %         98814995777748269670987989563
                                                                    / 99624818316403695651771271642
==================  ============  ============  ==================  ============================

Per original unit the expected net loss is 0.5704 % (classic) and 0.8828 % (European). The
classic rules are the common S17, DAS, 3:2 game and already return under the issue's 99.5 %
ceiling on money staked, so no rule was tightened. The European title is the no-hole-card
game (rather than hits-soft-17): its basic strategy differs where a dealer ten or ace may
still turn into a blackjack (hit 11 against a ten, do not split 8s against a ten or an ace,
nor aces against an ace).

Left out on purpose: surrender, resplitting, doubling on more than two cards, hitting split
aces and side bets, which vary from casino to casino; ``basic_action`` plays the PAR sheet's
strategy for autoplay and for the simulation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream
from croupier.products.rgs.games.base import Action, MultiStepTitle, Params, Step
from croupier.products.rgs.math import Outcome

ACE: Final = 11  # an ace's value while it counts 11; it drops to 1 rather than bust the hand
TEN: Final = 10  # T, J, Q and K
TWENTY_ONE: Final = 21
DEALER_STANDS: Final = 17
LOW: Final = 16  # every player total of 16 or less: it only beats a dealer who busts
BUST: Final = 22  # any total over 21 (a hand outcome and a dealer outcome)
DEALER_BLACKJACK: Final = 23  # a dealer outcome
SOFT: Final = 10  # what an ace counting 11 gives back when it must count 1

VALUES: Final = (2, 3, 4, 5, 6, 7, 8, 9, TEN, ACE)
# With replacement each of the 52 codes is 1/52: a value is 1/13, a ten-value card 4/13.
WEIGHTS: Final[Mapping[int, Fraction]] = {v: Fraction(4 if v == TEN else 1, 13) for v in VALUES}
CARD_VALUES: Final[tuple[int, ...]] = tuple(
    ACE if c[0] == "A" else TEN if c[0] in "TJQK" else int(c[0]) for c in CARDS
)
_VALUE_OF: Final[Mapping[str, int]] = dict(zip(CARDS, CARD_VALUES, strict=True))
DECK: Final = len(CARDS)
NATURAL: Final = 2 * WEIGHTS[ACE] * WEIGHTS[TEN]  # a two-card 21: 8/169

# Money in half units of the original stake: insurance costs half a unit, a natural pays 3:2.
# A round stakes at most 9/2 (insurance, a split, both hands doubled) and returns at most 8.
HALVES: Final[tuple[Fraction, ...]] = tuple(Fraction(n, 2) for n in range(2 * 8 + 1))
HALF_TEXT: Final[tuple[str, ...]] = tuple(str(h) for h in HALVES)

STRATEGY: Final = "basic"
STAND, HIT, DOUBLE, SPLIT, INSURANCE = "stand", "hit", "double", "split", "insurance"
ACTIONS: Final = (STAND, HIT, DOUBLE, SPLIT, INSURANCE)


@dataclass(frozen=True, slots=True)
class Rules:
    """What differs between the titles; the rest is common to both (see the module docstring)."""

    hole_card: bool  # the dealer takes a hole card and peeks under an ace or a ten
    hits_soft_17: bool
    double_on: frozenset[int] | None  # the hard two-card totals that may double; None: any two
    double_after_split: bool


def add_card(total: int, soft: bool, value: int) -> tuple[int, bool]:
    """A hand's best total after one more card, and whether an ace in it still counts 11."""
    if value == ACE:
        if total + ACE <= TWENTY_ONE:
            return total + ACE, True
        value = 1
    total += value
    if total > TWENTY_ONE and soft:
        return total - SOFT, False
    return total, soft


def hand_total(values: Sequence[int]) -> tuple[int, bool]:
    total, soft = 0, False
    for v in values:
        total, soft = add_card(total, soft, v)
    return total, soft


def may_double(rules: Rules, total: int, soft: bool, split_hand: bool) -> bool:
    """Whether a two-card hand may double under these rules."""
    if split_hand and not rules.double_after_split:
        return False
    return rules.double_on is None or (not soft and total in rules.double_on)


def _pay(total: int, dealer: int) -> int:
    """What a hand that ends on ``total`` returns per unit on it against the dealer's outcome:
    2 won, 1 pushed, 0 lost. A bust loses first; a dealer blackjack (no hole card) beats every
    hand but a natural, which is settled apart."""
    if total > TWENTY_ONE or dealer == DEALER_BLACKJACK:
        return 0
    if dealer == BUST or total > dealer:
        return 2
    return 1 if total == dealer else 0


# -- the dealer ------------------------------------------------------------------------------


@cache
def _dealer_from(hits_soft_17: bool, total: int, soft: bool) -> Mapping[int, Fraction]:
    if total > TWENTY_ONE:
        return {BUST: Fraction(1)}
    if total > DEALER_STANDS or (total == DEALER_STANDS and not (soft and hits_soft_17)):
        return {total: Fraction(1)}
    out: dict[int, Fraction] = defaultdict(Fraction)
    for v, w in WEIGHTS.items():
        for outcome, p in _dealer_from(hits_soft_17, *add_card(total, soft, v)).items():
            out[outcome] += w * p
    return dict(out)


@cache
def dealer_outcomes(rules: Rules, up: int) -> Mapping[int, Fraction]:
    """Where the dealer ends from the up card ``up`` (17–21, BUST, DEALER_BLACKJACK), before any
    peek: the same with or without a hole card, since cards come with replacement."""
    out: dict[int, Fraction] = defaultdict(Fraction)
    for second, w in WEIGHTS.items():
        if {up, second} == {ACE, TEN}:
            out[DEALER_BLACKJACK] += w
            continue
        for outcome, p in _dealer_from(rules.hits_soft_17, *hand_total((up, second))).items():
            out[outcome] += w * p
    return dict(out)


@cache
def _seen(rules: Rules, up: int) -> tuple[tuple[int, Fraction], ...]:
    """The dealer's outcomes as the player knows them when deciding: with a hole card the
    dealer has peeked, so a blackjack is ruled out; without one it is still to come."""
    outcomes = dealer_outcomes(rules, up)
    if not rules.hole_card:
        return tuple(outcomes.items())
    no_blackjack = 1 - outcomes.get(DEALER_BLACKJACK, Fraction(0))
    return tuple((o, p / no_blackjack) for o, p in outcomes.items() if o != DEALER_BLACKJACK)


# -- basic strategy: each decision is the move of highest expected net win -------------------


@cache
def _stand(rules: Rules, up: int, total: int) -> Fraction:
    return sum((p * _pay(total, o) for o, p in _seen(rules, up)), Fraction(-1))


@cache
def _hit_or_stand(rules: Rules, up: int, total: int, soft: bool) -> Fraction:
    """The expected net win of a hand that may only hit or stand, played best."""
    if total >= TWENTY_ONE:  # 21 stands by itself; a bust has lost
        return _stand(rules, up, total)
    return max(_stand(rules, up, total), _hit(rules, up, total, soft))


def _hit(rules: Rules, up: int, total: int, soft: bool) -> Fraction:
    return sum(
        (w * _hit_or_stand(rules, up, *add_card(total, soft, v)) for v, w in WEIGHTS.items()),
        Fraction(0),
    )


def _double(rules: Rules, up: int, total: int, soft: bool) -> Fraction:
    return 2 * sum(
        (w * _stand(rules, up, add_card(total, soft, v)[0]) for v, w in WEIGHTS.items()),
        Fraction(0),
    )


@cache
def _split(rules: Rules, up: int, value: int) -> Fraction:
    """Two hands, each starting from one card of the pair (aces take one card each)."""
    one_hand = Fraction(0)
    for v, w in WEIGHTS.items():
        total, soft = hand_total((value, v))
        if value == ACE:
            one_hand += w * _stand(rules, up, total)
        else:
            one_hand += w * _best(rules, up, total, soft, True, True, None)[1]
    return 2 * one_hand


@cache
def _best(
    rules: Rules,
    up: int,
    total: int,
    soft: bool,
    two_cards: bool,
    split_hand: bool,
    pair: int | None,
) -> tuple[str, Fraction]:
    """The basic-strategy move of a hand still to play (total under 21) and its expected net
    win per unit originally on the hand. ``pair`` is the value of a pair that may be split.
    Ties go to the move that stakes less (stand, hit, double, split)."""
    if total >= TWENTY_ONE:
        return STAND, _stand(rules, up, total)
    moves = [(STAND, _stand(rules, up, total))]
    if two_cards:
        moves.append((HIT, _hit(rules, up, total, soft)))
        if may_double(rules, total, soft, split_hand):
            moves.append((DOUBLE, _double(rules, up, total, soft)))
        if pair is not None:
            moves.append((SPLIT, _split(rules, up, pair)))
    else:
        moves.append((HIT, _hit(rules, up, total, soft)))
    best = moves[0]
    for move in moves[1:]:
        if move[1] > best[1]:
            best = move
    return best


def basic_move(
    rules: Rules, up: int, cards: Sequence[int], *, split_hand: bool, may_split: bool
) -> str:
    """The basic-strategy move for a hand of card values ``cards`` against the up card ``up``.

    ``split_hand``: the hand is one of the two of a split; ``may_split``: the hand is a pair
    that may still be split. Insurance is never basic strategy (it returns 12/13 per unit).
    """
    total, soft = hand_total(cards)
    pair = cards[0] if may_split else None
    return _best(rules, up, total, soft, len(cards) == 2, split_hand, pair)[0]


# -- the exact distribution of a round played by basic strategy -------------------------------


def _end(total: int) -> int:
    return BUST if total > TWENTY_ONE else max(total, LOW)


@cache
def _hand_ends(
    rules: Rules, up: int, total: int, soft: bool, two_cards: bool, split_hand: bool
) -> Mapping[tuple[int, int], Fraction]:
    """Where a hand played by basic strategy ends: (final total, units on it)."""
    if total >= TWENTY_ONE:
        return {(_end(total), 1): Fraction(1)}
    move = _best(rules, up, total, soft, two_cards, split_hand, None)[0]
    if move == STAND:
        return {(_end(total), 1): Fraction(1)}
    out: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for v, w in WEIGHTS.items():
        after, after_soft = add_card(total, soft, v)
        if move == DOUBLE:
            out[_end(after), 2] += w
        else:
            for end, p in _hand_ends(rules, up, after, after_soft, False, split_hand).items():
                out[end] += w * p
    return dict(out)


@cache
def _split_hand_ends(rules: Rules, up: int, value: int) -> Mapping[tuple[int, int], Fraction]:
    out: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for v, w in WEIGHTS.items():
        total, soft = hand_total((value, v))
        if value == ACE:  # split aces take one card each
            out[_end(total), 1] += w
        else:
            for end, p in _hand_ends(rules, up, total, soft, True, True).items():
                out[end] += w * p
    return dict(out)


@dataclass(frozen=True, slots=True)
class RoundOutcome:
    """One outcome of a round, per original unit: what it returned and what it staked."""

    probability: Fraction
    returned: Fraction
    staked: Fraction


@cache
def round_outcomes(rules: Rules) -> tuple[RoundOutcome, ...]:
    """The exact joint distribution of (returned, staked) of a round played by basic strategy."""
    out: dict[tuple[int, int], Fraction] = defaultdict(Fraction)  # (returned, staked) in halves
    for up, p_up in WEIGHTS.items():
        dealer = dealer_outcomes(rules, up)
        blackjack = dealer.get(DEALER_BLACKJACK, Fraction(0))
        out[2, 2] += p_up * NATURAL * blackjack  # natural against natural: a push
        out[5, 2] += p_up * NATURAL * (1 - blackjack)  # a natural paid 3:2
        # Hands that are not naturals: one hand, or a pair split into two.
        single: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
        split: dict[int, Fraction] = defaultdict(Fraction)
        for first, w1 in WEIGHTS.items():
            for second, w2 in WEIGHTS.items():
                if {first, second} == {ACE, TEN}:
                    continue
                pair = first == second
                move = basic_move(rules, up, (first, second), split_hand=False, may_split=pair)
                if move == SPLIT:
                    split[first] += w1 * w2
                    continue
                total, soft = hand_total((first, second))
                for end, p in _hand_ends(rules, up, total, soft, True, False).items():
                    single[end] += w1 * w2 * p
        for outcome, p_dealer in dealer.items():
            weight = p_up * p_dealer
            if outcome == DEALER_BLACKJACK and rules.hole_card:
                out[0, 2] += weight * (1 - NATURAL)  # peeked: only the original unit is lost
                continue
            for (total, units), p in single.items():
                out[2 * units * _pay(total, outcome), 2 * units] += weight * p
            for value, p_pair in split.items():
                # Per hand: (returned, units) in whole units; the two hands meet the same dealer.
                hand: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
                for (total, units), p in _split_hand_ends(rules, up, value).items():
                    hand[units * _pay(total, outcome), units] += p
                for (r1, u1), q1 in hand.items():
                    for (r2, u2), q2 in hand.items():
                        out[2 * (r1 + r2), 2 * (u1 + u2)] += weight * p_pair * q1 * q2
    return tuple(RoundOutcome(p, HALVES[r], HALVES[u]) for (r, u), p in sorted(out.items()) if p)


# -- a round, replayed from the stream and the player's moves --------------------------------


class _Hand:
    __slots__ = ("cards", "done", "soft", "split", "total", "units", "values")

    def __init__(self, cards: list[str], values: list[int], *, split: bool = False) -> None:
        self.cards, self.values = cards, values
        self.total, self.soft = hand_total(values)
        self.units = 1  # 2 once doubled
        self.split = split  # one of the two hands of a split
        self.done = False

    def take(self, card: str, value: int) -> None:
        self.cards.append(card)
        self.values.append(value)
        self.total, self.soft = add_card(self.total, self.soft, value)
        if self.total >= TWENTY_ONE:  # bust, or 21: no choice is left
            self.done = True

    @property
    def natural(self) -> bool:
        return not self.split and len(self.cards) == 2 and self.total == TWENTY_ONE


_INSURANCE, _PLAY, _OVER = "insurance", "play", "over"


class _Round:
    """One round's table: cards come off the stream only when the game needs them."""

    __slots__ = (
        "active",
        "dealer",
        "dealer_soft",
        "dealer_total",
        "dealt",
        "hands",
        "insurance",
        "phase",
        "rules",
        "stream",
        "up",
    )

    def __init__(self, rules: Rules, stream: NumberStream) -> None:
        self.rules, self.stream = rules, stream
        self.dealt: list[str] = []
        (first, v1), (up, self.up), (second, v2) = self._draw(), self._draw(), self._draw()
        self.dealer = [up]
        self.dealer_total, self.dealer_soft = add_card(0, False, self.up)
        if rules.hole_card:
            self._dealer_takes()
        self.hands = [_Hand([first, second], [v1, v2])]
        self.insurance: bool | None = None
        self.active: int | None = None  # the hand to play, while the phase is _PLAY
        if self.up == ACE:
            self.phase = _INSURANCE
        else:
            self._after_insurance()

    def _draw(self) -> tuple[str, int]:
        i = self.stream.pick(DECK)
        self.dealt.append(CARDS[i])
        return CARDS[i], CARD_VALUES[i]

    def _dealer_takes(self) -> None:
        card, value = self._draw()
        self.dealer.append(card)
        self.dealer_total, self.dealer_soft = add_card(self.dealer_total, self.dealer_soft, value)

    def dealer_blackjack(self) -> bool:
        return self.dealer_total == TWENTY_ONE and len(self.dealer) == 2

    def _after_insurance(self) -> None:
        if self.rules.hole_card and self.dealer_blackjack():
            self.phase = _OVER  # the dealer peeked (under an ace or a ten): the round ends
        elif self.hands[0].natural:
            if not self.rules.hole_card and (self.up in (ACE, TEN) or self.insurance):
                self._dealer_takes()  # could the dealer still tie the natural?
            self.phase = _OVER
        else:
            self.phase = _PLAY
            self.active = 0

    def allowed(self) -> tuple[str, ...]:
        if self.phase == _INSURANCE:
            return (INSURANCE,)
        if self.active is None:
            return ()
        hand = self.hands[self.active]
        if len(hand.cards) != 2:
            return (STAND, HIT)
        moves = [STAND, HIT]
        if may_double(self.rules, hand.total, hand.soft, hand.split):
            moves.append(DOUBLE)
        if len(self.hands) == 1 and hand.values[0] == hand.values[1]:
            moves.append(SPLIT)
        return tuple(moves)

    def move(self, action: Action) -> None:
        if self.phase == _INSURANCE:
            self.insurance = action.args["take"]
            self._after_insurance()
            return
        assert self.active is not None
        hand = self.hands[self.active]
        if action.name == STAND:
            hand.done = True
        elif action.name == HIT:
            hand.take(*self._draw())
        elif action.name == DOUBLE:
            hand.units = 2
            hand.take(*self._draw())
            hand.done = True
        else:  # split: each hand gets its second card when its turn comes
            self.hands = [
                _Hand(hand.cards[:1], hand.values[:1], split=True),
                _Hand(hand.cards[1:], hand.values[1:], split=True),
            ]
        self._next_hand()

    def _next_hand(self) -> None:
        for i, hand in enumerate(self.hands):
            if hand.done:
                continue
            if len(hand.cards) == 1:
                hand.take(*self._draw())
                if hand.values[0] == ACE:  # split aces take one card each
                    hand.done = True
            if not hand.done:
                self.active = i
                return
        self.active = None
        self._dealer_plays()

    def _dealer_plays(self) -> None:
        live = any(h.total <= TWENTY_ONE for h in self.hands)
        if not self.rules.hole_card and (live or self.insurance):
            self._dealer_takes()
        if live and not self.dealer_blackjack():
            hits_soft_17 = self.rules.hits_soft_17
            while self.dealer_total < DEALER_STANDS or (
                self.dealer_total == DEALER_STANDS and self.dealer_soft and hits_soft_17
            ):
                self._dealer_takes()
        self.phase = _OVER

    def staked(self) -> int:
        """In half units of the original stake."""
        return 2 * sum(h.units for h in self.hands) + (1 if self.insurance else 0)

    def hand_returns(self) -> list[int]:
        """What each hand returns, in half units of the original stake."""
        if self.dealer_blackjack():
            # A natural pushes; every other hand loses what is on it (with a hole card the
            # dealer peeked, so that is only the original unit).
            return [2 if h.natural else 0 for h in self.hands]
        outcome = BUST if self.dealer_total > TWENTY_ONE else self.dealer_total
        return [5 if h.natural else 2 * h.units * _pay(h.total, outcome) for h in self.hands]

    def insurance_return(self) -> int:
        return 3 if self.insurance and self.dealer_blackjack() else 0

    def returned(self) -> int:
        return sum(self.hand_returns()) + self.insurance_return()

    def view(self) -> dict[str, Any]:
        over = self.phase == _OVER
        hands = [
            {
                "cards": list(h.cards),
                "total": h.total,
                "soft": h.soft,
                "units": HALF_TEXT[2 * h.units],
                "doubled": h.units == 2,
                "split": h.split,
                "blackjack": h.natural,
                "bust": h.total > TWENTY_ONE,
                "done": h.done or over,
            }
            for h in self.hands
        ]
        view: dict[str, Any] = {
            "hands": hands,
            "active_hand": self.active,
            "insurance": self.insurance,
            "units_staked": HALF_TEXT[self.staked()],
        }
        if not over:
            # The hole card stays face down until the round is over.
            up_total, up_soft = add_card(0, False, self.up)
            view["dealer"] = {"cards": self.dealer[:1], "total": up_total, "soft": up_soft}
            return view
        view["dealer"] = {
            "cards": list(self.dealer),
            "total": self.dealer_total,
            "soft": self.dealer_soft,
            "blackjack": self.dealer_blackjack(),
        }
        for hand, returned in zip(hands, self.hand_returns(), strict=True):
            hand["returned"] = HALF_TEXT[returned]
        view["insurance_returned"] = HALF_TEXT[self.insurance_return()]
        view["multiplier"] = HALF_TEXT[self.returned()]
        view["cards"] = list(self.dealt)  # stream order, as `croupier fair verify` prints
        return view


def _check_args(action: Action) -> None:
    if action.name == INSURANCE:
        extra = set(action.args) - {"take"}
        if extra:
            raise InvalidAction("insurance takes only take.", parameter=sorted(map(str, extra))[0])
        if not isinstance(action.args.get("take"), bool):
            raise InvalidAction("take is true or false.", parameter="take")
    elif action.args:
        raise InvalidAction(
            f"{action.name} takes no arguments.", parameter=sorted(map(str, action.args))[0]
        )


@dataclass(frozen=True)
class Blackjack:
    code: str
    name: str
    rules: Rules
    mechanic: str = "blackjack"
    fair_game: str = "cards"

    def check(self, params: Params) -> Params:
        if params:
            raise InvalidBet(
                f"Unknown parameter {sorted(map(str, params))[0]!r}: blackjack takes none.",
                parameter="params",
            )
        return {}

    def replay(
        self,
        stream: NumberStream,
        params: Params,  # noqa: ARG002 (the protocol's signature; blackjack has no bet parameters)
        actions: Sequence[Action],
    ) -> Step:
        table = _Round(self.rules, stream)
        for action in actions:
            if table.phase == _OVER:
                raise InvalidAction("The round is over.", action=action.name)
            if action.name not in ACTIONS:
                raise InvalidAction(
                    f"Unknown action {action.name!r}: {', '.join(ACTIONS)}.", action=action.name
                )
            allowed = table.allowed()
            if action.name not in allowed:
                raise InvalidAction(
                    f"{action.name} is not open now: {', '.join(allowed)}.", action=action.name
                )
            _check_args(action)
            table.move(action)
        if table.phase == _OVER:
            return Step(finished=True, view=table.view(), multiplier=HALVES[table.returned()])
        return Step(finished=False, view=table.view(), allowed=table.allowed())

    def basic_action(self, step: Step) -> Action:
        """The basic-strategy move at an open step: what the PAR sheet's configuration plays."""
        if step.finished:
            raise InvalidAction("The round is over.", action="basic")
        if INSURANCE in step.allowed:
            return Action(INSURANCE, {"take": False})
        view = step.view
        hand = view["hands"][view["active_hand"]]
        move = basic_move(
            self.rules,
            _VALUE_OF[view["dealer"]["cards"][0]],
            [_VALUE_OF[c] for c in hand["cards"]],
            split_hand=hand["split"],
            may_split=SPLIT in step.allowed,
        )
        assert move in step.allowed, (move, step)
        return Action(move)

    def round_outcomes(self, params: Params) -> tuple[RoundOutcome, ...]:
        """The exact joint distribution of what a round returns and stakes, per original unit."""
        _check_strategy(params)
        return round_outcomes(self.rules)

    def rtp(self, params: Params) -> Fraction:
        """Total returned over total staked: ``E[returned] / E[staked]``."""
        outcomes = self.round_outcomes(params)
        returned = sum((o.probability * o.returned for o in outcomes), Fraction(0))
        staked = sum((o.probability * o.staked for o in outcomes), Fraction(0))
        return returned / staked

    def distribution(self, params: Params) -> Sequence[Outcome]:
        # Per unit staked, not per round: each round outcome (p, r, u) weighs p·u/E[u] and
        # pays r/u, so Σ weight·pays = E[r]/E[u], the share of all money staked that returns.
        outcomes = self.round_outcomes(params)
        staked = sum((o.probability * o.staked for o in outcomes), Fraction(0))
        merged: dict[Fraction, Fraction] = defaultdict(Fraction)
        for o in outcomes:
            merged[o.returned / o.staked] += o.probability * o.staked / staked
        return [Outcome(p, m) for m, p in sorted(merged.items())]

    def configurations(self) -> Sequence[Params]:
        return [{"strategy": STRATEGY}]


def _check_strategy(params: Params) -> None:
    if params.get("strategy") != STRATEGY or set(params) != {"strategy"}:
        raise InvalidBet(f"strategy is {STRATEGY!r}.", parameter="strategy")


CLASSIC: Final = Blackjack(
    code="blackjack-classic",
    name="Blackjack",
    rules=Rules(hole_card=True, hits_soft_17=False, double_on=None, double_after_split=True),
)
EUROPEAN: Final = Blackjack(
    code="blackjack-european",
    name="European Blackjack",
    rules=Rules(
        hole_card=False,
        hits_soft_17=False,
        double_on=frozenset({9, 10, 11}),
        double_after_split=False,
    ),
)

TITLES: Final[tuple[MultiStepTitle, ...]] = (CLASSIC, EUROPEAN)

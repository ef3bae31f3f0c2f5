"""Video poker's exact mathematics: hand categories, the deck, and optimal play, with numpy.

Cards are the indices 0 … 51 of ``CARDS`` (``rank · 4 + suit``, ranks 2 … A as 0 … 12), so
a hand's cards in ascending order have ascending ranks. A *subset* of the deck of up to five
cards has an index in the colex combinatorial number system: the cards ``c0 < … < c(k−1)``
have rank ``C(c0, 1) + C(c1, 2) + … + C(c(k−1), k)`` among the k-subsets, and the subsets of
size k come after all the smaller ones (``SUBSET_OFFSET``). Five-card hands are numbered the
same way (``hand_index``), so a table indexed by hand is a flat numpy array of 2,598,960.

**Optimal play, exactly.** For a dealt hand H and a hold S ⊆ H, the draw replaces the other
cards with 5 − |S| of the 47 cards not dealt, each set equally likely, so the return of the
hold is the pay summed over the final hands that contain S and none of the discarded cards
H ∖ S, divided by C(47, 5 − |S|). ``analyse`` computes it for all 32 holds of all 2,598,960
deals:

1. ``contains[u]``: the pay summed over the five-card hands containing subset u, for every
   subset of size 0 … 5 (2,893,164 of them), by a bincount over the 32 subsets of each hand;
2. per dealt hand, the 32 ``contains`` of its subsets turn into "contains S and none of H ∖ S"
   by inclusion–exclusion, a Möbius transform over the hand's 5-bit subset lattice; scaled by
   ``L / C(47, 5 − |S|)`` (L the least common multiple of those binomials, 7,669,695) every
   hold's expected pay is an exact integer, and the best one is chosen (a tie goes to the hold
   that keeps more cards, then to the lower cards: ``PREFERENCE``);
3. the final hand's category under that strategy, exactly: the same inclusion–exclusion run
   backwards scatters each deal's weight onto the subsets it counts, each final hand gathers
   the weights of its 32 subsets, and a bincount by category adds them up.

So the RTP is an exact ``Fraction`` (the mean of the best holds' values) and so is the
probability of every category, and their dot product with the pays is asserted equal to it.
Nothing is sampled. One paytable takes two to three seconds on one core and about 250 MB
(the deals are processed in chunks of 65,536); ``analyse`` is cached per process.

**The deck.** A round's deck is PROTOCOLS.md §1's shuffled deck: card i is the one at index
``pick(52 − i)`` among those not yet drawn, in ``CARDS`` order (``fair.deck_top``).
``deck_cards`` maps a batch of rounds' numbers to their cards; a replay calls it with one
round, a simulation with a million.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction
from functools import cache, reduce
from math import comb, lcm
from typing import Final

import numpy as np
import numpy.typing as npt

from croupier.products.rgs.fair import CARDS, RANKS, SUITS

Ints = npt.NDArray[np.int64]
Cards = npt.NDArray[np.int64]  # card indices, one row per hand or per round
HandCards = npt.NDArray[np.int8]  # the same, compact, for the 2,598,960 hands

DECK: Final = len(CARDS)  # 52
HAND: Final = 5
HOLDS: Final = 1 << HAND  # 32 ways to hold five cards
LEFT: Final = DECK - HAND  # 47 cards to draw from
DEALS: Final = comb(DECK, HAND)  # 2,598,960
SUBSET_OFFSET: Final[tuple[int, ...]] = tuple(
    sum(comb(DECK, j) for j in range(k)) for k in range(HAND + 2)
)
SUBSETS: Final = SUBSET_OFFSET[HAND + 1]  # 2,893,164 subsets of 0 … 5 cards
# Every hold's expected pay times L is an integer: L / C(47, 5 − |S|) is.
DRAWS: Final[tuple[int, ...]] = tuple(comb(LEFT, HAND - k) for k in range(HAND + 1))
L: Final = reduce(lcm, DRAWS)
SIZE: Final[tuple[int, ...]] = tuple(m.bit_count() for m in range(HOLDS))
SCALE: Final[tuple[int, ...]] = tuple(L // DRAWS[SIZE[m]] for m in range(HOLDS))
# Ties between holds of equal value: keep more cards, then the lower ones (bit i of a hold is
# the i-th lowest card of the hand).
PREFERENCE: Final[tuple[int, ...]] = tuple(sorted(range(HOLDS), key=lambda m: (-SIZE[m], m)))

_RANK_2, _RANK_4, _RANK_5, _RANK_T, _RANK_J, _RANK_A = 0, 2, 3, 8, 9, len(RANKS) - 1
_CHUNK: Final = 1 << 16  # deals per chunk: 32 int64 values each are 16 MB


class Hand(IntEnum):
    """A final hand's category, fine enough for every paytable of both families.

    Jacks or better and its bonus games: ``ROYAL_FLUSH`` … ``NOTHING`` without the wild ones;
    deuces wild: ``ROYAL_FLUSH`` (natural, no deuce), ``FOUR_DEUCES``, ``WILD_ROYAL_FLUSH``,
    ``FIVE_OF_A_KIND``, ``STRAIGHT_FLUSH``, ``FOUR_OF_A_KIND``, …, ``TWO_PAIR`` (no deuce),
    ``PAIR`` and ``NOTHING``. Each hand has exactly one category: the best it makes.
    """

    ROYAL_FLUSH = 0
    FOUR_DEUCES = 1
    WILD_ROYAL_FLUSH = 2
    FIVE_OF_A_KIND = 3
    STRAIGHT_FLUSH = 4
    FOUR_ACES_WITH_2_4 = 5  # four aces and a 2, 3 or 4
    FOUR_ACES = 6  # four aces and a 5 … K
    FOUR_2_4_WITH_A_4 = 7  # four 2s, 3s or 4s and an A, 2, 3 or 4
    FOUR_2_4 = 8  # four 2s, 3s or 4s and a 5 … K
    FOUR_5_K = 9  # four 5s … kings
    FOUR_OF_A_KIND = 10  # deuces wild: any four of a kind
    FULL_HOUSE = 11
    FLUSH = 12
    STRAIGHT = 13
    THREE_OF_A_KIND = 14
    TWO_PAIR = 15
    JACKS_OR_BETTER = 16  # a pair of jacks, queens, kings or aces
    PAIR_OF_TENS = 17
    LOW_PAIR = 18  # a pair of 2s … 9s
    PAIR = 19  # deuces wild: any pair
    NOTHING = 20


HAND_NAMES: Final[Mapping[Hand, str]] = {
    Hand.ROYAL_FLUSH: "Royal Flush",
    Hand.FOUR_DEUCES: "Four Deuces",
    Hand.WILD_ROYAL_FLUSH: "Wild Royal Flush",
    Hand.FIVE_OF_A_KIND: "Five of a Kind",
    Hand.STRAIGHT_FLUSH: "Straight Flush",
    Hand.FOUR_ACES_WITH_2_4: "Four Aces with a 2, 3 or 4",
    Hand.FOUR_ACES: "Four Aces",
    Hand.FOUR_2_4_WITH_A_4: "Four 2s, 3s or 4s with an A, 2, 3 or 4",
    Hand.FOUR_2_4: "Four 2s, 3s or 4s",
    Hand.FOUR_5_K: "Four 5s through Kings",
    Hand.FOUR_OF_A_KIND: "Four of a Kind",
    Hand.FULL_HOUSE: "Full House",
    Hand.FLUSH: "Flush",
    Hand.STRAIGHT: "Straight",
    Hand.THREE_OF_A_KIND: "Three of a Kind",
    Hand.TWO_PAIR: "Two Pair",
    Hand.JACKS_OR_BETTER: "Pair of Jacks or Better",
    Hand.PAIR_OF_TENS: "Pair of Tens",
    Hand.LOW_PAIR: "Low Pair",
    Hand.PAIR: "Pair",
    Hand.NOTHING: "Nothing",
}

FOURS: Final = frozenset(
    {Hand.FOUR_ACES_WITH_2_4, Hand.FOUR_ACES, Hand.FOUR_2_4_WITH_A_4, Hand.FOUR_2_4, Hand.FOUR_5_K}
)


@dataclass(frozen=True, slots=True)
class PayLine:
    """One line of a paytable: what it is called, what it pays per unit staked (max-coin
    pays: a royal flush 800, i.e. 4,000 for five coins), and the hands it pays for."""

    name: str
    pays: int
    hands: frozenset[Hand]


@dataclass(frozen=True, slots=True)
class Paytable:
    """A game's rules: whether deuces are wild, and its pay lines, best first."""

    wild_deuces: bool
    lines: tuple[PayLine, ...]
    _line_of: Mapping[Hand, PayLine] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        line_of: dict[Hand, PayLine] = {}
        for line in self.lines:
            for hand in line.hands:
                assert hand not in line_of, f"{hand.name} is on two lines"
                line_of[hand] = line
        object.__setattr__(self, "_line_of", line_of)

    def line(self, hand: Hand) -> PayLine | None:
        """The line that pays for ``hand``, None when it pays nothing."""
        return self._line_of.get(hand)

    def pays(self, hand: Hand) -> int:
        line = self._line_of.get(hand)
        return 0 if line is None else line.pays

    def pay_by_hand(self) -> Ints:
        """What each category pays, indexed by ``Hand``."""
        return np.array([self.pays(h) for h in Hand], dtype=np.int64)


# -- hands and subsets ------------------------------------------------------------------------

_BINOMIAL: Final[Ints] = np.array(
    [[comb(c, j) for j in range(HAND + 1)] for c in range(DECK)], dtype=np.int64
)


def _colex(n: int, k: int) -> HandCards:
    """Every k-subset of 0 … n − 1, ascending within each row, in colex order."""
    out = np.empty((comb(n, k), k), dtype=np.int8)
    if k == 1:
        out[:, 0] = np.arange(n)
        return out
    smaller = _colex(n, k - 1)
    start = 0
    for m in range(k - 1, n):  # by the largest card; before it, the (k−1)-subsets of 0 … m − 1
        size = comb(m, k - 1)
        out[start : start + size, :-1] = smaller[:size]
        out[start : start + size, -1] = m
        start += size
    return out


@cache
def all_hands() -> HandCards:
    """Every five-card hand, cards ascending, row i being the hand of index i."""
    hands = _colex(DECK, HAND)
    hands.flags.writeable = False
    return hands


def hand_index(cards: Cards) -> Ints:
    """The index of each row's five cards (in any order) among all hands."""
    ordered = np.sort(cards, axis=-1)
    index: Ints = _BINOMIAL[ordered[..., 0], 1]
    for i in range(1, HAND):
        index = index + _BINOMIAL[ordered[..., i], i + 1]
    return index


# The step in subset index from a hold to the hold with one more card, card c at rank r
# among the hold's cards: C(c, r + 1), plus the offset between the two sizes' ranges.
_STEP: Final[npt.NDArray[np.int32]] = np.array(
    [
        [comb(c, r + 1) + SUBSET_OFFSET[r + 1] - SUBSET_OFFSET[r] for c in range(DECK)]
        for r in range(HAND)
    ],
    dtype=np.int32,
)


def _subset_indices(hands: HandCards) -> npt.NDArray[np.int32]:
    """For each hand (cards ascending), the subset index of its 32 subsets, one row per hold:
    row m holds the subset of the cards whose positions are the bits of m. A hold's index is
    that of the hold without its highest card plus that card's step."""
    cards = [hands[:, i].astype(np.intp) for i in range(HAND)]
    out = np.empty((HOLDS, len(hands)), dtype=np.int32)
    out[0] = 0
    for m in range(1, HOLDS):
        top = m.bit_length() - 1
        np.add(out[m ^ (1 << top)], _STEP[SIZE[m] - 1].take(cards[top]), out=out[m])
    return out


def _chunks() -> Iterator[slice]:
    for start in range(0, DEALS, _CHUNK):
        yield slice(start, min(start + _CHUNK, DEALS))


# -- categories --------------------------------------------------------------------------------


def _runs(same: npt.NDArray[np.bool_]) -> tuple[Ints, Ints, npt.NDArray[np.bool_]]:
    """From which neighbours (cards ascending) share a rank: the longest run of one rank, the
    number of pairs, and whether there are three of a kind (a lookup by the 4-bit pattern)."""
    pattern = same[:, 0] + 2 * same[:, 1] + 4 * same[:, 2] + 8 * same[:, 3]
    return _LONGEST[pattern], _PAIRS[pattern], _LONGEST[pattern] == 3


def _run_lengths(pattern: int) -> list[int]:
    lengths = [1]
    for i in range(HAND - 1):
        if pattern >> i & 1:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return lengths


_LONGEST: Final[Ints] = np.array([max(_run_lengths(p)) for p in range(16)], dtype=np.int64)
_PAIRS: Final[Ints] = np.array([_run_lengths(p).count(2) for p in range(16)], dtype=np.int64)


def _natural(hands: HandCards) -> npt.NDArray[np.uint8]:
    r, s = hands // len(SUITS), hands % len(SUITS)
    flush = (s == s[:, :1]).all(axis=1)
    same = r[:, 1:] == r[:, :-1]  # neighbours of equal rank (cards ascending)
    longest, pairs, three = _runs(same)
    distinct = longest == 1
    straight = distinct & (
        (r[:, 4] - r[:, 0] == 4) | ((r[:, 4] == _RANK_A) & (r[:, 3] == _RANK_5))  # A-2-3-4-5
    )
    four = longest == 4
    quad, kicker = r[:, 2], np.where(r[:, 0] == r[:, 2], r[:, 4], r[:, 0])
    low_quad, low_kicker = quad <= _RANK_4, kicker <= _RANK_4
    pair_rank = np.where(same, r[:, :-1], -1).max(axis=1)
    conditions = [
        straight & flush & (r[:, 0] == _RANK_T),
        straight & flush,
        four & (quad == _RANK_A) & low_kicker,
        four & (quad == _RANK_A),
        four & low_quad & (low_kicker | (kicker == _RANK_A)),
        four & low_quad,
        four,
        three & (pairs == 1),
        flush,
        straight,
        three,
        pairs == 2,
        (pairs == 1) & (pair_rank >= _RANK_J),
        (pairs == 1) & (pair_rank == _RANK_T),
        pairs == 1,
    ]
    choices = [
        Hand.ROYAL_FLUSH,
        Hand.STRAIGHT_FLUSH,
        Hand.FOUR_ACES_WITH_2_4,
        Hand.FOUR_ACES,
        Hand.FOUR_2_4_WITH_A_4,
        Hand.FOUR_2_4,
        Hand.FOUR_5_K,
        Hand.FULL_HOUSE,
        Hand.FLUSH,
        Hand.STRAIGHT,
        Hand.THREE_OF_A_KIND,
        Hand.TWO_PAIR,
        Hand.JACKS_OR_BETTER,
        Hand.PAIR_OF_TENS,
        Hand.LOW_PAIR,
    ]
    return np.select(conditions, [int(c) for c in choices], int(Hand.NOTHING)).astype(np.uint8)


def _deuces_wild(hands: HandCards) -> npt.NDArray[np.uint8]:
    r, s = hands // len(SUITS), hands % len(SUITS)
    wild = r == _RANK_2
    w = wild.sum(axis=1)
    # Deuces are the lowest cards, so they come first and the highest card is natural (there
    # are only four deuces); runs of a rank among the natural cards skip the deuces.
    longest, pairs, three = _runs((r[:, 1:] == r[:, :-1]) & ~wild[:, :-1])
    most = longest  # of the natural cards (at least one)
    suited = ((s == s[:, 4:]) | wild).all(axis=1)
    distinct = most <= 1
    lowest = np.where(wild, len(RANKS), r).min(axis=1)
    ace_low = np.where(r == _RANK_A, -1, r)
    span_low = np.where(wild, -1, ace_low).max(axis=1) - np.where(wild, 99, ace_low).min(axis=1)
    # The natural cards fit in five consecutive ranks (ace high, or low for A-2-3-4-5); the
    # deuces fill the gaps. A natural deuce is wild too, so it never needs its own place.
    in_sequence = distinct & ((r[:, 4] - lowest <= 4) | (span_low <= 4))
    broadway = distinct & suited & (lowest >= _RANK_T)
    conditions = [
        w == 4,
        (w == 0) & broadway,
        broadway,
        w + most == 5,
        suited & in_sequence,
        w + most == 4,
        ((w == 0) & three & (pairs == 1)) | ((w == 1) & (pairs == 2)),
        suited,
        in_sequence,
        w + most == 3,
        (w == 0) & (pairs == 2),
        w + most == 2,
    ]
    choices = [
        Hand.FOUR_DEUCES,
        Hand.ROYAL_FLUSH,
        Hand.WILD_ROYAL_FLUSH,
        Hand.FIVE_OF_A_KIND,
        Hand.STRAIGHT_FLUSH,
        Hand.FOUR_OF_A_KIND,
        Hand.FULL_HOUSE,
        Hand.FLUSH,
        Hand.STRAIGHT,
        Hand.THREE_OF_A_KIND,
        Hand.TWO_PAIR,
        Hand.PAIR,
    ]
    return np.select(conditions, [int(c) for c in choices], int(Hand.NOTHING)).astype(np.uint8)


@cache
def hand_categories(wild_deuces: bool) -> npt.NDArray[np.uint8]:
    """The category (a ``Hand``) of every five-card hand, indexed by hand index."""
    classify_rows = _deuces_wild if wild_deuces else _natural
    hands = all_hands()
    out = np.concatenate([classify_rows(hands[part]) for part in _chunks()])
    out.flags.writeable = False
    return out


def classify(cards: Sequence[int], *, wild_deuces: bool) -> Hand:
    """The category of five cards (indices into ``CARDS``, any order)."""
    index = int(hand_index(np.array([cards], dtype=np.int64))[0])
    return Hand(int(hand_categories(wild_deuces)[index]))


# -- the deck and the draw --------------------------------------------------------------------


def deck_cards(numbers: Ints) -> Cards:
    """The cards of each row's shuffled deck from its stream numbers (``k``, 0 ≤ k < 2^32):
    card i is the one at index ``pick(52 − i)`` of those not yet drawn, in ``CARDS`` order
    (PROTOCOLS.md §1, as keno). Row by row this is ``fair.deck_top``, for many rounds at once.
    """
    rows, count = numbers.shape
    cards = np.empty((rows, count), dtype=np.int64)
    for i in range(count):
        card = (numbers[:, i] * (DECK - i)) >> 32
        # The pick-th card not drawn yet: step over every drawn card at or below it, lowest
        # first (each step can only move the card up past the next drawn one).
        for drawn in np.sort(cards[:, :i], axis=1).T:
            card += drawn <= card
        cards[:, i] = card
    return cards


def draw(dealt: Cards, held: npt.NDArray[np.bool_], deck: Cards) -> Cards:
    """The final hands: each held card stays in its place, and the discarded places take the
    next cards of the deck (``deck[:, 5]`` onwards) from left to right."""
    replacement = np.cumsum(~held, axis=1) - 1 + HAND
    drawn = np.take_along_axis(deck, np.minimum(replacement, deck.shape[1] - 1), axis=1)
    return np.where(held, dealt, drawn)


# -- optimal play ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Analysis:
    """A paytable played by the strategy that maximises each deal's expected pay."""

    rtp: Fraction
    probabilities: Mapping[Hand, Fraction]  # of each final category
    best_hold: npt.NDArray[np.uint8]  # per hand index: bit i holds the i-th lowest card

    def holds(self, dealt: Cards) -> npt.NDArray[np.bool_]:
        """The optimal hold of each row of dealt cards, by position as dealt."""
        order = np.argsort(dealt, axis=1)
        mask = self.best_hold[hand_index(dealt)].astype(np.int64)
        by_rank: npt.NDArray[np.bool_] = ((mask[:, None] >> np.arange(HAND)) & 1) == 1
        held = np.empty_like(by_rank)
        np.put_along_axis(held, order, by_rank, axis=1)
        return held


def _mobius(values: Ints) -> None:
    """In place, per column (a deal; one row per hold): from "contains the cards of hold m" to
    "contains them and none of the hand's other cards" (inclusion–exclusion over supersets)."""
    lattice = values.reshape(*(2,) * HAND, -1)  # axis 0 is bit 4 of the hold, axis 4 is bit 0
    for axis in range(HAND):
        without: list[int | slice] = [slice(None)] * (HAND + 1)
        with_ = list(without)
        without[axis], with_[axis] = 0, 1
        lattice[tuple(without)] -= lattice[tuple(with_)]


def _best(values: Ints) -> tuple[npt.NDArray[np.uint8], Ints]:
    """Per column, the preferred hold of highest value, and that value."""
    best = np.full(values.shape[1], PREFERENCE[0], dtype=np.uint8)
    value = values[PREFERENCE[0]].copy()
    for m in PREFERENCE[1:]:
        better = values[m] > value  # strictly: a tie keeps the hold preferred before
        best[better] = m
        np.maximum(value, values[m], out=value)
    return best, value


# Per hold m (row) and the hold b a deal drew to (column), for m ⊇ b: the inclusion–exclusion
# sign of m times the weight of one deal drawing to b, L / C(47, 5 − |b|); 0 where m ⊉ b.
_SPREAD: Final[npt.NDArray[np.float64]] = np.array(
    [[(-1) ** (SIZE[m] - SIZE[b]) * SCALE[b] if m & b == b else 0 for b in range(HOLDS)]
     for m in range(HOLDS)],
    dtype=np.float64,
)  # fmt: skip


def _deals() -> Iterator[tuple[slice, npt.NDArray[np.int32]]]:
    """The deals in chunks, each with its subset indices (recomputed on every sweep: cheaper
    than keeping 333 MB of them)."""
    hands = all_hands()
    for part in _chunks():
        yield part, _subset_indices(hands[part])


def _scatter(weight: Callable[[slice, int], npt.NDArray[np.float64]]) -> Ints:
    """Per subset of the deck, ``weight(deals, m)`` of every deal's hold m summed over the
    deals and holds whose cards it is. Weights are integers and their sums stay below 2^53,
    so float64 adds them exactly. Each hold size fills its own range of subset indices, and
    the whole hand's subset is the deal itself."""
    out = np.zeros(SUBSETS, dtype=np.float64)
    whole = HOLDS - 1
    for part, indices in _deals():
        for m in range(whole):
            low, high = SUBSET_OFFSET[SIZE[m]], SUBSET_OFFSET[SIZE[m] + 1]
            out[low:high] += np.bincount(
                indices[m] - low, weights=weight(part, m), minlength=high - low
            )
        start = SUBSET_OFFSET[HAND]
        out[start + part.start : start + part.stop] += weight(part, whole)
    return out.astype(np.int64)


@cache
def analyse(paytable: Paytable) -> Analysis:
    """The exact RTP of optimal play, the exact distribution of the final hand, and the
    optimal hold of every deal (see the module docstring)."""
    categories = hand_categories(paytable.wild_deuces)
    pay = paytable.pay_by_hand()[categories].astype(np.float64)
    scale = np.array(SCALE, dtype=np.int64)[:, None]

    # 1. Pay summed over the hands containing each subset: at most 800 · 2,598,960.
    contains = _scatter(lambda part, _: pay[part])

    # 2. Every hold of every deal, the best one, and its value times L.
    best = np.empty(DEALS, dtype=np.uint8)
    total = 0
    for part, indices in _deals():
        values = contains[indices]
        _mobius(values)
        values *= scale
        best[part], value = _best(values)
        total += int(value.sum())
    rtp = Fraction(total, L * DEALS)

    # 3. Where optimal play ends: each deal spreads L (its probability, times L · DEALS) over
    # the final hands its hold can reach; by inclusion–exclusion that is ±L / C(47, 5 − |S|)
    # on each subset between the hold and the whole hand, and a final hand collects what was
    # put on its 32 subsets. Every sum stays an integer of at most 32 · 2,598,960 · L < 2^53.
    spread = _scatter(lambda part, m: _SPREAD[m][best[part]]).astype(np.float64)
    reached = np.concatenate([spread[indices].sum(axis=0) for _, indices in _deals()])
    by_category = np.bincount(categories, weights=reached, minlength=len(Hand))
    probabilities = {
        h: Fraction(int(by_category[h]), L * DEALS) for h in Hand if by_category[h] != 0
    }
    assert sum(probabilities.values(), Fraction(0)) == 1
    assert sum((p * paytable.pays(h) for h, p in probabilities.items()), Fraction(0)) == rtp
    best.flags.writeable = False
    return Analysis(rtp=rtp, probabilities=probabilities, best_hold=best)

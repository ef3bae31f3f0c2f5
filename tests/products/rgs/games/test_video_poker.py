"""Video poker: hands classified by the rules (wild deuces, the wheel, no wrap-around), the
exact RTP of optimal play equal to the published returns of each paytable, the deal and the
draw read from the published deck mapping, strict moves, and a million seeded rounds per title
played with the optimal hold table landing in the 99 % interval.

The independent checks: a brute-force classifier written here from the rules (trying every
rank for each deuce), the return tables published for these paytables (Wizard of Odds's
optimal-play tables, to their precision, line by line where they give combinations), and
holds compared by enumerating every draw.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from fractions import Fraction
from functools import cache
from math import comb

import numpy as np
import pytest

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import (
    CARDS,
    NUMBER_RANGE,
    NumberStream,
    RoundSeeds,
    check_server_seed,
    deck_top,
)
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.video_poker import (
    BONUS_POKER,
    DEUCES_WILD,
    DOUBLE_BONUS_POKER,
    DOUBLE_DOUBLE_BONUS,
    JACKS_OR_BETTER,
    TENS_OR_BETTER,
    TITLES,
    VideoPoker,
)
from croupier.products.rgs.games.video_poker_math import (
    DEALS,
    Hand,
    L,
    PayLine,
    Paytable,
    all_hands,
    analyse,
    classify,
    deck_cards,
    draw,
    hand_categories,
    hand_index,
)
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds
from tests.policy.policy_fixtures import UNIT
from tests.products.rgs.rgs_fixtures import active_seeds
from tests.products.rgs.rgs_fixtures import money_state as state

OPTIMAL = {"strategy": "optimal"}
INDEX = {card: i for i, card in enumerate(CARDS)}
SIMULATED_ROUNDS = 1_000_000
# The published tables count (deal, draw) pairs weighted to a common denominator:
# C(52, 5) · lcm(C(47, 0 … 5)) = 2,598,960 · 7,669,695.
PUBLISHED_TOTAL = 19_933_230_517_200


def cards(text: str) -> list[int]:
    return [INDEX[c] for c in text.split()]


def _line(name, pays, *hands):
    return PayLine(name, pays, frozenset(hands))


# -- hands --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hand", "category"),
    [
        ("TS JS QS KS AS", Hand.ROYAL_FLUSH),
        ("AS KS QS JS TS", Hand.ROYAL_FLUSH),
        ("9H TH JH QH KH", Hand.STRAIGHT_FLUSH),
        ("AD 2D 3D 4D 5D", Hand.STRAIGHT_FLUSH),  # a steel wheel: the ace plays low
        ("AD AH AS AC 3D", Hand.FOUR_ACES_WITH_2_4),
        ("AD AH AS AC 2C", Hand.FOUR_ACES_WITH_2_4),
        ("AD AH AS AC 5D", Hand.FOUR_ACES),
        ("AD AH AS AC KD", Hand.FOUR_ACES),
        ("3D 3H 3S 3C AD", Hand.FOUR_2_4_WITH_A_4),
        ("2D 2H 2S 2C 4D", Hand.FOUR_2_4_WITH_A_4),
        ("4D 4H 4S 4C 9D", Hand.FOUR_2_4),
        ("9D 9H 9S 9C 4D", Hand.FOUR_5_K),
        ("5D 5H 5S 5C AD", Hand.FOUR_5_K),
        ("KD KH KS 7C 7D", Hand.FULL_HOUSE),
        ("2H 7H 9H JH KH", Hand.FLUSH),
        ("AD 2H 3S 4C 5D", Hand.STRAIGHT),  # the wheel
        ("TD JH QS KC AD", Hand.STRAIGHT),  # ace high
        ("QD KH AS 2C 3D", Hand.NOTHING),  # no wrap-around
        ("KD AH 2S 3C 4D", Hand.NOTHING),
        ("AD 2H 3S 4C 6D", Hand.NOTHING),
        ("7D 7H 7S KC 2D", Hand.THREE_OF_A_KIND),
        ("7D 7H KS KC 2D", Hand.TWO_PAIR),
        ("JD JH 3S 8C 2D", Hand.JACKS_OR_BETTER),
        ("AD 3H 7S 9C AC", Hand.JACKS_OR_BETTER),
        ("TD TH 3S 8C 2D", Hand.PAIR_OF_TENS),
        ("9D 9H 3S 8C 2D", Hand.LOW_PAIR),
        ("2D 7H 9S JC KD", Hand.NOTHING),
    ],
)
def test_hands_are_classified_by_the_rules(hand, category):
    assert classify(cards(hand), wild_deuces=False) == category


@pytest.mark.parametrize(
    ("hand", "category"),
    [
        ("2D 2H 2S 2C 5D", Hand.FOUR_DEUCES),
        ("TS JS QS KS AS", Hand.ROYAL_FLUSH),  # natural: no deuce
        ("2D JS QS KS AS", Hand.WILD_ROYAL_FLUSH),
        ("2D 2H 2S KS AS", Hand.WILD_ROYAL_FLUSH),
        ("2S TS JS QS KS", Hand.WILD_ROYAL_FLUSH),  # the deuce of spades is wild, not a 2
        ("2D 7H 7S 7C 7D", Hand.FIVE_OF_A_KIND),
        ("2D 2H 2S 7C 7D", Hand.FIVE_OF_A_KIND),
        ("2D 5H 6H 7H 8H", Hand.STRAIGHT_FLUSH),
        ("2D 5H 6H 8H 9H", Hand.STRAIGHT_FLUSH),  # the deuce fills the gap
        ("2C AH 3H 4H 5H", Hand.STRAIGHT_FLUSH),  # A-2-3-4-5, the deuce as the 2
        ("2C AH 3H 4H 6H", Hand.FLUSH),  # A-3-4-6 is no straight even with a deuce
        ("2D 2H 9S 9C 5D", Hand.FOUR_OF_A_KIND),
        ("2D 2H 2S 9C 5D", Hand.FOUR_OF_A_KIND),
        ("2D 9H 9S 5C 5D", Hand.FULL_HOUSE),
        ("9D 9H 9S 5C 5D", Hand.FULL_HOUSE),
        ("2D 4H 7H 9H KH", Hand.FLUSH),
        ("2D 2H 5S 7C 8D", Hand.STRAIGHT),  # better than the three of a kind it also is
        ("2D AH KS QC JD", Hand.STRAIGHT),
        ("2D AH 3S 4C 5D", Hand.STRAIGHT),
        ("2D KH AS 3C 4D", Hand.PAIR),  # no wrap-around: K-A-2-3-4 is not a straight
        ("2D 9H 9S 5C KD", Hand.THREE_OF_A_KIND),
        ("9H 9S 5C 5D KD", Hand.TWO_PAIR),
        ("2D 9H 4S 6C KD", Hand.PAIR),
        ("3D 5H 7S 9C JD", Hand.NOTHING),
    ],
)
def test_deuces_wild_hands_are_worth_the_best_hand_the_deuces_make(hand, category):
    assert classify(cards(hand), wild_deuces=True) == category


def test_every_hand_of_the_deck_is_counted_in_its_category():
    counts = Counter(hand_categories(wild_deuces=False).tolist())
    assert {Hand(k): v for k, v in counts.items()} == {
        Hand.ROYAL_FLUSH: 4,
        Hand.STRAIGHT_FLUSH: 36,
        Hand.FOUR_ACES_WITH_2_4: 12,  # 3 kickers · 4 suits
        Hand.FOUR_ACES: 36,
        Hand.FOUR_2_4_WITH_A_4: 36,  # 3 ranks · 3 other ranks of A-4 · 4 suits
        Hand.FOUR_2_4: 108,
        Hand.FOUR_5_K: 432,
        Hand.FULL_HOUSE: 3_744,
        Hand.FLUSH: 5_108,
        Hand.STRAIGHT: 10_200,
        Hand.THREE_OF_A_KIND: 54_912,
        Hand.TWO_PAIR: 123_552,
        Hand.JACKS_OR_BETTER: 4 * 84_480,
        Hand.PAIR_OF_TENS: 84_480,
        Hand.LOW_PAIR: 8 * 84_480,
        Hand.NOTHING: 1_302_540,
    }
    wild = Counter(hand_categories(wild_deuces=True).tolist())
    # Closed forms: a natural royal per suit; four deuces and any card; per suit, 1-3 deuces
    # and the rest of a royal (4·5 + 6·10 + 4·10); per rank 3-K, 1-3 deuces and the rest of
    # five of that rank (4·1 + 6·4 + 4·6).
    assert wild[Hand.ROYAL_FLUSH] == 4
    assert wild[Hand.FOUR_DEUCES] == 48
    assert wild[Hand.WILD_ROYAL_FLUSH] == 4 * (4 * 5 + 6 * 10 + 4 * 10)
    assert wild[Hand.FIVE_OF_A_KIND] == 12 * (4 * 1 + 6 * 4 + 4 * 6)
    assert sum(wild.values()) == DEALS


def _best_with_deuces(hand: list[int]) -> Hand:
    """From the rules, by brute force: every deuce tries every rank (its suit is the other
    cards' if they share one, for a flush; else suits do not matter); the best hand wins."""
    order = [
        Hand.FOUR_DEUCES, Hand.WILD_ROYAL_FLUSH, Hand.FIVE_OF_A_KIND, Hand.STRAIGHT_FLUSH,
        Hand.FOUR_OF_A_KIND, Hand.FULL_HOUSE, Hand.FLUSH, Hand.STRAIGHT,
        Hand.THREE_OF_A_KIND, Hand.TWO_PAIR, Hand.PAIR, Hand.NOTHING,
    ]  # fmt: skip
    natural = [c for c in hand if c // 4 != 0]
    deuces = HAND_SIZE - len(natural)
    if deuces == 4:
        return Hand.FOUR_DEUCES
    suited = len({c % 4 for c in natural}) == 1

    def plain(ranks):
        shape = sorted(Counter(ranks).values(), reverse=True)
        distinct = set(ranks)
        straight = len(distinct) == 5 and (
            max(distinct) - min(distinct) == 4 or distinct == {12, 0, 1, 2, 3}
        )
        if shape[0] == 5:
            return Hand.FIVE_OF_A_KIND
        if straight and suited:
            return Hand.WILD_ROYAL_FLUSH if min(distinct) == 8 else Hand.STRAIGHT_FLUSH
        if shape[0] == 4:
            return Hand.FOUR_OF_A_KIND
        if shape[:2] == [3, 2]:
            return Hand.FULL_HOUSE
        if suited:
            return Hand.FLUSH
        if straight:
            return Hand.STRAIGHT
        if shape[0] == 3:
            return Hand.THREE_OF_A_KIND
        if shape[:2] == [2, 2]:
            return Hand.TWO_PAIR
        return Hand.PAIR if shape[0] == 2 else Hand.NOTHING

    ranks = [c // 4 for c in natural]
    if deuces == 0:
        best = plain(ranks)
        return Hand.ROYAL_FLUSH if best == Hand.WILD_ROYAL_FLUSH else best
    found = [plain(ranks + list(extra)) for extra in itertools.product(range(13), repeat=deuces)]
    return min(found, key=order.index)


HAND_SIZE = 5


def test_deuces_wild_agrees_with_brute_force_on_random_hands():
    rng = random.Random(5)
    for _ in range(2_000):
        deuces = rng.choice([0, 1, 1, 2, 2, 3])
        hand = rng.sample(range(4), deuces) + rng.sample(range(4, 52), HAND_SIZE - deuces)
        assert classify(hand, wild_deuces=True) == _best_with_deuces(hand), [CARDS[c] for c in hand]


def test_hand_indices_number_every_hand_once_in_any_card_order():
    hands = all_hands()
    assert (hand_index(hands.astype(np.int64)) == np.arange(DEALS)).all()
    shuffled = np.random.default_rng(1).permuted(hands[:1000].astype(np.int64), axis=1)
    assert (hand_index(shuffled) == np.arange(1000)).all()


@pytest.mark.parametrize(
    ("title", "hand", "name", "pays"),
    [
        (JACKS_OR_BETTER, "TD TH 3S 8C 2D", "Pair of Tens", 0),
        (TENS_OR_BETTER, "TD TH 3S 8C 2D", "Tens or Better", 1),
        (TENS_OR_BETTER, "QD QH 3S 8C 2D", "Tens or Better", 1),
        (JACKS_OR_BETTER, "AD AH AS AC 3D", "Four of a Kind", 25),
        (BONUS_POKER, "AD AH AS AC 3D", "Four Aces", 80),
        (DOUBLE_BONUS_POKER, "4D 4H 4S 4C AD", "Four 2s, 3s or 4s", 80),
        (DOUBLE_DOUBLE_BONUS, "AD AH AS AC 3D", "Four Aces with a 2, 3 or 4", 400),
        (DOUBLE_DOUBLE_BONUS, "AD AH AS AC 5D", "Four Aces", 160),
        (DOUBLE_DOUBLE_BONUS, "4D 4H 4S 4C AD", "Four 2s, 3s or 4s with an A, 2, 3 or 4", 160),
        (DOUBLE_DOUBLE_BONUS, "4D 4H 4S 4C 5D", "Four 2s, 3s or 4s", 80),
        (DOUBLE_DOUBLE_BONUS, "7D 7H 7S 7C 5D", "Four 5s through Kings", 50),
        (DOUBLE_DOUBLE_BONUS, "7D 7H KS KC 2D", "Two Pair", 1),
        (DEUCES_WILD, "2D 7H 7S 7C 7D", "Five of a Kind", 15),
        (DEUCES_WILD, "2D 9H 4S 6C KD", "Pair", 0),
        (DEUCES_WILD, "9H 9S 5C 5D KD", "Two Pair", 0),
        (DEUCES_WILD, "TS JS QS KS AS", "Natural Royal Flush", 800),
    ],
)
def test_each_title_pays_its_own_paytable(title, hand, name, pays):
    category = classify(cards(hand), wild_deuces=title.paytable.wild_deuces)
    assert (title.hand_name(category), title.multiplier(category)) == (name, pays)


# -- exact RTPs ---------------------------------------------------------------------------------

# Published optimal-play returns: 8/5 Bonus Poker 0.991660 (Wizard of Odds's return table);
# 8/6 Jacks or Better 98.39 % (Henry Tamburin); 9/7 Double Bonus 99.11 %; 9/6 Double Double
# Bonus 98.98 % (John Grochowski, Chicago Sun-Times); 25/15/9/4/4/3/2/1 "Illinois" Deuces Wild
# 98.91 % (winnergambling.com's return table; Grochowski: 98.9 %); 6/5 Tens or Better 99.14 %
# (the figure video poker tables quote for it).
PUBLISHED = {
    "jacks-or-better": "98.39",
    "bonus-poker": "99.17",
    "double-bonus-poker": "99.11",
    "double-double-bonus": "98.98",
    "tens-or-better": "99.14",
    "deuces-wild": "98.91",
}
EXACT = {
    "jacks-or-better": Fraction(38009381393, 38630291700),
    "bonus-poker": Fraction(1647248502503, 1661102543100),
    "double-bonus-poker": Fraction(37415002826, 37752330525),
    "double-double-bonus": Fraction(822086155841, 830551271550),
    "tens-or-better": Fraction(411699083729, 415275635775),
    "deuces-wild": Fraction(547682606167, 553700847700),
}


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_optimal_play_returns_the_published_figure(title):
    rtp = title.analysis().rtp
    assert rtp == EXACT[title.code]
    assert f"{float(rtp) * 100:.2f}" == PUBLISHED[title.code]


def _combinations(analysis, lines):
    return [
        sum(analysis.probabilities.get(h, 0) for h in hands) * PUBLISHED_TOTAL for hands in lines
    ]


def test_bonus_poker_matches_the_published_return_table_line_by_line():
    # Wizard of Odds, "8/5 Bonus Poker": combinations per line, total 19,933,230,517,200, return
    # 0.991660. A tie between holds would move counts between lines; there is none that matters.
    analysis = BONUS_POKER.analysis()
    lines = [line.hands for line in BONUS_POKER.paytable.lines]
    assert _combinations(analysis, lines) == [
        495443136, 2129604264, 3903775812, 10509866328, 32688417336, 229516869924,
        216873645000, 223676319912, 1484391167856, 2577523603752, 4290810981444,
    ]  # fmt: skip
    assert round(float(analysis.rtp), 6) == 0.991660


def test_the_engine_reproduces_published_tables_of_other_paytables():
    # 10/7 Double Bonus (Wizard of Odds: 1.001725, combinations per line) and full-pay
    # 25/15/9/5/3/2 Deuces Wild (1.007620): the same engine, pays changed. Full-pay deuces has
    # a hand with two holds of equal value (so only the lines above it are compared).
    fours = (
        _line("Four Aces", 160, Hand.FOUR_ACES, Hand.FOUR_ACES_WITH_2_4),
        _line("Four 2-4", 80, Hand.FOUR_2_4, Hand.FOUR_2_4_WITH_A_4),
        _line("Four 5-K", 50, Hand.FOUR_5_K),
    )
    double_bonus_10_7 = Paytable(
        wild_deuces=False,
        lines=(
            _line("RF", 800, Hand.ROYAL_FLUSH), _line("SF", 50, Hand.STRAIGHT_FLUSH), *fours,
            _line("FH", 10, Hand.FULL_HOUSE), _line("F", 7, Hand.FLUSH),
            _line("S", 5, Hand.STRAIGHT), _line("3K", 3, Hand.THREE_OF_A_KIND),
            _line("2P", 1, Hand.TWO_PAIR), _line("JJ", 1, Hand.JACKS_OR_BETTER),
        ),
    )  # fmt: skip
    analysis = analyse(double_bonus_10_7)
    assert _combinations(analysis, [line.hands for line in double_bonus_10_7.lines]) == [
        414860472, 2254539360, 3962537892, 10446264684, 32045992176, 223050658608,
        298068519408, 299385345432, 1439168246364, 2484844034580, 3834735881328,
    ]  # fmt: skip
    assert round(float(analysis.rtp), 6) == 1.001725
    pays = (800, 200, 25, 15, 9, 5, 3, 2, 2, 1)
    deuces_full_pay = Paytable(
        wild_deuces=True,
        lines=tuple(
            _line(line.name, pay, *line.hands)
            for line, pay in zip(DEUCES_WILD.paytable.lines, pays, strict=True)
        ),
    )
    analysis = analyse(deuces_full_pay)
    assert round(float(analysis.rtp), 6) == 1.007620
    assert _combinations(analysis, [line.hands for line in deuces_full_pay.lines[:4]]) == [
        440202756,
        4060462824,
        35796957696,
        63818309856,
    ]


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_every_title_has_a_par_sheet_in_the_band_with_probabilities_summing_to_one(title):
    outcomes = title.distribution(OPTIMAL)
    sheet = par_sheet(title.code, "strategy=optimal", outcomes)
    low, high = TITLE_RTP_RANGE
    assert sum(o.probability for o in outcomes) == 1
    assert sheet.rtp == title.analysis().rtp
    assert sheet.rtp >= MIN_RTP
    assert low <= sheet.rtp <= high
    assert sheet.max_multiplier == 800
    assert sheet.max_probability > 0
    assert sum(title.analysis().probabilities.values()) == 1
    assert all(p * DEALS * L == int(p * DEALS * L) for p in title.analysis().probabilities.values())
    assert title.configurations() == [OPTIMAL]
    assert (title.mechanic, title.fair_game) == ("video-poker", "deck")


@pytest.mark.parametrize("params", [{}, {"strategy": "basic"}, {"strategy": "optimal", "x": 1}])
def test_the_par_sheet_needs_the_optimal_strategy(params):
    with pytest.raises(InvalidBet) as refused:
        JACKS_OR_BETTER.distribution(params)
    assert refused.value.extra["parameter"] == "strategy"


def _hold_values(title: VideoPoker, dealt: list[int]) -> dict[tuple[int, ...], Fraction]:
    """The expected pay of each of the 32 holds, by enumeration: the mean pay of the hands
    that keep the held cards and none of the others (every draw from the 47 cards left). A
    hand's dealt cards, as a 5-bit pattern of positions, is the hold it can be drawn to."""
    hands = all_hands()
    bit = np.zeros(52, dtype=np.int64)
    bit[dealt] = [1 << p for p in range(5)]
    pattern = np.bitwise_or.reduce(bit[hands], axis=1)
    pays = title.paytable.pay_by_hand()[hand_categories(title.paytable.wild_deuces)]
    paid = np.bincount(pattern, weights=pays, minlength=32)
    draws = np.bincount(pattern, minlength=32)
    assert all(draws[m] == comb(47, 5 - m.bit_count()) for m in range(32))
    return {
        held: Fraction(int(paid[mask]), int(draws[mask]))
        for k in range(6)
        for held in itertools.combinations(range(5), k)
        for mask in [sum(1 << p for p in held)]
    }


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_the_optimal_hold_is_worth_the_most_of_the_32_by_enumeration(title):
    rng = random.Random(title.code)
    for _ in range(10):
        dealt = rng.sample(range(52), 5)
        values = _hold_values(title, dealt)
        top = max(values.values())
        best = tuple(title.best_hold(dealt))
        assert values[best] == top
        # A tie goes to the hold that keeps more cards.
        assert all(len(h) <= len(best) for h, v in values.items() if v == top)


@pytest.mark.parametrize(
    ("title", "dealt", "held"),
    [
        (JACKS_OR_BETTER, "KS QS JS TS 2D", [0, 1, 2, 3]),  # four to a royal
        (JACKS_OR_BETTER, "TS JS QS KS AS", [0, 1, 2, 3, 4]),  # stand pat
        (JACKS_OR_BETTER, "AH 7C AS 3D 9H", [0, 2]),  # the pair of aces
        (JACKS_OR_BETTER, "KS QS JS TS TD", [0, 1, 2, 3]),  # four to a royal over the pair
        (DOUBLE_BONUS_POKER, "AS AD 3C AH 3D", [0, 1, 3]),  # aces full: keep the three aces
        (DEUCES_WILD, "2D 9C 2H 5S KD", [0, 2]),  # two deuces and nothing else
        (DEUCES_WILD, "2D 2H 2S 2C 5D", [0, 1, 2, 3, 4]),  # four deuces stand (tie: keep more)
    ],
)
def test_textbook_holds(title, dealt, held):
    assert title.best_hold(cards(dealt)) == held


# -- rounds --------------------------------------------------------------------------------------


class Dealt:
    """A stream that deals these cards first (numbers chosen so that pick(52 − i) takes each),
    then the rest of the deck in CARDS order."""

    def __init__(self, text: str):
        wanted = [*text.split(), *(c for c in CARDS if c not in text.split())]
        left, self._numbers = list(CARDS), []
        for card in wanted:
            i, n = left.index(card), len(left)
            self._numbers.append(-(-i * NUMBER_RANGE // n))  # the least k with pick(k, n) = i
            left.pop(i)
        self._numbers.reverse()
        self.read = 0

    def next_number(self):
        self.read += 1
        return self._numbers.pop()


def _seeds(rng):
    return RoundSeeds(
        rng.randbytes(32).hex(), f"client-{rng.randrange(10**6)}", rng.randrange(5000)
    )


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_the_deal_and_the_draw_are_the_published_deck_mapping(title):
    rng = random.Random(f"deck:{title.code}")
    for _ in range(150):
        seeds = _seeds(rng)
        opened = title.replay(seeds.stream(), {}, [])
        hold = rng.sample(range(5), rng.randrange(6))
        stream = seeds.stream()
        settled = title.replay(stream, {}, [Action("draw", {"hold": hold})])
        view = settled.view
        drawn = 5 - len(hold)
        assert opened.view["dealt"] == deck_top(seeds, 5) == view["dealt"]
        assert view["cards"] == deck_top(seeds, 5 + drawn) == view["dealt"] + view["drawn"]
        assert stream.cursor == 4 * (5 + drawn)  # nothing read beyond the cards needed
        replacing = iter(view["drawn"])  # the discarded places, left to right
        assert view["hand"] == [
            view["dealt"][p] if p in hold else next(replacing) for p in range(5)
        ]
        assert view["held"] == sorted(hold)
        hand = classify(cards(" ".join(view["hand"])), wild_deuces=title.paytable.wild_deuces)
        assert settled.multiplier == title.multiplier(hand) == Fraction(view["multiplier"])
        assert view["hand_name"] == title.hand_name(hand)


def test_an_open_round_shows_the_deal_the_paytable_and_the_advice_only():
    step = DEUCES_WILD.replay(Dealt("2D 9C 2H 5S KD"), {}, [])
    assert not step.finished
    assert step.allowed == ("draw",)
    assert step.multiplier is None
    assert step.view == {
        "dealt": ["2D", "9C", "2H", "5S", "KD"],
        "paytable": [
            {"hand": "Natural Royal Flush", "pays": 800},
            {"hand": "Four Deuces", "pays": 200},
            {"hand": "Wild Royal Flush", "pays": 25},
            {"hand": "Five of a Kind", "pays": 15},
            {"hand": "Straight Flush", "pays": 9},
            {"hand": "Four of a Kind", "pays": 4},
            {"hand": "Full House", "pays": 4},
            {"hand": "Flush", "pays": 3},
            {"hand": "Straight", "pays": 2},
            {"hand": "Three of a Kind", "pays": 1},
        ],
        "best_hold": [0, 2],
    }


def test_a_drawn_hand_is_settled_and_shown_whole():
    stream = Dealt("AS KS 7D QS 3C JS TS")  # draw to four to a royal: the ten of spades
    step = JACKS_OR_BETTER.replay(stream, {}, [Action("draw", {"hold": [3, 0, 1]})])
    assert step.finished
    assert step.view["held"] == [0, 1, 3]
    assert step.view["drawn"] == ["JS", "TS"]
    assert step.view["hand"] == ["AS", "KS", "JS", "QS", "TS"]
    assert (step.view["hand_name"], step.multiplier) == ("Royal Flush", 800)
    assert stream.read == 7


def test_standing_pat_reads_no_more_cards():
    stream = Dealt("7D 7H 7S KC KD")
    step = JACKS_OR_BETTER.replay(stream, {}, [Action("draw", {"hold": [4, 3, 2, 1, 0]})])
    assert (step.view["hand_name"], step.multiplier, step.view["drawn"]) == ("Full House", 8, [])
    assert stream.read == 5


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        ({}, "hold"),
        ({"hold": None}, "hold"),
        ({"hold": "01"}, "hold"),
        ({"hold": [5]}, "hold"),
        ({"hold": [-1]}, "hold"),
        ({"hold": [0, 0]}, "hold"),
        ({"hold": [True]}, "hold"),
        ({"hold": [1.0]}, "hold"),
        ({"hold": [0, 1, 2, 3, 4, 0]}, "hold"),
        ({"hold": [0], "coins": 5}, "coins"),
    ],
)
def test_a_bad_hold_is_refused_naming_it(args, parameter):
    with pytest.raises(InvalidAction) as refused:
        JACKS_OR_BETTER.replay(Dealt("AS KS 7D QS 3C"), {}, [Action("draw", args)])
    assert refused.value.extra["parameter"] == parameter


@pytest.mark.parametrize(
    "actions",
    [
        [Action("hold", {"hold": [0]})],
        [Action("draw", {"hold": [0]}), Action("draw", {"hold": [1]})],
        [Action("draw", {"hold": []}), Action("cashout")],
    ],
)
def test_only_one_draw_is_open(actions):
    with pytest.raises(InvalidAction) as refused:
        JACKS_OR_BETTER.replay(Dealt("AS KS 7D QS 3C"), {}, actions)
    assert refused.value.extra["action"] == actions[-1].name


@pytest.mark.parametrize("params", [{"coins": 5}, {"strategy": "optimal"}])
def test_bets_take_no_parameters(params):
    assert JACKS_OR_BETTER.check({}) == {}
    with pytest.raises(InvalidBet) as refused:
        JACKS_OR_BETTER.check(params)
    assert refused.value.extra["parameter"] == next(iter(params))


# -- a million seeded rounds per title ----------------------------------------------------------


@cache
def _simulated_decks() -> np.ndarray:
    """The first ten cards of 1,000,000 seeded rounds' decks: each round's stream read as
    PROTOCOLS.md §1 numbers (40 bytes: the deal and up to five draws), mapped by the title's
    deck_cards. Shared by the six titles: reading the streams is the slow part."""
    server_seed, client_seed = simulation_seeds("video-poker:optimal")
    key = check_server_seed(server_seed).encode()
    stream = NumberStream.of_checked
    raw = b"".join(stream(key, client_seed, n).next_bytes(40) for n in range(SIMULATED_ROUNDS))
    numbers = np.frombuffer(raw, dtype=">u4").reshape(SIMULATED_ROUNDS, 10).astype(np.int64)
    return deck_cards(numbers)


def _optimal_rounds(title, decks):
    """What optimal play pays on each deck: the deal, the table's hold, the draw, the hand."""
    dealt = decks[:, :5]
    final = draw(dealt, title.analysis().holds(dealt), decks)
    return hand_categories(title.paytable.wild_deuces)[hand_index(final)]


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_a_million_rounds_of_optimal_play_land_in_the_99_percent_interval(title):
    categories = _optimal_rounds(title, _simulated_decks())
    paid = title.paytable.pay_by_hand()[categories]
    sheet = par_sheet(title.code, "strategy=optimal", title.distribution(OPTIMAL))
    low, high = sheet.rtp_interval(SIMULATED_ROUNDS)
    assert low <= paid.mean() <= high
    # Every category the analysis reaches often enough shows up, none it never reaches does.
    seen = {Hand(c) for c in np.unique(categories)}
    expected = title.analysis().probabilities
    assert seen <= set(expected)
    assert {h for h, p in expected.items() if p > Fraction(1, 50_000)} <= seen


@pytest.mark.parametrize("title", TITLES, ids=lambda t: t.code)
def test_replay_plays_the_simulated_rounds_the_same_way(title):
    # The simulation above uses the functions replay uses, in batches; replay agrees with it
    # round by round (3,500 rounds per title), playing the hold its own view advises.
    server_seed, client_seed = simulation_seeds("video-poker:optimal")
    key = check_server_seed(server_seed).encode()
    decks = _simulated_decks()[:3_500]
    categories = _optimal_rounds(title, decks)
    for nonce, (deck, category) in enumerate(zip(decks, categories, strict=True)):
        opened = title.replay(NumberStream.of_checked(key, client_seed, nonce), {}, [])
        move = Action("draw", {"hold": opened.view["best_hold"]})
        settled = title.replay(NumberStream.of_checked(key, client_seed, nonce), {}, [move])
        assert settled.view["dealt"] == [CARDS[c] for c in deck[:5]]
        assert settled.multiplier == title.multiplier(Hand(int(category)))


# -- through the platform ------------------------------------------------------------------------


def test_a_round_through_the_api_deals_then_draws_and_pays_the_hand(db, clock, player):
    client, view = player
    before = state(db, view)[0]
    _, server_seed, client_seed = active_seeds(db, client)
    opened = client.post(
        "/api/v1/games/deuces-wild/rounds", json={"round_key": "vp1", "stake": UNIT, "params": {}}
    ).json()
    seeds = RoundSeeds(server_seed, client_seed, opened["nonce"])
    hold = opened["outcome"]["best_hold"]
    moved = client.post(
        f"/api/v1/me/rounds/{opened['id']}/actions",
        json={"step": 0, "action": "draw", "args": {"hold": hold}},
    ).json()
    again = client.post(
        f"/api/v1/me/rounds/{opened['id']}/actions",
        json={"step": 1, "action": "draw", "args": {"hold": []}},
    )
    recalled = client.get(f"/api/v1/me/rounds/{opened['id']}").json()

    assert (opened["state"], opened["allowed"], opened["payout"]) == ("open", ["draw"], 0)
    assert opened["outcome"]["dealt"] == deck_top(seeds, 5)
    assert "drawn" not in opened["outcome"]  # the next cards stay unseen while open
    assert moved["state"] == "settled"
    assert moved["outcome"]["cards"] == deck_top(seeds, 10 - len(hold))
    paid = int(UNIT * Fraction(moved["multiplier"]))
    assert moved["payout"] == paid
    assert state(db, view)[0] == before - UNIT + paid
    assert again.status_code == 409
    assert [s["after_actions"] for s in recalled["steps"]] == [0, 1]

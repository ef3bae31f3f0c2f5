"""Three Card Poker: hands ranked as the published rules say, the ante-play and pair plus
returns recomputed by brute force over every deal and matched to the published figures, Q-6-4
confirmed as the best strategy, rounds dealt from the published deck mapping, bad bets and
moves refused, and a million seeded rounds landing in the 99 % interval.

The reference ranks hands with tuples written here from the rules, and counts the dealer hands
against each player hand by brute force (numpy, over all 22,100 hands and a bit mask of the
cards they share), for one player hand of each class under the 24 suit permutations. The title
instead counts with inclusion–exclusion over sorted values.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from functools import cache
from itertools import combinations, permutations

import numpy as np
import pytest

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream, RoundSeeds, deck_top
from croupier.products.rgs.games import three_card_poker as tcp
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.deck import Deck
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds
from tests.products.rgs.games.stacked_deck import stacked, verified_deck

TITLE = tcp.THREE_CARD_POKER
ANTE = {"kind": "ante", "weight": 1}
PAIR_PLUS = {"kind": "pair_plus", "weight": 1}
ANTE_ONLY = {"bets": [ANTE]}
BOTH = {"bets": [ANTE, PAIR_PLUS]}
Q64 = {"strategy": "q64"}
RANKS = "23456789TJQKA"
HANDS = 22_100
DEALER_HANDS = 18_424

# -- an independent reference ---------------------------------------------------------------

HIGH, PAIR, FLUSH, STRAIGHT, TRIPS, STRAIGHT_FLUSH = range(6)
PAIR_PLUS_PAYS = {PAIR: 1, FLUSH: 4, STRAIGHT: 6, TRIPS: 30, STRAIGHT_FLUSH: 40}  # to one
ANTE_BONUS_PAYS = {STRAIGHT: 1, TRIPS: 4, STRAIGHT_FLUSH: 5}


def rank(cards) -> tuple:
    """(kind, tie-breaking ranks) of a hand, compared as tuples: 2 is 0, ace 12."""
    ranks = sorted((RANKS.index(c[0]) for c in cards), reverse=True)
    flush = len({c[1] for c in cards}) == 1
    if len(set(ranks)) == 1:
        return (TRIPS, ranks[0])
    if len(set(ranks)) == 2:
        pair = max(set(ranks), key=ranks.count)
        return (PAIR, pair, min(set(ranks), key=ranks.count))
    if ranks == [12, 1, 0]:  # A-2-3, the lowest straight: the ace plays low
        ranks = [1, 0, -1]
    if ranks[0] - ranks[2] == 2:
        return (STRAIGHT_FLUSH if flush else STRAIGHT, ranks[0])
    return (FLUSH if flush else HIGH, *ranks)


QUEEN_HIGH = rank(["QD", "3H", "2S"])  # the lowest hand that qualifies
QUEEN_SIX_FOUR = rank(["QD", "6H", "4S"])


def settle(player, dealer, decision, ante, pair_plus) -> Fraction:
    """What a round returns per original stake, from the cards alone."""
    p, d = rank(player), rank(dealer)
    returned = Fraction(0)
    if ante and decision == "play":
        # Not qualified: the ante wins 1:1 and the play bet pushes.
        ante_play = 3 if d < QUEEN_HIGH else 4 if p > d else 2 if p == d else 0
        returned += ante * (ante_play + ANTE_BONUS_PAYS.get(p[0], 0))
    if pair_plus and p[0] in PAIR_PLUS_PAYS:
        returned += pair_plus * (1 + PAIR_PLUS_PAYS[p[0]])
    return returned / (ante + pair_plus)


@cache
def _all_hands():
    hands = list(combinations(CARDS, 3))
    ranked = [rank(h) for h in hands]
    order = {r: i for i, r in enumerate(sorted(set(ranked)))}
    values = np.array([order[r] for r in ranked], dtype=np.int64)
    masks = np.array([sum(1 << CARDS.index(c) for c in h) for h in hands], dtype=np.uint64)
    return hands, order, values, masks


def _canonical(hand) -> tuple:
    """The same hand up to a renaming of the suits (suits do not rank)."""
    return min(
        tuple(sorted(c[0] + "DHSC"[perm["DHSC".index(c[1])]] for c in hand))
        for perm in permutations(range(4))
    )


@cache
def brute_force():
    """Per class of player hand (one representative, how many hands it stands for): the
    dealer hands from the other 49 cards that do not qualify, qualify and are below, equal,
    above it, counted one by one."""
    hands, order, values, masks = _all_hands()
    classes: dict[tuple, list] = {}
    for hand in hands:
        key = _canonical(hand)
        if key in classes:
            classes[key][1] += 1
        else:
            classes[key] = [hand, 1]
    qualifies = order[QUEEN_HIGH]
    out = []
    for hand, size in classes.values():
        mask = np.uint64(sum(1 << CARDS.index(c) for c in hand))
        dealer = values[(masks & mask) == 0]
        assert len(dealer) == DEALER_HANDS
        own = order[rank(hand)]
        not_qualified = int((dealer < qualifies).sum())
        live = dealer[dealer >= qualifies]
        below, equal = int((live < own).sum()), int((live == own).sum())
        out.append((hand, size, (not_qualified, below, equal, len(live) - below - equal)))
    assert sum(size for _, size, _ in out) == HANDS
    return out


def _played_return(hand, counts) -> Fraction:
    """Expected return per ante unit of playing ``hand`` (2 units staked)."""
    not_qualified, below, equal, _ = counts
    bonus = ANTE_BONUS_PAYS.get(rank(hand)[0], 0)
    return Fraction(3 * not_qualified + 4 * below + 2 * equal, DEALER_HANDS) + bonus


@cache
def reference_ante():
    """E[returned], E[staked] per ante unit playing Q-6-4 or better, from the brute force."""
    returned = staked = Fraction(0)
    for hand, size, counts in brute_force():
        if rank(hand) >= QUEEN_SIX_FOUR:
            returned += size * _played_return(hand, counts)
            staked += 2 * size
        else:
            staked += size
    return returned / HANDS, staked / HANDS


def _expected(outcomes):
    returned = sum(o.probability * o.returned for o in outcomes)
    staked = sum(o.probability * o.staked for o in outcomes)
    return returned, staked


# -- hands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("higher", "lower"),
    [
        (["AS", "KS", "QS"], ["3D", "2D", "AD"]),  # A-K-Q and A-2-3 straight flushes
        (["3D", "2D", "AD"], ["AC", "AH", "AS"]),  # the lowest straight flush beats trips
        (["2C", "2H", "2S"], ["AS", "KD", "QC"]),  # trips beat the highest straight
        (["3C", "2H", "AS"], ["AH", "KH", "JH"]),  # a straight beats a flush
        (["5H", "3H", "2H"], ["AC", "AD", "KS"]),  # a flush beats a pair
        (["2C", "2D", "3S"], ["AH", "KD", "JC"]),  # a pair beats any high card
        (["KC", "KD", "2S"], ["QC", "QD", "AS"]),  # pairs by their rank first
        (["QC", "QD", "4S"], ["QH", "QS", "3C"]),  # then by the odd card
        (["AC", "6D", "4S"], ["KH", "QS", "9C"]),  # high cards card by card
        (["QC", "6D", "4S"], ["QH", "6S", "3C"]),
        (["4C", "3D", "2S"], ["3H", "2C", "AS"]),  # 2-3-4 beats A-2-3
    ],
)
def test_hands_rank_as_the_published_rules_say(higher, lower):
    assert tcp.hand_value(higher) > tcp.hand_value(lower)
    assert rank(higher) > rank(lower)


@pytest.mark.parametrize(
    ("cards", "kind"),
    [
        (["KS", "AS", "2S"], "flush"),  # K-A-2 does not wrap around
        (["KD", "AC", "2H"], "high_card"),
        (["AH", "2D", "3C"], "straight"),
        (["QD", "KD", "AD"], "straight_flush"),
        (["7S", "7H", "7D"], "three_of_a_kind"),
        (["7S", "2H", "7D"], "pair"),
    ],
)
def test_hand_kinds(cards, kind):
    assert tcp.HANDS[tcp.kind_of(tcp.hand_value(cards))] == kind


def test_suits_never_rank_and_equal_hands_tie():
    assert tcp.hand_value(["AS", "KD", "9C"]) == tcp.hand_value(["AH", "KC", "9D"])
    assert tcp.hand_value(["5H", "5S", "JD"]) == tcp.hand_value(["5C", "5D", "JH"])


def test_the_dealer_qualifies_with_queen_high_or_better():
    assert tcp.hand_value(["QD", "3H", "2S"]) >= tcp.QUALIFIES
    assert tcp.hand_value(["JD", "TH", "8S"]) < tcp.QUALIFIES
    assert tcp.hand_value(["2D", "2H", "3S"]) >= tcp.QUALIFIES
    jack_high = tcp.hand_value(["JD", "TH", "8S"])
    ace_high = tcp.hand_value(["AD", "2H", "5S"])
    assert tcp.ante_play_result(ace_high, jack_high) == "dealer_does_not_qualify"


def test_the_22100_hands_are_the_published_counts():
    counts = Counter(tcp.HANDS[tcp.kind_of(tcp.hand_value(h))] for h in combinations(CARDS, 3))
    assert counts == {
        "straight_flush": 48,
        "three_of_a_kind": 52,
        "straight": 720,
        "flush": 1_096,
        "pair": 3_744,
        "high_card": 16_440,
    }


# -- exact returns -----------------------------------------------------------------------------


def test_the_enumeration_counts_every_dealer_hand_as_brute_force_does():
    hands = combinations(range(52), 3)
    values = {
        frozenset(CARDS[i] for i in h): v for h, v in zip(hands, tcp._player_hands(), strict=True)
    }
    for hand, _, counts in brute_force():
        mine = values[frozenset(hand)]
        assert (mine.not_qualified, mine.below, mine.equal, mine.above) == counts, hand


def test_q64_is_the_best_strategy_for_every_hand():
    for hand, _, counts in brute_force():
        # Playing returns more than folding (which returns 0 and keeps the play bet) exactly
        # when it is worth more than the one unit it stakes.
        assert (_played_return(hand, counts) > 1) == (rank(hand) >= QUEEN_SIX_FOUR), hand
        assert _played_return(hand, counts) != 1
    for hand in tcp._player_hands():
        assert (hand.returned_if_played() > 1) == tcp.plays(hand.value)


def test_ante_and_play_return_what_brute_force_gives_and_the_published_figures():
    returned, staked = reference_ante()
    outcomes = TITLE.round_outcomes({**ANTE_ONLY, **Q64})
    assert sum(o.probability for o in outcomes) == 1
    assert _expected(outcomes) == (returned, staked)
    sheet = par_sheet(TITLE.code, "ante", TITLE.distribution({**ANTE_ONLY, **Q64}))
    assert sheet.rtp == returned / staked == Fraction(33_397_711, 34_084_400)
    # Wizard of Odds: house edge 3.37 % of the ante, element of risk 2.01 % of all staked.
    assert float(staked - returned) == pytest.approx(0.0337, abs=5e-5)
    assert float(1 - sheet.rtp) == pytest.approx(0.0201, abs=5e-5)
    # The top award per unit staked: a straight flush played and won, 4 + a 5:1 bonus on 2.
    assert sheet.max_multiplier == Fraction(4 + 5, 2)


def test_pair_plus_returns_the_original_pay_table_and_its_published_edge():
    returned = sum(
        size * (1 + PAIR_PLUS_PAYS.get(rank(hand)[0], -1)) for hand, size, _ in brute_force()
    )
    sheet = par_sheet(TITLE.code, "pair_plus", TITLE.distribution({"bets": [PAIR_PLUS]}))
    assert sheet.rtp == Fraction(returned, HANDS) == Fraction(21_588, 22_100)
    assert float(1 - sheet.rtp) == pytest.approx(0.0232, abs=5e-5)  # Wizard of Odds: 2.32 %
    assert sheet.max_multiplier == 41
    assert sheet.max_probability == Fraction(48, HANDS)


def test_both_bets_return_their_money_over_all_money_staked():
    ante_returned, ante_staked = reference_ante()
    pair_plus = Fraction(21_588, 22_100)
    outcomes = TITLE.round_outcomes({**BOTH, **Q64})
    # Per original stake, half on each bet; the play bet is half a stake more.
    assert _expected(outcomes) == ((ante_returned + pair_plus) / 2, (ante_staked + 1) / 2)
    sheet = par_sheet(TITLE.code, "both", TITLE.distribution({**BOTH, **Q64}))
    assert sheet.rtp == (ante_returned + pair_plus) / (ante_staked + 1)
    assert sheet.rtp == Fraction(266_422_883, 272_214_600)


def test_every_configuration_meets_the_rtp_rules():
    for config in TITLE.configurations():
        sheet = par_sheet(TITLE.code, "", TITLE.distribution(config))
        assert sheet.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
        assert sheet.max_probability > 0


# -- rounds ------------------------------------------------------------------------------------


def _seeds(rng):
    return RoundSeeds(rng.randbytes(32).hex(), f"c{rng.randrange(10**6)}", rng.randrange(10**6))


def test_rounds_deal_the_published_deck_and_settle_by_the_rules():
    rng = random.Random("three-card-poker")
    seen = Counter()
    for _ in range(1_500):
        seeds = _seeds(rng)
        ante, pair_plus = rng.choice([(1, 0), (0, 1), (1, 1), (3, 2), (1, 7)])
        bets = [
            {"kind": k, "weight": w} for k, w in (("ante", ante), ("pair_plus", pair_plus)) if w
        ]
        params = TITLE.check({"bets": bets})
        deck = deck_top(seeds, 6)
        step = TITLE.replay(NumberStream(seeds), params, [])
        decision = None
        if ante:
            assert not step.finished
            assert step.allowed == ("play", "fold")
            assert step.view == {
                "player": {"cards": deck[:3], "hand": step.view["player"]["hand"]},
                "units_staked": "1",
            }  # the dealer's cards stay hidden
            decision = rng.choice(["play", "fold"])
            step = TITLE.replay(NumberStream(seeds), params, [Action(decision)])
        assert step.finished
        view = step.view
        assert view["cards"] == deck
        assert (view["player"]["cards"], view["dealer"]["cards"]) == (deck[:3], deck[3:])
        assert step.multiplier == settle(deck[:3], deck[3:], decision, ante, pair_plus)
        assert Fraction(view["multiplier"]) == step.multiplier
        played = decision == "play"
        assert Fraction(view["units_staked"]) == (
            Fraction(2 * ante + pair_plus, ante + pair_plus) if played else 1
        )
        seen[view.get("result")] += 1
    assert set(seen) >= {None, "fold", "dealer_does_not_qualify", "win", "lose"}


def test_a_played_straight_wins_the_ante_bonus_even_against_a_better_dealer():
    stream = stacked("4C", "5D", "6S", "KH", "KS", "KD")  # a straight against three kings
    step = TITLE.replay(stream, TITLE.check(ANTE_ONLY), [Action("play")])
    assert step.view["result"] == "lose"
    assert step.view["ante_bonus"] == 1
    assert step.multiplier == 1  # both bets lost, the bonus paid 1:1 on the ante
    assert step.view["units_staked"] == "2"


def test_a_dealer_who_does_not_qualify_pays_the_ante_and_pushes_the_play_bet():
    stream = stacked("2C", "2D", "7S", "JH", "9S", "4D")
    step = TITLE.replay(stream, TITLE.check(ANTE_ONLY), [Action("play")])
    dealer = {"cards": ["JH", "9S", "4D"], "hand": "high_card", "qualifies": False}
    assert step.view["dealer"] == dealer
    assert step.view["result"] == "dealer_does_not_qualify"
    assert step.multiplier == 3


def test_a_fold_loses_the_ante_and_still_settles_pair_plus():
    stream = stacked("2C", "7C", "9C", "AH", "AS", "4D")  # a flush, folded
    params = TITLE.check(
        {"bets": [{"kind": "ante", "weight": 1}, {"kind": "pair_plus", "weight": 3}]}
    )
    step = TITLE.replay(stream, params, [Action("fold")])
    assert step.view["result"] == "fold"
    assert step.view["pair_plus_returned"] == 5  # 4:1
    assert step.view["units_staked"] == "1"
    assert step.multiplier == Fraction(3 * 5, 4)


def test_pair_plus_alone_settles_at_the_deal():
    stream = stacked("QC", "QD", "QS", "2H", "3H", "4H")
    step = TITLE.replay(stream, TITLE.check({"bets": [PAIR_PLUS]}), [])
    assert step.finished
    assert "result" not in step.view
    assert step.multiplier == 31
    assert step.view["decision"] is None


# -- refused bets and moves --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"bets": []}, "bets"),
        ({"bets": [{"kind": "play"}]}, "bets"),
        ({"bets": [ANTE, ANTE]}, "bets"),
        ({"bets": [{"kind": "ante", "weight": 0}]}, "bets"),
        ({"bets": [{"kind": "ante", "weight": True}]}, "bets"),
        ({"bets": [ANTE], "strategy": "q64"}, "strategy"),
        ({"bets": [ANTE], "pair_plus": 1}, "pair_plus"),
    ],
)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_parameter(params, parameter):
    with pytest.raises(InvalidBet) as refused:
        TITLE.check(params)
    assert refused.value.extra["parameter"] == parameter


def test_without_bets_the_round_is_the_ante_alone():
    assert TITLE.check({}) == {"bets": [ANTE]}


@pytest.mark.parametrize(
    "config",
    [ANTE_ONLY, {**ANTE_ONLY, "strategy": "always"}, {"bets": [PAIR_PLUS], **Q64}],
)
def test_a_configuration_without_its_strategy_is_refused(config):
    with pytest.raises(InvalidBet) as refused:
        TITLE.distribution(config)
    assert refused.value.extra["parameter"] == "strategy"


@pytest.mark.parametrize(
    ("params", "moves", "named"),
    [
        (ANTE_ONLY, [("raise",)], {"action": "raise"}),
        (ANTE_ONLY, [("play", {"units": 2})], {"parameter": "units"}),
        (ANTE_ONLY, [("play",), ("play",)], {"action": "play"}),
        (ANTE_ONLY, [("fold",), ("play",)], {"action": "play"}),
        ({"bets": [PAIR_PLUS]}, [("fold",)], {"action": "fold"}),
    ],
)
def test_a_move_that_is_not_open_is_refused(params, moves, named):
    seeds = RoundSeeds("ab" * 32, "c", 0)
    with pytest.raises(InvalidAction) as refused:
        TITLE.replay(NumberStream(seeds), TITLE.check(params), [Action(*m) for m in moves])
    for key, value in named.items():
        assert refused.value.extra[key] == value


def test_croupier_fair_verify_deck_prints_the_rounds_cards():
    rng = random.Random("three-card-poker:verify")
    for _ in range(20):
        seeds = _seeds(rng)
        step = TITLE.replay(NumberStream(seeds), TITLE.check({}), [Action("fold")])
        assert step.view["cards"] == verified_deck(seeds, 6)


def test_the_title_reads_the_deck_mapping():
    assert [(t.code, t.mechanic, t.fair_game) for t in tcp.TITLES] == [
        ("three-card-poker", "three-card-poker", "deck")
    ]


# -- a million rounds --------------------------------------------------------------------------


def test_a_million_rounds_of_q64_with_pair_plus_land_in_the_99_percent_interval():
    # The player's side reads their three cards off the deck (the published mapping), plays
    # Q-6-4 or better; the title replays the move.
    config = {**BOTH, **Q64}
    params = TITLE.check(BOTH)
    sheet = par_sheet(TITLE.code, "", TITLE.distribution(config))
    server_seed, client_seed = simulation_seeds("three-card-poker:q64:both")
    key = server_seed.encode()
    stream = NumberStream.of_checked
    play, fold = [Action("play")], [Action("fold")]
    rounds = 1_000_000
    counts: Counter[tuple[str, str]] = Counter()
    for nonce in range(rounds):
        cards = Deck(stream(key, client_seed, nonce)).deal_many(3)
        move = play if tcp.plays(tcp.hand_value(cards)) else fold
        view = TITLE.replay(stream(key, client_seed, nonce), params, move).view
        counts[view["multiplier"], view["units_staked"]] += 1
    returned = sum(Fraction(m) * n for (m, _), n in counts.items())
    staked = sum(Fraction(u) * n for (_, u), n in counts.items())
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(returned / staked) <= high

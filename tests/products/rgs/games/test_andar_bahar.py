"""Andar Bahar (one deck, Andar dealt first): the chance of each length of deal by brute force
over where the joker's three other cards lie and by the closed form, every bet's exact return
and the published figures, rounds dealt from the published deck mapping, refused bets, and a
million seeded rounds in the 99 % interval.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from itertools import combinations
from math import comb

import pytest

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream, RoundSeeds, deck_top
from croupier.products.rgs.games import andar_bahar
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate
from tests.products.rgs.games.stacked_deck import stacked, verified_deck

TITLE = andar_bahar.ANDAR_BAHAR
# kind: (first and last card count that wins, what one unit returns), from the rules.
COUNTS = {
    "cards_1_5": (1, 5, Fraction(7, 2)),
    "cards_6_10": (6, 10, Fraction(9, 2)),
    "cards_11_15": (11, 15, Fraction(11, 2)),
    "cards_16_25": (16, 25, Fraction(9, 2)),
    "cards_26_30": (26, 30, Fraction(15)),
    "cards_31_35": (31, 35, Fraction(25)),
    "cards_36_40": (36, 40, Fraction(50)),
    "cards_41_49": (41, 49, Fraction(120)),
}
RTPS = {
    "andar": Fraction(8_151, 8_330),
    "bahar": Fraction(808, 833),
    "cards_1_5": Fraction(1_129, 1_190),
    "cards_6_10": Fraction(4_068, 4_165),
    "cards_11_15": Fraction(3_872, 4_165),
    "cards_16_25": Fraction(4_086, 4_165),
    "cards_26_30": Fraction(762, 833),
    "cards_31_35": Fraction(110, 119),
    "cards_36_40": Fraction(790, 833),
    "cards_41_49": Fraction(792, 833),
}


def reference_returns(kind: str, dealt: int) -> Fraction:
    """What one unit on ``kind`` returns when the match is card ``dealt`` after the joker."""
    if kind == "andar":
        return Fraction(19, 10) if dealt % 2 == 1 else Fraction(0)
    if kind == "bahar":
        return Fraction(2) if dealt % 2 == 0 else Fraction(0)
    first, last, returns = COUNTS[kind]
    return returns if first <= dealt <= last else Fraction(0)


def _brute_force_lengths() -> dict[int, Fraction]:
    """Where the first of the three cards of the joker's rank lies among the 51 after it,
    over every placement of the three (all equally likely)."""
    placements = list(combinations(range(1, 52), 3))
    firsts = Counter(min(p) for p in placements)
    return {n: Fraction(k, len(placements)) for n, k in firsts.items()}


# -- exact returns -----------------------------------------------------------------------------


def test_the_length_of_a_deal_by_dynamic_programming_is_brute_force_and_the_closed_form():
    chances = andar_bahar.match_chances()
    lengths = _brute_force_lengths()
    assert max(lengths) == 49
    assert {n: p for n, p in enumerate(chances) if p} == lengths
    assert all(chances[n] == Fraction(comb(51 - n, 2), comb(51, 3)) for n in range(1, 50))


def test_andar_dealt_first_wins_about_51_5_percent():
    andar = sum(p for n, p in _brute_force_lengths().items() if n % 2)
    assert andar == Fraction(10_725, 20_825)
    assert float(andar) == pytest.approx(0.515, abs=5e-4)  # published: about 51.5 %


@pytest.mark.parametrize("kind", andar_bahar.KINDS)
def test_every_bet_returns_what_the_rules_give_by_hand(kind):
    by_hand = sum(p * reference_returns(kind, n) for n, p in _brute_force_lengths().items())
    sheet = par_sheet(TITLE.code, kind, TITLE.distribution(TITLE.check({"bets": [{"kind": kind}]})))
    assert sheet.rtp == by_hand == RTPS[kind]
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    assert sheet.max_probability > 0


def test_the_published_house_edges_of_andar_and_bahar():
    assert float(1 - RTPS["andar"]) == pytest.approx(0.0215, abs=5e-5)  # Andar 0.9:1: 2.15 %
    assert float(1 - RTPS["bahar"]) == pytest.approx(0.0300, abs=5e-5)  # Bahar 1:1: 3.00 %


def test_a_mixture_of_bets_returns_the_weighted_mean_of_their_returns():
    weights = {"bahar": 3, "cards_41_49": 1, "andar": 2}
    bets = [{"kind": kind, "weight": weight} for kind, weight in weights.items()]
    sheet = par_sheet(TITLE.code, "mix", TITLE.distribution(TITLE.check({"bets": bets})))
    assert sheet.rtp == sum(b["weight"] * RTPS[b["kind"]] for b in bets) / 6
    assert sheet.max_multiplier == Fraction(3 * 2 + 120, 6)  # Bahar and 41+ together: 21


def test_every_configuration_is_one_bet_of_each_kind():
    assert [c["bets"][0]["kind"] for c in TITLE.configurations()] == list(andar_bahar.KINDS)
    assert len(andar_bahar.KINDS) == 10


# -- rounds ------------------------------------------------------------------------------------


def _rank(card):
    return card[0]


def test_rounds_deal_the_published_deck_and_settle_by_the_rules():
    rng = random.Random("andar-bahar")
    bets = [{"kind": kind, "weight": rng.randrange(1, 5)} for kind in andar_bahar.KINDS]
    params = TITLE.check({"bets": bets})
    stake = sum(b["weight"] for b in params["bets"])
    winners = Counter()
    for _ in range(3_000):
        seeds = RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))
        play = TITLE.play(NumberStream(seeds), params)
        outcome = play.outcome
        cards = outcome["cards"]
        assert cards == deck_top(seeds, len(cards))
        joker, after = cards[0], cards[1:]
        assert outcome["joker"] == joker
        assert [_rank(c) for c in after[:-1]].count(_rank(joker)) == 0
        assert _rank(after[-1]) == _rank(joker)
        assert outcome["andar"] == after[0::2]  # Andar takes the 1st, 3rd, … card
        assert outcome["bahar"] == after[1::2]
        dealt = len(after)
        assert outcome["dealt"] == dealt
        assert outcome["winner"] == ("andar" if dealt % 2 else "bahar")
        paid = sum(b["weight"] * reference_returns(b["kind"], dealt) for b in params["bets"])
        assert play.multiplier == paid / stake
        winners[outcome["winner"]] += 1
    assert set(winners) == {"andar", "bahar"}


def test_the_first_card_of_the_jokers_rank_ends_the_round_whatever_its_suit():
    play = TITLE.play(stacked("7H", "7C"), TITLE.check({"bets": [{"kind": "andar"}]}))
    assert (play.outcome["winner"], play.outcome["dealt"]) == ("andar", 1)
    assert play.multiplier == Fraction(19, 10)


def test_the_longest_deal_is_49_cards_and_pays_the_top_side_bet():
    others = [c for c in CARDS if c[0] != "7"]
    deal = ["7H", *others, "7C"]  # every other card before the second 7
    params = TITLE.check({"bets": [{"kind": "cards_41_49"}]})
    play = TITLE.play(stacked(*deal[:50]), params)
    assert play.outcome["dealt"] == 49
    assert play.outcome["winner"] == "andar"
    assert play.multiplier == 120


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "bets"),
        ({"bets": [{"kind": "joker"}]}, "bets"),
        ({"bets": [{"kind": "andar"}, {"kind": "andar"}]}, "bets"),
        ({"bets": [{"kind": "andar", "weight": 1001}]}, "bets"),
        ({"bets": [{"kind": "andar", "odds": "0.95"}]}, "bets"),
        ({"bets": [{"kind": "andar"}], "first": "bahar"}, "first"),
    ],
)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_parameter(params, parameter):
    with pytest.raises(InvalidBet) as refused:
        TITLE.check(params)
    assert refused.value.extra["parameter"] == parameter


def test_croupier_fair_verify_deck_prints_the_rounds_cards():
    rng = random.Random("andar-bahar:verify")
    params = TITLE.check({"bets": [{"kind": "andar"}]})
    for _ in range(20):
        seeds = RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))
        cards = TITLE.play(NumberStream(seeds), params).outcome["cards"]
        assert cards == verified_deck(seeds, len(cards))


def test_the_title_reads_the_deck_mapping():
    assert [(t.code, t.mechanic, t.fair_game) for t in andar_bahar.TITLES] == [
        ("andar-bahar", "andar-bahar", "deck")
    ]


# -- a million rounds --------------------------------------------------------------------------


def test_a_million_rounds_of_every_bet_land_in_the_99_percent_interval():
    params = TITLE.check({"bets": [{"kind": kind} for kind in andar_bahar.KINDS]})
    sheet = par_sheet(TITLE.code, "", TITLE.distribution(params))
    result = simulate(TITLE, params, 1_000_000, top=sheet.max_multiplier)
    low, high = sheet.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.top_awards > 0

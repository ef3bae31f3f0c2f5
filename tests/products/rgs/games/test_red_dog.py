"""Red Dog: spreads and pays as the published rules say, the exact returns recomputed by brute
force over every ordered deal of three cards and matched to the published one-deck house edge,
raising from a spread of 7 confirmed as the best strategy, rounds dealt from the published deck
mapping, bad bets and moves refused, and a million seeded rounds in the 99 % interval.

The reference settles each of the 52 · 51 · 50 ordered deals of three distinct cards (the third
is not dealt after consecutive cards, which changes nothing: each is as likely), from the rules
written out again here; the title computes by ranks and chances.
"""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction
from functools import cache
from itertools import permutations

import pytest

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, NumberStream, RoundSeeds, deck_top
from croupier.products.rgs.games import red_dog
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.deck import Deck
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds
from tests.products.rgs.games.stacked_deck import stacked, verified_deck

TITLE = red_dog.RED_DOG
PAR = {"raise_from": 7}
RANKS = "23456789TJQKA"
PAYS = {1: 5, 2: 4, 3: 2}  # to one; 1:1 from a spread of 4


def _rank(card):
    return RANKS.index(card[0])


def reference_round(cards, raise_from) -> tuple[int, Fraction, int]:
    """(cards dealt, returned, units staked) for a round dealt from ``cards`` in order."""
    a, b = _rank(cards[0]), _rank(cards[1])
    if a == b:
        return 3, Fraction(12 if _rank(cards[2]) == a else 1), 1
    if abs(a - b) == 1:
        return 2, Fraction(1), 1
    spread = abs(a - b) - 1
    units = 2 if spread >= raise_from else 1
    if min(a, b) < _rank(cards[2]) < max(a, b):
        return 3, Fraction(units * (PAYS.get(spread, 1) + 1)), units
    return 3, Fraction(0), units


@cache
def brute_force(raise_from) -> Counter:
    """(returned, staked) → how many of the 132,600 ordered deals end so."""
    return Counter(reference_round(d, raise_from)[1:] for d in permutations(CARDS, 3))


def _expected(outcomes):
    return (
        sum(o.probability * o.returned for o in outcomes),
        sum(o.probability * o.staked for o in outcomes),
    )


# -- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "spread", "pays"),
    [
        ("2S", "AD", 11, 1),
        ("AD", "2S", 11, 1),
        ("5C", "TH", 4, 1),
        ("5C", "9H", 3, 2),
        ("5C", "8H", 2, 4),
        ("5C", "7H", 1, 5),
        ("KC", "AH", 0, None),  # consecutive: a push
        ("6C", "7D", 0, None),
        ("9C", "9D", None, None),  # a pair
    ],
)
def test_spreads_and_their_pays(first, second, spread, pays):
    assert red_dog.spread_of(_rank(first), _rank(second)) == spread
    if pays is not None:
        assert red_dog.pays(spread) == pays


def test_a_card_equal_to_either_end_loses():
    assert red_dog.between(3, 9, 5)
    assert not red_dog.between(3, 9, 3)
    assert not red_dog.between(3, 9, 9)
    assert not red_dog.between(9, 3, 10)


# -- exact returns -----------------------------------------------------------------------------


@pytest.mark.parametrize("raise_from", [1, 4, 7, 8, 12])
def test_the_distribution_is_brute_force_over_every_deal(raise_from):
    counts = brute_force(raise_from)
    deals = sum(counts.values())
    assert deals == 52 * 51 * 50
    expected = {key: Fraction(n, deals) for key, n in counts.items()}
    outcomes = TITLE.round_outcomes({"raise_from": raise_from})
    assert {(o.returned, o.staked): o.probability for o in outcomes} == expected


def test_raising_from_7_loses_the_published_one_deck_house_edge_and_is_the_best():
    losses = {}
    for raise_from in range(1, 13):
        returned, staked = _expected(TITLE.round_outcomes({"raise_from": raise_from}))
        losses[raise_from] = staked - returned
    assert min(losses, key=losses.get) == 7
    assert losses[7] == Fraction(523, 16_575)
    assert float(losses[7]) == pytest.approx(0.03155, abs=5e-6)  # published: 3.155 % one deck
    # Raising adds the raise's own expected win, 4s/50 · (pays + 1) − 1: positive from 7.
    for spread in range(1, 12):
        gain = Fraction(4 * spread, 50) * (PAYS.get(spread, 1) + 1) - 1
        assert (gain > 0) == (spread >= 7)


def test_the_par_rtp_is_returned_over_staked():
    outcomes = TITLE.round_outcomes(PAR)
    returned, staked = _expected(outcomes)
    assert (returned, staked) == (Fraction(19_052, 16_575), Fraction(261, 221))
    sheet = par_sheet(TITLE.code, "raise_from=7", TITLE.distribution(PAR))
    assert sheet.rtp == returned / staked == Fraction(19_052, 19_575)
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    assert sheet.max_multiplier == 12  # three of a kind, one unit staked
    assert sheet.max_probability > 0
    never = par_sheet(TITLE.code, "never", TITLE.distribution({"raise_from": 12}))
    assert never.rtp == Fraction(15_052, 16_575)
    assert TITLE.configurations() == [PAR]


# -- rounds ------------------------------------------------------------------------------------


def _seeds(rng):
    return RoundSeeds(rng.randbytes(32).hex(), f"c{rng.randrange(10**6)}", rng.randrange(10**6))


def test_rounds_deal_the_published_deck_and_settle_by_the_rules():
    rng = random.Random("red-dog")
    results = Counter()
    for _ in range(3_000):
        seeds = _seeds(rng)
        deck = deck_top(seeds, 3)
        step = TITLE.replay(NumberStream(seeds), {}, [])
        raise_from = 12
        if not step.finished:
            assert step.allowed == ("raise", "call")
            assert step.view["cards"] == deck[:2]  # the third card is not dealt yet
            assert step.view["units_staked"] == "1"
            assert "multiplier" not in step.view
            move = rng.choice(["raise", "call"])
            raise_from = 1 if move == "raise" else 12
            step = TITLE.replay(NumberStream(seeds), {}, [Action(move)])
        dealt, returned, units = reference_round(deck, raise_from)
        assert step.finished
        assert step.view["cards"] == deck[:dealt]
        assert step.multiplier == returned == Fraction(step.view["multiplier"])
        assert step.view["units_staked"] == str(units)
        results[step.view["result"]] += 1
    assert set(results) == {"consecutive", "pair", "three_of_a_kind", "win", "lose"}


def test_three_of_a_kind_pays_eleven_to_one_at_the_deal():
    step = TITLE.replay(stacked("8C", "8D", "8S"), {}, [])
    assert step.finished
    assert (step.view["result"], step.multiplier) == ("three_of_a_kind", 12)


def test_consecutive_cards_push_without_a_third_card():
    step = TITLE.replay(stacked("QC", "KD"), {}, [])
    assert step.view["result"] == "consecutive"
    assert step.multiplier == 1
    assert step.view["cards"] == ["QC", "KD"]


def test_a_raise_doubles_what_is_staked_and_what_is_won():
    won = TITLE.replay(stacked("2C", "AD", "7S"), {}, [Action("raise")])
    lost = TITLE.replay(stacked("2C", "AD", "AS"), {}, [Action("raise")])
    narrow = TITLE.replay(stacked("5C", "7D", "6S"), {}, [Action("call")])
    assert (won.multiplier, won.view["units_staked"], won.view["raised"]) == (4, "2", True)
    assert (lost.multiplier, lost.view["units_staked"], lost.view["result"]) == (0, "2", "lose")
    assert (narrow.multiplier, narrow.view["pays"]) == (6, "5:1")


# -- refused bets and moves --------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"raise": True}, {"decks": 6}, {"raise_from": 7}])
def test_bets_take_no_parameters(params):
    assert TITLE.check({}) == {}
    with pytest.raises(InvalidBet) as refused:
        TITLE.check(params)
    assert refused.value.extra["parameter"] == next(iter(params))


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"raise_from": 0},
        {"raise_from": 13},
        {"raise_from": "7"},
        {"raise_from": True},
        {"raise_from": 7, "x": 1},
    ],
)
def test_an_unknown_strategy_is_refused(config):
    with pytest.raises(InvalidBet) as refused:
        TITLE.distribution(config)
    assert refused.value.extra["parameter"] == "raise_from"


@pytest.mark.parametrize(
    ("cards", "moves", "named"),
    [
        (("2C", "AD"), [("double",)], {"action": "double"}),
        (("2C", "AD"), [("raise", {"units": 2})], {"parameter": "units"}),
        (("2C", "AD"), [("call",), ("raise",)], {"action": "raise"}),
        (("QC", "KD"), [("call",)], {"action": "call"}),  # consecutive: over at the deal
        (("8C", "8D"), [("raise",)], {"action": "raise"}),  # a pair: over at the deal
    ],
)
def test_a_move_that_is_not_open_is_refused(cards, moves, named):
    with pytest.raises(InvalidAction) as refused:
        TITLE.replay(stacked(*cards), {}, [Action(*m) for m in moves])
    for key, value in named.items():
        assert refused.value.extra[key] == value


def test_croupier_fair_verify_deck_prints_the_rounds_cards():
    rng = random.Random("red-dog:verify")
    for _ in range(20):
        seeds = _seeds(rng)
        step = TITLE.replay(NumberStream(seeds), {}, [])
        if not step.finished:
            step = TITLE.replay(NumberStream(seeds), {}, [Action("call")])
        cards = step.view["cards"]
        assert cards == verified_deck(seeds, len(cards))


def test_the_title_reads_the_deck_mapping():
    assert [(t.code, t.mechanic, t.fair_game) for t in red_dog.TITLES] == [
        ("red-dog", "red-dog", "deck")
    ]


# -- a million rounds --------------------------------------------------------------------------


def test_a_million_rounds_raising_from_7_land_in_the_99_percent_interval():
    # The player's side reads the two cards off the deck (the published mapping) and raises
    # on a spread of 7 or more; the title replays the round with that move.
    sheet = par_sheet(TITLE.code, "", TITLE.distribution(PAR))
    server_seed, client_seed = simulation_seeds("red-dog:raise_from=7")
    key = server_seed.encode()
    stream = NumberStream.of_checked
    raise_, call = [Action("raise")], [Action("call")]
    rounds = 1_000_000
    counts: Counter[tuple[str, str]] = Counter()
    for nonce in range(rounds):
        first, second = Deck(stream(key, client_seed, nonce)).deal_many(2)
        gap = abs(_rank(first) - _rank(second))
        move = [] if gap <= 1 else raise_ if gap - 1 >= 7 else call
        view = TITLE.replay(stream(key, client_seed, nonce), {}, move).view
        counts[view["multiplier"], view["units_staked"]] += 1
    returned = sum(Fraction(m) * n for (m, _), n in counts.items())
    staked = sum(Fraction(u) * n for (_, u), n in counts.items())
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(returned / staked) <= high

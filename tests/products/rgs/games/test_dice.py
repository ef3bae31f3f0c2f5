"""Dice: every target returns exactly 99 %, play() reads the dice mapping of PROTOCOLS.md §1,
and a million seeded rounds land inside the 99 % interval of the theoretical RTP."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds, dice_roll
from croupier.products.rgs.games.dice import Dice
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

DICE = Dice()


@pytest.mark.parametrize("params", DICE.configurations())
def test_every_configuration_returns_exactly_99_percent(params):
    # By hand: the bet wins on w of 10,001 values and pays 0.99 * 10001 / w.
    w = params["target"] if params["direction"] == "under" else 10_000 - params["target"]
    by_hand = Fraction(w, 10_001) * Fraction(99, 100) * Fraction(10_001, w)
    sheet = par_sheet("dice", "", DICE.distribution(params))
    assert sheet.rtp == by_hand == Fraction(99, 100)
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    assert sheet.max_probability > 0  # the top award can be won


def test_play_reads_the_published_dice_mapping():
    rng = random.Random(11)
    params = DICE.check({"target": 3333, "direction": "over"})
    for _ in range(300):
        seeds = RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))
        play = DICE.play(NumberStream(seeds), params)
        roll = dice_roll(seeds)
        assert play.outcome == {"roll": roll / 100}
        assert (play.multiplier > 0) == (roll > 3333)


def test_a_million_rounds_land_in_the_99_percent_interval():
    params = DICE.check({"target": 5000, "direction": "under"})
    sheet = par_sheet("dice", "", DICE.distribution(params))
    result = simulate(DICE, params, 1_000_000)
    low, high = sheet.rtp_interval(result.rounds)
    assert low <= result.rtp <= high


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"target": 99, "direction": "under"}, "target"),
        ({"target": 9801, "direction": "under"}, "target"),
        ({"target": 9901, "direction": "over"}, "target"),
        ({"target": 10_001, "direction": "under"}, "target"),
        ({"target": 50.5, "direction": "under"}, "target"),
        ({"target": True, "direction": "under"}, "target"),
        ({"target": 5000, "direction": "up"}, "direction"),
    ],
)
def test_bad_bets_are_refused_naming_the_parameter(params, parameter):
    with pytest.raises(InvalidBet) as refused:
        DICE.check(params)
    assert refused.value.extra["parameter"] == parameter

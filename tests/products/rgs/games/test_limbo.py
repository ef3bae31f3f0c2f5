"""Limbo: the exact win probability of every target, rounds played from the provably fair
stream, and the targets refused.

The module counts the winning numbers with a closed form. Here they are counted two other
ways: by brute force over a scaled-down copy of the mapping (every number of a 2^12 range,
which proves the boundary logic of the closed form: the floor, ``k = 0``, the 1.00x floor), and
over the real 2^32 range by bisection on ``fair.limbo_multiplier_for`` itself, which never
decreases as ``k`` falls.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import RoundSeeds
from croupier.products.rgs.games import limbo
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

LIMBO = limbo.LIMBO
targets = st.integers(min_value=101, max_value=100_000_000)


# -- the count of winning numbers, three ways ------------------------------------------------


def _scaled_multiplier(k: int, numbers: int) -> int:
    """PROTOCOLS.md §1's limbo mapping over ``numbers`` numbers instead of 2^32."""
    return 99 * numbers if k == 0 else max(100, (99 * numbers) // k)


def _closed_form(target: int, numbers: int) -> int:
    return 1 + (99 * numbers) // target


def _bisected_count(target: int) -> int:
    """How many k in 0 … 2^32 − 1 reach ``target``: the mapping never increases with k, so
    the winners are 0 … last, where last is found by bisection on the real mapping."""
    low, high = 0, 2**32 - 1  # k = 0 wins (the maximum), k = 2^32 − 1 gives 1.00x and loses
    assert fair.limbo_multiplier_for(low) >= target > fair.limbo_multiplier_for(high)
    while high - low > 1:
        middle = (low + high) // 2
        if fair.limbo_multiplier_for(middle) >= target:
            low = middle
        else:
            high = middle
    return low + 1


def test_the_closed_form_counts_exactly_the_winning_numbers_of_a_scaled_down_mapping():
    numbers = 2**12
    top = 99 * numbers
    # How many numbers give each multiplier, then how many give at least it: every number
    # counted once, for every target from 1.01x up to the largest value (k = 0's).
    at = [0] * (top + 1)
    for k in range(numbers):
        at[_scaled_multiplier(k, numbers)] += 1
    at_least = 0
    for target in range(top, 100, -1):
        at_least += at[target]
        assert _closed_form(target, numbers) == at_least, target


def test_every_target_lies_below_the_multiplier_of_number_zero():
    # The closed form counts k = 0 as a winner, which holds for targets up to its multiplier.
    assert limbo.MAX_TARGET < fair.limbo_multiplier_for(0) == fair.LIMBO_MAX_MULTIPLIER


@given(target=targets)
def test_the_winning_numbers_are_those_the_real_mapping_gives_by_bisection(target):
    assert limbo.winning_numbers(target) == _bisected_count(target)


@pytest.mark.parametrize("target", [101, 199, 200, 201, 1_000, 4_294_967, 99_999_999, 100_000_000])
def test_the_last_winning_number_reaches_the_target_and_the_next_one_does_not(target):
    last = limbo.winning_numbers(target) - 1
    assert fair.limbo_multiplier_for(last) >= target
    assert fair.limbo_multiplier_for(last + 1) < target
    assert fair.limbo_multiplier_for(0) >= target


@given(k=st.integers(min_value=0, max_value=2**32 - 2))
def test_the_mapping_never_grows_as_the_number_grows(k):
    assert fair.limbo_multiplier_for(k) >= fair.limbo_multiplier_for(k + 1)


# -- exact returns ---------------------------------------------------------------------------


def _rtp(target: int) -> Fraction:
    config = LIMBO.check({"target": target})
    return par_sheet("limbo", str(config), LIMBO.distribution(config)).rtp


def test_the_rtp_of_some_targets_worked_out_by_hand():
    # 99 · 2^32 = 425,201,762,304.
    # 2.00x: 425,201,762,304 / 200 = 2,126,008,811.52 → 2,126,008,811 numbers 1 … that, and 0.
    assert _rtp(200) == Fraction(2_126_008_812, 2**32) * 2
    assert _rtp(200) == Fraction(531_502_203, 536_870_912)
    # 1.01x: / 101 = 4,209,918,438.65… → 4,209,918,439 winners of 2^32.
    assert _rtp(101) == Fraction(4_209_918_439, 2**32) * Fraction(101, 100)
    # 1,000,000x: / 10^8 = 4,252.017… → 4,253 winners (k = 0 among them).
    assert _rtp(100_000_000) == Fraction(4_253, 2**32) * 1_000_000
    assert float(_rtp(100_000_000)) == pytest.approx(0.990229, abs=1e-6)
    # 10x divides evenly into neither: / 1000 = 425,201,762.304 → 425,201,763 winners.
    assert _rtp(1_000) == Fraction(425_201_763, 2**32) * 10


@given(target=targets)
def test_every_target_returns_99_percent_plus_at_most_one_numbers_worth(target):
    rtp = _rtp(target)
    assert Fraction(99, 100) < rtp <= Fraction(99, 100) + Fraction(target, 100 * 2**32)


def test_every_configuration_returns_at_least_75_percent_and_its_top_award_can_be_won():
    configurations = LIMBO.configurations()
    assert {c["target"] for c in configurations} >= {101, 200, 100_000_000}
    for config in configurations:
        par = par_sheet("limbo", str(config), LIMBO.distribution(config))
        assert par.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= par.rtp <= TITLE_RTP_RANGE[1]
        assert par.max_multiplier == Fraction(config["target"], 100)
        assert par.max_probability == Fraction(_bisected_count(config["target"]), 2**32)
        assert par.max_probability > 0
        assert par.exact


# -- rounds ----------------------------------------------------------------------------------


class _OneNumber:
    """A stream that yields one chosen number, to play the boundary rounds."""

    def __init__(self, k: int) -> None:
        self.k = k

    def next_number(self) -> int:
        return self.k


@pytest.mark.parametrize("target", [101, 200, 777, 100_000_000])
def test_a_round_wins_on_the_last_winning_number_and_loses_on_the_next(target):
    config = LIMBO.check({"target": target})
    last = _bisected_count(target) - 1
    assert LIMBO.play(_OneNumber(last), config).multiplier == Fraction(target, 100)
    assert LIMBO.play(_OneNumber(last + 1), config).multiplier == 0
    top = LIMBO.play(_OneNumber(0), config)
    assert top.multiplier == Fraction(target, 100)
    assert top.outcome == {"multiplier": fair.LIMBO_MAX_MULTIPLIER / 100}


def test_play_shows_the_provably_fair_multiplier_and_pays_the_target_when_reached():
    rng = random.Random("limbo:play")
    wins = 0
    for _ in range(500):
        target = rng.choice([101, 150, 200, 333, 1_000, 5_000])
        seeds = RoundSeeds(rng.randbytes(32).hex(), "player", rng.randrange(10**12))
        shown = fair.limbo_multiplier(seeds)
        play = LIMBO.play(seeds.stream(), LIMBO.check({"target": target}))
        assert play.outcome == {"multiplier": shown / 100}
        assert play.outcome == fair.verify_outcome(
            "limbo", seeds.server_seed, "player", seeds.nonce
        )
        assert play.multiplier == (Fraction(target, 100) if shown >= target else 0)
        wins += play.multiplier > 0
    assert 0 < wins < 500


def test_a_target_always_pays_the_same_shared_multiplier_object():
    config = LIMBO.check({"target": 250})
    first = LIMBO.play(_OneNumber(0), config).multiplier
    assert LIMBO.play(_OneNumber(1), LIMBO.check({"target": 250})).multiplier is first
    assert LIMBO.play(_OneNumber(2**32 - 1), config).multiplier is limbo.ZERO


def test_a_million_seeded_rounds_at_2x_return_what_the_par_sheet_says():
    config = LIMBO.check({"target": 200})
    par = par_sheet("limbo", "target=200", LIMBO.distribution(config))
    result = simulate(LIMBO, config, 1_000_000, top=par.max_multiplier)
    low, high = par.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.hits == result.top_awards > 0


# -- refused targets -------------------------------------------------------------------------


def test_the_default_target_is_2x():
    assert LIMBO.check({}) == {"target": 200}


@pytest.mark.parametrize(
    "target",
    [100, 0, -200, 100_000_001, 2.0, 200.5, True, False, "200", None, [200]],
    ids=repr,
)
def test_a_target_out_of_range_or_not_a_whole_number_of_hundredths_is_refused(target):
    with pytest.raises(InvalidBet) as refused:
        LIMBO.check({"target": target})
    assert refused.value.code == "rgs.invalid_bet"
    assert refused.value.extra["parameter"] == "target"


@pytest.mark.parametrize("target", [101, 100_000_000])
def test_the_extreme_targets_are_taken(target):
    assert LIMBO.check({"target": target}) == {"target": target}

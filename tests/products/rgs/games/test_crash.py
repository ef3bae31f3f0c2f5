"""Crash as a title: limbo's exact math with the target read as the auto cash-out, the chance
of an instant crash, the curve the round runs along, and a million rounds from a hash chain.

The rounds of the simulation are real crash rounds: a hash chain is walked from a fixed seed,
each hash is a round's server seed and the salt its client seed, nonce 0, exactly as the
shared rounds draw their crash points (``crash.chain.crash_point``).
"""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from croupier.products.rgs import fair
from croupier.products.rgs.crash import chain
from croupier.products.rgs.fair import NUMBER_RANGE, NumberStream
from croupier.products.rgs.games import crash, limbo
from croupier.products.rgs.games.catalogue import TITLES, par_sheets
from croupier.products.rgs.math import TITLE_RTP_RANGE, par_sheet

CRASH = crash.CRASH
SIMULATED_ROUNDS = 1_000_000


def test_every_cash_out_target_returns_what_the_same_limbo_target_returns():
    assert TITLES["crash"] is CRASH
    assert list(CRASH.configurations()) == list(limbo.LIMBO.configurations())
    for sheet, limbo_sheet in zip(par_sheets("crash"), par_sheets("limbo"), strict=True):
        assert (sheet.configuration, sheet.rtp) == (limbo_sheet.configuration, limbo_sheet.rtp)
        assert Fraction(99, 100) < sheet.rtp < Fraction(990_230, 1_000_000)
        assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    top = par_sheets("crash")[-1]
    assert top.max_multiplier == chain.MAX_MULTIPLIER // 100 == 1_000_000
    assert top.max_probability == Fraction(4_253, NUMBER_RANGE)


def test_a_round_crashes_at_1_00x_for_1_98_percent_of_the_numbers():
    # The multiplier is 1.00x when floor(99 · 2^32 / k) < 101, i.e. k > 99 · 2^32 / 101.
    first = 99 * NUMBER_RANGE // 101 + 1
    assert fair.limbo_multiplier_for(first) == 100 < fair.limbo_multiplier_for(first - 1)
    instant = Fraction(NUMBER_RANGE - first, NUMBER_RANGE)
    assert instant == Fraction(85_048_857, 2**32)
    assert float(instant) == pytest.approx(0.019802, abs=1e-6)
    # Every cash-out at 1.01x loses exactly then: the complement of limbo's winners.
    assert 1 - instant == Fraction(limbo.winning_numbers(101), NUMBER_RANGE)


def test_the_per_player_round_endpoint_is_pointed_elsewhere():
    assert CRASH.play_at == "/api/v1/crash"
    assert (CRASH.code, CRASH.mechanic, CRASH.fair_game) == ("crash", "crash", "limbo")


# -- the curve -------------------------------------------------------------------------------


def test_the_curve_starts_at_1_00x_and_reaches_2x_10x_and_the_cap_when_bustabit_does():
    assert chain.multiplier_at(0) == 100
    assert chain.ms_to_reach(100) == 0
    assert chain.ms_to_reach(200) == 11_553  # ln 2 / 0.00006 = 11,552.45 ms
    assert chain.ms_to_reach(1_000) == 38_377
    assert chain.ms_to_reach(chain.MAX_MULTIPLIER) == 230_259
    assert chain.multiplier_at(11_552) == 199


@given(target=st.integers(min_value=101, max_value=chain.MAX_MULTIPLIER))
def test_the_curve_reaches_each_multiplier_first_at_the_millisecond_computed(target):
    ms = chain.ms_to_reach(target)
    assert chain.multiplier_at(ms) >= target > chain.multiplier_at(ms - 1)
    exact = math.log(target / 100) / 0.00006
    assert -1e-6 < ms - exact < 1 + 1e-6  # the ceiling of the exact time


@given(ms=st.integers(min_value=0, max_value=300_000))
def test_the_curve_never_falls_and_agrees_with_floating_point_away_from_boundaries(ms):
    assert chain.multiplier_at(ms + 1) >= chain.multiplier_at(ms)
    approx = 100 * math.exp(0.00006 * ms)
    assert abs(chain.multiplier_at(ms) - approx) <= 1 + approx * 1e-12


# -- the chain -------------------------------------------------------------------------------


def test_the_walk_gives_the_checkpoints_and_the_terminating_hash():
    seed = hashlib.sha256(b"walk").hexdigest()
    walked = dict(chain.walk_chain(seed, 25, every=10))
    assert sorted(walked) == [0, 10, 20, 25]
    assert walked[25] == seed
    for i in (20, 10, 0):
        assert walked[i] == chain.hash_back(seed, 25 - i)
    assert chain.links_to(walked[10], 10, walked[0])
    assert not chain.links_to(walked[10], 9, walked[0])
    assert not chain.links_to(walked[0], 0, walked[0])


# -- a million rounds ------------------------------------------------------------------------


def test_a_million_rounds_of_a_hash_chain_cashing_out_at_2x_return_what_the_par_sheet_says():
    config = CRASH.check({"target": 200})
    par = par_sheet("crash", "target=200", CRASH.distribution(config))
    salt = "simulation"
    value = hashlib.sha256(b"crash:simulation").hexdigest().encode("ascii")
    sha256, stream_of = hashlib.sha256, NumberStream.of_checked
    play = CRASH.play
    wins = 0
    # Walking the chain from its seed visits the hashes last round first; the set of rounds,
    # and so their total return, is the same.
    for _ in range(SIMULATED_ROUNDS):
        value = sha256(value).hexdigest().encode("ascii")
        wins += play(stream_of(value, salt, 0), config).multiplier > 0
    rtp = wins * 2 / SIMULATED_ROUNDS
    low, high = par.rtp_interval(SIMULATED_ROUNDS)
    assert low <= rtp <= high
    # The play path is the shared rounds' path.
    last = value.decode("ascii")
    shown = play(stream_of(value, salt, 0), config).outcome["multiplier"]
    assert round(shown * 100) == chain.crash_point(last, salt)

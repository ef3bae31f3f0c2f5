"""Mines: every number of mines and every cash-out point returns exactly 99 %, the field is the
published mines mapping, and a million seeded rounds of one strategy land in the 99 % interval."""

from __future__ import annotations

import random
from fractions import Fraction
from math import comb

import pytest

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds, check_server_seed, mine_tiles
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.mines import Mines
from croupier.products.rgs.math import par_sheet
from croupier.products.rgs.simulate import simulation_seeds

MINES = Mines()


@pytest.mark.parametrize("params", MINES.configurations()[::7])
def test_every_cash_out_point_returns_exactly_99_percent(params):
    m, k = params["mines"], params["reveals"]
    # By hand: survive k reveals with probability prod (25-m-i)/(25-i); paid 0.99 / that.
    survive = Fraction(1)
    for i in range(k):
        survive *= Fraction(25 - m - i, 25 - i)
    sheet = par_sheet("mines", "", MINES.distribution(params))
    assert survive == Fraction(comb(25 - m, k), comb(25, k))
    assert sheet.rtp == survive * (Fraction(99, 100) / survive) == Fraction(99, 100)
    assert sheet.max_probability > 0


def _seeds(rng):
    return RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))


def test_the_field_is_the_published_mapping_and_a_mine_ends_the_round():
    rng = random.Random(5)
    for _ in range(200):
        seeds, m = _seeds(rng), rng.randint(1, 24)
        field = mine_tiles(seeds, m)
        safe = next(t for t in range(25) if t not in field)
        step = MINES.replay(
            NumberStream(seeds), {"mines": m}, [Action("reveal", {"tile": field[0]})]
        )
        assert step.finished
        assert step.multiplier == 0
        assert step.view["mine_tiles"] == field
        assert step.view["hit"] == field[0]
        alive = MINES.replay(NumberStream(seeds), {"mines": m}, [Action("reveal", {"tile": safe})])
        assert alive.finished == (m == 24)  # 24 mines: the one safe tile ends the round
        if not alive.finished:
            assert "mine_tiles" not in alive.view  # nothing hidden is shown while open


def test_revealing_every_safe_tile_ends_the_round_at_the_top_award():
    seeds = _seeds(random.Random(9))
    field = mine_tiles(seeds, 20)
    moves = [Action("reveal", {"tile": t}) for t in range(25) if t not in field]
    step = MINES.replay(NumberStream(seeds), {"mines": 20}, moves)
    assert step.finished
    assert step.multiplier == Fraction(99, 100) * comb(25, 5)


@pytest.mark.parametrize(
    "moves",
    [
        [Action("cashout")],  # nothing revealed yet
        [Action("reveal", {"tile": 25})],
        [Action("reveal", {"tile": "3"})],
        [Action("dig", {"tile": 1})],
    ],
)
def test_bad_moves_are_refused(moves):
    with pytest.raises(InvalidAction):
        MINES.replay(NumberStream(_seeds(random.Random(1))), {"mines": 3}, moves)


@pytest.mark.parametrize("params", [{"mines": 0}, {"mines": 25}, {"mines": True}, {"tiles": 3}])
def test_bad_bets_are_refused(params):
    with pytest.raises(InvalidBet):
        MINES.check(params)


def test_a_million_rounds_of_reveal_three_then_cash_out_land_in_the_99_percent_interval():
    # Strategy: 5 mines, reveal tiles 0, 1, 2 (or until a mine), cash out.
    params = {"mines": 5}
    moves = [Action("reveal", {"tile": t}) for t in range(3)] + [Action("cashout")]
    server_seed, client_seed = simulation_seeds("mines:5:3")
    key = check_server_seed(server_seed).encode()
    sheet = par_sheet("mines", "", MINES.distribution({"mines": 5, "reveals": 3}))
    paid, rounds = Fraction(0), 1_000_000
    counts: dict[Fraction, int] = {}
    for nonce in range(rounds):
        stream = NumberStream.of_checked(key, client_seed, nonce)
        remaining = list(range(25))
        field = {remaining.pop(stream.pick(25 - i)) for i in range(5)}
        hit = next((i for i in range(3) if i in field), None)
        played = moves if hit is None else moves[: hit + 1]
        m = MINES.replay(
            NumberStream.of_checked(key, client_seed, nonce), params, played
        ).multiplier
        counts[m] = counts.get(m, 0) + 1
    paid = sum((m * n for m, n in counts.items()), Fraction(0))
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(paid / rounds) <= high

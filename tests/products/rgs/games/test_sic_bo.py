"""Sic bo: each bet's RTP by hand, the dice are three picks of six from the fair stream, and a
million seeded rounds of a mixed bet land in the 99 % interval."""

from __future__ import annotations

import hashlib
import hmac
import random
from fractions import Fraction

import pytest

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds, wheel_segment
from croupier.products.rgs.games.sic_bo import SicBo
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

SIC_BO = SicBo()

# By hand, from the 216 rolls: ways to win and the return of a winning unit.
BY_HAND = {
    "small": Fraction(105 * 2, 216),  # totals 4-10: 107 rolls, less the triples 222 and 333
    "big": Fraction(105 * 2, 216),
    "any_triple": Fraction(6 * 31, 216),
    "double": Fraction(16 * 12, 216),  # two of the face: 15, all three: 1
    "triple": Fraction(191, 216),
    "single": Fraction(75 * 2 + 15 * 3 + 1 * 4, 216),
    "combination": Fraction(30 * 7, 216),  # 1 and 2 both show: 216 - 2*125 + 64
}
TOTAL_WAYS = {4: 3, 5: 6, 6: 10, 7: 15, 8: 21, 9: 25, 10: 27}
TOTAL_PAYS = {4: 62, 5: 30, 6: 18, 7: 12, 8: 8, 9: 7, 10: 6}


@pytest.mark.parametrize("params", SIC_BO.configurations())
def test_every_bet_returns_what_counting_the_rolls_by_hand_gives(params):
    bet = params["bets"][0]
    if bet["kind"] == "total":
        t = min(bet["total"], 21 - bet["total"])  # 17 mirrors 4
        by_hand = Fraction(TOTAL_WAYS[t] * (TOTAL_PAYS[t] + 1), 216)
    else:
        by_hand = BY_HAND[bet["kind"]]
    sheet = par_sheet("sic-bo", "", SIC_BO.distribution(params))
    assert sheet.rtp == by_hand
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    assert sheet.max_probability > 0


def test_the_dice_are_three_picks_of_six_from_the_stream():
    rng = random.Random(4)
    params = SIC_BO.check({"bets": [{"kind": "big"}]})
    for _ in range(300):
        seeds = RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))
        dice = SIC_BO.play(NumberStream(seeds), params).outcome["dice"]
        digest = hmac.new(
            seeds.server_seed.encode(), f"c:{seeds.nonce}:0".encode(), hashlib.sha256
        ).digest()
        by_hand = [int.from_bytes(digest[i : i + 4], "big") * 6 // 2**32 + 1 for i in (0, 4, 8)]
        assert dice == by_hand
        assert dice[0] == wheel_segment(seeds, 6) + 1


def test_a_million_rounds_of_a_mixed_bet_land_in_the_99_percent_interval():
    params = SIC_BO.check(
        {"bets": [{"kind": "small", "weight": 5}, {"kind": "total", "total": 9},
                  {"kind": "triple", "face": 6}]}
    )  # fmt: skip
    sheet = par_sheet("sic-bo", "", SIC_BO.distribution(params))
    result = simulate(SIC_BO, params, 1_000_000)
    low, high = sheet.rtp_interval(result.rounds)
    assert low <= result.rtp <= high


@pytest.mark.parametrize(
    "bets",
    [
        [],
        [{"kind": "craps"}],
        [{"kind": "total", "total": 3}],
        [{"kind": "total", "total": 18}],
        [{"kind": "single", "face": 7}],
        [{"kind": "single", "face": True}],
        [{"kind": "combination", "faces": [2, 2]}],
        [{"kind": "small", "face": 1}],
        [{"kind": "big", "weight": 0}],
        [{"kind": "big"}] * 21,
        "big",
    ],
)
def test_bad_bets_are_refused_naming_the_parameter(bets):
    with pytest.raises(InvalidBet) as refused:
        SIC_BO.check({"bets": bets})
    assert refused.value.extra["parameter"] == "bets"

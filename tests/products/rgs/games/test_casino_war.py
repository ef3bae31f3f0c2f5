"""Casino War (infinite shoe; a tie goes to war without a raise, or is surrendered): exact
returns, rounds dealt from the provably fair stream, a seeded million-round simulation, and
refused bets.

The reference settles every one of the 13^4 equally likely rank sequences player, dealer,
player's war card, dealer's war card (a card not dealt changes nothing), where the title
multiplies the chances of the first comparison and the war's.
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import cache
from itertools import product

import pytest

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import RoundSeeds
from croupier.products.rgs.games import casino_war
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

CASINO_WAR = casino_war.CASINO_WAR
HIGH_TO_LOW = "AKQJT98765432"  # ace high

# -- an independent reference ----------------------------------------------------------------


def _beats(a: str, b: str) -> int:
    """1 if card ``a`` outranks ``b``, -1 if it ranks lower, 0 for the same rank."""
    i, j = HIGH_TO_LOW.index(a[0]), HIGH_TO_LOW.index(b[0])
    return (i < j) - (i > j)


def _reference_round(cards: list[str], on_tie: str) -> tuple[int, Fraction]:
    """(cards dealt, what a unit stake returns) for a round dealt from ``cards`` in order."""
    first = _beats(cards[0], cards[1])
    if first:
        return 2, Fraction(2) if first > 0 else Fraction(0)
    if on_tie == "surrender":
        return 2, Fraction(1, 2)
    # War for the one stake: won, the stake back; tied again, even money; lost, nothing.
    war = _beats(cards[2], cards[3])
    return 4, {1: Fraction(1), 0: Fraction(2), -1: Fraction(0)}[war]


@cache
def _reference_distribution(on_tie: str) -> dict[Fraction, Fraction]:
    merged: dict[Fraction, Fraction] = {}
    for ranks in product(HIGH_TO_LOW, repeat=4):
        _, m = _reference_round(list(ranks), on_tie)
        merged[m] = merged.get(m, Fraction(0)) + Fraction(1, 13**4)
    return merged


def _merged(outcomes) -> dict[Fraction, Fraction]:
    merged: dict[Fraction, Fraction] = {}
    for o in outcomes:
        merged[o.multiplier] = merged.get(o.multiplier, Fraction(0)) + o.probability
    return merged


# -- the title -------------------------------------------------------------------------------


def test_the_title_is_casino_war_dealt_with_replacement_going_to_war_by_default():
    assert [t.code for t in casino_war.TITLES] == ["casino-war"]
    assert (CASINO_WAR.mechanic, CASINO_WAR.fair_game) == ("casino-war", "cards")
    assert CASINO_WAR.configurations() == [{"on_tie": "war"}, {"on_tie": "surrender"}]
    assert CASINO_WAR.check({}) == {"on_tie": "war"}


# -- exact returns ---------------------------------------------------------------------------


@pytest.mark.parametrize("on_tie", ["war", "surrender"])
def test_the_distribution_is_the_reference_one(on_tie):
    config = CASINO_WAR.check({"on_tie": on_tie})
    assert _merged(CASINO_WAR.distribution(config)) == _reference_distribution(on_tie)


def test_every_configuration_returns_the_hand_computed_rtp_and_its_top_award_can_be_won():
    rtps = {}
    for config in CASINO_WAR.configurations():
        par = par_sheet("casino-war", "", CASINO_WAR.distribution(config))
        reference = sum(
            (m * p for m, p in _reference_distribution(config["on_tie"]).items()), Fraction(0)
        )
        assert par.rtp == reference
        assert par.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= par.rtp <= TITLE_RTP_RANGE[1]
        assert par.max_multiplier == 2
        assert par.max_probability > 0
        assert par.exact
        rtps[config["on_tie"]] = par.rtp
    # By hand: a win or a loss is 6/13 each, a tie 1/13.
    assert rtps == {
        "war": Fraction(12, 13) + Fraction(1, 13) * (Fraction(6, 13) + Fraction(2, 13)),
        "surrender": Fraction(12, 13) + Fraction(1, 26),
    }
    assert rtps == {"war": Fraction(164, 169), "surrender": Fraction(25, 26)}


# -- rounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("on_tie", ["war", "surrender"])
def test_play_deals_the_provably_fair_cards_and_pays_the_reference(on_tie):
    rng = random.Random(f"casino-war:{on_tie}")
    config = CASINO_WAR.check({"on_tie": on_tie})
    results = set()
    for _ in range(600):
        seeds = RoundSeeds(
            rng.randbytes(32).hex(), f"player-{rng.randrange(10**6)}", rng.randrange(10**9)
        )
        shoe = fair.cards_with_replacement(seeds, 4)
        dealt, multiplier = _reference_round(shoe, on_tie)
        play = CASINO_WAR.play(seeds.stream(), config)
        assert play.outcome["cards"] == shoe[:dealt]
        assert (play.outcome["player"], play.outcome["dealer"]) == (shoe[0], shoe[1])
        if dealt == 4:
            assert play.outcome["war"] == {"player": shoe[2], "dealer": shoe[3]}
        else:
            assert "war" not in play.outcome
        assert play.multiplier == multiplier
        results.add(play.outcome["result"])
    expected = {"win", "lose", *(("war_win", "war_lose") if on_tie == "war" else ("surrender",))}
    assert expected <= results


def test_a_million_seeded_rounds_going_to_war_return_what_the_par_sheet_says():
    config = CASINO_WAR.check({"on_tie": "war"})
    par = par_sheet("casino-war", "simulated", CASINO_WAR.distribution(config))
    result = simulate(CASINO_WAR, config, 1_000_000, top=par.max_multiplier)
    low, high = par.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.top_awards > 0


# -- refused bets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"on_tie": "raise"}, "on_tie"),
        ({"on_tie": "War"}, "on_tie"),
        ({"on_tie": None}, "on_tie"),
        ({"on_tie": True}, "on_tie"),
        ({"on_tie": "war", "raise": 1}, "raise"),
        ({"tie_bet": 1}, "tie_bet"),
    ],
)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_parameter(params, parameter):
    with pytest.raises(InvalidBet) as refused:
        CASINO_WAR.check(params)
    assert refused.value.code == "rgs.invalid_bet"
    assert refused.value.extra["parameter"] == parameter

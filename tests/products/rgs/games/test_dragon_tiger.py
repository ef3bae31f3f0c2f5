"""Dragon Tiger (infinite shoe): every bet's exact return, rounds dealt from the provably fair
stream, a seeded million-round simulation, and refused bets.

The reference enumerates the 52 × 52 equally likely pairs of card codes (the title works by
rank and suit odds) and pays from a table written out by hand.
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
from croupier.products.rgs.games import dragon_tiger
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

DRAGON_TIGER = dragon_tiger.DRAGON_TIGER
KINDS = ("dragon", "tiger", "tie", "suited_tie")
LOW_TO_HIGH = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "T", "J", "Q", "K"]  # ace low

# -- an independent reference ----------------------------------------------------------------


def _winner(dragon: str, tiger: str) -> tuple[str, bool]:
    """(who wins, whether it is a suited tie) for two card codes."""
    d, t = LOW_TO_HIGH.index(dragon[0]), LOW_TO_HIGH.index(tiger[0])
    if d == t:
        return "tie", dragon[1] == tiger[1]
    return ("dragon" if d > t else "tiger"), False


def _bet_return(kind: str, winner: str, suited: bool) -> Fraction:
    if kind in ("dragon", "tiger"):
        # Even money; half the stake back on any tie.
        return {kind: Fraction(2), "tie": Fraction(1, 2)}.get(winner, Fraction(0))
    if kind == "tie":
        return Fraction(12) if winner == "tie" else Fraction(0)  # 11:1
    return Fraction(51) if suited else Fraction(0)  # suited tie, 50:1


def _reference_multiplier(bets: list[dict], dragon: str, tiger: str) -> Fraction:
    winner, suited = _winner(dragon, tiger)
    paid = sum(
        (bet.get("weight", 1) * _bet_return(bet["kind"], winner, suited) for bet in bets),
        Fraction(0),
    )
    return paid / sum(bet.get("weight", 1) for bet in bets)


@cache
def _result_counts() -> dict[tuple[str, bool], int]:
    """How many of the 52 × 52 equally likely (dragon, tiger) code pairs give each result."""
    counts: dict[tuple[str, bool], int] = {}
    for dragon, tiger in product(fair.CARDS, repeat=2):
        key = _winner(dragon, tiger)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _reference_distribution(bets: list[dict]) -> dict[Fraction, Fraction]:
    stake = sum(bet.get("weight", 1) for bet in bets)
    merged: dict[Fraction, Fraction] = {}
    for (winner, suited), count in _result_counts().items():
        paid = sum(
            (bet.get("weight", 1) * _bet_return(bet["kind"], winner, suited) for bet in bets),
            Fraction(0),
        )
        merged[paid / stake] = merged.get(paid / stake, Fraction(0)) + Fraction(count, 52 * 52)
    return merged


def _merged(outcomes) -> dict[Fraction, Fraction]:
    merged: dict[Fraction, Fraction] = {}
    for o in outcomes:
        merged[o.multiplier] = merged.get(o.multiplier, Fraction(0)) + o.probability
    return merged


# -- the title -------------------------------------------------------------------------------


def test_the_title_is_dragon_tiger_dealt_with_replacement():
    assert [t.code for t in dragon_tiger.TITLES] == ["dragon-tiger"]
    assert (DRAGON_TIGER.mechanic, DRAGON_TIGER.fair_game) == ("dragon-tiger", "cards")
    assert [c["bets"][0]["kind"] for c in DRAGON_TIGER.configurations()] == list(KINDS)


@pytest.mark.parametrize(
    ("dragon", "tiger", "winner", "suited"),
    [
        ("KD", "AH", "dragon", False),  # ace low: a king beats it
        ("AS", "2S", "tiger", False),
        ("TD", "JD", "tiger", False),
        ("QC", "QH", "tie", False),
        ("7H", "7H", "tie", True),
    ],
)
def test_cards_rank_ace_low_and_a_suited_tie_is_the_same_card(dragon, tiger, winner, suited):
    assert dragon_tiger.result(dragon, tiger) == ("suited_tie" if suited else winner)
    assert _winner(dragon, tiger) == (winner, suited)


# -- exact returns ---------------------------------------------------------------------------


def test_every_bet_returns_the_reference_rtp():
    rtps = {
        config["bets"][0]["kind"]: par_sheet(
            "dragon-tiger", "", DRAGON_TIGER.distribution(config)
        ).rtp
        for config in DRAGON_TIGER.configurations()
    }
    reference = {
        kind: sum(
            (m * p for m, p in _reference_distribution([{"kind": kind}]).items()), Fraction(0)
        )
        for kind in KINDS
    }
    assert rtps == reference
    assert rtps == {
        "dragon": Fraction(25, 26),  # 6/13 · 2 + 1/13 · 1/2
        "tiger": Fraction(25, 26),
        "tie": Fraction(12, 13),  # 1/13 · 12
        "suited_tie": Fraction(51, 52),  # 1/52 · 51
    }


def test_every_configuration_returns_at_least_75_percent_and_its_top_award_can_be_won():
    top = {"dragon": 2, "tiger": 2, "tie": 12, "suited_tie": 51}
    for config in DRAGON_TIGER.configurations():
        par = par_sheet("dragon-tiger", "", DRAGON_TIGER.distribution(config))
        assert par.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= par.rtp <= TITLE_RTP_RANGE[1]
        assert par.max_multiplier == top[config["bets"][0]["kind"]]
        assert par.max_probability > 0
        assert par.exact


def test_a_bet_list_pays_the_weighted_mean_of_its_bets_returns():
    rng = random.Random("dragon-tiger:mix")
    for _ in range(30):
        bets = [
            {"kind": kind, "weight": rng.randint(1, 1000)}
            for kind in rng.sample(KINDS, rng.randint(1, len(KINDS)))
        ]
        config = DRAGON_TIGER.check({"bets": bets})
        assert _merged(DRAGON_TIGER.distribution(config)) == _reference_distribution(bets)


# -- rounds ----------------------------------------------------------------------------------


def test_play_deals_the_provably_fair_cards_and_pays_the_reference():
    rng = random.Random("dragon-tiger:play")
    bets = [{"kind": kind, "weight": rng.randint(1, 50)} for kind in KINDS]
    config = DRAGON_TIGER.check({"bets": bets})
    winners = set()
    for _ in range(400):
        seeds = RoundSeeds(
            rng.randbytes(32).hex(), f"player-{rng.randrange(10**6)}", rng.randrange(10**9)
        )
        dragon, tiger = fair.cards_with_replacement(seeds, 2)
        play = DRAGON_TIGER.play(seeds.stream(), config)
        winner, suited = _winner(dragon, tiger)
        assert play.outcome == {
            "cards": [dragon, tiger],
            "dragon": dragon,
            "tiger": tiger,
            "winner": winner,
            "suited_tie": suited,
        }
        assert play.multiplier == _reference_multiplier(bets, dragon, tiger)
        winners.add(winner)
    assert winners == {"dragon", "tiger", "tie"}


def test_a_result_always_pays_the_same_shared_multiplier_object():
    config = DRAGON_TIGER.check({"bets": [{"kind": "dragon", "weight": 3}, {"kind": "tie"}]})
    seeds = RoundSeeds("ef" * 32, "shared", 2)
    first = DRAGON_TIGER.play(seeds.stream(), config).multiplier
    again = DRAGON_TIGER.play(seeds.stream(), DRAGON_TIGER.check(config)).multiplier
    assert first is again


def test_a_million_seeded_rounds_return_what_the_par_sheet_says():
    bets = [{"kind": "tiger", "weight": 20}, {"kind": "tie", "weight": 2}, {"kind": "suited_tie"}]
    config = DRAGON_TIGER.check({"bets": bets})
    par = par_sheet("dragon-tiger", "simulated", DRAGON_TIGER.distribution(config))
    result = simulate(DRAGON_TIGER, config, 1_000_000, top=par.max_multiplier)
    low, high = par.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.top_awards > 0


# -- refused bets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bets",
    [
        pytest.param(None, id="no bets"),
        pytest.param([], id="empty list"),
        pytest.param({"kind": "dragon"}, id="a bet, not a list"),
        pytest.param(["dragon"], id="a bet that is not an object"),
        pytest.param([{"kind": "banker"}], id="unknown kind"),
        pytest.param([{"kind": "big"}], id="side bet left out"),
        pytest.param([{"weight": 3}], id="no kind"),
        pytest.param([{"kind": "dragon", "weight": 0}], id="weight 0"),
        pytest.param([{"kind": "dragon", "weight": 1001}], id="weight 1001"),
        pytest.param([{"kind": "dragon", "weight": True}], id="weight true"),
        pytest.param([{"kind": "dragon", "weight": "5"}], id="weight text"),
        pytest.param([{"kind": "tie"}, {"kind": "tie"}], id="two tie bets"),
        pytest.param([{"kind": k} for k in (*KINDS, "dragon")], id="five bets"),
        pytest.param([{"kind": "dragon", "suit": "D"}], id="suit on a dragon bet"),
    ],
)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_bets(bets):
    with pytest.raises(InvalidBet) as refused:
        DRAGON_TIGER.check({} if bets is None else {"bets": bets})
    assert refused.value.code == "rgs.invalid_bet"
    assert refused.value.extra["parameter"] == "bets"


def test_a_refusal_names_the_bet_at_fault():
    with pytest.raises(InvalidBet) as refused:
        DRAGON_TIGER.check({"bets": [{"kind": "tiger"}, {"kind": "tie"}, {"kind": "tiger"}]})
    assert refused.value.extra["bet"] == 2
    assert "Bet 3" in refused.value.detail

"""Baccarat (punto banco, infinite shoe): the tableau, every bet's exact return, rounds dealt
from the provably fair stream, a seeded million-round simulation, and refused bets.

The reference below deals a coup from a list of cards with the tableau as a casino prints it
(a grid of draw/stand by the banker's total and the player's third card), enumerates the 13
ranks of every card (the title groups third cards by points), and pays from a table written
out by hand, so a shared mistake is unlikely.
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
from croupier.products.rgs.games import baccarat
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

BACCARAT = baccarat.BACCARAT
RANKS = "A23456789TJQK"
KINDS = ("player", "banker", "tie", "player_pair", "banker_pair")

# -- an independent reference: the printed tableau and pay table ---------------------------

# The banker's third card with a player's third card: banker total → D(raw)/S(tand) for the
# player's third card worth 0 … 9. Totals 0–2 always draw.
TABLEAU = {
    3: "DDDDDDDDSD",
    4: "SSDDDDDDSS",
    5: "SSSSDDDDSS",
    6: "SSSSSSDDSS",
    7: "SSSSSSSSSS",
}
# Per unit staked: (on a player win, on a banker win, on a tie); pairs pay 11:1.
PAY = {
    "player": (Fraction(2), Fraction(0), Fraction(1)),
    "banker": (Fraction(0), Fraction(195, 100), Fraction(1)),
    "tie": (Fraction(0), Fraction(0), Fraction(9)),
}
PAIR_PAYS = Fraction(12)


def _points(rank: str) -> int:
    if rank in "TJQK":
        return 0
    return 1 if rank == "A" else int(rank)


def _count(ranks) -> int:
    return sum(_points(r) for r in ranks) % 10


def _banker_draws(banker: int, player_third: int | None) -> bool:
    if player_third is None:
        return banker <= 5
    return banker <= 2 or TABLEAU[banker][player_third] == "D"


def _deal(cards: list[str]) -> tuple[list[str], list[str]]:
    """The player's and the banker's hands dealt from ``cards`` (codes or ranks), in order."""
    player, banker = [cards[0], cards[2]], [cards[1], cards[3]]
    rest = iter(cards[4:])
    p, b = _count(c[0] for c in player), _count(c[0] for c in banker)
    if p >= 8 or b >= 8:
        return player, banker
    third = None
    if p <= 5:
        player.append(next(rest))
        third = _points(player[-1][0])
    if _banker_draws(b, third):
        banker.append(next(rest))
    return player, banker


def _settle(player: list[str], banker: list[str]) -> tuple[str, bool, bool]:
    p, b = _count(c[0] for c in player), _count(c[0] for c in banker)
    winner = "tie" if p == b else "player" if p > b else "banker"
    return winner, player[0][0] == player[1][0], banker[0][0] == banker[1][0]


def _reference_multiplier(bets: list[dict], result: tuple[str, bool, bool]) -> Fraction:
    winner, player_pair, banker_pair = result
    column = {"player": 0, "banker": 1, "tie": 2}[winner]
    paid = Fraction(0)
    for bet in bets:
        kind, weight = bet["kind"], bet.get("weight", 1)
        if kind == "player_pair":
            paid += weight * PAIR_PAYS * player_pair
        elif kind == "banker_pair":
            paid += weight * PAIR_PAYS * banker_pair
        else:
            paid += weight * PAY[kind][column]
    return paid / sum(bet.get("weight", 1) for bet in bets)


@cache
def _coup_end(player: int, banker: int) -> dict[str, Fraction]:
    """The winner's distribution from two-card totals: the coup dealt with a hand of that
    total (its card and a ten) and every pair of ranks for the third cards, 1/169 each (a
    third card the tableau does not deal changes nothing)."""
    rank = {_points(r): r for r in RANKS}
    winners: dict[str, Fraction] = {}
    for p3, b3 in product(RANKS, repeat=2):
        hands = _deal([rank[player], rank[banker], "T", "T", p3, b3])
        winner = _settle(*hands)[0]
        winners[winner] = winners.get(winner, Fraction(0)) + Fraction(1, 169)
    return winners


@cache
def _reference_results() -> dict[tuple[str, bool, bool], Fraction]:
    """Every result's probability over the 13^6 equally likely rank sequences P1 B1 P2 B2 P3 B3:
    the first four cards one by one (13^4), then the coup's end from their totals."""
    results: dict[tuple[str, bool, bool], Fraction] = {}
    for p1, b1, p2, b2 in product(RANKS, repeat=4):
        pairs = (p1 == p2, b1 == b2)
        for winner, p in _coup_end(_count((p1, p2)), _count((b1, b2))).items():
            key = (winner, *pairs)
            results[key] = results.get(key, Fraction(0)) + p / 13**4
    return results


def _merged(outcomes) -> dict[Fraction, Fraction]:
    merged: dict[Fraction, Fraction] = {}
    for o in outcomes:
        multiplier, probability = o if isinstance(o, tuple) else (o.multiplier, o.probability)
        merged[multiplier] = merged.get(multiplier, Fraction(0)) + probability
    return merged


def _reference_rtp(bets: list[dict]) -> Fraction:
    return sum(
        (p * _reference_multiplier(bets, result) for result, p in _reference_results().items()),
        Fraction(0),
    )


class _Shoe:
    """A stream that deals the named cards in order: for hand-picked coups."""

    def __init__(self, *codes: str) -> None:
        self._picks = iter(fair.CARDS.index(code) for code in codes)

    def pick(self, n: int) -> int:
        assert n == 52
        return next(self._picks)

    def numbers(self, count: int) -> tuple[int, ...]:
        # The number k whose pick(52), (k · 52) >> 32, is the named card; then any card.
        return tuple((next(self._picks, 0) * 2**32 + 51) // 52 for _ in range(count))


def _play_cards(*codes: str):
    config = BACCARAT.check({"bets": [{"kind": "banker"}]})
    return BACCARAT.play(_Shoe(*codes), config).outcome  # type: ignore[arg-type]


# -- the title -------------------------------------------------------------------------------


def test_the_title_is_baccarat_dealt_with_replacement():
    assert [t.code for t in baccarat.TITLES] == ["baccarat"]
    assert (BACCARAT.mechanic, BACCARAT.fair_game) == ("baccarat", "cards")
    assert [c["bets"][0]["kind"] for c in BACCARAT.configurations()] == list(KINDS)


# -- the tableau, on hand-picked coups -------------------------------------------------------


@pytest.mark.parametrize(
    ("cards", "player", "banker", "winner"),
    [
        # A natural stops the deal on either side, even against a player's 0.
        (["KD", "4H", "TS", "4C", "9D", "9H"], ["KD", "TS"], ["4H", "4C"], "banker"),
        (["9D", "3H", "KS", "3C"], ["9D", "KS"], ["3H", "3C"], "player"),
        # The player stands on 6 and 7; the banker then draws on 5 and stands on 6.
        (["3D", "2H", "3S", "3C", "AD"], ["3D", "3S"], ["2H", "3C", "AD"], "tie"),
        (["4D", "3H", "3S", "3C", "AD"], ["4D", "3S"], ["3H", "3C"], "player"),
        # The player draws on 5; the banker's 3 stands on a player's third 8, draws on a 9.
        (["2D", "AH", "3S", "2C", "8D", "5H"], ["2D", "3S", "8D"], ["AH", "2C"], "tie"),
        (["2D", "AH", "3S", "2C", "9D", "5H"], ["2D", "3S", "9D"], ["AH", "2C", "5H"], "banker"),
        # The banker's 6 draws only on a player's third 6 or 7.
        (["KD", "3H", "QS", "3C", "6D", "2H"], ["KD", "QS", "6D"], ["3H", "3C", "2H"], "banker"),
        (["KD", "3H", "QS", "3C", "5D", "2H"], ["KD", "QS", "5D"], ["3H", "3C"], "banker"),
        # The banker's 7 never draws; its 0–2 always draw.
        (["KD", "3H", "QS", "4C", "7D"], ["KD", "QS", "7D"], ["3H", "4C"], "tie"),
        (["KD", "KH", "QS", "2C", "8D", "TH"], ["KD", "QS", "8D"], ["KH", "2C", "TH"], "player"),
    ],
)
def test_the_coup_follows_the_printed_tableau(cards, player, banker, winner):
    assert _deal(list(cards)) == (player, banker)
    outcome = _play_cards(*cards, "AS", "AS")  # spare cards: the deal must not read them
    assert outcome["cards"] == [*cards[:4], *player[2:], *banker[2:]]
    assert (outcome["player"], outcome["banker"], outcome["winner"]) == (player, banker, winner)
    assert outcome["player_total"] == _count(c[0] for c in player)
    assert outcome["banker_total"] == _count(c[0] for c in banker)


def test_a_pair_is_two_cards_of_one_rank_not_of_one_value():
    # A natural 8 of two nines against a ten and a queen: both 0 points, yet no pair.
    outcome = _play_cards("9D", "TH", "9S", "QC")
    assert (outcome["player_pair"], outcome["banker_pair"]) == (True, False)
    assert outcome["winner"] == "player"
    assert _settle(["9D", "9S"], ["TH", "QC"]) == ("player", True, False)


# -- exact returns ---------------------------------------------------------------------------


def test_the_result_probabilities_are_the_infinite_deck_ones():
    by_winner: dict[str, Fraction] = {}
    for (winner, _, _), p in _reference_results().items():
        by_winner[winner] = by_winner.get(winner, Fraction(0)) + p
    assert sum(by_winner.values()) == 1
    # Infinite deck: a little fewer banker wins and more ties than from an 8-deck shoe
    # (45.86 %, 44.62 %, 9.52 %).
    assert by_winner == {
        "banker": Fraction(2212744, 13**6),
        "player": Fraction(2153464, 13**6),
        "tie": Fraction(460601, 13**6),
    }
    merged = _merged(BACCARAT.distribution(BACCARAT.check({"bets": [{"kind": "tie"}]})))
    assert merged[Fraction(9)] == by_winner["tie"]


def test_every_bet_returns_the_reference_rtp():
    rtps = {
        config["bets"][0]["kind"]: par_sheet("baccarat", "", BACCARAT.distribution(config)).rtp
        for config in BACCARAT.configurations()
    }
    assert rtps == {kind: _reference_rtp([{"kind": kind}]) for kind in KINDS}
    assert rtps["banker"] == Fraction(23877259, 24134045)  # 98.936 %
    assert rtps["player"] == Fraction(366733, 371293)  # 98.772 %
    assert rtps["tie"] == Fraction(4145409, 4826809)  # 85.883 %
    assert rtps["player_pair"] == rtps["banker_pair"] == Fraction(12, 13)
    assert round(float(rtps["banker"]), 4) == 0.9894
    assert round(float(rtps["player"]), 4) == 0.9877


def test_every_configuration_returns_at_least_75_percent_and_its_top_award_can_be_won():
    top = {"player": 2, "banker": Fraction(39, 20), "tie": 9, "player_pair": 12, "banker_pair": 12}
    for config in BACCARAT.configurations():
        par = par_sheet("baccarat", "", BACCARAT.distribution(config))
        assert par.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= par.rtp <= TITLE_RTP_RANGE[1]
        assert par.max_multiplier == top[config["bets"][0]["kind"]]
        assert par.max_probability > 0
        assert par.exact


def _random_bets(rng: random.Random) -> list[dict]:
    kinds = rng.sample(KINDS, rng.randint(1, len(KINDS)))
    return [{"kind": kind, "weight": rng.randint(1, 1000)} for kind in kinds]


def test_a_bet_list_pays_the_weighted_mean_of_its_bets_returns():
    rng = random.Random("baccarat:mix")
    for _ in range(40):
        bets = _random_bets(rng)
        config = BACCARAT.check({"bets": bets})
        expected = _merged(
            (_reference_multiplier(bets, result), p) for result, p in _reference_results().items()
        )
        assert _merged(BACCARAT.distribution(config)) == expected
        rtp = par_sheet("baccarat", "", BACCARAT.distribution(config)).rtp
        assert TITLE_RTP_RANGE[0] <= rtp <= TITLE_RTP_RANGE[1]


# -- rounds ----------------------------------------------------------------------------------


def test_play_deals_the_provably_fair_cards_in_order_and_pays_the_reference():
    rng = random.Random("baccarat:play")
    bets = [{"kind": k, "weight": rng.randint(1, 50)} for k in KINDS]
    config = BACCARAT.check({"bets": bets})
    lengths = set()
    for _ in range(400):
        seeds = RoundSeeds(
            rng.randbytes(32).hex(), f"player-{rng.randrange(10**6)}", rng.randrange(10**9)
        )
        shoe = fair.cards_with_replacement(seeds, 6)
        player, banker = _deal(shoe)
        play = BACCARAT.play(seeds.stream(), config)
        dealt = len(player) + len(banker)
        assert play.outcome["cards"] == shoe[:dealt] == fair.cards_with_replacement(seeds, dealt)
        assert (play.outcome["player"], play.outcome["banker"]) == (player, banker)
        result = _settle(player, banker)
        assert (
            play.outcome["winner"],
            play.outcome["player_pair"],
            play.outcome["banker_pair"],
        ) == result
        assert play.multiplier == _reference_multiplier(bets, result)
        lengths.add(dealt)
    assert lengths == {4, 5, 6}


def test_a_result_always_pays_the_same_shared_multiplier_object():
    config = BACCARAT.check({"bets": [{"kind": "banker", "weight": 3}, {"kind": "tie"}]})
    seeds = RoundSeeds("cd" * 32, "shared", 4)
    first = BACCARAT.play(seeds.stream(), config).multiplier
    again = BACCARAT.play(seeds.stream(), BACCARAT.check(config)).multiplier
    assert first is again


def test_a_million_seeded_rounds_return_what_the_par_sheet_says():
    bets = [{"kind": "banker", "weight": 10}, {"kind": "tie"}, {"kind": "player_pair"}]
    config = BACCARAT.check({"bets": bets})
    par = par_sheet("baccarat", "simulated", BACCARAT.distribution(config))
    result = simulate(BACCARAT, config, 1_000_000, top=par.max_multiplier)
    low, high = par.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.top_awards > 0


# -- refused bets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bets",
    [
        pytest.param(None, id="no bets"),
        pytest.param([], id="empty list"),
        pytest.param({"kind": "banker"}, id="a bet, not a list"),
        pytest.param(["banker"], id="a bet that is not an object"),
        pytest.param([{"kind": "dragon"}], id="unknown kind"),
        pytest.param([{"weight": 3}], id="no kind"),
        pytest.param([{"kind": "banker", "weight": 0}], id="weight 0"),
        pytest.param([{"kind": "banker", "weight": 1001}], id="weight 1001"),
        pytest.param([{"kind": "banker", "weight": True}], id="weight true"),
        pytest.param([{"kind": "banker", "weight": 2.0}], id="weight float"),
        pytest.param([{"kind": "banker"}, {"kind": "banker"}], id="two banker bets"),
        pytest.param([{"kind": k} for k in (*KINDS, "tie")], id="six bets"),
        pytest.param([{"kind": "tie", "numbers": [8]}], id="numbers on a tie bet"),
    ],
)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_bets(bets):
    with pytest.raises(InvalidBet) as refused:
        BACCARAT.check({} if bets is None else {"bets": bets})
    assert refused.value.code == "rgs.invalid_bet"
    assert refused.value.extra["parameter"] == "bets"


def test_a_refusal_names_the_bet_at_fault():
    with pytest.raises(InvalidBet) as refused:
        BACCARAT.check({"bets": [{"kind": "player"}, {"kind": "banker", "weight": -1}]})
    assert refused.value.extra["bet"] == 1
    assert "Bet 2" in refused.value.detail

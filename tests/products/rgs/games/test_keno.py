"""Keno (classic, low, high risk; 1 to 10 picks of 40 squares, 10 drawn): every paytable's
exact return, rounds played from the provably fair stream, a seeded million-round simulation,
and refused bets.

The reference return is recomputed here from the stored table text and the hypergeometric law
(``C(n, h) · C(40 − n, 10 − h) / C(40, 10)``), not from the title's distribution, so a shared
mistake is unlikely.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds
from croupier.products.rgs.games import keno
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, Z_99, par_sheet
from croupier.products.rgs.simulate import simulate

TITLES = {title.code: title for title in keno.TITLES}
RISK = {"keno-classic": "classic", "keno-low": "low", "keno-high": "high"}
PICKS = range(1, 11)
BAND = (Fraction(985, 1000), Fraction(995, 1000))  # what every table is designed to return
SIMULATED_ROUNDS = 1_000_000

round_seeds = st.builds(
    RoundSeeds,
    st.binary(min_size=32, max_size=32).map(bytes.hex),
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"),
        min_size=1,
        max_size=64,
    ),
    st.integers(min_value=0, max_value=2**63),
)


def _table(risk: str, picks: int) -> list[Fraction]:
    """The stored table (0 … picks hits), read straight from its text."""
    return [Fraction(value) for value in keno.PAYTABLES[risk][picks].split()]


def _p(picks: int, hits: int) -> Fraction:
    return Fraction(math.comb(picks, hits) * math.comb(40 - picks, 10 - hits), math.comb(40, 10))


def _rtp(risk: str, picks: int) -> Fraction:
    return sum((_p(picks, h) * m for h, m in enumerate(_table(risk, picks))), Fraction(0))


def test_the_titles_are_three_risk_levels_of_one_keno_mechanic():
    assert list(TITLES) == ["keno-classic", "keno-low", "keno-high"]
    for code, title in TITLES.items():
        assert (title.mechanic, title.fair_game) == ("keno", "keno")
        assert title.risk == RISK[code]  # type: ignore[attr-defined]
        assert title.configurations() == [{"picks": list(range(1, n + 1))} for n in PICKS]


@pytest.mark.parametrize("code", list(TITLES))
def test_every_ticket_returns_98_5_to_99_5_percent_exactly_and_its_top_award_can_be_won(code):
    title = TITLES[code]
    for params in title.configurations():
        n = len(params["picks"])
        expected = _rtp(RISK[code], n)
        par = par_sheet(code, f"picks={n}", title.distribution(params))
        assert par.rtp == expected
        assert BAND[0] <= expected <= BAND[1]
        assert expected >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= expected <= TITLE_RTP_RANGE[1]
        table = _table(RISK[code], n)
        assert par.max_multiplier == table[n] == max(table)
        assert par.max_probability == _p(n, n) > 0  # every pick drawn


def test_the_return_depends_only_on_how_many_squares_are_picked():
    for title in TITLES.values():
        for picks in ([40], [7, 21], [1, 2, 3, 38, 39, 40], list(range(31, 41))):
            params = title.check({"picks": picks})
            configuration = title.configurations()[len(picks) - 1]
            assert list(title.distribution(params)) == list(title.distribution(configuration))


@pytest.mark.parametrize("risk", list(keno.PAYTABLES))
def test_each_table_is_written_in_cents_and_never_pays_less_for_more_hits(risk):
    assert sorted(keno.PAYTABLES[risk]) == list(PICKS)
    for n in PICKS:
        table = _table(risk, n)
        assert len(table) == n + 1
        assert all((m * 100).denominator == 1 and m >= 0 for m in table)
        assert table == sorted(table)


def test_low_risk_pays_more_often_and_high_risk_pays_more_at_the_top():
    def hit_frequency(risk: str, n: int) -> Fraction:
        return sum((_p(n, h) for h, m in enumerate(_table(risk, n)) if m > 0), Fraction(0))

    for n in PICKS:
        assert hit_frequency("low", n) >= hit_frequency("classic", n) >= hit_frequency("high", n)
        assert _table("low", n)[n] <= _table("classic", n)[n] <= _table("high", n)[n]
    assert hit_frequency("low", 4) > hit_frequency("classic", 4) > hit_frequency("high", 4)
    assert _table("high", 10)[10] == 1000


@settings(max_examples=300, deadline=None)
@given(
    seeds=round_seeds,
    picks=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=10, unique=True),
    code=st.sampled_from(list(TITLES)),
)
def test_a_draw_is_the_published_keno_mapping_and_pays_for_its_hits(seeds, picks, code):
    title = TITLES[code]
    params = title.check({"picks": picks})
    assert params == {"picks": sorted(picks)}
    played = title.play(NumberStream(seeds), params)
    drawn = fair.keno_draw(seeds)
    hits = [square for square in drawn if square in set(picks)]
    assert played.outcome == {"drawn": drawn, "hits": hits}
    assert played.multiplier == _table(RISK[code], len(picks))[len(hits)]


@pytest.mark.parametrize("code", list(TITLES))
def test_a_million_seeded_draws_of_five_picks_return_what_the_par_sheet_says(code):
    # Five picks: the most volatile ticket of every risk.
    title = TITLES[code]
    params = title.check({"picks": [35, 3, 27, 11, 19]})
    par = par_sheet(code, "picks=5", title.distribution(params))
    assert (
        max(par_sheet(code, "", title.distribution(c)).variance for c in title.configurations())
        == par.variance
    )
    result = simulate(title, params, SIMULATED_ROUNDS)
    low, high = par.rtp_interval(SIMULATED_ROUNDS)
    assert low <= result.rtp <= high
    p = float(par.hit_frequency)
    half = Z_99 * math.sqrt(p * (1 - p) / SIMULATED_ROUNDS)
    assert abs(result.hits / SIMULATED_ROUNDS - p) <= half


@pytest.mark.parametrize(
    "picks",
    [
        [5, 5],
        [1, 2, 3, 2],
        [0],
        [41],
        [1, 40, 41],
        list(range(1, 12)),
        [],
        [True],
        [1.0],
        ["7"],
        None,
        "1,2,3",
        {1, 2, 3},
        7,
    ],
)
def test_a_ticket_that_is_not_1_to_10_distinct_squares_of_40_is_refused_naming_picks(picks):
    for title in TITLES.values():
        with pytest.raises(InvalidBet) as refused:
            title.check({"picks": picks})
        assert refused.value.extra == {"parameter": "picks"}


def test_a_ticket_without_picks_is_refused_naming_picks():
    for title in TITLES.values():
        with pytest.raises(InvalidBet) as refused:
            title.check({})
        assert refused.value.extra == {"parameter": "picks"}


def test_an_unknown_risk_is_a_programming_error():
    with pytest.raises(ValueError, match="risk"):
        keno.Keno("keno-x", "Keno X", risk="extreme")

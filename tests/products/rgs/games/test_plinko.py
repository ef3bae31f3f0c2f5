"""Plinko (low, medium, high risk; 8 to 16 rows): every paytable's exact return, rounds played
from the provably fair stream, a seeded million-round simulation, and refused bets.

The reference return is recomputed here from the stored table text and the binomial law
(``C(rows, k) / 2^rows``), not from the title's distribution, so a shared mistake is unlikely.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds
from croupier.products.rgs.games import plinko
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, Z_99, par_sheet
from croupier.products.rgs.simulate import simulate

TITLES = {title.code: title for title in plinko.TITLES}
RISK = {"plinko-low": "low", "plinko-medium": "medium", "plinko-high": "high"}
ROWS = range(8, 17)
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


def _table(risk: str, rows: int) -> list[Fraction]:
    """The stored table, read straight from its text."""
    return [Fraction(value) for value in plinko.PAYTABLES[risk][rows].split()]


def _rtp(risk: str, rows: int) -> Fraction:
    return sum(
        (Fraction(math.comb(rows, k), 2**rows) * m for k, m in enumerate(_table(risk, rows))),
        Fraction(0),
    )


def test_the_titles_are_three_risk_levels_of_one_plinko_mechanic():
    assert list(TITLES) == ["plinko-low", "plinko-medium", "plinko-high"]
    for code, title in TITLES.items():
        assert (title.mechanic, title.fair_game) == ("plinko", "plinko")
        assert title.risk == RISK[code]  # type: ignore[attr-defined]
        assert title.configurations() == [{"rows": rows} for rows in ROWS]


@pytest.mark.parametrize("code", list(TITLES))
def test_every_board_returns_98_5_to_99_5_percent_exactly_and_its_top_award_can_be_won(code):
    title = TITLES[code]
    for params in title.configurations():
        rows = params["rows"]
        expected = _rtp(RISK[code], rows)
        par = par_sheet(code, f"rows={rows}", title.distribution(params))
        assert par.rtp == expected
        assert BAND[0] <= expected <= BAND[1]
        assert expected >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= expected <= TITLE_RTP_RANGE[1]
        table = _table(RISK[code], rows)
        assert par.max_multiplier == max(table) == table[0] == table[-1]
        assert par.max_probability == Fraction(2, 2**rows)  # both edges


@pytest.mark.parametrize("risk", list(plinko.PAYTABLES))
def test_each_table_is_symmetric_in_cents_and_pays_most_at_the_edges(risk):
    assert sorted(plinko.PAYTABLES[risk]) == list(ROWS)
    for rows in ROWS:
        table = _table(risk, rows)
        assert len(table) == rows + 1
        assert table == table[::-1]
        assert all((m * 100).denominator == 1 and m >= 0 for m in table)
        half = table[: rows // 2 + 1]  # edge to centre
        assert all(a > b or a == b < 1 for a, b in pairwise(half))


def test_more_risk_pays_less_in_the_centre_and_more_at_the_edges():
    for rows in ROWS:
        low, medium, high = (_table(risk, rows) for risk in ("low", "medium", "high"))
        centre = rows // 2
        assert low[centre] > medium[centre] > high[centre]
        assert low[0] < medium[0] < high[0]
        assert Fraction(2, 10) <= high[centre] <= Fraction(3, 10)
    assert _table("high", 16)[0] == 1000
    assert _table("low", 16)[8] == Fraction(49, 100)


@settings(max_examples=300, deadline=None)
@given(seeds=round_seeds, rows=st.sampled_from(ROWS), code=st.sampled_from(list(TITLES)))
def test_a_round_lands_where_the_published_plinko_mapping_says(seeds, rows, code):
    title = TITLES[code]
    played = title.play(NumberStream(seeds), title.check({"rows": rows}))
    drop = fair.plinko_drop(seeds, rows)
    assert played.outcome == {"path": list(drop.path), "slot": drop.slot}
    assert played.multiplier == _table(RISK[code], rows)[drop.slot]


@pytest.mark.parametrize("code", list(TITLES))
def test_a_million_seeded_rounds_on_16_rows_return_what_the_par_sheet_says(code):
    # 16 rows: the default board, and the widest spread of every risk but low.
    title = TITLES[code]
    params = title.check({})
    assert params == {"rows": 16}
    par = par_sheet(code, "rows=16", title.distribution(params))
    result = simulate(title, params, SIMULATED_ROUNDS, top=par.max_multiplier)
    low, high = par.rtp_interval(SIMULATED_ROUNDS)
    assert low <= result.rtp <= high
    p = float(par.hit_frequency)
    half = Z_99 * math.sqrt(p * (1 - p) / SIMULATED_ROUNDS)
    assert abs(result.hits / SIMULATED_ROUNDS - p) <= half
    assert result.top_awards > 0  # 2 in 65,536: about 30 expected


@pytest.mark.parametrize("rows", [7, 17, 0, -16, True, False, "16", 16.0, None, [16]])
def test_a_board_outside_8_to_16_rows_is_refused_naming_rows(rows):
    for title in TITLES.values():
        with pytest.raises(InvalidBet) as refused:
            title.check({"rows": rows})
        assert refused.value.extra == {"parameter": "rows"}


def test_an_unknown_risk_is_a_programming_error():
    with pytest.raises(ValueError, match="risk"):
        plinko.Plinko("plinko-x", "Plinko X", risk="extreme")

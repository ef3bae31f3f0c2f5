"""Wheel (low, medium, high risk; 10 to 50 segments): every wheel's exact return, rounds played
from the provably fair stream, a seeded million-round simulation, and refused bets.

The reference return is recomputed here as the mean of the stored wheel text, not from the
title's distribution, so a shared mistake is unlikely.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds
from croupier.products.rgs.games import wheel
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, Z_99, par_sheet
from croupier.products.rgs.simulate import simulate

TITLES = {title.code: title for title in wheel.TITLES}
RISK = {"wheel-low": "low", "wheel-medium": "medium", "wheel-high": "high"}
SEGMENTS = (10, 20, 30, 40, 50)
BAND = (Fraction(985, 1000), Fraction(995, 1000))  # what every wheel is designed to return
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


def _texts(risk: str, segments: int) -> list[str]:
    return wheel.WHEELS[risk][segments].split()


def _wheel(risk: str, segments: int) -> list[Fraction]:
    """The stored wheel, read straight from its text."""
    return [Fraction(value) for value in _texts(risk, segments)]


def test_the_titles_are_three_risk_levels_of_one_wheel_mechanic():
    assert list(TITLES) == ["wheel-low", "wheel-medium", "wheel-high"]
    for code, title in TITLES.items():
        assert (title.mechanic, title.fair_game) == ("wheel", "wheel")
        assert title.risk == RISK[code]  # type: ignore[attr-defined]
        assert title.configurations() == [{"segments": s} for s in SEGMENTS]
        assert title.check({}) == {"segments": 10}


@pytest.mark.parametrize("code", list(TITLES))
def test_every_wheel_returns_98_5_to_99_5_percent_exactly_and_its_top_award_can_be_won(code):
    title = TITLES[code]
    for params in title.configurations():
        segments = params["segments"]
        values = _wheel(RISK[code], segments)
        assert len(values) == segments
        expected = Fraction(sum(values), segments)
        par = par_sheet(code, f"segments={segments}", title.distribution(params))
        assert par.rtp == expected
        assert BAND[0] <= expected <= BAND[1]
        assert expected >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= expected <= TITLE_RTP_RANGE[1]
        assert par.max_multiplier == max(values)
        assert par.max_probability == Fraction(values.count(max(values)), segments) > 0


@pytest.mark.parametrize("risk", list(wheel.WHEELS))
def test_each_wheel_is_written_in_cents(risk):
    assert sorted(wheel.WHEELS[risk]) == list(SEGMENTS)
    for segments in SEGMENTS:
        assert all((m * 100).denominator == 1 and m >= 0 for m in _wheel(risk, segments))


def test_more_risk_loses_on_more_segments_and_pays_more_on_the_best_one():
    for segments in SEGMENTS:
        zeros = [_wheel(risk, segments).count(0) for risk in ("low", "medium", "high")]
        tops = [max(_wheel(risk, segments)) for risk in ("low", "medium", "high")]
        assert zeros == [segments // 5, segments // 2, segments - 2]
        assert tops[0] < tops[1] < tops[2]


@settings(max_examples=300, deadline=None)
@given(seeds=round_seeds, segments=st.sampled_from(SEGMENTS), code=st.sampled_from(list(TITLES)))
def test_a_spin_stops_where_the_published_wheel_mapping_says(seeds, segments, code):
    title = TITLES[code]
    played = title.play(NumberStream(seeds), title.check({"segments": segments}))
    segment = fair.wheel_segment(seeds, segments)
    text = _texts(RISK[code], segments)[segment]
    assert played.outcome == {"segment": segment, "multiplier": f"{Decimal(text):.2f}"}
    assert played.multiplier == Fraction(text)


@pytest.mark.parametrize("code", list(TITLES))
def test_a_million_seeded_spins_of_50_segments_return_what_the_par_sheet_says(code):
    # 50 segments: the most volatile wheel of every risk, and the one with most segments to hit.
    title = TITLES[code]
    params = title.check({"segments": 50})
    par = par_sheet(code, "segments=50", title.distribution(params))
    result = simulate(title, params, SIMULATED_ROUNDS, top=par.max_multiplier)
    low, high = par.rtp_interval(SIMULATED_ROUNDS)
    assert low <= result.rtp <= high
    p = float(par.hit_frequency)
    half = Z_99 * math.sqrt(p * (1 - p) / SIMULATED_ROUNDS)
    assert abs(result.hits / SIMULATED_ROUNDS - p) <= half
    assert result.top_awards > 0


@pytest.mark.parametrize("segments", [15, 0, 5, 60, 100, -10, True, "10", 10.0, None])
def test_a_wheel_size_other_than_10_to_50_in_tens_is_refused_naming_segments(segments):
    for title in TITLES.values():
        with pytest.raises(InvalidBet) as refused:
            title.check({"segments": segments})
        assert refused.value.extra == {"parameter": "segments"}


def test_an_unknown_risk_is_a_programming_error():
    with pytest.raises(ValueError, match="risk"):
        wheel.Wheel("wheel-x", "Wheel X", risk="extreme")

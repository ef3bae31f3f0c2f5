"""The football match model: the score grid against the Poisson formulas, every market's
probabilities against direct sums over the grid, quarter lines, Dixon–Coles, and the bet
builder's joint probability (exact and sampled) against the naive product."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.sportsbook.match_model import (
    CORRECT_SCORE_MAX,
    MATCH_MINUTES,
    MatchState,
    Outcome,
    Selection,
    fair_probability,
    handicap_market,
    joint_probability,
    line_key,
    market_outcomes,
    market_probabilities,
    outcome_probabilities,
    score_grid,
    simulate_joint,
    total_market,
)

KICK_OFF = MatchState(home_rate=1.5, away_rate=1.2)
TWO_WAY = ("total:", "asian_handicap:", "draw_no_bet", "btts")


def grid_sum(state: MatchState, won: Callable[[int, int], bool]) -> float:
    """The probability of the final scores where ``won(home, away)`` holds, cell by cell."""
    grid = score_grid(state)
    rows, cols = grid.probabilities.shape
    return sum(
        float(grid.probabilities[i, j])
        for i in range(rows)
        for j in range(cols)
        if won(state.home_goals + i, state.away_goals + j)
    )


def more_goals_than(goals: int, home: int, away: int) -> bool:
    return home + away > goals


def test_the_grid_at_kick_off_is_two_independent_poissons() -> None:
    grid = score_grid(KICK_OFF)
    assert grid.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert grid.tail_mass < 1e-12
    assert abs(grid.score_probability(0, 0) - math.exp(-2.7)) <= grid.tail_mass + 1e-15
    expected_2_1 = (math.exp(-1.5) * 1.5**2 / 2) * (math.exp(-1.2) * 1.2)
    assert grid.score_probability(2, 1) == pytest.approx(expected_2_1, rel=1e-12)


def test_every_market_sums_to_one_at_kick_off() -> None:
    markets = market_probabilities(score_grid(KICK_OFF))
    for market, selections in markets.items():
        total = sum(selections.values())
        if market == "double_chance":
            assert total == pytest.approx(2.0, abs=1e-12)
        else:
            assert total == pytest.approx(1.0, abs=1e-12), market
    assert markets["1x2"]["home"] > markets["1x2"]["away"]


@settings(max_examples=60, deadline=None)
@given(
    home_rate=st.floats(0.0, 4.0),
    away_rate=st.floats(0.0, 4.0),
    minute=st.integers(0, MATCH_MINUTES),
    home_goals=st.integers(0, 6),
    away_goals=st.integers(0, 6),
)
def test_probabilities_sum_to_one_at_any_minute_and_score(
    home_rate: float, away_rate: float, minute: int, home_goals: int, away_goals: int
) -> None:
    state = MatchState(home_rate, away_rate, minute, home_goals, away_goals)
    grid = score_grid(state)
    assert grid.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert (grid.probabilities >= 0).all()
    for market, by_selection in market_outcomes(grid).items():
        for name, outcomes in by_selection.items():
            assert sum(outcomes.values()) == pytest.approx(1.0, abs=1e-12), (market, name)
    for market, fair in market_probabilities(grid).items():
        if market in ("1x2", "correct_score") or market.startswith(TWO_WAY):
            assert sum(fair.values()) == pytest.approx(1.0, abs=1e-9), market
        assert all(0.0 <= p <= 1.0 for p in fair.values())


def test_a_one_goal_lead_in_the_89th_minute_is_almost_won() -> None:
    state = MatchState(1.5, 1.2, minute=89, home_goals=1, away_goals=0)
    result = market_probabilities(score_grid(state))["1x2"]
    away_rate = 1.2 / MATCH_MINUTES
    # the home side loses the win only if the away side scores in the last minute (and
    # outscores the home side's goals of that minute): at most 1 - e^(-away rate)
    assert 1 - result["home"] <= 1 - math.exp(-away_rate)
    assert result["home"] > 0.985
    assert result["away"] < 1e-4


def test_at_full_time_the_result_is_certain() -> None:
    state = MatchState(1.5, 1.2, minute=90, home_goals=2, away_goals=2)
    markets = market_probabilities(score_grid(state))
    assert markets["1x2"] == {"home": 0.0, "draw": 1.0, "away": 0.0}
    assert markets["correct_score"]["2-2"] == 1.0
    assert markets["btts"]["yes"] == 1.0
    # draw no bet pushes whatever happens: nothing to price, left out
    assert "draw_no_bet" not in markets
    assert "asian_handicap:0" not in markets


@pytest.mark.parametrize(
    "state",
    [KICK_OFF, MatchState(1.8, 0.9, minute=30, home_goals=0, away_goals=1)],
    ids=["kick-off", "minute 30 at 0-1"],
)
def test_totals_btts_and_correct_score_agree_with_the_grid(state: MatchState) -> None:
    grid = score_grid(state)
    markets = market_probabilities(grid)
    for goals in (0, 1, 2, 3):
        line = Fraction(2 * goals + 1, 2)
        over = grid_sum(state, functools.partial(more_goals_than, goals))
        assert markets[total_market(line)]["over"] == pytest.approx(over, abs=1e-12)
        assert markets[total_market(line)]["under"] == pytest.approx(1 - over, abs=1e-12)
    assert markets["btts"]["yes"] == pytest.approx(
        grid_sum(state, lambda h, a: h > 0 and a > 0), abs=1e-12
    )
    assert markets["correct_score"]["1-1"] == pytest.approx(grid.score_probability(1, 1))
    assert markets["correct_score"]["other"] == pytest.approx(
        grid_sum(state, lambda h, a: h > CORRECT_SCORE_MAX or a > CORRECT_SCORE_MAX), abs=1e-12
    )
    home_or_draw = grid_sum(state, lambda h, a: h >= a)
    assert markets["double_chance"]["1x"] == pytest.approx(home_or_draw, abs=1e-12)


def test_quarter_line_handicaps_split_the_stake() -> None:
    grid = score_grid(KICK_OFF)
    by_one = grid_sum(KICK_OFF, lambda h, a: h - a == 1)
    by_two_or_more = grid_sum(KICK_OFF, lambda h, a: h - a >= 2)
    draw = grid_sum(KICK_OFF, lambda h, a: h == a)
    home_win = by_one + by_two_or_more

    minus_three_quarters = outcome_probabilities(grid, Selection(handicap_market("-0.75"), "home"))
    assert minus_three_quarters[Outcome.WIN] == pytest.approx(by_two_or_more, abs=1e-12)
    assert minus_three_quarters[Outcome.HALF_WIN] == pytest.approx(by_one, abs=1e-12)
    assert minus_three_quarters[Outcome.LOSE] == pytest.approx(1 - home_win, abs=1e-12)

    plus_quarter_away = outcome_probabilities(grid, Selection(handicap_market("-0.25"), "away"))
    assert plus_quarter_away[Outcome.HALF_WIN] == pytest.approx(draw, abs=1e-12)
    assert plus_quarter_away[Outcome.WIN] == pytest.approx(1 - home_win - draw, abs=1e-12)

    markets = market_probabilities(grid)
    # fair probability = (W + HW/2) / (1 - P - (HW + HL)/2)
    assert markets[handicap_market("-0.75")]["home"] == pytest.approx(
        (by_two_or_more + by_one / 2) / (1 - by_one / 2), abs=1e-12
    )
    assert markets["draw_no_bet"]["home"] == pytest.approx(home_win / (1 - draw), abs=1e-12)
    assert markets["draw_no_bet"] == markets[handicap_market(0)]

    over_two_and_quarter = outcome_probabilities(grid, Selection(total_market("2.25"), "over"))
    assert over_two_and_quarter[Outcome.HALF_LOSE] == pytest.approx(
        grid_sum(KICK_OFF, lambda h, a: h + a == 2), abs=1e-12
    )
    over_two = outcome_probabilities(grid, Selection(total_market(2), "over"))
    assert over_two[Outcome.PUSH] == pytest.approx(over_two_and_quarter[Outcome.HALF_LOSE])


@pytest.mark.parametrize(
    ("market", "name", "score", "outcome"),
    [
        ("asian_handicap:-0.75", "home", (1, 0), Outcome.HALF_WIN),
        ("asian_handicap:-0.75", "away", (1, 0), Outcome.HALF_LOSE),
        ("asian_handicap:-0.75", "home", (2, 0), Outcome.WIN),
        ("asian_handicap:-0.25", "home", (1, 1), Outcome.HALF_LOSE),
        ("asian_handicap:0.25", "home", (1, 1), Outcome.HALF_WIN),
        ("asian_handicap:-1", "home", (2, 1), Outcome.PUSH),
        ("asian_handicap:1.5", "away", (3, 1), Outcome.LOSE),
        ("total:2.75", "over", (2, 1), Outcome.HALF_WIN),
        ("total:2.75", "under", (2, 1), Outcome.HALF_LOSE),
        ("total:3", "under", (2, 1), Outcome.PUSH),
        ("draw_no_bet", "away", (0, 0), Outcome.PUSH),
        ("double_chance", "x2", (0, 0), Outcome.WIN),
        ("correct_score", "other", (5, 0), Outcome.WIN),
        ("btts", "no", (3, 0), Outcome.WIN),
    ],
)
def test_selections_settle_on_the_final_score(
    market: str, name: str, score: tuple[int, int], outcome: Outcome
) -> None:
    assert Selection(market, name).settle(*score) is outcome


def test_unknown_selections_and_lines_are_refused() -> None:
    for market, name in [
        ("1x2", "over"),
        ("total:2.1", "over"),
        ("total:0", "over"),
        ("asian_handicap", "home"),
        ("correct_score", "7-0"),
        ("first_scorer", "home"),
    ]:
        with pytest.raises(ValueError):
            Selection(market, name)
    assert line_key(Fraction(-3, 4)) == "-0.75"
    assert line_key("2") == "2"
    assert fair_probability({Outcome.PUSH: 1.0}) is None


def test_dixon_coles_moves_low_scores_and_keeps_the_total() -> None:
    rho = -0.1
    corrected = score_grid(MatchState(1.5, 1.2, rho=rho))
    plain = score_grid(KICK_OFF)
    assert corrected.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    assert corrected.score_probability(0, 0) == pytest.approx(
        plain.score_probability(0, 0) * (1 - 1.5 * 1.2 * rho)
    )
    assert corrected.score_probability(1, 1) == pytest.approx(
        plain.score_probability(1, 1) * (1 - rho)
    )
    # the correction keeps each team's goal distribution
    np.testing.assert_allclose(
        corrected.probabilities.sum(axis=1), plain.probabilities.sum(axis=1), atol=1e-12
    )
    with pytest.raises(ValueError):
        score_grid(MatchState(3.0, 3.0, rho=-0.5))


def test_a_same_game_combination_is_priced_from_the_joint_distribution() -> None:
    legs = [Selection("1x2", "home"), Selection(total_market("2.5"), "over")]
    grid = score_grid(KICK_OFF)
    exact = joint_probability(grid, legs)
    markets = market_probabilities(grid)
    naive = markets["1x2"]["home"] * markets["total:2.5"]["over"]
    assert exact == pytest.approx(grid_sum(KICK_OFF, lambda h, a: h > a and h + a > 2.5))
    # a home win needs goals: the legs are positively correlated
    assert exact - naive > 0.03

    sample = simulate_joint(KICK_OFF, 200_000, np.random.default_rng(8))
    assert abs(sample.probability(legs) - exact) < 4 * sample.standard_error(legs)
    assert abs(sample.probability(legs) - naive) > 10 * sample.standard_error(legs)

    dixon_coles = MatchState(1.5, 1.2, rho=-0.08)
    dc_sample = simulate_joint(dixon_coles, 100_000, np.random.default_rng(9))
    dc_exact = joint_probability(score_grid(dixon_coles), legs)
    assert abs(dc_sample.probability(legs) - dc_exact) < 4 * dc_sample.standard_error(legs)


def test_the_bet_builder_refuses_selections_that_can_push() -> None:
    with pytest.raises(ValueError, match="can push"):
        joint_probability(
            score_grid(KICK_OFF), [Selection("1x2", "home"), Selection("total:2.25", "over")]
        )
    assert joint_probability(
        score_grid(KICK_OFF), [Selection("1x2", "home"), Selection("1x2", "away")]
    ) == pytest.approx(0.0)


def test_in_play_the_grid_starts_from_the_current_score() -> None:
    state = MatchState(1.5, 1.2, minute=60, home_goals=2, away_goals=1)
    grid = score_grid(state)
    assert grid.score_probability(1, 1) == 0.0
    remaining = 1.5 * 30 / 90, 1.2 * 30 / 90
    assert grid.score_probability(2, 1) == pytest.approx(math.exp(-sum(remaining)))
    from_now = market_probabilities(score_grid(state.from_now()))
    assert from_now["1x2"]["draw"] > market_probabilities(grid)["1x2"]["draw"]

"""Settlement rules of every market kind: lines, quarter lines, pushes, dead heats, tennis
retirements, basketball overtime, cancelled events; and their invariants as properties."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.sportsbook.bets import return_factor
from croupier.products.sportsbook.markets import (
    MARKET_KINDS,
    AsianHandicap,
    BasketballMoneyline,
    BasketballScore,
    BasketballSpread,
    BasketballTotal,
    BothTeamsToScore,
    CorrectScore,
    DoubleChance,
    DrawNoBet,
    EventCancelled,
    FootballScore,
    MarketDefinition,
    OneXTwo,
    Outcome,
    OutcomeKind,
    Outright,
    OutrightResult,
    OverUnder,
    TennisMatchWinner,
    TennisResult,
    TennisSetBetting,
    market_from_params,
    parse_line,
    settle,
    settle_selection,
    split_line,
)
from croupier.products.sportsbook.settlement_errors import (
    InvalidLine,
    InvalidMarketDefinition,
    InvalidOutcome,
    InvalidResult,
    InvalidSelection,
)

WIN = OutcomeKind.WIN
LOSE = OutcomeKind.LOSE
VOID = OutcomeKind.VOID
HALF_WIN = OutcomeKind.HALF_WIN
HALF_LOSE = OutcomeKind.HALF_LOSE
DEAD_HEAT = OutcomeKind.DEAD_HEAT

MIRROR = {WIN: LOSE, LOSE: WIN, VOID: VOID, HALF_WIN: HALF_LOSE, HALF_LOSE: HALF_WIN}


def kind_of(market: MarketDefinition, selection: str, result: Any) -> OutcomeKind:
    return settle(market, selection, result).kind


# --- Football -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("home", "away", "winner"), [(2, 1, "1"), (0, 0, "X"), (1, 1, "X"), (0, 3, "2")]
)
def test_1x2_pays_exactly_the_result(home: int, away: int, winner: str) -> None:
    for selection in ("1", "X", "2"):
        expected = WIN if selection == winner else LOSE
        assert kind_of(OneXTwo(), selection, FootballScore(home, away)) is expected


@pytest.mark.parametrize(
    ("home", "away", "winning"),
    [(2, 1, {"1X", "12"}), (1, 1, {"1X", "X2"}), (0, 2, {"12", "X2"})],
)
def test_double_chance_covers_two_results(home: int, away: int, winning: set[str]) -> None:
    for selection in ("1X", "12", "X2"):
        expected = WIN if selection in winning else LOSE
        assert kind_of(DoubleChance(), selection, FootballScore(home, away)) is expected


def test_draw_no_bet_is_void_on_a_draw_and_settles_otherwise() -> None:
    assert kind_of(DrawNoBet(), "1", FootballScore(1, 1)) is VOID
    assert kind_of(DrawNoBet(), "2", FootballScore(0, 0)) is VOID
    assert kind_of(DrawNoBet(), "1", FootballScore(2, 1)) is WIN
    assert kind_of(DrawNoBet(), "2", FootballScore(2, 1)) is LOSE


@pytest.mark.parametrize(
    ("line", "goals", "over"),
    [
        ("0.5", 0, LOSE),
        ("0.5", 1, WIN),
        ("2.5", 2, LOSE),
        ("2.5", 3, WIN),
        ("2", 2, VOID),  # exactly on a whole line: push
        ("3", 3, VOID),
        ("2", 3, WIN),
        ("2.25", 2, HALF_LOSE),  # 2 pushes, 2.5 loses
        ("2.25", 3, WIN),
        ("2.25", 1, LOSE),
        ("2.75", 3, HALF_WIN),  # 2.5 wins, 3 pushes
        ("2.75", 2, LOSE),
        ("2.75", 4, WIN),
        ("1.75", 2, HALF_WIN),
    ],
)
def test_over_under_lines(line: str, goals: int, over: OutcomeKind) -> None:
    score = FootballScore(goals, 0)
    assert kind_of(OverUnder(parse_line(line)), "over", score) is over
    assert kind_of(OverUnder(parse_line(line)), "under", score) is MIRROR[over]


@pytest.mark.parametrize(
    ("handicap", "home", "away", "home_outcome"),
    [
        ("0", 1, 1, VOID),
        ("0", 1, 0, WIN),
        ("0", 0, 1, LOSE),
        ("-0.25", 1, 1, HALF_LOSE),  # 0 pushes, -0.5 loses
        ("-0.25", 1, 0, WIN),
        ("+0.25", 1, 1, HALF_WIN),  # 0 pushes, +0.5 wins
        ("0.25", 0, 1, LOSE),
        ("-0.5", 1, 1, LOSE),
        ("-0.5", 1, 0, WIN),
        ("0.5", 1, 1, WIN),
        ("-0.75", 1, 0, HALF_WIN),  # a one-goal win: -0.5 wins, -1 pushes
        ("-0.75", 2, 0, WIN),
        ("-0.75", 1, 1, LOSE),
        ("0.75", 0, 1, HALF_LOSE),  # a one-goal defeat: +0.5 loses, +1 pushes
        ("0.75", 1, 1, WIN),
        ("-1", 1, 0, VOID),  # a one-goal win on -1: push
        ("-1", 2, 0, WIN),
        ("1", 0, 1, VOID),
        ("-1.25", 1, 0, HALF_LOSE),  # a one-goal win: -1 pushes, -1.5 loses
        ("-1.25", 2, 0, WIN),
        ("-1.5", 1, 0, LOSE),
        ("-1.75", 2, 0, HALF_WIN),
        ("2", 0, 2, VOID),
    ],
)
def test_asian_handicap_lines(
    handicap: str, home: int, away: int, home_outcome: OutcomeKind
) -> None:
    market = AsianHandicap(parse_line(handicap))
    score = FootballScore(home, away)
    assert kind_of(market, "home", score) is home_outcome
    assert kind_of(market, "away", score) is MIRROR[home_outcome]


def test_quarter_lines_split_into_the_neighbouring_half_stakes() -> None:
    assert split_line(Fraction(-3, 4)) == (Fraction(-1), Fraction(-1, 2))
    assert split_line(Fraction(9, 4)) == (Fraction(2), Fraction(5, 2))
    assert split_line(Fraction(5, 2)) == (Fraction(5, 2),)
    assert split_line(Fraction(-1)) == (Fraction(-1),)


@pytest.mark.parametrize("bad", ["2.3", "0.1", "1/3", "abc", "", 2.5, True, None])
def test_a_line_off_the_quarter_grid_or_inexact_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidLine) as caught:
        parse_line(bad)
    assert caught.value.code == "sportsbook.invalid_line"
    assert caught.value.status == 422


@pytest.mark.parametrize("bad", ["0", "-2.5"])
def test_a_total_line_is_above_zero(bad: str) -> None:
    with pytest.raises(InvalidLine):
        OverUnder(parse_line(bad))
    with pytest.raises(InvalidLine):
        BasketballTotal(parse_line(bad))


@pytest.mark.parametrize(
    ("home", "away", "yes"), [(1, 1, WIN), (2, 0, LOSE), (0, 0, LOSE), (0, 3, LOSE), (3, 2, WIN)]
)
def test_both_teams_to_score(home: int, away: int, yes: OutcomeKind) -> None:
    assert kind_of(BothTeamsToScore(), "yes", FootballScore(home, away)) is yes
    assert kind_of(BothTeamsToScore(), "no", FootballScore(home, away)) is MIRROR[yes]


def test_correct_score_pays_the_exact_score_only() -> None:
    market = CorrectScore(max_goals=4)
    assert len(market.selections) == 26  # 5 × 5 scores and "other"
    assert kind_of(market, "2-1", FootballScore(2, 1)) is WIN
    assert kind_of(market, "1-2", FootballScore(2, 1)) is LOSE
    assert kind_of(market, "other", FootballScore(2, 1)) is LOSE
    assert kind_of(market, "other", FootballScore(5, 0)) is WIN
    assert kind_of(market, "4-4", FootballScore(4, 4)) is WIN


def test_a_selection_the_market_does_not_offer_is_refused() -> None:
    with pytest.raises(InvalidSelection) as caught:
        settle(CorrectScore(max_goals=4), "5-0", FootballScore(5, 0))
    assert caught.value.code == "sportsbook.invalid_selection"
    assert caught.value.status == 422
    with pytest.raises(InvalidSelection):
        settle(OneXTwo(), "home", FootballScore(1, 0))


def test_a_result_of_another_sport_is_refused() -> None:
    with pytest.raises(InvalidResult) as caught:
        settle(OneXTwo(), "1", BasketballScore(100, 90))
    assert caught.value.code == "sportsbook.invalid_result"
    with pytest.raises(InvalidResult):
        settle(BasketballMoneyline(), "home", FootballScore(1, 0))


@pytest.mark.parametrize("bad", [(-1, 0), (1, True), (1.0, 0)])
def test_a_malformed_score_is_refused(bad: tuple[Any, Any]) -> None:
    with pytest.raises(InvalidResult):
        FootballScore(*bad)


# --- Outrights and dead heats ------------------------------------------------------------


def test_outright_winner_wins_and_the_rest_lose() -> None:
    market = Outright(("ana", "ben", "cleo"))
    result = OutrightResult((("ben",), ("ana",), ("cleo",)))
    assert kind_of(market, "ben", result) is WIN
    assert kind_of(market, "ana", result) is LOSE
    assert kind_of(market, "cleo", result) is LOSE


def test_outright_dead_heat_of_two_for_one_place_pays_half_the_stake_at_full_odds() -> None:
    market = Outright(("ana", "ben", "cleo"))
    result = OutrightResult((("ana", "ben"), ("cleo",)))
    outcome = settle(market, "ana", result)
    assert outcome == Outcome.dead_heat_of(Fraction(1, 2))
    assert settle(market, "ben", result) == outcome
    assert kind_of(market, "cleo", result) is LOSE
    # At 6.0 (5/1), 10 staked returns 10 × 1/2 × 6 = 30.
    assert 10 * return_factor(Fraction(6), outcome) == 30


def test_outright_dead_heat_for_the_last_of_several_places() -> None:
    market = Outright(("a", "b", "c", "d", "e"), places=2)
    # a wins; b, c and d tie for second: one paying place among three.
    result = OutrightResult((("a",), ("b", "c", "d"), ("e",)))
    assert kind_of(market, "a", result) is WIN
    assert settle(market, "c", result) == Outcome.dead_heat_of(Fraction(1, 3))
    assert kind_of(market, "e", result) is LOSE
    # Two tied for first with two places paid: both places are theirs, both win in full.
    result = OutrightResult((("a", "b"), ("c",)))
    assert kind_of(market, "a", result) is WIN
    assert kind_of(market, "b", result) is WIN
    assert kind_of(market, "c", result) is LOSE
    # Three tied for first with two places: 2/3 each.
    result = OutrightResult((("a", "b", "c"),))
    assert settle(market, "b", result) == Outcome.dead_heat_of(Fraction(2, 3))
    assert kind_of(market, "d", result) is LOSE  # unplaced


def test_outright_result_naming_a_stranger_or_a_competitor_twice_is_refused() -> None:
    with pytest.raises(InvalidResult):
        settle(Outright(("a", "b")), "a", OutrightResult((("a",), ("zed",))))
    with pytest.raises(InvalidResult):
        OutrightResult((("a",), ("a",)))
    with pytest.raises(InvalidResult):
        OutrightResult(((),))


@pytest.mark.parametrize(
    ("competitors", "places"), [(("a",), 1), (("a", "a"), 1), (("a", "b"), 2), (("a", "b"), 0)]
)
def test_an_outright_needs_distinct_competitors_and_fewer_places(
    competitors: tuple[str, ...], places: int
) -> None:
    with pytest.raises(InvalidMarketDefinition):
        Outright(competitors, places)


@pytest.mark.parametrize("factor", [Fraction(0), Fraction(1), Fraction(3, 2), None])
def test_a_dead_heat_factor_is_strictly_between_zero_and_one(factor: Fraction | None) -> None:
    with pytest.raises(InvalidOutcome):
        Outcome(OutcomeKind.DEAD_HEAT, factor)


def test_only_a_dead_heat_has_a_factor_and_kinds_are_read_from_text() -> None:
    with pytest.raises(InvalidOutcome):
        Outcome(OutcomeKind.WIN, Fraction(1, 2))
    with pytest.raises(InvalidOutcome):
        Outcome("maybe")  # type: ignore[arg-type]
    assert Outcome("half_win") == Outcome.half_win()  # type: ignore[arg-type]


# --- Tennis ---------------------------------------------------------------------------


def test_tennis_best_of_three_set_betting_and_match_winner() -> None:
    market = TennisSetBetting(best_of=3)
    assert market.selections == ("2-0", "2-1", "1-2", "0-2")
    result = TennisResult(((6, 4), (3, 6), (7, 6)), best_of=3)
    assert kind_of(market, "2-1", result) is WIN
    for other in ("2-0", "1-2", "0-2"):
        assert kind_of(market, other, result) is LOSE
    assert kind_of(TennisMatchWinner(), "1", result) is WIN
    assert kind_of(TennisMatchWinner(), "2", result) is LOSE
    straight = TennisResult(((4, 6), (5, 7)))
    assert kind_of(market, "0-2", straight) is WIN


def test_tennis_best_of_five_set_betting() -> None:
    market = TennisSetBetting(best_of=5)
    assert market.selections == ("3-0", "3-1", "3-2", "2-3", "1-3", "0-3")
    # A deciding fifth set may run on (advantage set) or be a match tie-break to 10 points.
    long_fifth = TennisResult(((6, 3), (4, 6), (6, 7), (7, 5), (12, 14)), best_of=5)
    assert kind_of(market, "2-3", long_fifth) is WIN
    assert kind_of(TennisMatchWinner(best_of=5), "2", long_fifth) is WIN
    tie_break = TennisResult(((6, 3), (4, 6), (6, 7), (7, 5), (10, 8)), best_of=5)
    assert kind_of(market, "3-2", tie_break) is WIN
    assert kind_of(market, "3-1", TennisResult(((6, 0), (6, 1), (3, 6), (6, 2)), 5)) is WIN


def test_tennis_retirement_rule() -> None:
    """Rule: a retirement voids set betting; the match winner stands for the player who
    advances once a set was completed, and is void before that."""
    after_a_set = TennisResult(((6, 3),), best_of=3, retired="1")
    assert kind_of(TennisMatchWinner(), "2", after_a_set) is WIN
    assert kind_of(TennisMatchWinner(), "1", after_a_set) is LOSE
    for selection in TennisSetBetting().selections:
        assert kind_of(TennisSetBetting(), selection, after_a_set) is VOID
    before_a_set = TennisResult((), best_of=3, retired="2")
    assert kind_of(TennisMatchWinner(), "1", before_a_set) is VOID
    assert kind_of(TennisMatchWinner(), "2", before_a_set) is VOID


@pytest.mark.parametrize(
    ("sets", "best_of", "retired"),
    [
        (((6, 4),), 3, None),  # not finished and nobody retired
        (((6, 4), (6, 4), (6, 4)), 3, None),  # a set after the match was won
        (((6, 5), (6, 4)), 3, None),  # 6-5 is not a finished set
        (((8, 6), (6, 4)), 3, None),  # an advantage set only as the deciding set
        (((6, 4), (6, 4)), 3, "2"),  # retired from a match already lost
        (((6, 4), (6, 4)), 4, None),
        (((6, 4), (4, 6), (10, 9)), 3, None),  # a match tie-break is won by 2
    ],
)
def test_an_impossible_tennis_result_is_refused(
    sets: tuple[tuple[int, int], ...], best_of: int, retired: Any
) -> None:
    with pytest.raises(InvalidResult):
        TennisResult(sets, best_of, retired)


def test_a_tennis_result_of_another_format_is_refused() -> None:
    with pytest.raises(InvalidResult):
        settle(TennisSetBetting(best_of=5), "3-0", TennisResult(((6, 1), (6, 1))))


# --- Basketball -----------------------------------------------------------------------


def test_basketball_markets_settle_on_the_final_score_including_overtime() -> None:
    # 100-100 after regulation, 112-108 after one overtime.
    final = BasketballScore(112, 108, overtime_periods=1)
    assert kind_of(BasketballMoneyline(), "home", final) is WIN
    assert kind_of(BasketballMoneyline(), "away", final) is LOSE
    assert kind_of(BasketballSpread(Fraction(-7, 2)), "home", final) is WIN  # 4 > 3.5
    assert kind_of(BasketballSpread(Fraction(-4)), "home", final) is VOID  # push
    assert kind_of(BasketballSpread(Fraction(-4)), "away", final) is VOID
    assert kind_of(BasketballSpread(Fraction(-9, 2)), "away", final) is WIN
    assert kind_of(BasketballTotal(Fraction(401, 2)), "over", final) is WIN  # 220 > 200.5
    assert kind_of(BasketballTotal(Fraction(220)), "under", final) is VOID
    assert kind_of(BasketballTotal(Fraction(441, 2)), "under", final) is WIN


def test_a_tied_basketball_final_voids_the_moneyline() -> None:
    assert kind_of(BasketballMoneyline(), "home", BasketballScore(90, 90)) is VOID
    assert kind_of(BasketballMoneyline(), "away", BasketballScore(90, 90)) is VOID


# --- Cancelled events -----------------------------------------------------------------

EVERY_MARKET: tuple[MarketDefinition, ...] = (
    OneXTwo(),
    DoubleChance(),
    DrawNoBet(),
    OverUnder(Fraction(5, 2)),
    AsianHandicap(Fraction(-3, 4)),
    BothTeamsToScore(),
    CorrectScore(3),
    Outright(("a", "b", "c")),
    TennisMatchWinner(),
    TennisSetBetting(5),
    BasketballMoneyline(),
    BasketballSpread(Fraction(-11, 2)),
    BasketballTotal(Fraction(421, 2)),
)


def test_every_kind_is_registered() -> None:
    assert {type(market) for market in EVERY_MARKET} == set(MARKET_KINDS.values())


@pytest.mark.parametrize("market", EVERY_MARKET, ids=lambda m: m.kind)
def test_a_cancelled_event_voids_every_selection(market: MarketDefinition) -> None:
    for selection in market.selections:
        assert settle(market, selection, EventCancelled("abandoned")) == Outcome.void()


@pytest.mark.parametrize("market", EVERY_MARKET, ids=lambda m: m.kind)
def test_stored_parameters_rebuild_the_market(market: MarketDefinition) -> None:
    assert market_from_params(market.kind, market.params()) == market


# --- The JSON boundary ----------------------------------------------------------------


def test_settle_selection_reads_stored_kinds_params_and_results() -> None:
    assert (
        settle_selection("asian_handicap", {"handicap": "-0.75"}, "home", {"home": 1, "away": 0})
        == Outcome.half_win()
    )
    assert settle_selection("over_under", {"line": "2.25"}, "over", {"home": 1, "away": 1}) == (
        Outcome.half_lose()
    )
    assert settle_selection("1x2", {}, "X", {"status": "cancelled"}) == Outcome.void()
    assert settle_selection(
        "outright", {"competitors": ["a", "b", "c"]}, "b", {"order": [["a", "b"], "c"]}
    ) == Outcome.dead_heat_of(Fraction(1, 2))
    assert (
        settle_selection(
            "tennis_set_betting", {"best_of": 5}, "3-1", {"sets": [[6, 1], [6, 2], [3, 6], [7, 6]]}
        ).kind
        is WIN
    )
    assert (
        settle_selection("tennis_match_winner", {}, "1", {"sets": [[2, 6]], "retired": "2"}).kind
        is WIN
    )
    assert (
        settle_selection(
            "basketball_total",
            {"line": "200.5"},
            "over",
            {"home": 101, "away": 100, "overtime_periods": 1},
        ).kind
        is WIN
    )


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("lacrosse", {}),
        ("over_under", {}),
        ("over_under", {"line": 2.5}),  # floats are refused
        ("over_under", {"line": "2.5", "extra": 1}),
        ("asian_handicap", {"handicap": "-0.8"}),
        ("correct_score", {"max_goals": 0}),
        ("tennis_set_betting", {"best_of": 4}),
        ("outright", {"competitors": "ab"}),
    ],
)
def test_unknown_kinds_and_bad_parameters_are_refused(kind: str, params: dict[str, Any]) -> None:
    with pytest.raises((InvalidMarketDefinition, InvalidLine)):
        market_from_params(kind, params)


@pytest.mark.parametrize(
    ("kind", "params", "data"),
    [
        ("1x2", {}, {"home": 1}),
        ("1x2", {}, {"home": 1, "away": 0, "penalties": "4-3"}),
        ("1x2", {}, {"home": 1, "away": 0, "status": "postponed"}),
        ("1x2", {}, {"home": "1", "away": 0}),
        ("tennis_match_winner", {}, {"sets": [6, 4]}),
        ("outright", {"competitors": ["a", "b"]}, {"order": [["a"], 3]}),
    ],
)
def test_malformed_stored_results_are_refused(
    kind: str, params: dict[str, Any], data: dict[str, Any]
) -> None:
    with pytest.raises(InvalidResult):
        settle_selection(kind, params, MARKET_KINDS[kind].from_params(params).selections[0], data)


# --- Properties -------------------------------------------------------------------------

goals = st.integers(min_value=0, max_value=9)
quarter_lines = st.integers(min_value=-16, max_value=16).map(lambda q: Fraction(q, 4))
total_lines = st.integers(min_value=1, max_value=40).map(lambda q: Fraction(q, 4))
prices = st.integers(min_value=101, max_value=2000).map(lambda c: Fraction(c, 100))


@given(home=goals, away=goals, handicap=quarter_lines)
def test_asian_handicap_home_and_away_mirror_each_other(
    home: int, away: int, handicap: Fraction
) -> None:
    market = AsianHandicap(handicap)
    score = FootballScore(home, away)
    assert kind_of(market, "away", score) is MIRROR[kind_of(market, "home", score)]


@given(home=goals, away=goals, line=total_lines)
def test_over_and_under_mirror_each_other(home: int, away: int, line: Fraction) -> None:
    score = FootballScore(home, away)
    assert (
        kind_of(OverUnder(line), "under", score) is MIRROR[kind_of(OverUnder(line), "over", score)]
    )


@given(home=goals, away=goals, quarter=st.integers(-8, 7), price=prices)
def test_a_quarter_line_returns_the_average_of_its_two_halves(
    home: int, away: int, quarter: int, price: Fraction
) -> None:
    line = Fraction(2 * quarter + 1, 4)  # -1.75 ... 1.75, quarters only
    low, high = split_line(line)
    score = FootballScore(home, away)
    for selection in ("home", "away"):
        whole = return_factor(price, settle(AsianHandicap(line), selection, score))
        halves = [
            return_factor(price, settle(AsianHandicap(h), selection, score)) for h in (low, high)
        ]
        assert whole == sum(halves) / 2


@given(home=goals, away=goals)
def test_football_markets_agree_with_the_score(home: int, away: int) -> None:
    score = FootballScore(home, away)
    winners = [s for s in ("1", "X", "2") if kind_of(OneXTwo(), s, score) is WIN]
    assert len(winners) == 1
    for pair in ("1X", "12", "X2"):
        assert (kind_of(DoubleChance(), pair, score) is WIN) == (winners[0] in pair)
    market = CorrectScore(max_goals=5)
    assert sum(kind_of(market, s, score) is WIN for s in market.selections) == 1
    # Draw no bet is an Asian handicap of 0.
    for side, code in (("home", "1"), ("away", "2")):
        assert kind_of(DrawNoBet(), code, score) is kind_of(AsianHandicap(Fraction(0)), side, score)


@st.composite
def finishing_orders(draw: st.DrawFn) -> tuple[tuple[str, ...], OutrightResult]:
    competitors = tuple(f"c{i}" for i in range(draw(st.integers(2, 9))))
    placed = draw(st.permutations(competitors))[: draw(st.integers(0, len(competitors)))]
    groups: list[tuple[str, ...]] = []
    rest = list(placed)
    while rest:
        size = draw(st.integers(1, len(rest)))
        groups.append(tuple(rest[:size]))
        rest = rest[size:]
    return competitors, OutrightResult(tuple(groups))


@given(order=finishing_orders(), data=st.data())
def test_outright_winning_shares_sum_to_the_places_paid(
    order: tuple[tuple[str, ...], OutrightResult], data: st.DataObject
) -> None:
    competitors, result = order
    places = data.draw(st.integers(1, len(competitors) - 1))
    market = Outright(competitors, places)
    shares = Fraction(0)
    for competitor in competitors:
        outcome = settle(market, competitor, result)
        assert outcome.kind in (WIN, LOSE, DEAD_HEAT)
        shares += {WIN: Fraction(1), LOSE: Fraction(0)}.get(outcome.kind, outcome.dead_heat or 0)
    placed = sum(len(group) for group in result.order)
    assert shares == min(places, placed)


SET_SCORES = [(6, 0), (6, 1), (6, 2), (6, 3), (6, 4), (7, 5), (7, 6)]


@st.composite
def tennis_matches(draw: st.DrawFn) -> TennisResult:
    best_of = draw(st.sampled_from([3, 5]))
    need = (best_of + 1) // 2
    won = [0, 0]
    sets: list[tuple[int, int]] = []
    while max(won) < need:
        winner = draw(st.integers(0, 1))
        games = draw(st.sampled_from(SET_SCORES))
        sets.append(games if winner == 0 else (games[1], games[0]))
        won[winner] += 1
    return TennisResult(tuple(sets), best_of)


@given(match=tennis_matches())
def test_exactly_one_set_score_wins_and_it_names_the_match_winner(match: TennisResult) -> None:
    market = TennisSetBetting(match.best_of)
    winners = [s for s in market.selections if kind_of(market, s, match) is WIN]
    assert len(winners) == 1
    first, second = (int(n) for n in winners[0].split("-"))
    expected = "1" if first > second else "2"
    assert kind_of(TennisMatchWinner(match.best_of), expected, match) is WIN


@settings(max_examples=50)
@given(home=st.integers(0, 150), away=st.integers(0, 150), line=quarter_lines)
def test_basketball_spread_mirrors_and_the_moneyline_is_a_zero_spread(
    home: int, away: int, line: Fraction
) -> None:
    score = BasketballScore(home, away)
    spread = BasketballSpread(line)
    assert kind_of(spread, "away", score) is MIRROR[kind_of(spread, "home", score)]
    assert kind_of(BasketballMoneyline(), "home", score) is kind_of(
        BasketballSpread(Fraction(0)), "home", score
    )

"""The football match model: true probabilities of every market, at any minute and score.

Pure arithmetic, no I/O. The formulas and their justification are in
``docs/sportsbook-feed.md``; in short:

- Each team scores as an independent Poisson process of constant intensity over the 90
  minutes: ``home_rate`` and ``away_rate`` are the expected goals of a whole match. At minute
  ``m`` (minutes played, 0 at kick-off, 90 at full time) the goals still to come are Poisson
  with means ``home_rate * (90 - m) / 90`` and ``away_rate * (90 - m) / 90``, so the final score
  is the current score plus two independent Poisson counts.
- Optionally, the Dixon–Coles correction (``rho``) reweights the four low-scoring cells
  (0-0, 1-0, 0-1, 1-1) of the goals still to come; ``rho = 0`` (the default) is the plain model.
  The correction keeps the total mass and both marginals.
- ``score_grid`` gives the distribution of the final score; each team's goals still to come
  are counted up to a bound ``K`` chosen so that ``P(more than K) < 1e-13`` (at most
  ``MAX_REMAINING_GOALS``), and the last row and column hold the whole tail ("K or more"), so
  the grid sums to 1. ``ScoreGrid.tail_mass`` is the probability of those lumped cells: it
  bounds the error of any market probability computed from the grid.
- Every selection is a function of the final score (``Selection.settle``), so a market's
  probabilities are sums over the grid. Lines that can push or half-win (integer and quarter
  totals and handicaps, draw no bet) report all five outcomes (``outcome_probabilities``) and a
  *fair probability*, ``1 / fair decimal odds``: ``(W + HW/2) / (1 - P - (HW + HL)/2)``.
- The bet builder prices several selections of one event from their joint distribution:
  ``joint_probability`` sums the grid exactly (what the product should use: every selection
  here is a function of the final score); ``simulate_joint`` samples final scores, for legs
  that are not (none yet) and as a cross-check.

The values returned are probabilities, plain floats in [0, 1], never money: the margin and the
offered odds are another module's business.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import IntEnum
from fractions import Fraction
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

MATCH_MINUTES = 90
# A team's goals still to come are counted until the tail beyond is below this.
TAIL_EPSILON = 1e-13
MAX_REMAINING_GOALS = 30
# Expected goals above this are not football; refused, so the arithmetic stays well inside range.
MAX_RATE = 20.0
# Correct score lists each team's final goals up to this; every other score is "other".
CORRECT_SCORE_MAX = 4

IntArray: TypeAlias = npt.NDArray[np.int64]
FloatArray: TypeAlias = npt.NDArray[np.float64]
Team: TypeAlias = Literal["home", "away"]


class Outcome(IntEnum):
    """How a selection settles. The value is the sum of the two half-stakes' signs, so a quarter
    line's outcome is computed by adding its two halves."""

    LOSE = -2
    HALF_LOSE = -1
    PUSH = 0
    HALF_WIN = 1
    WIN = 2


# -- the state of a match ------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchState:
    """What the model knows: the teams' expected goals for a whole match, the minutes played
    and the score. ``rho`` is the Dixon–Coles low-score correction (0: none)."""

    home_rate: float
    away_rate: float
    minute: int = 0
    home_goals: int = 0
    away_goals: int = 0
    rho: float = 0.0

    def __post_init__(self) -> None:
        for name, rate in (("home_rate", self.home_rate), ("away_rate", self.away_rate)):
            if not (math.isfinite(rate) and 0.0 <= rate <= MAX_RATE):
                raise ValueError(f"{name} must be within [0, {MAX_RATE}], not {rate!r}")
        if not 0 <= self.minute <= MATCH_MINUTES:
            raise ValueError(f"minute must be within [0, {MATCH_MINUTES}], not {self.minute!r}")
        if self.home_goals < 0 or self.away_goals < 0:
            raise ValueError("goals cannot be negative")
        if not math.isfinite(self.rho):
            raise ValueError("rho must be finite")

    @property
    def remaining_rates(self) -> tuple[float, float]:
        """Expected goals still to come (home, away)."""
        share = (MATCH_MINUTES - self.minute) / MATCH_MINUTES
        return self.home_rate * share, self.away_rate * share

    @property
    def minute_rates(self) -> tuple[float, float]:
        """Expected goals in one minute (home, away): the means the live simulation draws from."""
        return self.home_rate / MATCH_MINUTES, self.away_rate / MATCH_MINUTES

    def at_minute(self, minute: int) -> MatchState:
        return replace(self, minute=minute)

    def after_goal(self, team: Team) -> MatchState:
        if team == "home":
            return replace(self, home_goals=self.home_goals + 1)
        return replace(self, away_goals=self.away_goals + 1)

    def from_now(self) -> MatchState:
        """The same match with the score set to 0-0: prices markets that count only the goals
        still to come (the Asian in-play handicap convention)."""
        return replace(self, home_goals=0, away_goals=0)


# -- the distribution of the final score ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ScoreGrid:
    """The distribution of the final score. ``probabilities[i, j]`` is the probability that the
    match ends ``home_goals + i`` to ``away_goals + j``; the last row (column) holds every count
    of that many home (away) goals still to come *or more*, and is settled as exactly that many
    (error at most ``tail_mass``)."""

    home_goals: int
    away_goals: int
    probabilities: FloatArray
    tail_mass: float

    @property
    def final_home(self) -> IntArray:
        """The final home goals of each cell (same shape as ``probabilities``)."""
        rows, cols = self.probabilities.shape
        return np.broadcast_to(
            self.home_goals + np.arange(rows, dtype=np.int64)[:, None], (rows, cols)
        )

    @property
    def final_away(self) -> IntArray:
        rows, cols = self.probabilities.shape
        return np.broadcast_to(
            self.away_goals + np.arange(cols, dtype=np.int64)[None, :], (rows, cols)
        )

    def score_probability(self, home: int, away: int) -> float:
        """The probability that the match ends ``home``-``away`` (0 if already impossible)."""
        i, j = home - self.home_goals, away - self.away_goals
        rows, cols = self.probabilities.shape
        if not (0 <= i < rows and 0 <= j < cols):
            return 0.0
        return float(self.probabilities[i, j])


def _poisson_with_tail(rate: float, max_goals: int) -> FloatArray:
    """``P(X = 0), ..., P(X = K-1), P(X >= K)`` for ``X ~ Poisson(rate)``, with ``K`` the
    smallest count (at least 1, at most ``max_goals``) past which the tail is below
    ``TAIL_EPSILON``."""
    probabilities: list[float] = []
    p = math.exp(-rate)
    cumulative = 0.0
    k = 0
    while True:
        probabilities.append(p)
        cumulative += p
        k += 1
        if k >= max_goals or 1.0 - cumulative < TAIL_EPSILON:
            break
        p *= rate / k
    probabilities.append(max(0.0, 1.0 - cumulative))
    return np.array(probabilities, dtype=np.float64)


def score_grid(state: MatchState, *, max_goals: int = MAX_REMAINING_GOALS) -> ScoreGrid:
    """The distribution of the final score from ``state`` (independent Poisson goals still to
    come, Dixon–Coles corrected when ``state.rho`` is not 0)."""
    if max_goals < 1:
        raise ValueError("max_goals must be at least 1")
    home_rate, away_rate = state.remaining_rates
    home = _poisson_with_tail(home_rate, max_goals)
    away = _poisson_with_tail(away_rate, max_goals)
    grid = np.outer(home, away)
    if state.rho != 0.0:
        grid[:2, :2] *= _dixon_coles_tau(home_rate, away_rate, state.rho)
    tail_mass = 1.0 - (1.0 - float(home[-1])) * (1.0 - float(away[-1]))
    return ScoreGrid(state.home_goals, state.away_goals, grid, max(0.0, tail_mass))


def _dixon_coles_tau(home_rate: float, away_rate: float, rho: float) -> FloatArray:
    """Dixon & Coles (1997) factors of the cells 0-0, 0-1, 1-0, 1-1 (rows: home goals)."""
    tau = np.array(
        [
            [1.0 - home_rate * away_rate * rho, 1.0 + home_rate * rho],
            [1.0 + away_rate * rho, 1.0 - rho],
        ]
    )
    if (tau < 0.0).any():
        raise ValueError(f"rho={rho} gives negative probabilities at these rates")
    return tau


# -- selections ----------------------------------------------------------------------------------

# Market keys: fixed ones, and the line markets "total:<line>" and "asian_handicap:<line>",
# the line a multiple of 1/4 written as a decimal ("2.5", "2.25", "-0.75", "0").
MARKET_1X2 = "1x2"
MARKET_DOUBLE_CHANCE = "double_chance"
MARKET_DRAW_NO_BET = "draw_no_bet"
MARKET_BTTS = "btts"
MARKET_CORRECT_SCORE = "correct_score"
MARKET_TOTAL = "total"
MARKET_ASIAN_HANDICAP = "asian_handicap"

_FIXED_SELECTIONS: dict[str, tuple[str, ...]] = {
    MARKET_1X2: ("home", "draw", "away"),
    MARKET_DOUBLE_CHANCE: ("1x", "12", "x2"),
    MARKET_DRAW_NO_BET: ("home", "away"),
    MARKET_BTTS: ("yes", "no"),
}
_LINE_SELECTIONS: dict[str, tuple[str, ...]] = {
    MARKET_TOTAL: ("over", "under"),
    MARKET_ASIAN_HANDICAP: ("home", "away"),
}

DEFAULT_TOTAL_LINES: tuple[Fraction, ...] = tuple(
    Fraction(line) for line in ("0.5", "1.5", "2", "2.25", "2.5", "2.75", "3", "3.5", "4.5", "5.5")
)
# Home handicaps from -2 to +2 in quarters.
DEFAULT_HANDICAP_LINES: tuple[Fraction, ...] = tuple(Fraction(q, 4) for q in range(-8, 9))


def line_key(line: Fraction | int | str) -> str:
    """A line as written in market keys: ``Fraction(9, 4)`` is ``"2.25"``, ``-3/4`` ``"-0.75"``."""
    value = _quarter_line(line)
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    return text


def total_market(line: Fraction | int | str) -> str:
    return f"{MARKET_TOTAL}:{line_key(line)}"


def handicap_market(line: Fraction | int | str) -> str:
    """The Asian handicap market whose home selection gets ``line`` goals (away gets -line)."""
    return f"{MARKET_ASIAN_HANDICAP}:{line_key(line)}"


def _quarter_line(line: Fraction | int | str) -> Fraction:
    try:
        value = Fraction(line)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"not a line: {line!r}") from None
    if (value * 4).denominator != 1:
        raise ValueError(f"a line is a multiple of 0.25, not {line!r}")
    return value


@functools.lru_cache(maxsize=4096)
def _parse_market(market: str) -> tuple[str, Fraction | None]:
    kind, sep, line = market.partition(":")
    return kind, (_quarter_line(line) if sep else None)


def _score_name(home: int, away: int) -> str:
    return f"{home}-{away}"


def _parse_score_name(name: str) -> tuple[int, int] | None:
    parts = name.split("-")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


@dataclass(frozen=True)
class Selection:
    """One selection of a market, e.g. ``Selection("total:2.25", "over")``. Every selection
    is a function of the final score (``settle``)."""

    market: str
    name: str

    def __post_init__(self) -> None:
        kind, line = self._parts()
        if kind in _FIXED_SELECTIONS:
            valid = self.name in _FIXED_SELECTIONS[kind] and line is None
        elif kind in _LINE_SELECTIONS:
            valid = self.name in _LINE_SELECTIONS[kind] and line is not None
            if valid and kind == MARKET_TOTAL and line is not None and line <= 0:
                raise ValueError(f"a total line is positive: {self.market!r}")
        elif kind == MARKET_CORRECT_SCORE:
            score = _parse_score_name(self.name)
            valid = line is None and (
                self.name == "other" or (score is not None and max(score) <= CORRECT_SCORE_MAX)
            )
        else:
            valid = False
        if not valid:
            raise ValueError(f"unknown selection {self.name!r} of market {self.market!r}")

    def _parts(self) -> tuple[str, Fraction | None]:
        return _parse_market(self.market)

    @property
    def can_push(self) -> bool:
        """Whether some final score gives back all or half of the stake (integer and quarter
        lines, draw no bet)."""
        kind, line = self._parts()
        if kind == MARKET_DRAW_NO_BET:
            return True
        return line is not None and line.denominator != 2

    def settle(self, home_goals: int, away_goals: int) -> Outcome:
        """The outcome if the match ends ``home_goals``-``away_goals``."""
        codes = self.settle_many(
            np.array([home_goals], dtype=np.int64), np.array([away_goals], dtype=np.int64)
        )
        return Outcome(int(codes[0]))

    def settle_many(self, home: IntArray, away: IntArray) -> IntArray:
        """``settle`` over arrays of final scores: an array of ``Outcome`` values."""
        kind, line = self._parts()
        name = self.name
        if kind == MARKET_1X2:
            won = {"home": home > away, "draw": home == away, "away": home < away}[name]
        elif kind == MARKET_DOUBLE_CHANCE:
            won = {"1x": home >= away, "12": home != away, "x2": home <= away}[name]
        elif kind == MARKET_BTTS:
            both = (home > 0) & (away > 0)
            won = both if name == "yes" else ~both
        elif kind == MARKET_CORRECT_SCORE:
            if name == "other":
                won = (home > CORRECT_SCORE_MAX) | (away > CORRECT_SCORE_MAX)
            else:
                score = _parse_score_name(name)
                assert score is not None
                won = (home == score[0]) & (away == score[1])
        else:
            if kind == MARKET_DRAW_NO_BET:
                line = Fraction(0)
                margin = home - away if name == "home" else away - home
            elif kind == MARKET_TOTAL:
                margin = home + away
            else:
                margin = home - away if name == "home" else away - home
            assert line is not None
            return _asian_outcome(margin, line, kind, name)
        return np.where(won, Outcome.WIN, Outcome.LOSE).astype(np.int64)


def _asian_outcome(quantity: IntArray, line: Fraction, kind: str, name: str) -> IntArray:
    """Outcomes of a line selection; a quarter line is two half-stakes on the lines 1/4 either
    side, and the outcome is the sum of their signs."""
    line4 = int(line * 4)  # exact: lines are multiples of 1/4
    if kind == MARKET_TOTAL:
        # over wins when total - line > 0; under when line - total > 0
        margin4 = 4 * quantity - line4 if name == "over" else line4 - 4 * quantity
    elif kind == MARKET_ASIAN_HANDICAP and name == "away":
        # the away selection gets the opposite handicap: (away - home) - line
        margin4 = 4 * quantity - line4
    else:
        # home of the Asian handicap (quantity = home - away) and draw no bet (line 0)
        margin4 = 4 * quantity + line4
    if line4 % 2 != 0:  # quarter line
        return (np.sign(margin4 + 1) + np.sign(margin4 - 1)).astype(np.int64)
    return (2 * np.sign(margin4)).astype(np.int64)


# -- market probabilities from the grid ----------------------------------------------------------


def outcome_probabilities(grid: ScoreGrid, selection: Selection) -> dict[Outcome, float]:
    """The probability of each outcome of ``selection`` (they sum to 1)."""
    return _outcome_probabilities(grid, selection, grid.final_home, grid.final_away)


def _outcome_probabilities(
    grid: ScoreGrid, selection: Selection, home: IntArray, away: IntArray
) -> dict[Outcome, float]:
    codes = selection.settle_many(home, away)
    weights = np.bincount(
        (codes - Outcome.LOSE).ravel(), weights=grid.probabilities.ravel(), minlength=5
    )
    return {outcome: float(weights[outcome - Outcome.LOSE]) for outcome in Outcome}


PRICEABLE_AT_RISK = 1e-12


def fair_probability(outcomes: Mapping[Outcome, float]) -> float | None:
    """``1 / fair decimal odds`` of a selection with these outcome probabilities: the price at
    which the expected return equals the stake. ``None`` when the stake comes back whatever
    happens (nothing to price)."""
    win = outcomes.get(Outcome.WIN, 0.0)
    half_win = outcomes.get(Outcome.HALF_WIN, 0.0)
    half_lose = outcomes.get(Outcome.HALF_LOSE, 0.0)
    lose = outcomes.get(Outcome.LOSE, 0.0)
    # stake 1 at odds o returns: o (win), (o + 1)/2 (half win), 1 (push), 1/2 (half lose)
    # The stake at risk, summed from the outcomes that risk it rather than as 1 - push: when a
    # push is nearly certain, 1 - push loses every digit (hypothesis found it at expected
    # goals of 1e-9). Nearly certain to come back whatever happens: nothing to price.
    at_risk = win + lose + (half_win + half_lose) / 2
    if at_risk <= PRICEABLE_AT_RISK:
        return None
    return min(1.0, max(0.0, (win + half_win / 2) / at_risk))


@dataclass(frozen=True)
class MarketLines:
    """Which line markets to price."""

    totals: Sequence[Fraction] = DEFAULT_TOTAL_LINES
    handicaps: Sequence[Fraction] = DEFAULT_HANDICAP_LINES


def market_selections(
    grid: ScoreGrid, lines: MarketLines | None = None
) -> dict[str, tuple[Selection, ...]]:
    """The markets priced for this grid and their selections. Correct score lists the scores
    still reachable (each team at most ``CORRECT_SCORE_MAX``) and ``other``."""
    lines = lines or MarketLines()
    markets: dict[str, tuple[Selection, ...]] = {
        market: tuple(Selection(market, name) for name in names)
        for market, names in _FIXED_SELECTIONS.items()
    }
    for line in lines.totals:
        market = total_market(line)
        markets[market] = tuple(Selection(market, n) for n in _LINE_SELECTIONS[MARKET_TOTAL])
    for line in lines.handicaps:
        market = handicap_market(line)
        markets[market] = tuple(
            Selection(market, n) for n in _LINE_SELECTIONS[MARKET_ASIAN_HANDICAP]
        )
    scores = [
        Selection(MARKET_CORRECT_SCORE, _score_name(h, a))
        for h in range(grid.home_goals, CORRECT_SCORE_MAX + 1)
        for a in range(grid.away_goals, CORRECT_SCORE_MAX + 1)
    ]
    markets[MARKET_CORRECT_SCORE] = (*scores, Selection(MARKET_CORRECT_SCORE, "other"))
    return markets


def market_probabilities(
    grid: ScoreGrid, lines: MarketLines | None = None
) -> dict[str, dict[str, float]]:
    """Market key -> selection name -> fair probability (``1 / fair decimal odds``; for a
    selection that cannot push, simply the probability that it wins).

    Within 1X2, two-way lines (also quarter lines), BTTS and correct score the values sum to 1;
    double chance sums to 2. A line market whose every selection is certain to push (draw no
    bet at 1-1 in the 90th minute) has nothing to price and is left out."""
    priced: dict[str, dict[str, float]] = {}
    home, away = grid.final_home, grid.final_away
    for market, selections in market_selections(grid, lines).items():
        values: dict[str, float] = {}
        for selection in selections:
            fair = fair_probability(_outcome_probabilities(grid, selection, home, away))
            if fair is None:
                break
            values[selection.name] = fair
        else:
            priced[market] = values
    return priced


def market_outcomes(
    grid: ScoreGrid, lines: MarketLines | None = None
) -> dict[str, dict[str, dict[Outcome, float]]]:
    """Like ``market_probabilities`` but every outcome's probability (for settlement-aware
    pricing of pushes and quarter lines)."""
    home, away = grid.final_home, grid.final_away
    return {
        market: {s.name: _outcome_probabilities(grid, s, home, away) for s in selections}
        for market, selections in market_selections(grid, lines).items()
    }


# -- same-game combinations (bet builder) --------------------------------------------------------


def _all_win(
    selections: Iterable[Selection], home: IntArray, away: IntArray
) -> npt.NDArray[np.bool_]:
    chosen = list(selections)
    if not chosen:
        raise ValueError("a combination needs at least one selection")
    for selection in chosen:
        if selection.can_push:
            raise ValueError(
                f"{selection.market} {selection.name} can push; the bet builder takes "
                "selections that either win or lose"
            )
    won = np.ones(home.shape, dtype=np.bool_)
    for selection in chosen:
        won &= selection.settle_many(home, away) == Outcome.WIN
    return won


def joint_probability(grid: ScoreGrid, selections: Iterable[Selection]) -> float:
    """The exact probability that every selection wins (the grid summed over the final scores
    where all do). Selections that can push are refused (``ValueError``). This is the price
    the bet builder uses: every selection of this model is a function of the final score."""
    won = _all_win(selections, grid.final_home, grid.final_away)
    return float(grid.probabilities[won].sum())


@dataclass(frozen=True, eq=False)
class JointSample:
    """Final scores drawn from the model, one per simulated match."""

    home: IntArray
    away: IntArray

    @property
    def size(self) -> int:
        return int(self.home.shape[0])

    def probability(self, selections: Iterable[Selection]) -> float:
        """The share of simulated matches in which every selection wins."""
        return float(_all_win(selections, self.home, self.away).mean())

    def standard_error(self, selections: Iterable[Selection]) -> float:
        """The standard error of ``probability`` (binomial)."""
        p = self.probability(selections)
        return math.sqrt(p * (1.0 - p) / self.size)


def simulate_joint(state: MatchState, n: int, rng: np.random.Generator) -> JointSample:
    """Draw ``n`` final scores from ``state``: the goals still to come as two Poisson counts,
    or, with a Dixon–Coles ``rho``, cells of the score grid (the correction couples the
    teams). For the bet builder's legs that are not functions of the final score, and to
    check ``joint_probability``."""
    if n < 1:
        raise ValueError("n must be at least 1")
    if state.rho == 0.0:
        home_rate, away_rate = state.remaining_rates
        home = state.home_goals + rng.poisson(home_rate, n).astype(np.int64)
        away = state.away_goals + rng.poisson(away_rate, n).astype(np.int64)
        return JointSample(home, away)
    grid = score_grid(state)
    flat = grid.probabilities.ravel()
    cells = rng.choice(flat.size, size=n, p=flat / flat.sum())
    rows, cols = np.divmod(cells, grid.probabilities.shape[1])
    return JointSample(
        state.home_goals + rows.astype(np.int64), state.away_goals + cols.astype(np.int64)
    )


def live_probabilities(
    state: MatchState, lines: MarketLines | None = None
) -> dict[str, dict[str, float]]:
    """``market_probabilities`` of the state's score grid: what a feed publishes each minute."""
    return market_probabilities(score_grid(state), lines)

"""Sportsbook markets and how a result settles each of their selections. Pure: no database.

A market is a frozen dataclass per kind with its parameters (a line, a handicap, the
competitors); it lists the selection codes it offers. A result is a value per sport.
``settle(market, selection, result)`` gives the selection's :class:`Outcome`:

- ``win`` and ``lose``;
- ``void``: the stake comes back (a push on an integer line, a draw in draw no bet, a
  cancelled or abandoned event, a retirement before the rule's point);
- ``half_win`` / ``half_lose``: a quarter line (2.25, -0.75) is two half-stakes on the
  neighbouring lines (2 and 2.5; -0.5 and -1), one of which won or lost while the other
  pushed;
- ``dead_heat`` with a factor: competitors tied for the last paying place share it
  (:class:`Outright`).

Rules where sports books differ, as chosen here (docs/sportsbook-settlement.md):

- Football markets settle on the score at the end of regular time (90 minutes plus stoppage
  time); extra time and penalties do not count. Outrights settle on the official finishing
  order.
- Basketball markets (moneyline, spread, totals) settle on the final score *including
  overtime*. A tie in the final score (only possible without overtime) voids the moneyline.
- Tennis: a retirement (or disqualification) voids set betting; the match winner is settled
  for the player who advances if at least one set was completed, and void otherwise.
- A cancelled or abandoned event voids every market of it, whatever was decided before.

The JSON boundary (``market_from_params``, ``result_from_data``, ``settle_selection``) reads
the kinds, parameters and results that the catalogue and results entry store.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, ClassVar, Literal, TypeVar

from croupier.products.sportsbook.settlement_errors import (
    InvalidLine,
    InvalidMarketDefinition,
    InvalidOutcome,
    InvalidResult,
    InvalidSelection,
)

# --- Outcomes ---------------------------------------------------------------------------


class OutcomeKind(StrEnum):
    WIN = "win"
    LOSE = "lose"
    VOID = "void"
    HALF_WIN = "half_win"
    HALF_LOSE = "half_lose"
    DEAD_HEAT = "dead_heat"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a selection settled. ``dead_heat`` is the share of the stake that is paid at full
    odds (the rest loses), set only for ``dead_heat``, strictly between 0 and 1.

    ``kind`` may be given as its text (``Outcome("void")``), as stored on a bet leg.
    """

    kind: OutcomeKind
    dead_heat: Fraction | None = None

    def __post_init__(self) -> None:
        try:
            kind = OutcomeKind(self.kind)
        except ValueError:
            raise InvalidOutcome(f"Unknown outcome {self.kind!r}.") from None
        object.__setattr__(self, "kind", kind)
        if kind is OutcomeKind.DEAD_HEAT:
            factor = self.dead_heat
            if not isinstance(factor, Fraction) or not 0 < factor < 1:
                raise InvalidOutcome("A dead heat's factor is a Fraction between 0 and 1.")
        elif self.dead_heat is not None:
            raise InvalidOutcome("Only a dead heat has a factor.")

    @classmethod
    def win(cls) -> Outcome:
        return cls(OutcomeKind.WIN)

    @classmethod
    def lose(cls) -> Outcome:
        return cls(OutcomeKind.LOSE)

    @classmethod
    def void(cls) -> Outcome:
        return cls(OutcomeKind.VOID)

    @classmethod
    def half_win(cls) -> Outcome:
        return cls(OutcomeKind.HALF_WIN)

    @classmethod
    def half_lose(cls) -> Outcome:
        return cls(OutcomeKind.HALF_LOSE)

    @classmethod
    def dead_heat_of(cls, factor: Fraction) -> Outcome:
        """A dead heat paying ``factor`` of the stake at full odds."""
        return cls(OutcomeKind.DEAD_HEAT, factor)


def _won(condition: bool) -> Outcome:
    return Outcome.win() if condition else Outcome.lose()


# --- Results ----------------------------------------------------------------------------

TennisPlayer = Literal["1", "2"]


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidResult(f"{what} is a whole number, 0 or more.")
    return value


@dataclass(frozen=True, slots=True)
class FootballScore:
    """A football match's score at the end of regular time (90 minutes plus stoppage time;
    extra time and penalties excluded)."""

    home: int
    away: int

    def __post_init__(self) -> None:
        _count(self.home, "The home score")
        _count(self.away, "The away score")


@dataclass(frozen=True, slots=True)
class BasketballScore:
    """A basketball game's final score, overtime included; ``overtime_periods`` is for the
    record (no market here settles on regulation time alone)."""

    home: int
    away: int
    overtime_periods: int = 0

    def __post_init__(self) -> None:
        _count(self.home, "The home score")
        _count(self.away, "The away score")
        _count(self.overtime_periods, "The number of overtime periods")


def _valid_set(games: tuple[int, int], deciding: bool) -> bool:
    """A completed set: 6-0 to 6-4, 7-5, 7-6 (tie-break); a deciding set may also be an
    advantage set (8-6, 12-10, ...) or a match tie-break to 10 points recorded as points
    (10-7, 11-9)."""
    won, lost = max(games), min(games)
    if won == lost:
        return False
    if (won == 6 and lost <= 4) or (won == 7 and lost in (5, 6)):
        return True
    if not deciding:
        return False
    if won > 7 and lost == won - 2:
        return True
    return won == 10 and lost <= 8


@dataclass(frozen=True, slots=True)
class TennisResult:
    """A tennis match: the completed sets (games of player 1, then of player 2), the format,
    and the player who retired or was disqualified, if one did (then the match ended before
    either player won the required sets; an unfinished set is not listed)."""

    sets: tuple[tuple[int, int], ...]
    best_of: int = 3
    retired: TennisPlayer | None = None

    def __post_init__(self) -> None:
        if self.best_of not in (3, 5):
            raise InvalidResult("A tennis match is best of 3 or best of 5 sets.")
        if self.retired not in (None, "1", "2"):
            raise InvalidResult("The retired player is '1' or '2'.")
        need = (self.best_of + 1) // 2
        won = [0, 0]
        for number, games in enumerate(self.sets, start=1):
            if max(won) == need:
                raise InvalidResult("A set is listed after the match was won.")
            if (
                not isinstance(games, tuple)
                or len(games) != 2
                or not _valid_set(
                    (_count(games[0], "Games"), _count(games[1], "Games")),
                    deciding=number == self.best_of,
                )
            ):
                raise InvalidResult(f"Set {number} ({games!r}) is not a completed set.")
            won[0 if games[0] > games[1] else 1] += 1
        if self.retired is None and max(won) != need:
            raise InvalidResult(f"A completed match has a player with {need} sets.")
        if self.retired is not None and max(won) == need:
            raise InvalidResult("A player cannot retire from a match already won.")

    @property
    def sets_won(self) -> tuple[int, int]:
        first = sum(1 for a, b in self.sets if a > b)
        return first, len(self.sets) - first

    @property
    def winner(self) -> TennisPlayer:
        """The player who won or advanced (the opponent of one who retired)."""
        if self.retired is not None:
            return "2" if self.retired == "1" else "1"
        first, second = self.sets_won
        return "1" if first > second else "2"


@dataclass(frozen=True, slots=True)
class OutrightResult:
    """An official finishing order: ``order[i]`` holds the competitors who finished in the
    (i+1)-th group, more than one when they tied (a dead heat). A competitor who is not
    listed was unplaced."""

    order: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for group in self.order:
            if not isinstance(group, tuple) or not group:
                raise InvalidResult("Each finishing position holds at least one competitor.")
            for competitor in group:
                if not isinstance(competitor, str) or not competitor:
                    raise InvalidResult("A competitor is a non-empty id.")
                if competitor in seen:
                    raise InvalidResult(f"{competitor!r} is placed twice.")
                seen.add(competitor)

    def position(self, competitor: str) -> tuple[int, int] | None:
        """The place where ``competitor``'s group starts (1 = first) and the group's size."""
        place = 1
        for group in self.order:
            if competitor in group:
                return place, len(group)
            place += len(group)
        return None


@dataclass(frozen=True, slots=True)
class EventCancelled:
    """The event was cancelled or abandoned: every market of it is void (stakes refunded)."""

    reason: str = "cancelled"


Result = FootballScore | BasketballScore | TennisResult | OutrightResult | EventCancelled

_R = TypeVar("_R", FootballScore, BasketballScore, TennisResult, OutrightResult)


def _expect(result: Result, kind: type[_R], market: MarketDefinition) -> _R:
    if not isinstance(result, kind):
        raise InvalidResult(
            f"A {market.kind} market settles on a {kind.__name__}, not {type(result).__name__}."
        )
    return result


# --- Lines ------------------------------------------------------------------------------

QUARTER = Fraction(1, 4)

# Which result type a market settles on.
ResultKind = Literal["football", "basketball", "tennis", "outright"]


def parse_line(value: Fraction | int | str) -> Fraction:
    """A line or handicap: exact (a Fraction, an int or decimal text, never a float) and a
    multiple of 0.25."""
    if isinstance(value, bool) or not isinstance(value, Fraction | int | str):
        raise InvalidLine(f"A line is exact decimal text or a Fraction, not {value!r}.")
    try:
        line = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise InvalidLine(f"Not a line: {value!r}.") from None
    if (line * 4).denominator != 1:
        raise InvalidLine(f"A line is a multiple of 0.25, not {value!r}.")
    return line


def line_text(line: Fraction) -> str:
    """A line as exact decimal text: ``Fraction(-3, 4)`` is ``"-0.75"``."""
    return format(Decimal(line.numerator) / Decimal(line.denominator), "f")


def split_line(line: Fraction) -> tuple[Fraction, ...]:
    """The lines a stake is on: a whole or half line is itself; a quarter line is two
    half-stakes on the lines 0.25 either side (-0.75 → -1 and -0.5; 2.25 → 2 and 2.5)."""
    if (line * 2).denominator == 1:
        return (line,)
    return (line - QUARTER, line + QUARTER)


def handicap_outcome(margin: int, handicap: Fraction) -> Outcome:
    """The outcome of a selection that wins when ``margin + handicap > 0`` (a home Asian
    handicap: margin = home - away; an over: margin = total, handicap = -line).

    On each line of :func:`split_line`, above 0 wins, exactly 0 pushes, below 0 loses. With
    two half-stakes: both win → win; one wins, one pushes → half win; one pushes, one loses →
    half lose; both lose → lose. (One winning while the other loses cannot happen: the two
    lines are 0.5 apart and one of them is whole.)
    """
    signs = sorted(
        ((margin + part > 0) - (margin + part < 0) for part in split_line(handicap)),
        reverse=True,
    )
    if len(signs) == 1:
        return {1: Outcome.win(), 0: Outcome.void(), -1: Outcome.lose()}[signs[0]]
    table = {
        (1, 1): Outcome.win(),
        (1, 0): Outcome.half_win(),
        (0, -1): Outcome.half_lose(),
        (-1, -1): Outcome.lose(),
    }
    return table[(signs[0], signs[1])]


def _param(params: Mapping[str, Any], name: str, kind: str) -> Any:
    if name not in params:
        raise InvalidMarketDefinition(f"A {kind} market needs {name!r}.")
    return params[name]


def _only(params: Mapping[str, Any], names: set[str], kind: str) -> None:
    unknown = set(params) - names
    if unknown:
        raise InvalidMarketDefinition(f"A {kind} market has no {sorted(unknown)!r}.")


def _small_int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidMarketDefinition(f"{what} is a whole number from {low} to {high}.")
    return value


# --- Markets ----------------------------------------------------------------------------


class MarketDefinition(ABC):
    """A market kind with its parameters. Subclasses are frozen dataclasses."""

    kind: ClassVar[str]
    result_kind: ClassVar[ResultKind]

    @property
    @abstractmethod
    def selections(self) -> tuple[str, ...]:
        """The selection codes this market offers, in display order."""

    @abstractmethod
    def settle_result(self, selection: str, result: Result) -> Outcome:
        """The outcome of an offered ``selection`` under a (not cancelled) ``result``."""

    @abstractmethod
    def params(self) -> dict[str, Any]:
        """The parameters as stored (JSON): ``market_from_params(kind, params())`` rebuilds
        this market."""

    @classmethod
    @abstractmethod
    def from_params(cls, params: Mapping[str, Any]) -> MarketDefinition:
        """Reads stored parameters."""


@dataclass(frozen=True, slots=True)
class OneXTwo(MarketDefinition):
    """Football match result: home win "1", draw "X", away win "2" (regular time)."""

    kind: ClassVar[str] = "1x2"
    result_kind: ClassVar[ResultKind] = "football"

    @property
    def selections(self) -> tuple[str, ...]:
        return ("1", "X", "2")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        actual = "1" if score.home > score.away else "2" if score.home < score.away else "X"
        return _won(selection == actual)

    def params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> OneXTwo:
        _only(params, set(), cls.kind)
        return cls()


@dataclass(frozen=True, slots=True)
class DoubleChance(MarketDefinition):
    """Two of the three results: "1X" (home or draw), "12" (either team wins), "X2"."""

    kind: ClassVar[str] = "double_chance"
    result_kind: ClassVar[ResultKind] = "football"

    @property
    def selections(self) -> tuple[str, ...]:
        return ("1X", "12", "X2")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        actual = "1" if score.home > score.away else "2" if score.home < score.away else "X"
        return _won(actual in selection)

    def params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DoubleChance:
        _only(params, set(), cls.kind)
        return cls()


@dataclass(frozen=True, slots=True)
class DrawNoBet(MarketDefinition):
    """Home "1" or away "2"; a draw voids both (an Asian handicap of 0)."""

    kind: ClassVar[str] = "draw_no_bet"
    result_kind: ClassVar[ResultKind] = "football"

    @property
    def selections(self) -> tuple[str, ...]:
        return ("1", "2")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        margin = score.home - score.away
        return handicap_outcome(margin if selection == "1" else -margin, Fraction(0))

    def params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DrawNoBet:
        _only(params, set(), cls.kind)
        return cls()


def _total_outcome(selection: str, total: int, line: Fraction) -> Outcome:
    if selection == "over":
        return handicap_outcome(total, -line)
    return handicap_outcome(-total, line)


def _positive_line(value: Fraction | int | str) -> Fraction:
    line = parse_line(value)
    if line <= 0:
        raise InvalidLine(f"A total line is above 0, not {line_text(line)}.")
    return line


@dataclass(frozen=True, slots=True)
class OverUnder(MarketDefinition):
    """Total goals "over" or "under" ``line`` (a multiple of 0.25 above 0). A whole line
    pushes when the total equals it; a quarter line is split (:func:`split_line`)."""

    line: Fraction

    kind: ClassVar[str] = "over_under"
    result_kind: ClassVar[ResultKind] = "football"

    def __post_init__(self) -> None:
        object.__setattr__(self, "line", _positive_line(self.line))

    @property
    def selections(self) -> tuple[str, ...]:
        return ("over", "under")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        return _total_outcome(selection, score.home + score.away, self.line)

    def params(self) -> dict[str, Any]:
        return {"line": line_text(self.line)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> OverUnder:
        _only(params, {"line"}, cls.kind)
        return cls(_param(params, "line", cls.kind))


@dataclass(frozen=True, slots=True)
class AsianHandicap(MarketDefinition):
    """ "home" with ``handicap`` goals added to its score, or "away" with the opposite
    (``handicap`` -0.75: home -0.75, away +0.75). Quarter lines are split."""

    handicap: Fraction

    kind: ClassVar[str] = "asian_handicap"
    result_kind: ClassVar[ResultKind] = "football"

    def __post_init__(self) -> None:
        object.__setattr__(self, "handicap", parse_line(self.handicap))

    @property
    def selections(self) -> tuple[str, ...]:
        return ("home", "away")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        margin = score.home - score.away
        if selection == "home":
            return handicap_outcome(margin, self.handicap)
        return handicap_outcome(-margin, -self.handicap)

    def params(self) -> dict[str, Any]:
        return {"handicap": line_text(self.handicap)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> AsianHandicap:
        _only(params, {"handicap"}, cls.kind)
        return cls(_param(params, "handicap", cls.kind))


@dataclass(frozen=True, slots=True)
class BothTeamsToScore(MarketDefinition):
    """ "yes" if both teams score in regular time, else "no"."""

    kind: ClassVar[str] = "btts"
    result_kind: ClassVar[ResultKind] = "football"

    @property
    def selections(self) -> tuple[str, ...]:
        return ("yes", "no")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        both = score.home > 0 and score.away > 0
        return _won(both == (selection == "yes"))

    def params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BothTeamsToScore:
        _only(params, set(), cls.kind)
        return cls()


@dataclass(frozen=True, slots=True)
class CorrectScore(MarketDefinition):
    """Every score "h-a" with each side at most ``max_goals`` (home first), and "other" for
    any score beyond that."""

    max_goals: int = 4

    kind: ClassVar[str] = "correct_score"
    result_kind: ClassVar[ResultKind] = "football"

    def __post_init__(self) -> None:
        _small_int(self.max_goals, "max_goals", 1, 15)

    @property
    def selections(self) -> tuple[str, ...]:
        scores = itertools.product(range(self.max_goals + 1), repeat=2)
        return (*(f"{home}-{away}" for home, away in scores), "other")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, FootballScore, self)
        if max(score.home, score.away) > self.max_goals:
            return _won(selection == "other")
        return _won(selection == f"{score.home}-{score.away}")

    def params(self) -> dict[str, Any]:
        return {"max_goals": self.max_goals}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CorrectScore:
        _only(params, {"max_goals"}, cls.kind)
        return cls(params.get("max_goals", 4))


@dataclass(frozen=True, slots=True)
class Outright(MarketDefinition):
    """A competitor (its id is the selection code) to finish in the first ``places`` places
    (1: to win the competition). Dead-heat rule: if the competitor's group of ``n`` tied
    competitors straddles the last paying place, so that only ``k`` of the places they share
    pay (``k < n``), the selection settles ``dead_heat`` with factor ``k/n``: ``k/n`` of the
    stake is paid at full odds and the rest is lost. Two tied for first with one place paid:
    1/2; three tied for second with two places paid: 1/3. A tied group wholly within the
    paying places wins in full; a competitor not in the result loses. Each-way terms are not
    modelled here."""

    competitors: tuple[str, ...]
    places: int = 1

    kind: ClassVar[str] = "outright"
    result_kind: ClassVar[ResultKind] = "outright"

    def __post_init__(self) -> None:
        if (
            not isinstance(self.competitors, tuple)
            or len(self.competitors) < 2
            or len(set(self.competitors)) != len(self.competitors)
            or not all(isinstance(c, str) and c for c in self.competitors)
        ):
            raise InvalidMarketDefinition("An outright has at least two distinct competitors.")
        _small_int(self.places, "places", 1, len(self.competitors) - 1)

    @property
    def selections(self) -> tuple[str, ...]:
        return self.competitors

    def settle_result(self, selection: str, result: Result) -> Outcome:
        order = _expect(result, OutrightResult, self)
        strangers = {c for group in order.order for c in group} - set(self.competitors)
        if strangers:
            raise InvalidResult(f"Not competitors of this market: {sorted(strangers)!r}.")
        position = order.position(selection)
        if position is None:
            return Outcome.lose()
        place, tied = position
        if place > self.places:
            return Outcome.lose()
        paying = min(self.places, place + tied - 1) - place + 1
        if paying == tied:
            return Outcome.win()
        return Outcome.dead_heat_of(Fraction(paying, tied))

    def params(self) -> dict[str, Any]:
        return {"competitors": list(self.competitors), "places": self.places}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Outright:
        _only(params, {"competitors", "places"}, cls.kind)
        competitors = _param(params, "competitors", cls.kind)
        if not isinstance(competitors, list | tuple):
            raise InvalidMarketDefinition("competitors is a list of ids.")
        return cls(tuple(competitors), params.get("places", 1))


def _best_of(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in (3, 5):
        raise InvalidMarketDefinition("best_of is 3 or 5.")
    return value


def _tennis(result: Result, market: TennisMatchWinner | TennisSetBetting) -> TennisResult:
    match = _expect(result, TennisResult, market)
    if match.best_of != market.best_of:
        raise InvalidResult(f"The market is best of {market.best_of}, the result {match.best_of}.")
    return match


@dataclass(frozen=True, slots=True)
class TennisMatchWinner(MarketDefinition):
    """Player "1" or "2" to win. A retirement or disqualification after at least one
    completed set: the player who advances wins; before a set was completed: void."""

    best_of: int = 3

    kind: ClassVar[str] = "tennis_match_winner"
    result_kind: ClassVar[ResultKind] = "tennis"

    def __post_init__(self) -> None:
        _best_of(self.best_of)

    @property
    def selections(self) -> tuple[str, ...]:
        return ("1", "2")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        match = _tennis(result, self)
        if match.retired is not None and not match.sets:
            return Outcome.void()
        return _won(selection == match.winner)

    def params(self) -> dict[str, Any]:
        return {"best_of": self.best_of}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TennisMatchWinner:
        _only(params, {"best_of"}, cls.kind)
        return cls(_best_of(params.get("best_of", 3)))


@dataclass(frozen=True, slots=True)
class TennisSetBetting(MarketDefinition):
    """The final score in sets, player 1's sets first: best of 3 "2-0", "2-1", "1-2",
    "0-2"; best of 5 "3-0", "3-1", "3-2", "2-3", "1-3", "0-3". Void on retirement or
    disqualification (the match was not played out)."""

    best_of: int = 3

    kind: ClassVar[str] = "tennis_set_betting"
    result_kind: ClassVar[ResultKind] = "tennis"

    def __post_init__(self) -> None:
        _best_of(self.best_of)

    @property
    def selections(self) -> tuple[str, ...]:
        need = (self.best_of + 1) // 2
        first = tuple(f"{need}-{lost}" for lost in range(need))
        second = tuple(f"{lost}-{need}" for lost in reversed(range(need)))
        return first + second

    def settle_result(self, selection: str, result: Result) -> Outcome:
        match = _tennis(result, self)
        if match.retired is not None:
            return Outcome.void()
        first, second = match.sets_won
        return _won(selection == f"{first}-{second}")

    def params(self) -> dict[str, Any]:
        return {"best_of": self.best_of}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TennisSetBetting:
        _only(params, {"best_of"}, cls.kind)
        return cls(_best_of(params.get("best_of", 3)))


@dataclass(frozen=True, slots=True)
class BasketballMoneyline(MarketDefinition):
    """ "home" or "away" to win, overtime included; a tied final score voids both."""

    kind: ClassVar[str] = "basketball_moneyline"
    result_kind: ClassVar[ResultKind] = "basketball"

    @property
    def selections(self) -> tuple[str, ...]:
        return ("home", "away")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, BasketballScore, self)
        margin = score.home - score.away
        return handicap_outcome(margin if selection == "home" else -margin, Fraction(0))

    def params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BasketballMoneyline:
        _only(params, set(), cls.kind)
        return cls()


@dataclass(frozen=True, slots=True)
class BasketballSpread(MarketDefinition):
    """Point spread on the final score including overtime: "home" gets ``handicap`` points,
    "away" the opposite. A whole-number spread pushes on a tie against it."""

    handicap: Fraction

    kind: ClassVar[str] = "basketball_spread"
    result_kind: ClassVar[ResultKind] = "basketball"

    def __post_init__(self) -> None:
        object.__setattr__(self, "handicap", parse_line(self.handicap))

    @property
    def selections(self) -> tuple[str, ...]:
        return ("home", "away")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, BasketballScore, self)
        margin = score.home - score.away
        if selection == "home":
            return handicap_outcome(margin, self.handicap)
        return handicap_outcome(-margin, -self.handicap)

    def params(self) -> dict[str, Any]:
        return {"handicap": line_text(self.handicap)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BasketballSpread:
        _only(params, {"handicap"}, cls.kind)
        return cls(_param(params, "handicap", cls.kind))


@dataclass(frozen=True, slots=True)
class BasketballTotal(MarketDefinition):
    """Total points "over" or "under" ``line``, overtime included."""

    line: Fraction

    kind: ClassVar[str] = "basketball_total"
    result_kind: ClassVar[ResultKind] = "basketball"

    def __post_init__(self) -> None:
        object.__setattr__(self, "line", _positive_line(self.line))

    @property
    def selections(self) -> tuple[str, ...]:
        return ("over", "under")

    def settle_result(self, selection: str, result: Result) -> Outcome:
        score = _expect(result, BasketballScore, self)
        return _total_outcome(selection, score.home + score.away, self.line)

    def params(self) -> dict[str, Any]:
        return {"line": line_text(self.line)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> BasketballTotal:
        _only(params, {"line"}, cls.kind)
        return cls(_param(params, "line", cls.kind))


MARKET_KINDS: Mapping[str, type[MarketDefinition]] = {
    market.kind: market
    for market in (
        OneXTwo,
        DoubleChance,
        DrawNoBet,
        OverUnder,
        AsianHandicap,
        BothTeamsToScore,
        CorrectScore,
        Outright,
        TennisMatchWinner,
        TennisSetBetting,
        BasketballMoneyline,
        BasketballSpread,
        BasketballTotal,
    )
}


def settle(market: MarketDefinition, selection: str, result: Result) -> Outcome:
    """The outcome of ``selection`` of ``market`` under ``result``.

    A cancelled or abandoned event voids every selection. A selection the market does not
    offer raises ``sportsbook.invalid_selection``; a result of the wrong sport or one that
    does not fit the market (a best-of-3 result for a best-of-5 market, an unknown
    competitor) raises ``sportsbook.invalid_result``.
    """
    if selection not in market.selections:
        raise InvalidSelection(f"A {market.kind} market has no selection {selection!r}.")
    if isinstance(result, EventCancelled):
        return Outcome.void()
    return market.settle_result(selection, result)


# --- The JSON boundary ------------------------------------------------------------------


def market_from_params(kind: str, params: Mapping[str, Any]) -> MarketDefinition:
    """The market of ``kind`` (``MARKET_KINDS``) with its stored parameters, e.g.
    ``("over_under", {"line": "2.5"})``, ``("outright", {"competitors": [...], "places": 3})``.
    Lines are decimal text or whole numbers, never floats."""
    market = MARKET_KINDS.get(kind)
    if market is None:
        raise InvalidMarketDefinition(f"Unknown market kind {kind!r}.")
    if not isinstance(params, Mapping):
        raise InvalidMarketDefinition("The parameters are an object.")
    return market.from_params(params)


_FINISHED = "ended"
_CANCELLED = ("cancelled", "abandoned")


def _fields(data: Mapping[str, Any], required: set[str], optional: set[str]) -> None:
    missing = required - set(data)
    unknown = set(data) - required - optional
    if missing or unknown:
        raise InvalidResult(
            f"The result needs {sorted(required)!r} and may have {sorted(optional)!r}."
        )


def result_from_data(market: MarketDefinition, data: Mapping[str, Any]) -> Result:
    """Reads a stored result for ``market``:

    - any market: ``{"status": "cancelled"}`` or ``"abandoned"`` (event void); otherwise
      ``status`` is absent or ``"ended"``;
    - football: ``{"home": 2, "away": 1}`` (regular time);
    - basketball: ``{"home": 101, "away": 99, "overtime_periods": 1}`` (final, OT included;
      the periods are optional);
    - tennis: ``{"sets": [[6, 4], [3, 6], [7, 6]], "best_of": 3, "retired": "2"}`` (best_of
      defaults to the market's; retired is optional);
    - outright: ``{"order": [["a"], ["b", "c"], ["d"]]}`` (a group per position; ties share
      one).
    """
    if not isinstance(data, Mapping):
        raise InvalidResult("The result is an object.")
    status = data.get("status", _FINISHED)
    if status in _CANCELLED:
        _fields(data, {"status"}, {"reason"})
        return EventCancelled(str(status))
    if status != _FINISHED:
        raise InvalidResult(f"Unknown result status {status!r}.")
    fields = dict(data)
    fields.pop("status", None)
    if market.result_kind == "football":
        _fields(fields, {"home", "away"}, set())
        return FootballScore(fields["home"], fields["away"])
    if market.result_kind == "basketball":
        _fields(fields, {"home", "away"}, {"overtime_periods"})
        return BasketballScore(fields["home"], fields["away"], fields.get("overtime_periods", 0))
    if market.result_kind == "tennis":
        _fields(fields, {"sets"}, {"best_of", "retired"})
        sets = fields["sets"]
        if not isinstance(sets, list | tuple) or not all(
            isinstance(s, list | tuple) and len(s) == 2 for s in sets
        ):
            raise InvalidResult("sets is a list of [games of player 1, games of player 2].")
        assert isinstance(market, TennisMatchWinner | TennisSetBetting)
        return TennisResult(
            tuple((s[0], s[1]) for s in sets),
            fields.get("best_of", market.best_of),
            fields.get("retired"),
        )
    _fields(fields, {"order"}, set())
    order = fields["order"]
    if not isinstance(order, list | tuple):
        raise InvalidResult("order is a list of finishing positions.")
    groups: list[tuple[str, ...]] = []
    for group in order:
        if isinstance(group, str):
            groups.append((group,))
        elif isinstance(group, list | tuple):
            groups.append(tuple(group))
        else:
            raise InvalidResult("A finishing position is an id or a list of tied ids.")
    return OutrightResult(tuple(groups))


def settle_selection(
    kind: str, params: Mapping[str, Any], selection: str, data: Mapping[str, Any]
) -> Outcome:
    """:func:`settle` from stored forms: the market's kind and parameters, the selection's
    code and the result as entered or fed."""
    market = market_from_params(kind, params)
    return settle(market, selection, result_from_data(market, data))


__all__ = [
    "MARKET_KINDS",
    "QUARTER",
    "AsianHandicap",
    "BasketballMoneyline",
    "BasketballScore",
    "BasketballSpread",
    "BasketballTotal",
    "BothTeamsToScore",
    "CorrectScore",
    "DoubleChance",
    "DrawNoBet",
    "EventCancelled",
    "FootballScore",
    "MarketDefinition",
    "OneXTwo",
    "Outcome",
    "OutcomeKind",
    "Outright",
    "OutrightResult",
    "OverUnder",
    "Result",
    "TennisMatchWinner",
    "TennisPlayer",
    "TennisResult",
    "TennisSetBetting",
    "handicap_outcome",
    "line_text",
    "market_from_params",
    "parse_line",
    "result_from_data",
    "settle",
    "settle_selection",
    "split_line",
]

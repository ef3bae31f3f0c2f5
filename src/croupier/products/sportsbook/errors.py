"""Errors of the sportsbook, each with a stable code in the ``sportsbook.`` namespace.

Classes after :class:`SportsbookError` are kept in alphabetical order.
"""

from __future__ import annotations

from croupier.kernel.errors import DomainError, NotFound


class SportsbookError(DomainError):
    code = "sportsbook.error"
    status = 422
    title = "The sportsbook refused the request"


class BetNotFound(NotFound):
    code = "sportsbook.bet_not_found"
    title = "There is no such bet"


class CashOutUnavailable(SportsbookError):
    code = "sportsbook.cash_out_unavailable"
    title = "This bet cannot be cashed out now"


class CashOutValueChanged(SportsbookError):
    code = "sportsbook.cash_out_value_changed"
    status = 409
    title = "The cash-out value went down since it was shown"


class CompetitionNotFound(NotFound):
    code = "sportsbook.competition_not_found"
    title = "There is no such competition"


class EventNotFound(NotFound):
    code = "sportsbook.event_not_found"
    title = "There is no such event"


class EventStarted(SportsbookError):
    # GLI-33; Ontario AGCO 4.25: no bet on a pre-match market after the start.
    code = "sportsbook.event_started"
    title = "The event has started: its pre-match markets take no more bets"


class InsufficientFunds(SportsbookError):
    code = "sportsbook.insufficient_funds"
    title = "The stake is more than the player's available balance"


class InvalidBet(SportsbookError):
    code = "sportsbook.invalid_bet"
    title = "The bet is not valid"


class InvalidCashOut(SportsbookError):
    code = "sportsbook.invalid_cash_out"
    title = "The cash-out request is not valid"


class InvalidEvent(SportsbookError):
    code = "sportsbook.invalid_event"
    title = "The event is not valid"


class InvalidLadder(SportsbookError):
    code = "sportsbook.invalid_ladder"
    title = "An odds ladder is a start above 1 and bands of exact steps that reach their ends"


class InvalidMargin(SportsbookError):
    code = "sportsbook.invalid_margin"
    title = "A margin is an exact fraction from 0 to 0.30 (0 % to 30 %)"


class InvalidMarket(SportsbookError):
    code = "sportsbook.invalid_market"
    title = "The market is not valid"


class InvalidOdds(SportsbookError):
    code = "sportsbook.invalid_odds"
    title = "Odds are exact decimal odds above 1, or their fractional or American form"


class InvalidProbabilities(SportsbookError):
    code = "sportsbook.invalid_probabilities"
    title = "Probabilities are exact, each above 0 and below 1, and a complete market's sum to 1"


class MarginNotAttainable(SportsbookError):
    code = "sportsbook.margin_not_attainable"
    title = "This margin cannot be applied to these probabilities with this method"


class MarketNotFound(NotFound):
    code = "sportsbook.market_not_found"
    title = "There is no such market"


class MarketNotOpen(SportsbookError):
    code = "sportsbook.market_not_open"
    title = "The market takes no bets now (suspended or closed)"


class OddsChanged(SportsbookError):
    code = "sportsbook.odds_changed"
    status = 409
    title = "A price changed and the odds-change policy does not accept it"


class OddsOffLadder(SportsbookError):
    code = "sportsbook.odds_off_ladder"
    title = "The odds lie outside the odds ladder"


class OverroundBelowOne(SportsbookError):
    code = "sportsbook.overround_below_one"
    title = "The odds' implied probabilities sum to less than 1: there is no margin to remove"


class RelatedSelections(SportsbookError):
    code = "sportsbook.related_selections"
    title = "A multiple takes one selection per event (use the bet builder for one event)"


class SelectionNotFound(NotFound):
    code = "sportsbook.selection_not_found"
    title = "There is no such selection"


class StakeTooHigh(SportsbookError):
    code = "sportsbook.stake_too_high"
    title = "The stake is more than the most this bet may take now"


class TooFewOutcomes(SportsbookError):
    code = "sportsbook.too_few_outcomes"
    title = "A market has at least 2 outcomes"


class UnknownMarginMethod(SportsbookError):
    code = "sportsbook.unknown_margin_method"
    title = "The margin method is not one of proportional, power or shin"


class UnknownSelection(SportsbookError):
    code = "sportsbook.unknown_selection"
    title = "There is no such selection"

"""Errors of the pure settlement rules (``markets`` and ``bets``), each with a stable code.

They are expected failures of input (a malformed result, a selection the market does not
offer, a bet with the wrong number of legs), so they are 422s, except settling a bet while a
leg still waits for its result (409). Classes after :class:`SettlementError` are kept in
alphabetical order.
"""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class SettlementError(DomainError):
    code = "sportsbook.settlement_error"
    status = 422
    title = "The bet or result cannot be settled"


class InvalidLeg(SettlementError):
    code = "sportsbook.invalid_leg"
    title = "A leg of the bet is not valid"


class InvalidLegCount(SettlementError):
    code = "sportsbook.invalid_leg_count"
    title = "The bet type does not take this number of selections"


class InvalidLine(SettlementError):
    code = "sportsbook.invalid_line"
    title = "A line or handicap must be a multiple of 0.25"


class InvalidMarketDefinition(SettlementError):
    code = "sportsbook.invalid_market_definition"
    title = "The market's kind or parameters are not valid"


class InvalidOutcome(SettlementError):
    code = "sportsbook.invalid_outcome"
    title = "The outcome is not valid"


class InvalidResult(SettlementError):
    code = "sportsbook.invalid_result"
    title = "The result is not valid for this market"


class InvalidSelection(SettlementError):
    code = "sportsbook.invalid_selection"
    title = "The market does not offer this selection"


class InvalidStake(SettlementError):
    code = "sportsbook.invalid_stake"
    title = "The stake per line must be a positive whole number of ledger units"


class LegNotSettled(SettlementError):
    code = "sportsbook.leg_not_settled"
    status = 409
    title = "A leg of the bet has no outcome yet"


class UnknownBetType(SettlementError):
    code = "sportsbook.unknown_bet_type"
    title = "Unknown bet type"

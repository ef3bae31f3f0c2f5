"""Errors of payments, each with a stable code in the ``payments.`` namespace."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, Forbidden, NotFound


class PaymentError(DomainError):
    status = 422


class InvalidAmount(PaymentError):
    code = "payments.invalid_amount"
    title = "The amount must be a positive whole number of the currency's minor units"


class InvalidId(PaymentError):
    code = "payments.invalid_id"
    title = "The id must be 1-128 letters, digits and . _ : - / @ + = characters"


class WrongCurrency(PaymentError):
    code = "payments.wrong_currency"
    title = "Payments are in the player's currency only"


class InvalidInstrument(PaymentError):
    code = "payments.invalid_instrument"
    title = "The payment instrument is not valid for this method"


class NoRoute(PaymentError):
    code = "payments.no_route"
    title = "No payment provider takes this method, currency and country"


class IdConflict(DomainError):
    code = "payments.id_conflict"
    status = 409
    title = "This id was used for a different payment"


class PaymentNotFound(NotFound):
    code = "payments.not_found"
    title = "There is no such payment"


class InsufficientFunds(PaymentError):
    code = "payments.insufficient_funds"
    title = "The withdrawal is more than the player's withdrawable balance"


class InstrumentNotTheirs(PaymentError):
    # GLI-19 §2.5.6: winnings are paid only to an account in the player's name.
    code = "payments.instrument_not_in_player_name"
    title = "Withdrawals go only to an instrument in the player's name that they deposited with"


class InvalidState(DomainError):
    code = "payments.invalid_state"
    status = 409
    title = "The payment is not in a state that allows this"


class ReverseWithdrawalForbidden(Forbidden):
    # UKGC RTS 14B; Sweden: a withdrawal request may not be taken back into play.
    code = "payments.reverse_withdrawal_forbidden"
    title = "Withdrawals cannot be cancelled in this jurisdiction"


class AlreadyApproved(DomainError):
    code = "payments.already_approved_by_you"
    status = 409
    title = "Four eyes: the second approval must come from a different operator"


class ReasonRequired(PaymentError):
    code = "payments.reason_required"
    title = "A reason of 3 to 500 characters is required"


class UnknownPsp(NotFound):
    code = "payments.unknown_psp"
    title = "There is no such payment provider"


class WebhookRefused(DomainError):
    code = "payments.webhook_refused"
    status = 401
    title = "The webhook's signature or timestamp is not valid"


class ReportUnavailable(DomainError):
    code = "payments.report_unavailable"
    status = 502
    title = "The payment provider's settlement report could not be fetched"


class InvalidDate(PaymentError):
    code = "payments.invalid_date"
    title = "A date is written YYYY-MM-DD"

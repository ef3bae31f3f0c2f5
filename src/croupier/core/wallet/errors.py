"""Why the ledger refuses a transfer. Each reason has its own stable code."""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class LedgerError(DomainError):
    code = "ledger.error"
    status = 422
    title = "The ledger refused the transfer"


class InvalidTransferId(LedgerError):
    code = "ledger.invalid_transfer_id"
    title = "Transfer ids are 1-128 printable characters and may not start with 'sys:'"


class AmountNotPositive(LedgerError):
    code = "ledger.amount_must_be_positive"
    title = "The amount must be a positive integer"


class AmountTooLarge(LedgerError):
    code = "ledger.amount_too_large"
    title = "The amount is beyond the ledger's 64-bit range"


class AccountNotFound(LedgerError):
    code = "ledger.account_not_found"
    status = 404
    title = "No such ledger account"


class TransferNotFound(LedgerError):
    code = "ledger.transfer_not_found"
    status = 404
    title = "No transfer with this id"


class SameAccount(LedgerError):
    code = "ledger.accounts_must_differ"
    title = "The debit and credit accounts must differ"


class CurrencyMismatch(LedgerError):
    code = "ledger.currency_mismatch"
    title = "The transfer and both accounts must have the same currency"


class InsufficientFunds(LedgerError):
    code = "ledger.insufficient_funds"
    title = "The debit account does not have enough available funds"


class SumOverflow(LedgerError):
    code = "ledger.overflow"
    title = "The transfer would overflow an account's running sums"


class TransferIdConflict(LedgerError):
    code = "ledger.transfer_id_conflict"
    status = 409
    title = "A transfer with this id exists with different fields"


class InvalidTransferFields(LedgerError):
    code = "ledger.invalid_transfer_fields"
    title = "The fields do not fit the kind of transfer"


class PendingTransferNotFound(LedgerError):
    code = "ledger.pending_transfer_not_found"
    status = 404
    title = "No pending transfer with this id"


class NotAPendingTransfer(LedgerError):
    code = "ledger.not_a_pending_transfer"
    title = "The referenced transfer is not a pending transfer"


class PendingAlreadyPosted(LedgerError):
    code = "ledger.pending_transfer_already_posted"
    status = 409
    title = "The pending transfer has already been posted"


class PendingAlreadyVoided(LedgerError):
    code = "ledger.pending_transfer_already_voided"
    status = 409
    title = "The pending transfer has already been voided"


class PendingExpired(LedgerError):
    code = "ledger.pending_transfer_expired"
    status = 409
    title = "The pending transfer has expired"


class PostExceedsPending(LedgerError):
    code = "ledger.post_exceeds_pending_amount"
    title = "A post may not exceed the pending amount"


class PendingFieldMismatch(LedgerError):
    code = "ledger.pending_transfer_mismatch"
    title = "The accounts or currency differ from the pending transfer's"


class LinkedTransferFailed(LedgerError):
    code = "ledger.linked_transfer_failed"
    title = "Another transfer of the linked chain failed, so none was made"


class LinkedChainOpen(LedgerError):
    code = "ledger.linked_chain_open"
    title = "The last transfer of a batch may not be marked linked"


class AccountExists(LedgerError):
    code = "ledger.account_exists"
    status = 409
    title = "A platform account with this kind, currency and name exists"


class LedgerUnavailable(LedgerError):
    code = "ledger.unavailable"
    status = 503
    title = "The ledger could not complete the batch; retry with the same transfer ids"

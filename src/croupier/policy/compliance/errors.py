"""Why the platform refuses a deposit, a bet, a withdrawal or a login: stable codes."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, Forbidden


class SelfExcluded(Forbidden):
    code = "rg.self_excluded"
    title = "The player is self-excluded: no deposits and no bets; withdrawals remain possible"


class TimedOut(Forbidden):
    code = "rg.timed_out"
    title = "The player is taking a break: no deposits and no bets until it ends"


class LimitExceeded(DomainError):
    status = 422


class DepositLimitExceeded(LimitExceeded):
    code = "rg.deposit_limit_exceeded"
    title = "The deposit would exceed the player's deposit limit"


class WagerLimitExceeded(LimitExceeded):
    code = "rg.wager_limit_exceeded"
    title = "The stake would exceed the player's wager limit"


class LossLimitExceeded(LimitExceeded):
    code = "rg.loss_limit_exceeded"
    title = "The stake could take the player past their loss limit"


class SessionTimeLimitReached(Forbidden):
    code = "rg.session_time_limit_reached"
    title = "The player's session-time limit for this period is used up"


class AccountNotActive(Forbidden):
    code = "compliance.account_not_active"
    title = "The account is suspended or closed"


class VerificationRequired(Forbidden):
    code = "compliance.verification_required"
    title = "The player's jurisdiction requires verification first"


class ProductNotOffered(Forbidden):
    code = "compliance.product_not_offered"
    title = "This product is not licensed in the player's jurisdiction"


class StakeAboveCap(DomainError):
    code = "compliance.stake_above_cap"
    status = 422
    title = "The stake is above the jurisdiction's cap"


class InvalidAmount(DomainError):
    code = "compliance.invalid_amount"
    status = 422
    title = "An amount is a positive whole number of ledger units"


class CaseNotFound(DomainError):
    code = "compliance.case_not_found"
    status = 404
    title = "No such case"


class InvalidCaseTransition(DomainError):
    code = "compliance.invalid_case_transition"
    status = 422
    title = "A case cannot move to this state from its current one"


class InvalidSanctionsList(DomainError):
    code = "compliance.invalid_sanctions_list"
    status = 422
    title = "The sanctions list file cannot be read in the format given"


class KycVendorUnavailable(DomainError):
    code = "compliance.kyc_vendor_unavailable"
    status = 503
    title = "The verification service cannot be reached; try again later"


class InvalidKycRequest(DomainError):
    code = "compliance.invalid_kyc_request"
    status = 422
    title = "The verification request names an unknown level or document"


class InvalidWebhookSignature(DomainError):
    code = "webhook.invalid_signature"
    status = 401
    title = "The webhook's signature does not verify"


class UnknownKycCheck(DomainError):
    code = "compliance.kyc_check_not_found"
    status = 404
    title = "No such verification check"

"""Errors of player account management, each with a stable code."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, Forbidden, NotFound
from croupier.kernel.web import SessionExpired

__all__ = ["SessionExpired"]


class PlayerError(DomainError):
    code = "players.error"
    status = 422


class BrandNotFound(NotFound):
    code = "players.brand_not_found"
    title = "No such brand"


class BrandExists(DomainError):
    code = "players.brand_exists"
    status = 409
    title = "A brand with this code exists"


class CurrencyNotOffered(PlayerError):
    code = "players.currency_not_offered"
    title = "The brand does not offer this currency"


class JurisdictionNotServed(PlayerError):
    code = "players.jurisdiction_not_served"
    title = "The brand does not serve players in this jurisdiction"


class UnderAge(PlayerError):
    code = "players.under_age"
    title = "The player is under the minimum age of their jurisdiction"


class InvalidDateOfBirth(PlayerError):
    code = "players.invalid_date_of_birth"
    title = "The date of birth is not a plausible date"


class EmailTaken(DomainError):
    code = "players.email_taken"
    status = 409
    title = "An account with this email exists in this brand"


class DuplicatePerson(DomainError):
    code = "players.duplicate_person"
    status = 409
    title = "This person already has an account in this brand"


class PlayerNotFound(NotFound):
    code = "players.player_not_found"
    title = "No such player"


class InvalidStatusChange(PlayerError):
    code = "players.invalid_status_change"
    title = "The player's status cannot change this way"


class InvalidCredentials(DomainError):
    # GLI-19 §2.5.3: the same answer whichever credential is wrong, and for a locked account.
    code = "auth.invalid_credentials"
    status = 401
    title = "The credentials are not valid"


class AccountSuspended(DomainError):
    # GLI-19 §2.4.1: staff can disable one player; a suspended player cannot log in.
    code = "auth.account_suspended"
    status = 403
    title = "The account is suspended; contact support"


class MfaRequired(DomainError):
    code = "auth.mfa_required"
    status = 401
    title = "A code from the authenticator app is required"


class InvalidMfaCode(DomainError):
    code = "auth.invalid_mfa_code"
    status = 401
    title = "The authenticator or recovery code is not valid"


class MfaNotEnrolled(Forbidden):
    code = "auth.mfa_not_enrolled"
    title = "Set up an authenticator app first"


class MfaAlreadyEnrolled(DomainError):
    code = "auth.mfa_already_enrolled"
    status = 409
    title = "An authenticator app is already set up"


class StepUpRequired(Forbidden):
    # GLI-19 §2.5.2: changing credentials or the payout account needs a fresh second factor.
    code = "auth.step_up_required"
    title = "Confirm with your authenticator code first"


class SessionNotFound(NotFound):
    code = "auth.session_not_found"
    title = "No such session"

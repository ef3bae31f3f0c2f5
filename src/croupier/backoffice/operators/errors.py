"""Errors of staff accounts and their credentials."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, NotFound


class OperatorExists(DomainError):
    code = "operators.exists"
    status = 409
    title = "An operator with this email exists"


class UnknownRole(DomainError):
    code = "operators.unknown_role"
    status = 422
    title = "No such role"


class BrandRequired(DomainError):
    code = "operators.brand_required"
    status = 422
    title = "This role works for one brand: name it"


class OperatorNotFound(NotFound):
    code = "operators.not_found"
    title = "No such operator"


class InvalidOperatorCredentials(DomainError):
    code = "auth.invalid_credentials"
    status = 401
    title = "The credentials are not valid"


class TokenNotFound(NotFound):
    code = "operators.token_not_found"
    title = "No such API token"


class ApiTokenNeedsSession(DomainError):
    code = "operators.api_token_needs_session"
    status = 403
    title = "API tokens are created by a person logged in with MFA, not by another token"

"""Why risk scoring refuses a request or a model: stable codes."""

from __future__ import annotations

from croupier.kernel.errors import DomainError, InvalidRequest, NotFound


class UnknownRiskModel(NotFound):
    code = "risk.unknown_model"
    title = "No risk model of this version"


class InvalidRiskModel(DomainError):
    code = "risk.invalid_model"
    status = 500
    title = "The risk model file is not a valid croupier risk model"


class InvalidRiskRequest(InvalidRequest):
    code = "risk.invalid_request"
    title = "The payment attempt cannot be scored"


class RiskAttemptNotFound(NotFound):
    code = "risk.attempt_not_found"
    title = "No payment attempt of this id was scored"

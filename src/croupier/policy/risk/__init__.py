"""Risk scoring of deposits and withdrawals: approve, review or decline, with the reasons.

Payments call :func:`assess` before moving money and :func:`record_outcome` after; one
:class:`RiskEngine` per process (``RiskEngine.load(settings)``) holds the model and the
in-process feature store.
"""

from croupier.policy.risk.decisions import Factor, RiskDecision, RiskOutcome, RiskRequest
from croupier.policy.risk.rules import RiskThresholds
from croupier.policy.risk.service import RiskEngine, assess, evaluate, record_outcome

__all__ = [
    "Factor",
    "RiskDecision",
    "RiskEngine",
    "RiskOutcome",
    "RiskRequest",
    "RiskThresholds",
    "assess",
    "evaluate",
    "record_outcome",
]

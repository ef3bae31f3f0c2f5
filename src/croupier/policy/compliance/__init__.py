"""Compliance: the one policy entry point products ask before they move money.

``may_login``, ``may_deposit``, ``may_play``, ``may_bet``, ``may_withdraw`` and
``marketing_allowed`` return a :class:`Decision`; products never re-implement a rule.
"""

from croupier.policy.compliance.service import (
    Decision,
    marketing_allowed,
    may_bet,
    may_deposit,
    may_login,
    may_play,
    may_register,
    may_withdraw,
)

__all__ = [
    "Decision",
    "marketing_allowed",
    "may_bet",
    "may_deposit",
    "may_login",
    "may_play",
    "may_register",
    "may_withdraw",
]

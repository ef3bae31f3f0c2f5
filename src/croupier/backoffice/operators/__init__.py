"""Staff accounts, roles and permissions, sessions with mandatory TOTP, and API tokens."""

from croupier.backoffice.operators.service import (
    ROLE_PERMISSIONS,
    Role,
    authenticate_operator,
    create_operator,
    unlock_operator,
)

__all__ = [
    "ROLE_PERMISSIONS",
    "Role",
    "authenticate_operator",
    "create_operator",
    "unlock_operator",
]

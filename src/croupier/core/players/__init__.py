"""Player account management (PAM): brands, players, sessions, MFA, profile and status.

Public names are the service functions and values; other modules call these and nothing else.
"""

from croupier.core.players.models import DuplicatePersonPolicy, PlayerStatus
from croupier.core.players.service import (
    AuthenticatedPlayer,
    BrandView,
    PlayerView,
    Registration,
    activate_player,
    authenticate_session,
    brand_by_code,
    change_status,
    correct_identity,
    create_brand,
    create_sandbox_player,
    end_self_exclusion,
    get_brand,
    get_player,
    list_brands,
    mark_self_excluded,
    minutes_logged_in,
    registration_rules,
    search_players,
    session_started_at,
    status_history,
    unlock_player,
)

__all__ = [
    "AuthenticatedPlayer",
    "BrandView",
    "DuplicatePersonPolicy",
    "PlayerStatus",
    "PlayerView",
    "Registration",
    "activate_player",
    "authenticate_session",
    "brand_by_code",
    "change_status",
    "correct_identity",
    "create_brand",
    "create_sandbox_player",
    "end_self_exclusion",
    "get_brand",
    "get_player",
    "list_brands",
    "mark_self_excluded",
    "minutes_logged_in",
    "registration_rules",
    "search_players",
    "session_started_at",
    "status_history",
    "unlock_player",
]

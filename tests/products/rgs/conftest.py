"""Fixtures of the in-house game tests."""

from __future__ import annotations

import pytest

from tests.core.players.player_fixtures import verified_player
from tests.policy.policy_fixtures import UNIT, move


@pytest.fixture
def player(db, clock):
    """A verified Maltese player (no minimum time between games) with 100 EUR, logged in."""
    with verified_player(db, clock) as (c, view):
        move(db, clock, view, "deposit", 100 * UNIT)
        yield c, view

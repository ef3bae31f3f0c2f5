"""Fixtures of the in-house game tests."""

from __future__ import annotations

import pytest

from croupier.core.players import activate_player, get_player
from tests.core.players.player_fixtures import logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move


@pytest.fixture
def player(db, clock):
    """A verified Maltese player (no minimum time between games) with 100 EUR, logged in."""
    make_brand(db, clock)
    with make_client(db, clock) as c:
        registered = register(c)
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            view = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, view, "deposit", 100 * UNIT)
        c.headers.update(logged_in(c))
        yield c, view

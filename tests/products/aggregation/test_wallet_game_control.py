"""Game control at the seamless wallet (GLI-19 §2.4.1, §4.15): a disabled game or the kill
switch refuses new rounds of a provider's game and lets open ones finish; a game's stake cap
holds for every stake. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from croupier.core.gamecontrol import disable_game, set_stake_cap, suspend_gaming
from tests.products.aggregation.wallet_fixtures import EUR, UNIT, caleta_world


@pytest.fixture
def world(db, clock):
    with caleta_world(db, clock) as w:
        yield w


@pytest.mark.parametrize("switch", ["game", "kill switch", "jurisdiction", "brand"])
def test_a_switched_off_game_refuses_new_rounds_and_lets_open_ones_finish(world, switch):
    assert world.bet(UNIT, tx="b-1", round_id="R-open")["status"] == "RS_OK"
    with world.db.unit_of_work() as s:
        if switch == "kill switch":
            suspend_gaming(s, world.clock, reason="incident", actor="ops")
        else:
            scope, value = {
                "game": ("global", None),
                "jurisdiction": ("jurisdiction", "MT"),
                "brand": ("brand", world.player.brand_id),
            }[switch]
            disable_game(
                s, world.clock, provider="acme", game_code="sweet-7", scope=scope,
                scope_value=value, reason="fault", actor="ops",
            )  # fmt: skip
    before = world.footprint()
    assert world.bet(UNIT, tx="b-new", round_id="R-new")["status"] == "RS_ERROR_INVALID_GAME"
    assert world.footprint() == before
    # The open round goes on to its end: another stake, then the win.
    assert world.bet(UNIT, tx="b-2", round_id="R-open")["status"] == "RS_OK"
    assert world.win(5 * UNIT, "b-2", round_id="R-open", round_closed=True)["status"] == "RS_OK"
    assert world.balance() == 103 * EUR


def test_a_games_stake_cap_holds_for_every_stake(world):
    with world.db.unit_of_work() as s:
        set_stake_cap(
            s, world.clock, provider="acme", game_code="sweet-7", jurisdiction_code="MT",
            currency_code="EUR", max_stake=2 * EUR, reason="cap", actor="ops",
        )  # fmt: skip
    assert world.bet(2 * UNIT, tx="b-1")["status"] == "RS_OK"
    before = world.footprint()
    assert world.bet(2 * UNIT + 1, tx="b-2")["status"] == "RS_ERROR_BET_LIMIT_EXCEEDED"
    assert world.footprint() == before
    # A free bet's stake is the provider's, not the player's: not capped.
    assert world.bet(3 * UNIT, tx="f-1", round_id="R-2", is_free=True)["status"] == "RS_OK"

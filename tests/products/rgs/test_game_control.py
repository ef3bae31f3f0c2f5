"""Game control over the in-house titles (GLI-19 §2.4.1, §4.15): a disabled title or the kill
switch refuses new rounds and moves nothing; a round already open finishes, a double included;
a title's stake cap holds in open rounds too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from croupier.core import gamecontrol
from croupier.products.rgs.models import RgsRound
from tests.core.players.player_fixtures import assert_problem
from tests.policy.policy_fixtures import UNIT
from tests.products.rgs.rgs_fixtures import deal_with_a_double, money_state

DICE = "/api/v1/games/dice/rounds"
UNDER_50 = {"target": 5000, "direction": "under"}
BLACKJACK = "blackjack-classic"


def _control(db, clock, verb: str, **fields) -> None:
    with db.unit_of_work() as s:
        getattr(gamecontrol, verb)(s, clock, reason="test control", actor="operator:t", **fields)


def _dice(client, key: str, stake: int = UNIT):
    return client.post(DICE, json={"round_key": key, "stake": stake, "params": UNDER_50})


def _move(client, round_: dict, action: str):
    return client.post(
        f"/api/v1/me/rounds/{round_['id']}/actions",
        json={"step": len(round_["actions"]), "action": action},
    )


def test_a_disabled_title_refuses_a_new_round_and_moves_nothing(db, clock, player):
    client, view = player
    _control(db, clock, "disable_game", provider="croupier", game_code="dice", scope="global")
    before = money_state(db, view)
    refused = _dice(client, "d1")
    unchanged = money_state(db, view) == before
    other_title = client.post(
        "/api/v1/games/limbo/rounds",
        json={"round_key": "l1", "stake": UNIT, "params": {"target": 200}},
    )

    body = assert_problem(refused, 403, "gamecontrol.game_disabled")
    assert body["scope"] == ["global"]
    assert unchanged
    assert other_title.status_code == 201, other_title.text
    _control(db, clock, "enable_game", provider="croupier", game_code="dice", scope="global")
    assert _dice(client, "d1").status_code == 201


def test_an_open_blackjack_round_finishes_after_its_game_is_disabled(db, clock, player):
    client, _ = player
    opened = deal_with_a_double(client, "bj")
    _control(db, clock, "disable_game", provider="croupier", game_code=BLACKJACK, scope="global")
    doubled = _move(client, opened, "double")
    another = client.post(
        f"/api/v1/games/{BLACKJACK}/rounds",
        json={"round_key": "after", "stake": UNIT, "params": {}},
    )

    assert doubled.status_code == 200, doubled.text
    assert doubled.json()["state"] == "settled"  # §4.15: the round finished, double and all
    assert_problem(another, 403, "gamecontrol.game_disabled")
    with db.read_only() as s:
        stakes = s.execute(
            select(RgsRound.stake, RgsRound.staked).where(RgsRound.id == opened["id"])
        ).one()
    assert tuple(stakes) == (UNIT, 2 * UNIT)  # staked: what the actual RTP counts


def test_the_kill_switch_for_a_brand_refuses_every_title_until_released(db, clock, player):
    client, view = player
    _control(db, clock, "suspend_gaming", scope="brand", scope_value=view.brand_id)
    before = money_state(db, view)
    assert_problem(_dice(client, "k1"), 403, "gamecontrol.gaming_suspended")
    assert_problem(
        client.post(f"/api/v1/games/{BLACKJACK}/rounds", json={"round_key": "k2", "stake": UNIT}),
        403,
        "gamecontrol.gaming_suspended",
    )
    assert money_state(db, view) == before
    _control(db, clock, "resume_gaming", scope="brand", scope_value=view.brand_id)
    assert _dice(client, "k1").status_code == 201


@pytest.mark.parametrize(("where", "refused"), [("GB", False), ("MT", True)])
def test_a_jurisdiction_control_applies_to_the_players_of_that_jurisdiction(
    db, clock, player, where, refused
):
    client, _ = player  # a Maltese player
    _control(
        db, clock, "disable_game", provider="croupier", game_code="dice", scope="jurisdiction",
        scope_value=where,
    )  # fmt: skip
    answer = _dice(client, "j1")
    assert answer.status_code == (403 if refused else 201), answer.text


def test_a_titles_stake_cap_refuses_a_larger_stake_and_a_double_above_it(db, clock, player):
    client, view = player
    opened = deal_with_a_double(client, "cap", stake=2 * UNIT)
    _control(
        db, clock, "set_stake_cap", provider="croupier", game_code=BLACKJACK,
        jurisdiction_code="MT", currency_code="EUR", max_stake=UNIT,
    )  # fmt: skip
    before = money_state(db, view)
    double = _move(client, opened, "double")
    unchanged = money_state(db, view) == before
    stands = _move(client, opened, "stand")
    bigger = client.post(
        f"/api/v1/games/{BLACKJACK}/rounds",
        json={"round_key": "big", "stake": 2 * UNIT, "params": {}},
    )

    body = assert_problem(double, 422, "gamecontrol.stake_above_game_cap")
    assert body["cap"] == UNIT
    assert unchanged
    assert stands.status_code == 200, stands.text  # a move that stakes nothing more
    assert_problem(bigger, 422, "gamecontrol.stake_above_game_cap")
    with db.read_only() as s:
        staked = s.scalar(select(RgsRound.staked).where(RgsRound.id == opened["id"]))
    assert staked == 2 * UNIT  # the refused double added nothing

"""Multi-step rounds (mines) through the API: the stake at the start, moves in turn, the win
when the round ends, retries safe, nothing hidden while open, every step recalled after."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app as cli
from croupier.kernel.config import Settings
from croupier.kernel.crypto import Keyring
from croupier.products.rgs.fair import RoundSeeds, mine_tiles
from croupier.products.rgs.games.mines import multiplier
from croupier.products.rgs.models import RgsSeedPair
from tests.core.players.player_fixtures import assert_problem, logged_in, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT
from tests.products.rgs.rgs_fixtures import deal_with_a_double
from tests.products.rgs.rgs_fixtures import money_state as _state

MINES = "/api/v1/games/mines/rounds"


def _field(db, round_body, mines=3) -> list[int]:
    """Where the mines are: the test opens the sealed seed with the development key, as only
    the server can."""
    with db.read_only() as s:
        pair = s.get(RgsSeedPair, round_body["seed_pair_id"])
        seed = Keyring.of(Settings(env="test")).open(pair.server_seed_sealed, pair.id).decode()
    return mine_tiles(RoundSeeds(seed, round_body["client_seed"], round_body["nonce"]), mines)


def _move(client, round_id, step, action, **args):
    return client.post(
        f"/api/v1/me/rounds/{round_id}/actions", json={"step": step, "action": action, "args": args}
    )


def test_reveal_twice_then_cash_out_pays_the_published_multiplier(db, clock, player):
    client, view = player
    before = _state(db, view)[0]
    started = client.post(MINES, json={"round_key": "m1", "stake": UNIT, "params": {"mines": 3}})
    opened = started.json()
    safe = [t for t in range(25) if t not in _field(db, opened)]
    first = _move(client, opened["id"], 0, "reveal", tile=safe[0]).json()
    second = _move(client, opened["id"], 1, "reveal", tile=safe[1]).json()
    after_second = _state(db, view)
    retried = _move(client, opened["id"], 1, "reveal", tile=safe[1]).json()
    unchanged = _state(db, view) == after_second
    cashed = _move(client, opened["id"], 2, "cashout").json()
    again = _move(client, opened["id"], 3, "reveal", tile=safe[2])
    recalled = client.get(f"/api/v1/me/rounds/{opened['id']}").json()

    assert started.status_code == 201, started.text
    assert (opened["state"], opened["allowed"], opened["payout"]) == ("open", ["reveal"], 0)
    assert "mine_tiles" not in opened["outcome"]
    assert opened["balance_after"] == before - UNIT
    assert first["allowed"] == ["reveal", "cashout"]
    assert "mine_tiles" not in second["outcome"]
    assert retried["replayed"] is True
    assert unchanged
    paid = int(UNIT * multiplier(3, 2))
    assert (cashed["state"], cashed["payout"]) == ("settled", paid)
    assert cashed["multiplier"] == str(multiplier(3, 2))
    assert _state(db, view)[0] == before - UNIT + paid
    assert cashed["balance_after"] == before - UNIT + paid
    assert_problem(again, 409, "rgs.round_finished")
    assert [s["after_actions"] for s in recalled["steps"]] == [0, 1, 2, 3]
    assert recalled["steps"][-1]["view"]["mine_tiles"] == _field(db, opened)


def test_a_mine_loses_the_stake_and_the_round_verifies_after_rotation(db, clock, player):
    client, view = player
    before = _state(db, view)[0]
    opened = client.post(
        MINES, json={"round_key": "m2", "stake": UNIT, "params": {"mines": 3}}
    ).json()
    blocked = client.post("/api/v1/me/seeds/rotate", json={})
    field = _field(db, opened)
    lost = _move(client, opened["id"], 0, "reveal", tile=field[1]).json()
    revealed = client.post("/api/v1/me/seeds/rotate", json={}).json()["revealed"]["server_seed"]
    verified = CliRunner().invoke(
        cli,
        ["fair", "verify", "mines", "--server-seed", revealed, "--client-seed",
         opened["client_seed"], "--nonce", str(opened["nonce"]), "--mines", "3", "--json"],
    )  # fmt: skip

    assert_problem(blocked, 409, "rgs.round_open")  # rotating would reveal the field
    assert (lost["state"], lost["payout"], lost["outcome"]["hit"]) == ("settled", 0, field[1])
    assert _state(db, view)[0] == before - UNIT
    assert json.loads(verified.stdout) == {"mines": lost["outcome"]["mine_tiles"]}


@pytest.mark.parametrize(
    ("step", "action", "args", "status", "code"),
    [
        (1, "reveal", {"tile": 0}, 409, "rgs.action_out_of_turn"),
        (0, "cashout", {}, 422, "rgs.invalid_action"),
        (0, "reveal", {"tile": 25}, 422, "rgs.invalid_action"),
        (0, "jump", {}, 422, "rgs.invalid_action"),
    ],
)
def test_a_bad_move_is_refused_and_changes_nothing(
    db,
    clock,
    player,
    step,
    action,
    args,
    status,
    code,
):
    client, view = player
    opened = client.post(
        MINES, json={"round_key": "m3", "stake": UNIT, "params": {"mines": 3}}
    ).json()
    before = _state(db, view)
    refused = _move(client, opened["id"], step, action, **args)
    assert_problem(refused, status, code)
    assert _state(db, view) == before
    current = client.get(f"/api/v1/me/rounds/{opened['id']}").json()
    assert (current["actions"], current["state"]) == ([], "open")


def test_another_players_round_cannot_be_moved(db, clock, player):
    client, _ = player
    opened = client.post(
        MINES, json={"round_key": "m4", "stake": UNIT, "params": {"mines": 3}}
    ).json()
    with make_client(db, clock) as other:
        register(other, email="grace@example.com", legal_name="Grace Hopper", postcode="X1")
        other.headers.update(logged_in(other, email="grace@example.com"))
        theirs = _move(other, opened["id"], 0, "reveal", tile=0)
    assert_problem(theirs, 404, "rgs.round_not_found")


def test_a_double_stakes_one_more_unit_through_the_ledger_before_the_card(db, clock, player):
    # Blackjack: doubling commits a second stake (units_staked 2); the engine debits it as
    # rgs:<round>:stake:<move> and the payout is per original stake.
    from croupier.core.wallet import get_transfer

    client, view = player
    opened = deal_with_a_double(client, "bj")
    before = _state(db, view)[0]
    doubled = _move(client, opened["id"], 0, "double").json()
    assert doubled["state"] == "settled"  # one card, then the dealer plays out
    assert doubled["outcome"]["units_staked"] == "2"
    assert doubled["balance_after"] == before - UNIT + doubled["payout"]
    assert _state(db, view)[0] == before - UNIT + doubled["payout"]
    with db.read_only() as s:
        extra = get_transfer(s, f"rgs:{opened['id']}:stake:1")
    assert (extra.amount, extra.code) == (UNIT, "bet")
    assert doubled["payout"] in (0, UNIT, 2 * UNIT, 4 * UNIT)  # lost, push on 2, won on 2


def test_a_double_without_the_money_for_it_is_refused_and_changes_nothing(db, clock, player):
    from tests.policy.policy_fixtures import move

    client, view = player
    opened = deal_with_a_double(client, "poor")
    move(db, clock, view, "withdrawal", _state(db, view)[0])  # nothing left to double with
    before = _state(db, view)
    refused = _move(client, opened["id"], 0, "double")
    assert_problem(refused, 422, "ledger.insufficient_funds")
    assert _state(db, view) == before
    assert client.get(f"/api/v1/me/rounds/{opened['id']}").json()["actions"] == []

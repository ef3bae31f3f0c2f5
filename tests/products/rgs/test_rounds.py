"""Rounds of in-house games through the API: policy first, stake and win through the ledger
as one step, idempotent by the caller's round key, provably fair and verifiable afterwards."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app as cli
from croupier.core.players import activate_player, get_player
from croupier.core.wallet import verify_ledger
from croupier.products.rgs.models import RgsSeedPair
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move
from tests.products.rgs.rgs_fixtures import money_state as _state

DICE = "/api/v1/games/dice/rounds"


def _balance(db, view) -> int:
    return _state(db, view)[0]


UNDER_50 = {"target": 5000, "direction": "under"}


def test_a_round_moves_stake_and_win_once_and_verifies_after_rotation(db, clock, player):
    client, view = player
    seeds = client.get("/api/v1/me/seeds").json()
    played = [
        client.post(DICE, json={"round_key": f"r{i}", "stake": UNIT, "params": UNDER_50})
        for i in range(6)
    ]
    rounds = [r.json() for r in played]
    rotation = client.post("/api/v1/me/seeds/rotate", json={"client_seed": "my-own-seed"}).json()
    recalled = client.get(f"/api/v1/me/rounds/{rounds[0]['id']}").json()

    assert all(r.status_code == 201 for r in played), played[0].text
    assert [r["nonce"] for r in rounds] == list(range(6))
    assert all(r["server_seed_hash"] == seeds["server_seed_hash"] for r in rounds)
    assert all(r["server_seed"] is None for r in rounds)  # not revealed while in play
    paid = sum(r["payout"] for r in rounds)
    assert _balance(db, view) == 100 * UNIT - 6 * UNIT + paid
    for r in rounds:
        # 0.99 x 10001 / 5000 = 1.980198x of 1 EUR (1,000,000 units), exact
        assert r["payout"] in (0, 1_980_198)
        assert r["multiplier"] in ("0", "990099/500000")
        assert r["balance_after"] == r["balance_before"] - UNIT + r["payout"]
    revealed = rotation["revealed"]["server_seed"]
    assert hashlib.sha256(revealed.encode()).hexdigest() == seeds["server_seed_hash"]
    assert rotation["active"]["client_seed"] == "my-own-seed"
    assert rotation["active"]["next_nonce"] == 0
    assert recalled["server_seed"] == revealed
    # Every round verifies with the command a player or a lab runs.
    for r in rounds:
        out = CliRunner().invoke(
            cli,
            ["fair", "verify", "dice", "--server-seed", revealed, "--client-seed",
             r["client_seed"], "--nonce", str(r["nonce"]), "--json"],
        )  # fmt: skip
        assert json.loads(out.stdout) == r["outcome"]
    with db.read_only() as s:
        assert verify_ledger(s) == []
        sealed = s.get(RgsSeedPair, rounds[0]["seed_pair_id"]).server_seed_sealed
    assert revealed not in sealed


def test_the_same_round_key_answers_the_same_round_and_moves_nothing_more(db, clock, player):
    client, view = player
    body = {"round_key": "once", "stake": UNIT, "params": UNDER_50}
    first = client.post(DICE, json=body).json()
    after_first = _state(db, view)
    again = client.post(DICE, json=body).json()
    other = client.post(DICE, json={**body, "stake": 2 * UNIT})

    assert again["id"] == first["id"]
    assert again["replayed"] is True
    assert _state(db, view) == after_first
    assert_problem(other, 409, "rgs.round_key_reused")
    assert _state(db, view) == after_first


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"stake": 99_999}, 422, "rgs.invalid_stake"),  # below 0.10 EUR
        ({"stake": 1_000 * UNIT + 1}, 422, "rgs.invalid_stake"),
        ({"params": {"target": 5000, "direction": "sideways"}}, 422, "rgs.invalid_bet"),
        ({"params": {"target": 50, "direction": "under"}}, 422, "rgs.invalid_bet"),  # 0.5 %
        ({"round_key": "has space"}, 422, "rgs.invalid_bet"),
        ({"stake": 200 * UNIT}, 422, "ledger.insufficient_funds"),
        ({"stake": "1000000"}, 422, "request.invalid"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_moves_nothing(
    db, clock, player, body, status, code
):
    client, view = player
    before = _state(db, view)
    response = client.post(
        DICE, json={"round_key": "bad", "stake": UNIT, "params": UNDER_50, **body}
    )
    assert_problem(response, status, code)
    assert _state(db, view) == before


def test_an_unknown_game_and_another_players_round_are_not_found(db, clock, player):
    client, _ = player
    mine = client.post(DICE, json={"round_key": "a", "stake": UNIT, "params": UNDER_50}).json()
    unknown = client.post(
        "/api/v1/games/craps/rounds", json={"round_key": "b", "stake": UNIT, "params": {}}
    )
    with make_client(db, clock) as other:
        register(other, email="grace@example.com", legal_name="Grace Hopper", postcode="X1")
        other.headers.update(logged_in(other, email="grace@example.com"))
        theirs = other.get(f"/api/v1/me/rounds/{mine['id']}")
    assert_problem(unknown, 404, "rgs.title_not_found")
    assert_problem(theirs, 404, "rgs.round_not_found")


def test_a_self_excluded_player_cannot_play_and_nothing_moves(db, clock, player):
    client, view = player
    excluded = client.post("/api/v1/me/self-exclusion", json={"months": 6})
    assert excluded.status_code in (200, 201), excluded.text
    before = _state(db, view)
    response = client.post(DICE, json={"round_key": "x", "stake": UNIT, "params": UNDER_50})
    assert_problem(response, 403, "rg.self_excluded")
    assert _state(db, view) == before


def test_a_gb_player_waits_five_seconds_between_games(db, clock):
    make_brand(db, clock, currencies=("GBP", "EUR"))
    with make_client(db, clock) as c:
        registered = register(c, country="GB", postcode="SW1A 1AA", currency="GBP")
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            view = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, view, "deposit", 100 * UNIT)
        c.headers.update(logged_in(c))
        first = c.post(DICE, json={"round_key": "1", "stake": UNIT, "params": UNDER_50})
        clock.advance(timedelta(seconds=4))
        before = _state(db, view)
        early = c.post(DICE, json={"round_key": "2", "stake": UNIT, "params": UNDER_50})
        unchanged = _state(db, view) == before
        clock.advance(timedelta(seconds=1))
        on_time = c.post(DICE, json={"round_key": "3", "stake": UNIT, "params": UNDER_50})
    assert first.status_code == 201, first.text
    assert_problem(early, 429, "rgs.too_fast")
    assert unchanged
    assert on_time.status_code == 201, on_time.text


def test_titles_and_their_par_sheets_are_public(db, clock):
    with make_client(db, clock) as anonymous:
        titles = anonymous.get("/api/v1/games").json()
        dice = anonymous.get("/api/v1/games/dice").json()
    assert {"code": "dice", "name": "Dice", "mechanic": "dice"}.items() <= titles[0].items()
    assert all(c["rtp_exact"] == "99/100" for c in dice["configurations"])
    assert dice["max_multiplier"] == pytest.approx(99.0099, abs=1e-4)


def test_a_gb_slot_keeps_the_2_5_second_cycle_and_the_5_pound_stake_cap(db, clock):
    # UKGC RTS 14C: a slot game cycle lasts at least 2.5 s; slots are capped at 5 GBP a spin
    # (2 GBP for ages 18-24), through may_bet's slots product.
    make_brand(db, clock, currencies=("GBP", "EUR"))
    spin = "/api/v1/games/lucky-sevens/rounds"
    with make_client(db, clock) as c:
        registered = register(c, country="GB", postcode="SW1A 1AA", currency="GBP")
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            view = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, view, "deposit", 100 * UNIT)
        c.headers.update(logged_in(c))
        capped = c.post(spin, json={"round_key": "0", "stake": 6 * UNIT, "params": {}})
        first = c.post(spin, json={"round_key": "1", "stake": UNIT, "params": {}})
        clock.advance(timedelta(seconds=2))
        early = c.post(spin, json={"round_key": "2", "stake": UNIT, "params": {}})
        clock.advance(timedelta(milliseconds=500))
        on_time = c.post(spin, json={"round_key": "3", "stake": UNIT, "params": {}})
    assert_problem(capped, 422, "compliance.stake_above_cap")
    assert first.status_code == 201, first.text
    assert_problem(early, 429, "rgs.too_fast")
    assert on_time.status_code == 201, on_time.text


@pytest.mark.parametrize("client_seed", ["a:b", "", "has space", "é", "x" * 65, 7])
def test_a_bad_client_seed_is_refused_and_the_seeds_in_play_stay(db, clock, player, client_seed):
    client, _ = player
    before = client.get("/api/v1/me/seeds").json()
    refused = client.post("/api/v1/me/seeds/rotate", json={"client_seed": client_seed})
    after = client.get("/api/v1/me/seeds").json()
    assert refused.status_code == 422
    assert refused.json()["code"] in ("rgs.invalid_client_seed", "request.invalid")
    assert after == before
    assert client.get("/api/v1/me/seeds/revealed").json() == []

"""Autoplay (GLI-19 §4.9.2): off where the jurisdiction forbids it, stoppable at once, and
stopped by the server at the player's thresholds, whatever the client does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from croupier.core.players import activate_player, get_player
from croupier.core.wallet import verify_ledger
from croupier.products.rgs.fair import NumberStream, RoundSeeds
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.catalogue import title
from croupier.products.rgs.models import RgsAutoplay, RgsRound
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move
from tests.products.rgs.rgs_fixtures import SLOT, active_seeds, free_spins_next, losing_run_next
from tests.products.rgs.rgs_fixtures import money_state as _state

START = "/api/v1/me/autoplay"
UNDER_50 = {"target": 5000, "direction": "under"}
ONE_PERCENT = {"target": 100, "direction": "under"}  # pays 99x, 1 round in 100
NINETY_EIGHT = {"target": 9800, "direction": "under"}  # pays 99/98, 98 rounds in 100


def _start(client, **overrides):
    body = {"title": "dice", "stake": UNIT, "params": UNDER_50, "rounds": 3,
            "loss_limit": 50 * UNIT} | overrides  # fmt: skip
    return client.post(START, json=body)


def _round(client, autoplay_id, key):
    return client.post(f"{START}/{autoplay_id}/rounds", json={"round_key": key})


def _play_until_stopped(client, autoplay_id, most=200):
    played = []
    for n in range(most):
        answer = _round(client, autoplay_id, f"k{n}")
        if answer.status_code != 201:
            return played, answer
        played.append(answer.json())
    raise AssertionError("the autoplay did not stop")


def _autoplays(db) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(RgsAutoplay))


def test_an_autoplay_plays_its_rounds_then_stops(db, clock, player):
    client, view = player
    before = _state(db, view)[0]
    started = _start(client, rounds=3)
    played, refused = _play_until_stopped(client, started.json()["id"])
    shown = client.get(f"{START}/{started.json()['id']}").json()

    assert started.status_code == 201, started.text
    assert (started.json()["state"], started.json()["rounds_played"]) == ("running", 0)
    assert len(played) == 3
    assert played[-1]["autoplay"]["state"] == "stopped"
    assert_problem(refused, 409, "rgs.autoplay_stopped")
    assert (shown["stop_reason"], shown["rounds_played"]) == ("rounds_done", 3)
    paid = sum(p["round"]["payout"] for p in played)
    assert (shown["staked"], shown["returned"], shown["net"]) == (3 * UNIT, paid, paid - 3 * UNIT)
    assert _state(db, view)[0] == before - 3 * UNIT + paid
    with db.read_only() as s:
        tagged = s.scalar(select(func.count()).where(RgsRound.autoplay_id == started.json()["id"]))
        assert verify_ledger(s) == []
    assert tagged == 3


def test_the_loss_threshold_is_never_crossed(db, clock, player):
    client, _ = player
    losing_run_next(db, client, "dice", ONE_PERCENT, 4)  # a win early would make the walk long
    started = _start(client, params=ONE_PERCENT, rounds=1000, loss_limit=3 * UNIT + UNIT // 2)
    played, refused = _play_until_stopped(client, started.json()["id"], most=1000)
    last = played[-1]["autoplay"]

    assert_problem(refused, 409, "rgs.autoplay_stopped")
    assert last["stop_reason"] == "loss_limit"
    assert len(played) == 3  # three losses; a fourth stake could take the loss to 4 > 3.5
    lost = [p["autoplay"]["staked"] - p["autoplay"]["returned"] for p in played]
    assert max(lost) <= 3 * UNIT + UNIT // 2  # the player's threshold held after every round
    assert lost[-1] + UNIT > 3 * UNIT + UNIT // 2  # and one more stake could have crossed it


def test_a_single_win_at_the_threshold_stops_the_autoplay(db, clock, player):
    client, _ = player
    started = _start(client, params=NINETY_EIGHT, rounds=1000, single_win_limit=UNIT)
    played, refused = _play_until_stopped(client, started.json()["id"], most=1000)
    assert_problem(refused, 409, "rgs.autoplay_stopped")
    assert played[-1]["autoplay"]["stop_reason"] == "single_win"
    assert played[-1]["round"]["payout"] >= UNIT
    assert all(p["round"]["payout"] < UNIT for p in played[:-1])


def test_the_player_stops_it_at_once_and_nothing_more_moves(db, clock, player):
    client, view = player
    started = _start(client, rounds=10).json()
    first = _round(client, started["id"], "a")
    stopped = client.post(f"{START}/{started['id']}/stop")
    before = _state(db, view)
    refused = _round(client, started["id"], "b")
    unchanged = _state(db, view) == before
    again = client.post(f"{START}/{started['id']}/stop")
    retried = _round(client, started["id"], "a")  # the round already played is still answered

    assert first.status_code == 201, first.text
    assert (stopped.json()["state"], stopped.json()["stop_reason"]) == ("stopped", "player")
    assert_problem(refused, 409, "rgs.autoplay_stopped")
    assert unchanged
    assert again.json() == stopped.json()
    assert retried.json()["round"]["id"] == first.json()["round"]["id"]
    assert retried.json()["round"]["replayed"] is True
    assert retried.json()["autoplay"]["rounds_played"] == 1


def test_a_retried_round_counts_once(db, clock, player):
    client, view = player
    started = _start(client, rounds=5).json()
    first = _round(client, started["id"], "same")
    after_first = _state(db, view)
    second = _round(client, started["id"], "same")
    assert second.json()["round"]["id"] == first.json()["round"]["id"]
    assert second.json()["autoplay"]["rounds_played"] == 1
    assert _state(db, view) == after_first


def test_free_spins_play_on_within_the_autoplay_round(db, clock, player):
    client, _ = player
    nonce, spins = free_spins_next(db, client)
    _, seed, client_seed = active_seeds(db, client)
    started = _start(client, title=SLOT, params={}, rounds=2).json()
    played = _round(client, started["id"], "spin")
    expected = title(SLOT).replay(
        NumberStream(RoundSeeds(seed, client_seed, nonce)), {}, [Action("spin")] * spins
    )
    assert played.status_code == 201, played.text
    assert played.json()["round"]["state"] == "settled"
    assert len(played.json()["round"]["actions"]) == spins
    assert played.json()["round"]["payout"] == int(UNIT * expected.multiplier)
    assert played.json()["autoplay"]["returned"] == played.json()["round"]["payout"]


def test_no_autoplay_where_the_jurisdiction_forbids_it(db, clock):
    # UKGC RTS 8C: each game cycle is started by the player.
    make_brand(db, clock, currencies=("GBP", "EUR"))
    with make_client(db, clock) as c:
        registered = register(c, country="GB", postcode="SW1A 1AA", currency="GBP")
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            view = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, view, "deposit", 100 * UNIT)
        c.headers.update(logged_in(c))
        refused = _start(c)
    assert_problem(refused, 403, "rgs.autoplay_not_allowed")
    assert _autoplays(db) == 0


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"title": "mines", "params": {"mines": 3}}, 403, "rgs.autoplay_not_allowed"),
        ({"title": "crash", "params": {"target": 200}}, 403, "rgs.autoplay_not_allowed"),
        ({"rounds": 0}, 422, "rgs.invalid_autoplay"),
        ({"rounds": 1001}, 422, "rgs.invalid_autoplay"),
        ({"loss_limit": UNIT - 1}, 422, "rgs.invalid_autoplay"),
        ({"loss_limit": 0}, 422, "rgs.invalid_autoplay"),
        ({"single_win_limit": -5}, 422, "rgs.invalid_autoplay"),
        ({"stake": 1}, 422, "rgs.invalid_stake"),
        ({"params": {"target": 20_000}}, 422, "rgs.invalid_bet"),
        ({"title": "no-such-game"}, 404, "rgs.title_not_found"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(db, clock, player, overrides, status, code):
    client, view = player
    before = _state(db, view)
    assert_problem(_start(client, **overrides), status, code)
    assert _autoplays(db) == 0
    assert _state(db, view) == before


def test_one_autoplay_runs_at_a_time_and_each_is_its_players_own(db, clock, player):
    client, view = player
    started = _start(client).json()
    second = _start(client)
    client.post(f"{START}/{started['id']}/stop")
    after_stop = _start(client)
    with make_client(db, clock) as other:
        register(other, email="bea@example.com", legal_name="Bea Smith", postcode="X1")
        other.headers.update(logged_in(other, email="bea@example.com"))
        before = _state(db, view)
        theirs = _round(other, started["id"], "x")
        stop_theirs = other.post(f"{START}/{started['id']}/stop")
        unchanged = _state(db, view) == before
    assert_problem(second, 409, "rgs.autoplay_running")
    assert after_stop.status_code == 201, after_stop.text
    assert_problem(theirs, 404, "rgs.autoplay_not_found")
    assert_problem(stop_theirs, 404, "rgs.autoplay_not_found")
    assert unchanged

"""Interrupted rounds (GLI-19 §4.16): held with their stake, resolved before the same game
starts again, completed by the server where no input is needed, resumed exactly otherwise."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from croupier.core.wallet import verify_ledger
from croupier.kernel.audit import AuditRecord
from croupier.products.rgs.fair import NumberStream, RoundSeeds, mine_tiles
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.catalogue import title
from croupier.products.rgs.jobs import complete_interrupted_rounds
from tests.core.players.player_fixtures import assert_problem
from tests.policy.policy_fixtures import UNIT
from tests.products.rgs.rgs_fixtures import KEYRING, SLOT, active_seeds, free_spins_next
from tests.products.rgs.rgs_fixtures import money_state as _state

MINES = "/api/v1/games/mines/rounds"
# Shorter than a login session's idle time-out, so the player can come back in the test.
IDLE = timedelta(minutes=2)


def _settled_by_hand(db, client, nonce: int, spins: int):
    _, seed, client_seed = active_seeds(db, client)
    return title(SLOT).replay(
        NumberStream(RoundSeeds(seed, client_seed, nonce)), {}, [Action("spin")] * spins
    )


def test_free_spins_left_open_are_played_to_the_end_by_the_server(db, clock, player):
    client, view = player
    nonce, spins = free_spins_next(db, client)
    opened = client.post(f"/api/v1/games/{SLOT}/rounds", json={"round_key": "s", "stake": UNIT})
    held = _state(db, view)
    clock.advance(timedelta(minutes=1))
    too_soon = complete_interrupted_rounds(db, clock, KEYRING, idle_for=IDLE)
    untouched = _state(db, view) == held
    clock.advance(timedelta(minutes=2))
    report = complete_interrupted_rounds(db, clock, KEYRING, idle_for=IDLE)
    after = _state(db, view)
    again = complete_interrupted_rounds(db, clock, KEYRING, idle_for=IDLE)
    recalled = client.get(f"/api/v1/me/rounds/{opened.json()['id']}").json()
    expected = _settled_by_hand(db, client, nonce, spins)

    assert opened.status_code == 201, opened.text
    assert opened.json()["state"] == "open"
    assert (too_soon.examined, untouched) == (0, True)
    assert report.completed == [opened.json()["id"]]
    assert recalled["state"] == "settled"
    assert recalled["actions"] == [{"name": "spin", "args": {}}] * spins
    assert recalled["payout"] == int(UNIT * expected.multiplier)
    assert after[0] == held[0] + recalled["payout"]
    assert (again.examined, _state(db, view)) == (0, after)  # settled: nothing more moves
    with db.read_only() as s:
        assert verify_ledger(s) == []
        audit = s.execute(
            select(AuditRecord.subject_id, AuditRecord.actor).where(
                AuditRecord.action == "rgs.round_completed"
            )
        ).one()
    assert tuple(audit) == (recalled["id"], "system:rgs-interrupted-rounds")


def test_a_round_waiting_for_a_choice_is_held_and_resumed_exactly(db, clock, player):
    client, view = player
    opened = client.post(MINES, json={"round_key": "m", "stake": UNIT, "params": {"mines": 3}})
    clock.advance(timedelta(minutes=3))
    held = _state(db, view)
    report = complete_interrupted_rounds(db, clock, KEYRING, idle_for=IDLE)
    unchanged = _state(db, view) == held
    resumed = client.get(f"/api/v1/me/rounds/{opened.json()['id']}").json()
    cashout_refused = client.post(
        f"/api/v1/me/rounds/{resumed['id']}/actions", json={"step": 0, "action": "cashout"}
    )

    assert (report.held, report.held_stakes) == (1, {view.currency: UNIT})
    assert (report.examined, report.completed) == (0, [])  # a choice is waited for, not replayed
    assert unchanged
    assert (resumed["state"], resumed["allowed"]) == ("open", ["reveal"])
    assert_problem(cashout_refused, 422, "rgs.invalid_action")  # the same rules as before


def test_the_same_game_cannot_start_again_while_a_round_of_it_is_open(db, clock, player):
    client, view = player
    first = client.post(MINES, json={"round_key": "a", "stake": UNIT, "params": {"mines": 3}})
    before = _state(db, view)
    second = client.post(MINES, json={"round_key": "b", "stake": UNIT, "params": {"mines": 3}})
    unchanged = _state(db, view) == before
    retry = client.post(MINES, json={"round_key": "a", "stake": UNIT, "params": {"mines": 3}})
    other_game = client.post(
        "/api/v1/games/dice/rounds",
        json={"round_key": "c", "stake": UNIT, "params": {"target": 5000, "direction": "under"}},
    )

    assert first.status_code == 201, first.text
    problem = assert_problem(second, 409, "rgs.unfinished_round")
    assert problem["round_id"] == first.json()["id"]
    assert unchanged
    assert retry.json()["replayed"] is True  # a retry of the open round is still answered
    assert other_game.status_code == 201, other_game.text


def test_a_round_that_moved_recently_is_not_interrupted(db, clock, player):
    client, _ = player
    opened = client.post(MINES, json={"round_key": "m", "stake": UNIT, "params": {"mines": 3}})
    _, seed, client_seed = active_seeds(db, client)
    field = mine_tiles(RoundSeeds(seed, client_seed, opened.json()["nonce"]), 3)
    safe = next(t for t in range(25) if t not in field)
    clock.advance(timedelta(minutes=3))
    moved = client.post(
        f"/api/v1/me/rounds/{opened.json()['id']}/actions",
        json={"step": 0, "action": "reveal", "args": {"tile": safe}},
    )
    clock.advance(timedelta(minutes=1))
    report = complete_interrupted_rounds(db, clock, KEYRING, idle_for=IDLE)
    assert moved.status_code == 200, moved.text
    assert report.examined == 0

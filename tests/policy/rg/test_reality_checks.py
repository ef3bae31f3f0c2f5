"""Reality checks (ES and US-PA every 60 minutes, NL every 30): time and net position in the
session; bets wait for the acknowledgement while one is due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from croupier.kernel.jurisdictions import Product
from croupier.policy.compliance import may_bet
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, move

ME = "/api/v1/me"


@pytest.fixture
def nl(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        player = register(c, country="NL", postcode="1012 AB")
        c.headers.update(logged_in(c))
        yield c, player


def _session_id(client) -> str:
    return client.get(ME).json()["session_id"]


def _player_view(db, player_id):
    from croupier.core.players import get_player

    with db.read_only() as s:
        return get_player(s, player_id, brand_scope=None)


def test_a_reality_check_falls_due_each_interval_and_holds_bets_until_acknowledged(db, clock, nl):
    client, player = nl
    from croupier.core.players import activate_player

    with db.unit_of_work() as s:
        activate_player(s, clock, player["id"], actor="test", reason="verified")
    view = _player_view(db, player["id"])
    move(db, clock, view, "deposit", 100 * UNIT)
    move(db, clock, view, "bet", 30 * UNIT)
    move(db, clock, view, "win", 10 * UNIT)
    session_id = _session_id(client)

    clock.advance(timedelta(minutes=29))
    before = client.get(f"{ME}/reality-check").json()
    with db.unit_of_work() as s:
        assert may_bet(
            s, clock, player["id"], Product.CASINO, UNIT, login_session_id=session_id
        ).allowed
    clock.advance(timedelta(minutes=1))
    due = client.get(f"{ME}/reality-check").json()
    with db.unit_of_work() as s:
        held = may_bet(s, clock, player["id"], Product.CASINO, UNIT, login_session_id=session_id)
    acknowledged = client.post(f"{ME}/reality-check/ack").json()
    with db.unit_of_work() as s:
        after = may_bet(s, clock, player["id"], Product.CASINO, UNIT, login_session_id=session_id)

    assert (before["interval_minutes"], before["due"]) == (30, False)
    assert due["due"] is True
    assert (due["elapsed_minutes"], due["staked"], due["won"], due["net_position"]) == (
        30,
        30 * UNIT,
        10 * UNIT,
        -20 * UNIT,
    )
    assert held.code == "rg.reality_check_due"
    assert held.refusal.extra["net_position"] == -20 * UNIT
    assert acknowledged["due"] is False
    assert after.allowed


def test_a_jurisdiction_without_a_mandatory_interval_never_holds_bets(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        register(c)  # Malta: the player sets reality checks; none is mandatory
        c.headers.update(logged_in(c))
        clock.advance(timedelta(minutes=29))
        c.get(ME)
        check = c.get(f"{ME}/reality-check").json()
    assert (check["interval_minutes"], check["due"], check["due_at"]) == (None, False, None)


def test_the_reality_check_needs_a_session(db, clock):
    with make_client(db, clock) as c:
        assert_problem(c.get(f"{ME}/reality-check"), 401, "auth.not_authenticated")


def _activate(db, clock, player_id):
    from croupier.core.players import activate_player

    with db.unit_of_work() as s:
        activate_player(s, clock, player_id, actor="test", reason="verified")


def test_a_player_sets_their_own_interval_and_bets_wait_for_its_check(db, clock):
    # UKGC RTS 13 / MGA: the reality check is a facility the player sets.
    make_brand(db, clock)
    with make_client(db, clock) as c:
        player = register(c)  # Malta: no mandatory interval
        _activate(db, clock, player["id"])
        c.headers.update(logged_in(c))
        session_id = _session_id(c)
        chosen = c.put(f"{ME}/reality-check/interval", json={"minutes": 20})
        clock.advance(timedelta(minutes=20))
        check = c.get(f"{ME}/reality-check").json()
        with db.unit_of_work() as s:
            held = may_bet(
                s, clock, player["id"], Product.CASINO, UNIT, login_session_id=session_id
            )
        trail = c.app.state.database
    assert chosen.status_code == 200, chosen.text
    assert chosen.json() == {
        "chosen_minutes": 20,
        "jurisdiction_minutes": None,
        "interval_minutes": 20,
        "min_minutes": 5,
        "max_minutes": 240,
    }
    assert (check["interval_minutes"], check["due"]) == (20, True)
    assert held.code == "rg.reality_check_due"
    from croupier.kernel.audit import list_audit_entries

    with trail.read_only() as s:
        actions = [
            e.action for e in list_audit_entries(s, subject_type="player", subject_id=player["id"])
        ]
    assert "rg.reality_check_interval_set" in actions


def test_a_player_may_be_reminded_more_often_than_the_law_asks_but_not_less(db, clock, nl):
    client, _player = nl  # the Netherlands: every 30 minutes
    too_long = client.put(f"{ME}/reality-check/interval", json={"minutes": 45})
    unchanged = client.get(f"{ME}/reality-check/interval").json()
    shorter = client.put(f"{ME}/reality-check/interval", json={"minutes": 15}).json()
    clock.advance(timedelta(minutes=15))
    due = client.get(f"{ME}/reality-check").json()
    cleared = client.put(f"{ME}/reality-check/interval", json={"minutes": None}).json()

    assert_problem(too_long, 422, "rg.invalid_reality_check_interval")
    assert too_long.json()["max_minutes"] == 30
    assert (unchanged["chosen_minutes"], unchanged["interval_minutes"]) == (None, 30)
    assert (shorter["chosen_minutes"], shorter["interval_minutes"]) == (15, 15)
    assert (due["interval_minutes"], due["due"]) == (15, True)
    assert (cleared["chosen_minutes"], cleared["interval_minutes"]) == (None, 30)


@pytest.mark.parametrize("minutes", [0, 4, 241, -5, True, "20", 20.5])
def test_a_bad_interval_is_refused_and_nothing_is_set(db, clock, minutes):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        register(c)
        c.headers.update(logged_in(c))
        response = c.put(f"{ME}/reality-check/interval", json={"minutes": minutes})
        after = c.get(f"{ME}/reality-check/interval").json()
    assert response.status_code == 422
    assert response.json()["code"] in ("rg.invalid_reality_check_interval", "request.invalid")
    assert after["chosen_minutes"] is None

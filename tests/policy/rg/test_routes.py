"""The player API for limits, time-outs and self-exclusion."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.core.players.player_fixtures import (
    assert_problem,
    footprint,
    logged_in,
    make_brand,
    register,
)
from tests.http_fixtures import make_client

ME = "/api/v1/me"


@pytest.fixture
def client(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        register(c, country="GB", currency="GBP")
        c.headers.update(logged_in(c))
        yield c


def test_a_player_sets_lowers_and_raises_a_limit_over_the_api(client, clock):
    set_ = client.put(f"{ME}/limits/deposit/24h", json={"amount": 100_000_000})
    raised = client.put(f"{ME}/limits/deposit/24h", json={"amount": 200_000_000})
    early = client.post(f"{ME}/limits/deposit/24h/confirm")

    assert set_.status_code == 200, set_.text
    assert raised.json()["amount"] == 100_000_000
    assert raised.json()["pending_amount"] == 200_000_000
    body = assert_problem(early, 409, "rg.cooling_off")
    assert body["effective_at"]
    clock.advance(timedelta(hours=24))
    client.headers.update(logged_in(client))  # the first session has been idle for 24 h
    confirmed = client.post(f"{ME}/limits/deposit/24h/confirm")
    assert confirmed.json()["amount"] == 200_000_000
    assert [limit["amount"] for limit in client.get(f"{ME}/limits").json()] == [200_000_000]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code"),
    [
        ("put", "/limits/deposit/24h", {"amount": 0}, 422, "request.invalid"),
        ("put", "/limits/deposit/2d", {"amount": 5}, 422, "request.invalid"),
        ("put", "/limits/session_time/24h", {"amount": 1441}, 422, "rg.invalid_limit"),
        ("put", "/limits/deposit/24h", {"amount": 1.5}, 422, "request.invalid"),
        ("post", "/limits/deposit/24h/confirm", None, 409, "rg.no_pending_change"),
        ("post", "/timeout", {"hours": 2}, 422, "rg.invalid_exclusion_period"),
        ("post", "/self-exclusion", {"months": 2}, 422, "rg.invalid_exclusion_period"),
        ("post", "/self-exclusion", {"months": 6, "permanent": True}, 422, "request.invalid"),
        ("post", "/self-exclusion", {}, 422, "request.invalid"),
        ("post", "/self-exclusion/end", None, 409, "rg.no_pending_change"),
    ],
)
def test_bad_requests_are_problems_and_change_nothing(client, db, method, url, body, status, code):
    before = footprint(db)
    limits_before = client.get(f"{ME}/limits").json()

    response = getattr(client, method)(f"{ME}{url}", **({"json": body} if body else {}))

    assert_problem(response, status, code)
    assert client.get(f"{ME}/limits").json() == limits_before
    assert client.get(f"{ME}/exclusions").json() == []
    assert footprint(db) == before


def test_a_self_exclusion_over_the_api_is_in_force_at_once(client):
    excluded = client.post(f"{ME}/self-exclusion", json={"months": 12})

    assert excluded.status_code == 201, excluded.text
    [in_force] = client.get(f"{ME}/exclusions").json()
    assert (in_force["kind"], in_force["in_force"]) == ("self_exclusion", True)
    assert client.get(ME).json()["player"]["status"] == "self_excluded"
    ended_early = client.post(f"{ME}/self-exclusion/end")
    assert_problem(ended_early, 409, "rg.exclusion_in_force")


def test_a_session_time_limit_stops_bets_once_the_minutes_are_used(client, db, clock):
    from croupier.kernel.jurisdictions import Product
    from croupier.policy.compliance import may_bet

    set_ = client.put(f"{ME}/limits/session_time/24h", json={"amount": 60})
    player_id = client.get(ME).json()["player"]["id"]
    for _ in range(2):
        clock.advance(timedelta(minutes=29))
        client.get(ME)  # each request keeps the session alive and counts its time
    with db.unit_of_work() as s:
        from croupier.core.players import activate_player

        activate_player(s, clock, player_id, actor="test", reason="verified")
        early = may_bet(s, clock, player_id, Product.CASINO, 1_000_000)
    clock.advance(timedelta(minutes=5))
    client.get(ME)
    with db.unit_of_work() as s:
        late = may_bet(s, clock, player_id, Product.CASINO, 1_000_000)

    assert set_.status_code == 200, set_.text
    assert early.allowed
    assert late.code == "rg.session_time_limit_reached"
    [limit] = client.get(f"{ME}/limits").json()
    assert (limit["kind"], limit["used"], limit["remaining"]) == ("session_time", 63, 0)

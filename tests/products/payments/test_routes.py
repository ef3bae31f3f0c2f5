"""The payments API for players and operators, over HTTP against a simulated PSP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from croupier.core.players import activate_player
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.products.payments import orchestration
from croupier.simulators.psp import RunningPsp
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.http_fixtures import make_client, operator_token
from tests.products.payments.payment_fixtures import (
    CARD,
    UNIT,
    config_file,
    config_for,
    counts,
    wait_until,
)

API = "/api/v1/payments"
BO = "/api/v1/backoffice/payments"


@pytest.fixture
def clock() -> SystemClock:
    return SystemClock()


@pytest.fixture
def world(
    db: Database, clock: SystemClock, tmp_path: Path
) -> Iterator[tuple[TestClient, RunningPsp, dict[str, Any]]]:
    make_brand(db, clock)
    with RunningPsp("card") as card:
        card.set_faults(payout_delay_ms=0)
        config = config_for(
            [(card, "card")],
            withdrawals={
                "auto_approve_below": {"EUR": "100.00"},
                "four_eyes_from": {"EUR": "1000.00"},
            },
        )
        with make_client(db, clock, payments_config=config_file(tmp_path, config)) as client:
            registered = register(client)
            with db.unit_of_work() as s:
                activate_player(s, clock, registered["id"], actor="test", reason="verified")
            client.headers.update(logged_in(client))
            yield client, card, registered


def card_deposit(client: TestClient, amount: int, **extra: Any) -> Any:
    return client.post(
        f"{API}/deposits",
        json={
            "id": extra.pop("id", f"d-{datetime.now(UTC).timestamp()}"),
            "amount": amount,
            "currency": "EUR",
            "method": "card",
            "instrument": {"card_number": CARD},
            **extra,
        },
        headers={"X-Device-Id": "device-1"},
    )


def test_a_player_deposits_and_sees_the_history(
    world: tuple[TestClient, RunningPsp, dict[str, Any]],
) -> None:
    client, _, _ = world
    methods = client.get(f"{API}/methods")
    assert methods.status_code == 200, methods.text
    assert [m["method"] for m in methods.json()] == ["card"]
    made = card_deposit(client, 20 * UNIT, id="my-first")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "captured"
    assert body["amount_minor"] == 2000
    assert "psp" not in body  # staff-only fields stay out of the player's view
    history = client.get(API).json()
    assert [p["id"] for p in history] == [body["id"]]
    one = client.get(f"{API}/{body['id']}").json()
    assert [t["to_status"] for t in one["transitions"]] == ["created", "captured"]
    instruments = client.get(f"{API}/instruments").json()
    assert instruments[0]["display"] == "card ****1111"
    assert instruments[0]["verified"] is True
    assert client.get("/api/v1/me").json()["balance"]["posted"] == 20 * UNIT


def test_bad_deposits_are_problem_documents_and_record_nothing(
    db: Database, world: tuple[TestClient, RunningPsp, dict[str, Any]]
) -> None:
    client, _, _ = world
    before = counts(db)
    assert_problem(card_deposit(client, 5 * UNIT + 1), 422, "payments.invalid_amount")
    assert_problem(card_deposit(client, 5 * UNIT, currency="GBP"), 422, "payments.wrong_currency")
    assert_problem(card_deposit(client, 5 * UNIT, id="bad id!"), 422, "payments.invalid_id")
    bad_card = client.post(
        f"{API}/deposits",
        json={
            "id": "x1",
            "amount": UNIT,
            "currency": "EUR",
            "method": "card",
            "instrument": {"card_number": "1234"},
        },
    )
    assert_problem(bad_card, 422, "payments.invalid_instrument")
    assert counts(db) == before
    anonymous = client.get(API, headers={"Authorization": ""})
    assert_problem(anonymous, 401, "auth.not_authenticated")


def test_a_large_withdrawal_needs_two_different_operators(
    db: Database, clock: SystemClock, world: tuple[TestClient, RunningPsp, dict[str, Any]]
) -> None:
    client, _, _ = world
    finance = {"Authorization": f"Bearer {operator_token(db, clock, 'finance')}"}
    made = card_deposit(client, 1499 * UNIT).json()
    # A new account's first large deposit: the risk score holds it for a person.
    assert made["status"] == "review", made
    queue = client.get(f"{BO}/reviews", headers=finance).json()
    assert [p["id"] for p in queue] == [made["id"]]
    assert queue[0]["risk"]["factors"]
    reviewed = client.post(
        f"{BO}/{made['id']}/review",
        headers=finance,
        json={"approve": True, "note": "known customer"},
    )
    assert reviewed.json()["status"] == "created", reviewed.text
    # Placed after the answer; above 50.00 the card needs 3-D Secure in the browser.
    wait_until(lambda: client.get(f"{API}/{made['id']}").json()["redirect_url"] is not None)
    redirect = client.get(f"{API}/{made['id']}").json()["redirect_url"]
    httpx.post(redirect, json={"outcome": "pass"})
    runtime = client.app.state.payments
    wait_until(
        lambda: (
            orchestration.janitor_pass(db, clock, runtime) >= 0
            and client.get(f"{API}/{made['id']}").json()["status"] == "captured"
        )
    )
    instrument = client.get(f"{API}/instruments").json()[0]["id"]
    asked = client.post(
        f"{API}/withdrawals",
        json={"id": "w-1", "amount": 1200 * UNIT, "currency": "EUR", "instrument_id": instrument},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["status"] == "awaiting_approval"
    wid = asked.json()["id"]
    first, second = operator_token(db, clock, "finance"), operator_token(db, clock, "finance")
    queue = client.get(f"{BO}/approvals", headers={"Authorization": f"Bearer {first}"})
    assert [p["id"] for p in queue.json()] == [wid]
    assert queue.json()[0]["approvals_needed"] == 2
    one = client.post(
        f"{BO}/{wid}/approve",
        json={"note": "documents checked"},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert one.json()["status"] == "awaiting_approval"
    again = client.post(
        f"{BO}/{wid}/approve",
        json={"note": "me again"},
        headers={"Authorization": f"Bearer {first}"},
    )
    assert_problem(again, 409, "payments.already_approved_by_you")
    two = client.post(
        f"{BO}/{wid}/approve",
        json={"note": "agreed"},
        headers={"Authorization": f"Bearer {second}"},
    )
    assert two.json()["status"] in ("approved", "pending", "paid")
    wait_until(
        lambda: (
            orchestration.janitor_pass(db, clock, runtime) >= 0
            and client.get(f"{API}/{wid}").json()["status"] == "paid"
        )
    )
    assert client.get("/api/v1/me").json()["balance"]["posted"] == 299 * UNIT
    del finance


def test_operators_without_the_permission_are_refused(
    db: Database, clock: SystemClock, world: tuple[TestClient, RunningPsp, dict[str, Any]]
) -> None:
    client, _, registered = world
    support = operator_token(db, clock, "support", brand_id=registered["brand_id"])
    for path in ("", "/approvals", "/psps/health", "/reconciliations"):
        answer = client.get(f"{BO}{path}", headers={"Authorization": f"Bearer {support}"})
        assert_problem(answer, 403, "auth.permission_denied")


def test_finance_sees_psp_health_and_reconciles(
    db: Database, clock: SystemClock, world: tuple[TestClient, RunningPsp, dict[str, Any]]
) -> None:
    client, _, _ = world
    card_deposit(client, 10 * UNIT)
    finance = {"Authorization": f"Bearer {operator_token(db, clock, 'finance')}"}
    health = client.get(f"{BO}/psps/health", headers=finance).json()
    assert health[0]["psp"] == "card"
    assert health[0]["breaker"]["state"] == "closed"
    assert health[0]["attempts_last_hour"] == {"ok": 1}
    today = datetime.now(UTC).date().isoformat()
    run = client.post(f"{BO}/reconciliations", json={"psp": "card", "date": today}, headers=finance)
    assert run.status_code == 200, run.text
    assert (run.json()["matched"], run.json()["mismatches"]) == (1, [])
    bad = client.post(
        f"{BO}/reconciliations", json={"psp": "card", "date": "yesterday"}, headers=finance
    )
    assert_problem(bad, 422, "payments.invalid_date")
    found = client.get(BO, headers=finance, params={"kind": "deposit"}).json()
    assert found[0]["psp"] == "card"
    assert found[0]["risk"]["outcome"] == "approve"
    refunded = client.post(
        f"{BO}/{found[0]['id']}/refund", headers=finance, json={"note": "asked by the player"}
    )
    assert refunded.json()["status"] == "refunded", refunded.text
    assert client.get("/api/v1/me").json()["balance"]["posted"] == 0
    again = client.post(f"{BO}/{found[0]['id']}/refund", headers=finance, json={"note": "again"})
    assert_problem(again, 409, "payments.invalid_state")

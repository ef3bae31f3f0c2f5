"""PSP webhooks over real HTTP: the simulator posts to the served app's /webhooks/{psp}.

Three deliveries of each event, out of order, change nothing after the first valid one; a bad
signature and a stale timestamp are refused; a chargeback arrives by webhook and makes a
receivable of what the player already spent."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from croupier.core.wallet import AccountKind, get_balance, platform_account
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.products.payments import orchestration, service
from croupier.products.payments.models import PaymentTransition, WebhookEvent
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.simulators.psp import RunningPsp, sign
from tests.http_fixtures import ServedApp
from tests.policy.policy_fixtures import move, player_in
from tests.products.payments.payment_fixtures import (
    UNIT,
    balance,
    config_file,
    config_for,
    ledger_ok,
    next_id,
    status_of,
    wait_until,
)


@pytest.fixture
def clock() -> SystemClock:  # webhooks carry the wall clock's time
    return SystemClock()


@pytest.fixture
def bank() -> Iterator[RunningPsp]:
    with RunningPsp("bank", kind="instant") as psp:
        yield psp


@pytest.fixture
def served(
    db: Database, clock: SystemClock, bank: RunningPsp, tmp_path: Path
) -> Iterator[tuple[ServedApp, PaymentsRuntime]]:
    config = config_for([(bank, "instant")], method="bank_transfer")
    with ServedApp(db, clock, payments_config=config_file(tmp_path, config)) as app:
        bank.set_webhook_url(f"{app.url}/webhooks/bank")
        runtime = PaymentsRuntime.build(config)
        yield app, runtime
        runtime.close()


def bank_deposit(
    db: Database, clock: SystemClock, runtime: PaymentsRuntime, player_id: str, amount: int
) -> service.PaymentView:
    return orchestration.deposit(
        db,
        clock,
        runtime,
        player_id,
        service.DepositRequest(
            client_id=next_id(),
            amount=amount,
            currency="EUR",
            instrument=service.InstrumentIn(
                method="bank_transfer", iban="DE89 3704 0044 0532 0130 00"
            ),
        ),
    )


def credits_of(db: Database, payment_id: str) -> int:
    with db.read_only() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(LedgerTransfer)
                .where(LedgerTransfer.reference == payment_id, LedgerTransfer.code == "deposit")
            )
            or 0
        )


def test_webhooks_three_times_and_out_of_order_change_nothing_after_the_first(
    db: Database,
    clock: SystemClock,
    bank: RunningPsp,
    served: tuple[ServedApp, PaymentsRuntime],
) -> None:
    app, runtime = served
    bank.set_faults(webhook_duplicate=True, webhook_out_of_order=True, settle_delay_ms=100)
    player = player_in(db, clock, "MT")
    view = bank_deposit(db, clock, runtime, player.id, 40 * UNIT)
    assert view.status == "pending"
    # pending and captured, each twice, delivered newest first.
    attempts = bank.wait_for_webhooks(4)
    assert [a.event_type for a in attempts][:2] == ["payment.captured", "payment.captured"]
    wait_until(lambda: status_of(db, view.id) == "captured")
    # A third delivery of every event: a replay of what the PSP sent, still well signed.
    for attempt in {a.event_id: a for a in attempts}.values():
        replay = httpx.post(
            f"{app.url}/webhooks/bank",
            content=attempt.body,
            headers={"Signature": attempt.signature, "Content-Type": "application/json"},
        )
        assert replay.status_code == 200
        assert replay.json()["outcome"] == "duplicate"
    assert status_of(db, view.id) == "captured"
    assert credits_of(db, view.id) == 1
    assert balance(db, player) == 40 * UNIT
    with db.read_only() as s:
        states = [
            t.to_status
            for t in s.scalars(
                select(PaymentTransition)
                .where(PaymentTransition.payment_id == view.id)
                .order_by(PaymentTransition.id)
            )
        ]
        handled = {(e.event_id, e.outcome) for e in s.scalars(select(WebhookEvent))}
    # Captured arrived first; the late "pending" changed nothing.
    assert states == ["created", "pending", "captured"]
    assert len(handled) == 2
    assert sorted(o for _, o in handled) == ["applied", "ignored"]
    assert ledger_ok(db)


def test_a_bad_signature_is_refused_and_changes_nothing(
    db: Database,
    clock: SystemClock,
    bank: RunningPsp,
    served: tuple[ServedApp, PaymentsRuntime],
) -> None:
    app, runtime = served
    bank.set_faults(webhook_bad_signature=True, settle_delay_ms=50)
    player = player_in(db, clock, "MT")
    view = bank_deposit(db, clock, runtime, player.id, 10 * UNIT)
    refused = bank.wait_for_webhooks(2, accepted_only=False)
    assert all(a.status_code == 401 for a in refused)
    assert status_of(db, view.id) == "pending"
    assert balance(db, player) == 0
    # The problem document says why.
    body = refused[0].body
    answer = httpx.post(
        f"{app.url}/webhooks/bank", content=body, headers={"Signature": "t=1,v1=00"}
    )
    assert answer.status_code == 401
    assert answer.json()["code"] == "payments.webhook_refused"
    # Once the PSP signs right, its retries go through.
    bank.set_faults(webhook_bad_signature=False, settle_delay_ms=50)
    wait_until(lambda: status_of(db, view.id) == "captured", timeout=15)
    assert balance(db, player) == 10 * UNIT


def test_a_stale_timestamp_is_refused(
    db: Database,
    clock: SystemClock,
    bank: RunningPsp,
    served: tuple[ServedApp, PaymentsRuntime],
) -> None:
    app, runtime = served
    player = player_in(db, clock, "MT")
    view = bank_deposit(db, clock, runtime, player.id, 10 * UNIT)
    event = {
        "id": "evt_stale",
        "type": "payment.captured",
        "created": 0,
        "data": {
            "object": "payment",
            "id": view.psp_reference,
            "reference": view.id,
            "status": "captured",
            "amount": 1000,
            "currency": "EUR",
        },
    }
    body = json.dumps(event).encode()
    old = int(time.time()) - 301
    answer = httpx.post(
        f"{app.url}/webhooks/bank",
        content=body,
        headers={"Signature": sign(bank.webhook_secret, old, body)},
    )
    assert answer.status_code == 401
    assert "5 minutes" in answer.json()["detail"]
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent)) in (0, 1)
    # The same event signed now is taken.
    fresh = httpx.post(
        f"{app.url}/webhooks/bank",
        content=body,
        headers={"Signature": sign(bank.webhook_secret, int(time.time()), body)},
    )
    assert fresh.status_code == 200


def test_an_unknown_psp_is_not_found(served: tuple[ServedApp, PaymentsRuntime]) -> None:
    app, _ = served
    answer = httpx.post(f"{app.url}/webhooks/nobody", content=b"{}")
    assert answer.status_code == 404
    assert answer.json()["code"] == "payments.unknown_psp"


def test_a_chargeback_of_spent_money_is_a_receivable_not_a_negative_balance(
    db: Database,
    clock: SystemClock,
    bank: RunningPsp,
    served: tuple[ServedApp, PaymentsRuntime],
) -> None:
    _, runtime = served
    bank.set_faults(settle_delay_ms=10)
    player = player_in(db, clock, "MT")
    view = bank_deposit(db, clock, runtime, player.id, 30 * UNIT)
    wait_until(lambda: status_of(db, view.id) == "captured")
    move(db, clock, player, "bet", 20 * UNIT)  # the player played most of it
    assert view.psp_reference is not None
    bank.charge_back(view.psp_reference)
    wait_until(lambda: status_of(db, view.id) == "charged_back")
    assert balance(db, player) == 0
    with db.read_only() as s:
        receivable = platform_account(
            s,
            clock,
            kind=AccountKind.PLAYER_RECEIVABLE,
            currency_code="EUR",
            name=f"receivable:{player.id}",
        )
        assert get_balance(s, receivable.id).posted == -20 * UNIT  # the player owes 20.00
    assert ledger_ok(db)

"""The PSP simulators over real HTTP: the three kinds' flows, 3-D Secure, idempotency, every
fault of the panel, signed webhooks caught by a real receiver (late, twice, out of order, badly
signed, stale), refunds, payouts, chargebacks and the settlement CSV with its edits."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from croupier.app.cli import app
from croupier.simulators.psp import RunningPsp

# 2024-11-24T14:53:20Z
FIXED_NOW = 1732460000
TOLERANCE = 300  # PROTOCOLS.md §3: receivers reject a timestamp older than 5 minutes


# -- a webhook receiver: a real HTTP server on a free port ---------------------------------------


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def event(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


def signature_ok(secret: str, header: str, body: bytes, now: float) -> bool:
    """Verify ``Signature: t=<unix>,v1=<hex>`` the way a receiver does (PROTOCOLS.md §3)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and now - timestamp <= TOLERANCE


class Receiver:
    """Records every POST; answers the queued statuses first, then 200 (or, with ``secret``,
    400 to a delivery whose signature does not verify)."""

    def __init__(self, secret: str | None = None) -> None:
        self.secret = secret
        self.answers: list[int] = []
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                delivery = Delivery(
                    {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                )
                with receiver.lock:
                    receiver.deliveries.append(delivery)
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.secret is not None and not signature_ok(
                    receiver.secret, delivery.headers["signature"], body, time.time()
                ):
                    status = 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/psp"

    def wait(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                got = list(self.deliveries)
            if len(got) >= count:
                return got
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(got)} of {count} webhooks arrived in {timeout} s")
            time.sleep(0.01)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


Start = Callable[..., RunningPsp]


@pytest.fixture
def start(receiver: Receiver) -> Iterator[Start]:
    """Start a simulated PSP (webhooks to ``receiver`` unless told otherwise)."""
    with ExitStack() as stack:

        def start_psp(name: str = "card", **kwargs: Any) -> RunningPsp:
            kwargs.setdefault("webhook_url", receiver.url)
            return stack.enter_context(RunningPsp(name, **kwargs))

        yield start_psp


@pytest.fixture
def card(start: Start) -> RunningPsp:
    return start("card")


@pytest.fixture
def api(card: RunningPsp) -> Iterator[httpx.Client]:
    with card.client() as client:
        yield client


@pytest.fixture(scope="module")
def shared_card() -> Iterator[RunningPsp]:
    """One card PSP for the tests that change nothing (they assert so)."""
    with RunningPsp("card") as psp:
        yield psp


def payment_body(
    kind: str = "card",
    amount: int = 2500,
    *,
    card_number: str = "4111111111111111",
    country: str = "GB",
    reference: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    method, instrument = {
        "card": ("card", {"card_number": card_number}),
        "ewallet": ("ewallet", {"wallet_id": "ada@example.com"}),
        "instant": ("bank_transfer", {"iban": "DE89370400440532013000"}),
    }[kind]
    return {
        "amount": amount,
        "currency": "EUR",
        "method": method,
        "instrument": instrument,
        "holder_name": "Ada Lovelace",
        "country": country,
        "reference": reference or f"pay_{uuid.uuid4().hex[:12]}",
        **extra,
    }


def pay(client: httpx.Client, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return client.post(
        "/v1/payments", json=body, headers={"Idempotency-Key": key or uuid.uuid4().hex}
    )


def find(client: httpx.Client, reference: str, what: str = "payments") -> list[dict[str, Any]]:
    response = client.get(f"/v1/{what}", params={"reference": reference})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def types_of(deliveries: list[Delivery]) -> list[str]:
    return [d.event["type"] for d in deliveries]


def wait_for_status(
    client: httpx.Client, path: str, status: str, timeout: float = 5.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        current: dict[str, Any] = client.get(path).json()
        if current["status"] == status or time.monotonic() > deadline:
            return current
        time.sleep(0.01)


def settlement(client: httpx.Client, day: str) -> list[dict[str, str]]:
    response = client.get(f"/v1/settlements/{day}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "psp_id,reference,type,status,amount,currency,occurred_at"
    return list(csv.DictReader(io.StringIO(response.text)))


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# -- the three kinds -----------------------------------------------------------------------------


def test_card_payment_below_the_3ds_threshold_is_captured_at_once(
    api: httpx.Client, receiver: Receiver
) -> None:
    response = pay(api, payment_body(amount=2500, reference="pay_1"))

    assert response.status_code == 201
    payment = response.json()
    assert payment["id"].startswith("psp_pay_")
    assert {k: payment[k] for k in ("object", "reference", "status", "amount", "currency")} == {
        "object": "payment",
        "reference": "pay_1",
        "status": "captured",
        "amount": 2500,
        "currency": "EUR",
    }
    assert payment["decline_code"] is None
    assert payment["redirect_url"] is None
    assert api.get(f"/v1/payments/{payment['id']}").json() == payment
    assert types_of(receiver.wait(2)) == ["payment.authorized", "payment.captured"]
    assert receiver.deliveries[1].event["data"] == {
        "object": "payment",
        "id": payment["id"],
        "reference": "pay_1",
        "status": "captured",
        "amount": 2500,
        "currency": "EUR",
        "decline_code": None,
    }


def test_ewallet_payment_is_captured_at_once(start: Start, receiver: Receiver) -> None:
    psp = start("ewallet")
    with psp.client() as client:
        response = pay(client, payment_body("ewallet", 1000))

    assert response.status_code == 201
    assert response.json()["status"] == "captured"
    assert response.json()["method"] == "ewallet"
    assert types_of(receiver.wait(1)) == ["payment.captured"]


def test_instant_transfer_is_pending_until_the_payer_confirms(
    start: Start, receiver: Receiver
) -> None:
    psp = start("instant")
    with psp.client() as client:
        created = pay(client, payment_body("instant", 120_000)).json()
        assert created["status"] == "pending"
        assert created["method"] == "bank_transfer"

        later = wait_for_status(client, f"/v1/payments/{created['id']}", "captured")

    assert later["status"] == "captured"
    assert later["updated"] >= created["created"]
    assert types_of(receiver.wait(2)) == ["payment.pending", "payment.captured"]


def test_a_payment_of_another_method_is_refused(start: Start) -> None:
    psp = start("ewallet")
    with psp.client() as client:
        response = pay(client, payment_body("card"))
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
    assert psp.state.payments == {}


# -- 3-D Secure ----------------------------------------------------------------------------------


def test_3ds_above_the_threshold_passes_in_the_browser_and_returns_to_the_merchant(
    api: httpx.Client, receiver: Receiver
) -> None:
    body = payment_body(amount=5000, return_url="https://shop.example/back?x=1")
    payment = pay(api, body).json()
    assert payment["status"] == "pending"
    page = httpx.get(payment["redirect_url"])
    assert page.status_code == 200
    assert 'name="outcome" value="pass"' in page.text

    answered = httpx.post(payment["redirect_url"], data={"outcome": "pass"})

    assert answered.status_code == 303
    assert answered.headers["location"] == (
        f"https://shop.example/back?x=1&payment_id={payment['id']}&status=captured"
    )
    assert api.get(f"/v1/payments/{payment['id']}").json()["status"] == "captured"
    assert types_of(receiver.wait(3)) == [
        "payment.pending",
        "payment.authorized",
        "payment.captured",
    ]


def test_3ds_by_card_prefix_fails_and_declines(api: httpx.Client, receiver: Receiver) -> None:
    payment = pay(api, payment_body(amount=100, card_number="4000003000000009")).json()
    assert payment["status"] == "pending"

    answered = httpx.post(payment["redirect_url"], json={"outcome": "fail"})

    assert answered.status_code == 200
    assert answered.json()["status"] == "declined"
    assert answered.json()["decline_code"] == "3ds_failed"
    assert types_of(receiver.wait(2)) == ["payment.pending", "payment.declined"]
    again = httpx.post(payment["redirect_url"], json={"outcome": "pass"})
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_state"
    assert api.get(f"/v1/payments/{payment['id']}").json()["status"] == "declined"


def test_3ds_threshold_is_a_knob(card: RunningPsp, api: httpx.Client) -> None:
    card.set_faults(three_ds_threshold=100_000)
    assert pay(api, payment_body(amount=99_999)).json()["status"] == "captured"
    assert pay(api, payment_body(amount=100_000)).json()["status"] == "pending"


# -- idempotency, auth, validation ---------------------------------------------------------------


def test_same_key_same_body_replays_the_payment_as_it_is_now(
    start: Start, receiver: Receiver
) -> None:
    psp = start("instant")
    body = payment_body("instant")
    with psp.client() as client:
        first = pay(client, body, key="key-1")
        wait_for_status(client, f"/v1/payments/{first.json()['id']}", "captured")
        replay = pay(client, body, key="key-1")

    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "pending"
    assert replay.json()["status"] == "captured"
    assert len(psp.state.payments) == 1


def test_same_key_other_body_is_a_conflict_and_creates_nothing(
    card: RunningPsp, api: httpx.Client
) -> None:
    body = payment_body(amount=1000)
    pay(api, body, key="key-1")

    response = pay(api, {**body, "amount": 1001}, key="key-1")

    assert response.status_code == 409
    assert response.json()["error"] == "idempotency_conflict"
    assert len(card.state.payments) == 1
    assert [p["amount"] for p in find(api, body["reference"])] == [1000]


def test_concurrent_requests_with_one_key_create_one_payment(
    card: RunningPsp, api: httpx.Client
) -> None:
    body = payment_body()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: pay(api, body, key="same"), range(8)))

    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(card.state.payments) == 1


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-key", "card-key", "Basic Y2FyZC1rZXk6"]
)
def test_missing_or_wrong_api_key_is_401_and_nothing_happens(
    shared_card: RunningPsp, authorization: str | None
) -> None:
    url = shared_card.url
    headers = {"Idempotency-Key": "k"} | ({"Authorization": authorization} if authorization else {})
    response = httpx.post(f"{url}/v1/payments", json=payment_body(), headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert shared_card.state.payments == {}
    assert httpx.get(f"{url}/v1/settlements/{today()}", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("change", "key"),
    [
        pytest.param({}, None, id="no idempotency key"),
        pytest.param({}, "k" * 201, id="idempotency key too long"),
        pytest.param({"amount": 25.0}, "k", id="float amount"),
        pytest.param({"amount": "2500"}, "k", id="string amount"),
        pytest.param({"amount": True}, "k", id="bool amount"),
        pytest.param({"amount": 0}, "k", id="zero amount"),
        pytest.param({"amount": -5}, "k", id="negative amount"),
        pytest.param({"currency": "eur"}, "k", id="currency"),
        pytest.param({"country": "Britain"}, "k", id="country"),
        pytest.param({"method": "ewallet"}, "k", id="method of another kind"),
        pytest.param({"instrument": {"card_number": "41x1"}}, "k", id="card number"),
        pytest.param({"instrument": {"iban": "DE89370400440532013000"}}, "k", id="no card"),
        pytest.param({"reference": None}, "k", id="missing reference"),
        pytest.param({"holder_name": ""}, "k", id="empty holder name"),
    ],
)
def test_invalid_payment_is_400_and_nothing_is_created(
    shared_card: RunningPsp, change: dict[str, Any], key: str | None
) -> None:
    body = {k: v for k, v in {**payment_body(), **change}.items() if v is not None}
    headers = {"Idempotency-Key": key} if key else {}

    with shared_card.client() as api:
        response = api.post("/v1/payments", json=body, headers=headers)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"
    assert response.json()["message"]
    assert shared_card.state.payments == {}


def test_a_body_that_is_not_json_is_400(card: RunningPsp, api: httpx.Client) -> None:
    response = api.post("/v1/payments", content=b"{nope", headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_payment_is_404(api: httpx.Client) -> None:
    response = api.get("/v1/payments/psp_pay_nope")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert find(api, "never-used") == []


# -- faults --------------------------------------------------------------------------------------


def test_error_rate_one_answers_503_and_processes_nothing(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    card.set_faults(error_rate=1)
    body = payment_body()

    response = pay(api, body, key="k")

    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    card.reset_faults()
    assert find(api, body["reference"]) == []
    assert card.stats()["requests_refused_by_fault"] == 1
    assert receiver.deliveries == []
    # Not processed, so the key is still free: a retry goes through.
    assert pay(api, body, key="k").status_code == 201


def test_error_rate_is_reproducible_by_seed(start: Start) -> None:
    def pattern(seed: int) -> list[int]:
        psp = start("card", seed=seed)
        psp.set_faults(error_rate=0.5)
        with psp.client() as client:
            return [
                client.get("/v1/payments", params={"reference": "x"}).status_code for _ in range(24)
            ]

    first = pattern(7)
    assert set(first) == {200, 503}
    assert pattern(7) == first
    assert pattern(8) != first


def test_ambiguous_rate_one_processes_then_answers_500(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    card.set_faults(ambiguous_rate=1)
    body = payment_body()

    response = pay(api, body, key="k")

    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    found = find(api, body["reference"])
    assert [p["status"] for p in found] == ["captured"]
    assert types_of(receiver.wait(2)) == ["payment.authorized", "payment.captured"]
    card.reset_faults()
    replay = pay(api, body, key="k")
    assert replay.status_code == 200
    assert replay.json()["id"] == found[0]["id"]
    assert card.stats()["requests_answered_ambiguously"] == 1


def test_latency_comes_after_processing_so_a_timeout_is_ambiguous(
    card: RunningPsp, api: httpx.Client
) -> None:
    card.set_faults(latency_ms=300)
    body = payment_body()
    started = time.monotonic()
    assert pay(api, body).status_code == 201
    assert time.monotonic() - started >= 0.3

    second = payment_body()
    with pytest.raises(httpx.ReadTimeout):
        api.post("/v1/payments", json=second, headers={"Idempotency-Key": "late"}, timeout=0.1)
    card.reset_faults()
    assert [p["status"] for p in find(api, second["reference"])] == ["captured"]


def test_down_answers_503_everywhere_but_the_fault_panel(
    card: RunningPsp, api: httpx.Client
) -> None:
    payment = pay(api, payment_body(amount=9000)).json()
    card.set_faults(down=True)

    assert pay(api, payment_body()).status_code == 503
    assert api.get(f"/v1/payments/{payment['id']}").status_code == 503
    assert httpx.get(f"{card.url}/v1/payments/x").status_code == 503  # before auth
    assert httpx.get(payment["redirect_url"]).status_code == 503
    assert httpx.get(f"{card.url}/admin/faults").json()["down"] is True
    assert len(card.state.payments) == 1
    card.set_faults(down=False)
    assert api.get(f"/v1/payments/{payment['id']}").status_code == 200


@pytest.mark.parametrize(
    ("rule", "body", "code"),
    [
        pytest.param(
            {"amount_gte": 100_000}, payment_body(amount=100_000), "do_not_honor", id="amount"
        ),
        pytest.param(
            {"card_prefix": "4000000000000002", "code": "card_declined"},
            payment_body(card_number="4000000000000002"),
            "card_declined",
            id="card prefix",
        ),
        pytest.param(
            {"country": "KP", "code": "restricted_country"},
            payment_body(country="KP"),
            "restricted_country",
            id="country",
        ),
    ],
)
def test_decline_rules_decline_what_matches(
    card: RunningPsp,
    api: httpx.Client,
    receiver: Receiver,
    rule: dict[str, Any],
    body: dict[str, Any],
    code: str,
) -> None:
    card.set_faults(decline_rules=[rule], three_ds_threshold=1_000_000)
    assert pay(api, payment_body(amount=99_999, country="GB")).json()["status"] == "captured"

    response = pay(api, body)

    assert response.status_code == 201
    assert response.json()["status"] == "declined"
    assert response.json()["decline_code"] == code
    deliveries = receiver.wait(3)
    assert deliveries[2].event["type"] == "payment.declined"
    assert deliveries[2].event["data"]["decline_code"] == code
    assert [r["psp_id"] for r in settlement(api, today())] == [deliveries[0].event["data"]["id"]]


# -- webhooks ------------------------------------------------------------------------------------


def test_webhook_is_signed_over_the_exact_bytes_with_the_secret(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    payment = pay(api, payment_body()).json()
    deliveries = receiver.wait(2)

    for delivery in deliveries:
        signature = delivery.headers["signature"]
        assert signature.startswith("t=")
        assert signature_ok("card-secret", signature, delivery.body, time.time())
        assert not signature_ok("other-secret", signature, delivery.body, time.time())
        assert not signature_ok("card-secret", signature, delivery.body + b" ", time.time())
        assert delivery.headers["content-type"] == "application/json"
        event = delivery.event
        assert event["id"].startswith("evt_")
        assert abs(event["created"] - time.time()) < 60
        assert event["data"]["id"] == payment["id"]
    accepted = card.wait_for_webhooks(2)
    assert [a.body for a in accepted] == [d.body for d in deliveries]


def test_failed_delivery_is_retried_with_backoff(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    receiver.answers = [500, 503]
    pay(api, payment_body(amount=100), key="k")

    deliveries = receiver.wait(4, timeout=5)
    accepted = card.wait_for_webhooks(2)

    assert len({d.event["id"] for d in deliveries}) == 2
    attempts = card.state.attempts
    retried = [a for a in attempts if a.attempt == 2]
    assert [a.status_code for a in retried] == [200, 200]
    first = next(a for a in attempts if a.event_id == retried[0].event_id and a.attempt == 1)
    assert retried[0].at - first.at >= 0.2
    assert all(a.accepted for a in accepted)


def test_webhook_delay(card: RunningPsp, api: httpx.Client, receiver: Receiver) -> None:
    card.set_faults(webhook_delay_ms=400)
    sent = time.time()
    pay(api, payment_body())

    deliveries = receiver.wait(2)

    assert min(d.received_at for d in deliveries) - sent >= 0.4


def test_webhook_duplicate_sends_every_event_twice_with_the_same_id(
    start: Start, receiver: Receiver
) -> None:
    psp = start("ewallet")
    psp.set_faults(webhook_duplicate=True)
    with psp.client() as client:
        pay(client, payment_body("ewallet"))

    deliveries = receiver.wait(2)

    assert types_of(deliveries) == ["payment.captured", "payment.captured"]
    assert deliveries[0].event["id"] == deliveries[1].event["id"]
    assert deliveries[0].body == deliveries[1].body


def test_webhook_out_of_order_delivers_one_payments_events_in_reverse(
    start: Start, receiver: Receiver
) -> None:
    card = start("card")
    instant = start("instant")
    card.set_faults(webhook_out_of_order=True)
    instant.set_faults(webhook_out_of_order=True)
    with card.client() as client:
        pay(client, payment_body())
    assert types_of(receiver.wait(2)) == ["payment.captured", "payment.authorized"]

    with instant.client() as client:
        pay(client, payment_body("instant"))
        time.sleep(0.1)  # the pending event is held while the transfer waits to settle
        assert len(receiver.deliveries) == 2

    assert types_of(receiver.wait(4)[2:]) == ["payment.captured", "payment.pending"]


def test_bad_signature_is_rejected_then_retried_and_accepted_once_cleared(
    start: Start,
) -> None:
    verifying = Receiver(secret="card-secret")
    try:
        card = start("card", webhook_url=verifying.url)
        card.set_faults(webhook_bad_signature=True)
        with card.client() as client:
            pay(client, payment_body(amount=100, country="GB"))
        # Both events' first deliveries go out badly signed before the fault is cleared (under
        # load the second could otherwise be sent only after it, and well signed).
        for first in verifying.wait(2)[:2]:
            assert not signature_ok(
                "card-secret", first.headers["signature"], first.body, time.time()
            )
        card.reset_faults()

        accepted = card.wait_for_webhooks(2, timeout=5)

        assert {a.event_type for a in accepted} == {"payment.authorized", "payment.captured"}
        assert all(a.attempt >= 2 for a in accepted)
        rejected = card.wait_for_webhooks(2, accepted_only=False)
        assert 400 in {a.status_code for a in rejected}
    finally:
        verifying.close()


def test_stale_timestamp_signs_correctly_ten_minutes_ago(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    card.set_faults(webhook_stale_timestamp=True)
    pay(api, payment_body())

    delivery = receiver.wait(1)[0]

    fields = dict(p.split("=", 1) for p in delivery.headers["signature"].split(","))
    assert time.time() - int(fields["t"]) >= 600 - 2
    assert not signature_ok(
        "card-secret", delivery.headers["signature"], delivery.body, time.time()
    )
    # The signature itself is right: only its age gives it away.
    assert signature_ok(
        "card-secret", delivery.headers["signature"], delivery.body, int(fields["t"])
    )


def test_the_clock_hook_dates_objects_and_webhook_timestamps(
    start: Start, receiver: Receiver
) -> None:
    psp = start("ewallet", clock=lambda: float(FIXED_NOW))
    with psp.client() as client:
        payment = pay(client, payment_body("ewallet")).json()

    delivery = receiver.wait(1)[0]

    assert payment["created"] == payment["updated"] == FIXED_NOW
    assert delivery.event["created"] == FIXED_NOW
    assert delivery.headers["signature"].startswith(f"t={FIXED_NOW},")
    assert not signature_ok(
        "ewallet-secret", delivery.headers["signature"], delivery.body, time.time()
    )


def test_no_webhook_url_no_deliveries_until_configured(start: Start, receiver: Receiver) -> None:
    psp = start("ewallet", webhook_url=None)
    with psp.client() as client:
        pay(client, payment_body("ewallet"))
        psp.set_webhook_url(receiver.url)
        pay(client, payment_body("ewallet"))

    assert len(receiver.wait(1)) == 1
    assert psp.stats()["webhook_events"] == 2


# -- refunds, chargebacks, payouts ---------------------------------------------------------------


def test_refund_of_a_captured_payment(api: httpx.Client, receiver: Receiver) -> None:
    payment = pay(api, payment_body(amount=2500)).json()
    path = f"/v1/payments/{payment['id']}/refunds"

    partial = api.post(path, json={"amount": 1000}, headers={"Idempotency-Key": "r0"})
    refunded = api.post(path, json={"amount": 2500}, headers={"Idempotency-Key": "r1"})
    replay = api.post(path, json={"amount": 2500}, headers={"Idempotency-Key": "r1"})
    again = api.post(path, json={"amount": 2500}, headers={"Idempotency-Key": "r2"})

    assert partial.status_code == 400
    assert refunded.status_code == 201
    assert refunded.json()["status"] == "refunded"
    assert refunded.json()["id"] == payment["id"]
    assert replay.status_code == 200
    assert replay.headers["idempotent-replayed"] == "true"
    assert again.status_code == 409
    assert again.json()["error"] == "invalid_state"
    assert types_of(receiver.wait(3)) == [
        "payment.authorized",
        "payment.captured",
        "payment.refunded",
    ]
    no_key = api.post(path, json={"amount": 2500})
    assert no_key.status_code == 400
    unknown = api.post(
        "/v1/payments/psp_pay_x/refunds", json={"amount": 1}, headers={"Idempotency-Key": "r3"}
    )
    assert unknown.status_code == 404


def test_refund_of_a_pending_payment_is_invalid_state(api: httpx.Client) -> None:
    payment = pay(api, payment_body(amount=9000)).json()
    response = api.post(
        f"/v1/payments/{payment['id']}/refunds",
        json={"amount": 9000},
        headers={"Idempotency-Key": "r"},
    )
    assert response.status_code == 409
    assert api.get(f"/v1/payments/{payment['id']}").json()["status"] == "pending"


def test_chargeback_from_the_admin_panel(
    card: RunningPsp, api: httpx.Client, receiver: Receiver
) -> None:
    payment = pay(api, payment_body()).json()

    charged = card.charge_back(payment["id"])

    assert charged["status"] == "charged_back"
    assert api.get(f"/v1/payments/{payment['id']}").json()["status"] == "charged_back"
    assert types_of(receiver.wait(3))[-1] == "payment.charged_back"
    again = httpx.post(f"{card.url}/admin/chargebacks", json={"payment_id": payment["id"]})
    assert again.status_code == 409
    unknown = httpx.post(f"{card.url}/admin/chargebacks", json={"payment_id": "psp_pay_x"})
    assert unknown.status_code == 404


def payout_body(reference: str | None = None, **change: Any) -> dict[str, Any]:
    return {
        "amount": 7000,
        "currency": "EUR",
        "instrument": {"iban": "DE89 3704 0044 0532 0130 00"},
        "holder_name": "Ada Lovelace",
        "country": "DE",
        "reference": reference or f"po_{uuid.uuid4().hex[:12]}",
        **change,
    }


def test_payout_is_pending_then_paid(start: Start, receiver: Receiver) -> None:
    psp = start("instant")
    with psp.client() as client:
        response = client.post(
            "/v1/payouts", json=payout_body("po_1"), headers={"Idempotency-Key": "p1"}
        )
        assert response.status_code == 201
        payout = response.json()
        assert payout["id"].startswith("psp_po_")
        assert payout["object"] == "payout"
        assert payout["status"] == "pending"
        assert payout["failure_code"] is None

        paid = wait_for_status(client, f"/v1/payouts/{payout['id']}", "paid")
        assert paid["status"] == "paid"
        assert [p["id"] for p in find(client, "po_1", "payouts")] == [payout["id"]]
        rows = settlement(client, today())

    assert types_of(receiver.wait(2)) == ["payout.pending", "payout.paid"]
    assert [(r["psp_id"], r["type"], r["status"], r["amount"]) for r in rows] == [
        (payout["id"], "payout", "paid", "7000")
    ]


@pytest.mark.parametrize(
    ("faults", "code"),
    [
        ({"decline_rules": [{"amount_gte": 5000, "code": "limit_exceeded"}]}, "limit_exceeded"),
        ({"decline_rules": [{"country": "DE"}]}, "do_not_honor"),
        ({"payout_fail_list": ["DE89370400440532013000"]}, "instrument_blocked"),
    ],
)
def test_payout_fails_by_rule_or_fail_list(
    start: Start, receiver: Receiver, faults: dict[str, Any], code: str
) -> None:
    psp = start("instant")
    psp.set_faults(**faults)
    with psp.client() as client:
        payout = client.post(
            "/v1/payouts", json=payout_body(), headers={"Idempotency-Key": "p"}
        ).json()
        failed = wait_for_status(client, f"/v1/payouts/{payout['id']}", "failed")
        rows = settlement(client, today())

    assert failed["status"] == "failed"
    assert failed["failure_code"] == code
    deliveries = receiver.wait(2)
    assert types_of(deliveries) == ["payout.pending", "payout.failed"]
    assert deliveries[1].event["data"]["failure_code"] == code
    assert rows == []


def test_payout_needs_the_instrument_of_the_kind(start: Start) -> None:
    psp = start("ewallet")
    with psp.client() as client:
        response = client.post("/v1/payouts", json=payout_body(), headers={"Idempotency-Key": "p"})
    assert response.status_code == 400
    assert psp.state.payouts == {}


# -- settlement ----------------------------------------------------------------------------------


def test_settlement_report_lists_the_days_settled_events(start: Start) -> None:
    psp = start("card", clock=lambda: float(FIXED_NOW))
    with psp.client() as client:
        captured = pay(client, payment_body(amount=1500, reference="pay_a")).json()
        refunded = pay(client, payment_body(amount=2000, reference="pay_b")).json()
        client.post(
            f"/v1/payments/{refunded['id']}/refunds",
            json={"amount": 2000},
            headers={"Idempotency-Key": "r"},
        )
        charged = pay(client, payment_body(amount=3000, reference="pay_c")).json()
        psp.charge_back(charged["id"])
        pay(client, payment_body(amount=9000, reference="pay_pending"))  # 3-D Secure: pending
        psp.set_faults(decline_rules=[{"country": "KP"}])
        pay(client, payment_body(country="KP", reference="pay_declined"))

        rows = settlement(client, "2024-11-24")
        assert settlement(client, "2024-11-25") == []
        bad = client.get("/v1/settlements/24-11-2024")

    assert bad.status_code == 400
    assert [(r["psp_id"], r["reference"], r["type"], r["status"], r["amount"]) for r in rows] == [
        (captured["id"], "pay_a", "payment", "captured", "1500"),
        (refunded["id"], "pay_b", "payment", "captured", "2000"),
        (refunded["id"], "pay_b", "refund", "refunded", "2000"),
        (charged["id"], "pay_c", "payment", "captured", "3000"),
        (charged["id"], "pay_c", "chargeback", "charged_back", "3000"),
    ]
    assert {r["currency"] for r in rows} == {"EUR"}
    assert {r["occurred_at"] for r in rows} == {"2024-11-24T14:53:20Z"}


def test_settlement_edits_drop_change_and_add_rows(start: Start) -> None:
    psp = start("ewallet", clock=lambda: float(FIXED_NOW))
    with psp.client() as client:
        kept, dropped, changed = (
            pay(client, payment_body("ewallet", 1000 * (i + 1), reference=f"pay_{i}")).json()
            for i in range(3)
        )
        refunded = pay(client, payment_body("ewallet", 500, reference="pay_r")).json()
        client.post(
            f"/v1/payments/{refunded['id']}/refunds",
            json={"amount": 500},
            headers={"Idempotency-Key": "r"},
        )

        psp.edit_settlement(
            drop=[dropped["id"], f"{refunded['id']}:refund"],
            amounts={changed["id"]: 2999},
            extra=[
                {
                    "psp_id": "psp_pay_ghost",
                    "reference": "pay_ghost",
                    "amount": 777,
                    "currency": "EUR",
                    "occurred_at": "2024-11-24T23:59:59Z",
                },
                {
                    "psp_id": "psp_pay_other_day",
                    "amount": 1,
                    "currency": "EUR",
                    "occurred_at": FIXED_NOW + 86_400,
                },
            ],
        )
        rows = settlement(client, "2024-11-24")
        next_day = settlement(client, "2024-11-25")
        psp.reset_faults()
        unedited = settlement(client, "2024-11-24")

    assert [(r["psp_id"], r["type"], r["amount"]) for r in rows] == [
        (kept["id"], "payment", "1000"),
        (changed["id"], "payment", "2999"),
        (refunded["id"], "payment", "500"),
        ("psp_pay_ghost", "payment", "777"),
    ]
    assert rows[-1]["status"] == "captured"
    assert rows[-1]["occurred_at"] == "2024-11-24T23:59:59Z"
    assert [r["psp_id"] for r in next_day] == ["psp_pay_other_day"]
    assert len(unedited) == 5


# -- the fault panel itself ----------------------------------------------------------------------


def test_faults_merge_reset_and_refuse_unknown_knobs(card: RunningPsp) -> None:
    admin = f"{card.url}/admin"
    httpx.post(f"{admin}/faults", json={"latency_ms": 5})
    merged = httpx.post(f"{admin}/faults", json={"error_rate": 0.25}).json()
    assert (merged["latency_ms"], merged["error_rate"]) == (5, 0.25)
    assert merged["three_ds_threshold"] == 5000

    for bad in ({"error_rate": 1.5}, {"lag": 1}, {"decline_rules": [{"code": "x"}]}):
        response = httpx.post(f"{admin}/faults", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"] == "invalid_request"
    assert httpx.get(f"{admin}/faults").json()["error_rate"] == 0.25

    reset = httpx.post(f"{admin}/faults/reset").json()
    assert (reset["latency_ms"], reset["error_rate"]) == (0, 0.0)


def test_stats_and_config(card: RunningPsp, api: httpx.Client) -> None:
    pay(api, payment_body())
    card.set_faults(error_rate=1)
    pay(api, payment_body())
    card.reset_faults()
    pay(api, payment_body(), key="k" * 201)
    card.wait_for_webhooks(2)

    stats = card.stats()
    config = httpx.get(f"{card.url}/admin/config").json()

    assert stats["requests_received"] == 3
    assert stats["requests_processed"] == 1
    assert stats["requests_refused_by_fault"] == 1
    assert stats["requests_rejected"] == 1
    assert stats["payments"] == 1
    assert stats["webhooks_delivered"] == 2
    assert config == {
        "name": "card",
        "kind": "card",
        "method": "card",
        "webhook_url": card.state.webhook_url,
        "seed": 0,
    }
    reseeded = httpx.post(f"{card.url}/admin/config", json={"seed": 42}).json()
    assert reseeded["seed"] == 42


def test_the_command_has_help() -> None:
    result = CliRunner().invoke(app, ["psp-sim", "--help"])
    assert result.exit_code == 0, result.output
    for option in (
        "--port",
        "--host",
        "--kind",
        "--api-key",
        "--webhook-secret",
        "--webhook-url",
        "--seed",
    ):
        assert option in result.output


def test_the_command_refuses_an_unknown_kind() -> None:
    result = CliRunner().invoke(app, ["psp-sim", "acme", "--port", "1"])
    assert result.exit_code == 2

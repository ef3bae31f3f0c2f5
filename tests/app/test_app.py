"""The assembled application: operations endpoints, request ids, problem documents, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from croupier.kernel.clock import SystemClock
from croupier.kernel.crypto import new_data_key
from croupier.kernel.db import Database
from croupier.kernel.errors import PROBLEM_CONTENT_TYPE
from tests.core.wallet.ledger_fixtures import house, open_player, snapshot
from tests.http_fixtures import make_client, operator_token

LEDGER = "/api/v1/backoffice/ledger"

# Every operator ledger operation, as (method, OpenAPI path, a concrete URL to call).
LEDGER_OPERATIONS = [
    ("get", f"{LEDGER}/accounts", f"{LEDGER}/accounts"),
    ("get", f"{LEDGER}/accounts/{{account_id}}", f"{LEDGER}/accounts/{{account}}"),
    ("get", f"{LEDGER}/accounts/{{account_id}}/balance", f"{LEDGER}/accounts/{{account}}/balance"),
    (
        "get",
        f"{LEDGER}/accounts/{{account_id}}/statement",
        f"{LEDGER}/accounts/{{account}}/statement",
    ),
    ("get", f"{LEDGER}/transfers/{{transfer_id}}", f"{LEDGER}/transfers/{{transfer}}"),
]


def _client(db: Database, env: str = "test", *, auth: bool = True, **kwargs: object) -> TestClient:
    """The app; with ``auth``, called by a finance operator (ledger reads need finance)."""
    token = operator_token(db, SystemClock(), "finance") if auth else None
    if env == "production":  # production refuses to start without data keys
        kwargs.setdefault("data_keys", f"k1:{new_data_key()}")
    return make_client(db, token=token, env=env, **kwargs)


@pytest.fixture
def logs() -> Iterator[list[dict]]:
    """The structlog events the app emits (and no slow rendering of exception tracebacks)."""
    with capture_logs(processors=[merge_contextvars]) as events:
        yield events


@pytest.fixture
def client(db: Database, logs: list[dict]) -> Iterator[TestClient]:
    with _client(db) as c:
        yield c


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:croupier:problem:{code}"
    assert body["title"]
    assert body["detail"]
    return body


def _requests_served(client: TestClient, route: str, status: str) -> float:
    text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        if family.name != "croupier_http_requests":
            continue
        for sample in family.samples:
            if sample.name == "croupier_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": route,
                "status": status,
            }:
                return sample.value
    return 0.0


# -- operations ------------------------------------------------------------------------------


def test_healthz_answers_ok_when_the_database_is_reachable(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["status"] == "ok"


def test_healthz_answers_503_problem_when_the_database_is_unreachable(logs):
    # A real PostgreSQL URL on a port where nothing listens: the connection is refused.
    unreachable = Database("postgresql://postgres@127.0.0.1:1/croupier", pool_size=1)
    try:
        with _client(unreachable, auth=False) as c:
            response = c.get("/healthz")
    finally:
        unreachable.dispose()

    _assert_problem(response, 503, "service.unavailable")
    assert "Traceback" not in response.text
    assert "healthz.database_unreachable" in [e["event"] for e in logs]


def test_metrics_are_prometheus_text_counting_http_requests(client):
    before = _requests_served(client, "/healthz", "200")

    client.get("/healthz")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE croupier_http_requests_total counter" in response.text
    assert _requests_served(client, "/healthz", "200") == before + 1


# -- request ids -----------------------------------------------------------------------------


def test_every_response_carries_a_fresh_request_id(client):
    for method, path in [
        ("GET", "/healthz"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/no/such/route"),
        ("POST", "/healthz"),
        ("GET", f"{LEDGER}/accounts"),
        ("GET", f"{LEDGER}/accounts?limit=0"),
        ("GET", f"{LEDGER}/accounts/acc_missing"),
    ]:
        first = client.request(method, path)
        second = client.request(method, path)

        assert first.headers.get("X-Request-ID"), (method, path)
        assert second.headers.get("X-Request-ID"), (method, path)
        assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_valid_incoming_request_id_is_echoed_back_and_logged(client, logs):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:req/0042"})

    assert response.headers["X-Request-ID"] == "lb-7f3a:req/0042"
    [logged] = [e for e in logs if e["event"] == "http.request"]
    assert logged["request_id"] == "lb-7f3a:req/0042"
    assert (logged["path"], logged["status"]) == ("/healthz", 200)


def test_an_overlong_incoming_request_id_is_replaced_by_a_fresh_one(client):
    overlong = "r" * 65

    response = client.get("/healthz", headers={"X-Request-ID": overlong})

    assert response.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"] != overlong


# -- problem documents -----------------------------------------------------------------------


def test_an_unknown_route_is_a_404_problem(client):
    response = client.get("/api/v1/no-such-thing")

    body = _assert_problem(response, 404, "not_found")
    assert body["instance"] == "/api/v1/no-such-thing"


def test_a_wrong_method_is_a_405_problem(client):
    response = client.post("/healthz")

    _assert_problem(response, 405, "method_not_allowed")


def test_a_request_that_breaks_the_schema_is_a_422_problem_listing_the_errors(client):
    for query, location in [
        ("accounts?limit=0", ["query", "limit"]),
        ("accounts?limit=501", ["query", "limit"]),
        ("accounts?limit=ten", ["query", "limit"]),
        ("accounts?kind=croupier", ["query", "kind"]),
        ("accounts?currency=EU", ["query", "currency"]),
        ("accounts/acc_x/statement?before=0", ["query", "before"]),
        (f"accounts/{'a' * 41}", ["path", "account_id"]),
    ]:
        response = client.get(f"{LEDGER}/{query}")

        body = _assert_problem(response, 422, "request.invalid")
        assert isinstance(body["errors"], list)
        assert [e["loc"] for e in body["errors"]] == [location], query
        assert all(e["msg"] and e["type"] for e in body["errors"])


def test_an_unexpected_error_is_a_500_problem_without_internals(sqlite_db, logs):
    # Fault injected into a real database: the transfers table is gone.
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE ledger_transfers")

    with _client(sqlite_db, raise_server_exceptions=False) as c:
        response = c.get(f"{LEDGER}/transfers/bet-1")

    body = _assert_problem(response, 500, "internal_error")
    assert body["request_id"]
    assert "ledger_transfers" not in response.text
    assert "Traceback" not in response.text
    # The operator finds the logged trace by the request id the caller quotes.
    [logged] = [e for e in logs if e["event"] == "http.unhandled_error"]
    assert logged["request_id"] == body["request_id"]
    assert logged["exc_info"]


def test_an_unexpected_error_still_carries_the_request_id_header(sqlite_db, logs):
    with sqlite_db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE ledger_transfers")

    with _client(sqlite_db, raise_server_exceptions=False) as c:
        before = _requests_served(c, f"{LEDGER}/transfers/{{transfer_id:path}}", "500")
        response = c.get(f"{LEDGER}/transfers/bet-1", headers={"X-Request-ID": "incident-42"})
        served = _requests_served(c, f"{LEDGER}/transfers/{{transfer_id:path}}", "500")

    assert response.status_code == 500
    assert response.json()["request_id"] == "incident-42"
    assert response.headers.get("X-Request-ID") == "incident-42"
    assert served == before + 1


# -- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_lists_every_ledger_operation_with_its_problem_responses(client):
    spec = client.get("/openapi.json").json()

    ledger_operations = {
        (method, path)
        for path, operations in spec["paths"].items()
        if path.startswith(f"{LEDGER}/")
        for method in operations
    }
    assert ledger_operations == {(method, path) for method, path, _ in LEDGER_OPERATIONS}
    assert "Problem" in spec["components"]["schemas"]
    for method, path, _ in LEDGER_OPERATIONS:
        operation = spec["paths"][path][method]
        assert operation.get("description"), f"{method} {path} has no documentation"
        for status, code in (
            ("401", "auth.not_authenticated"),
            ("403", "auth.permission_denied"),
            ("422", "request.invalid"),
        ):
            response = operation["responses"].get(status)
            assert response is not None, f"{method} {path} does not document {status}"
            assert response["content"][PROBLEM_CONTENT_TYPE]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
            assert code in response["description"]


def test_openapi_documents_the_not_found_problem_of_each_ledger_lookup(client):
    spec = client.get("/openapi.json").json()

    for path, code in (
        (f"{LEDGER}/accounts/{{account_id}}", "ledger.account_not_found"),
        (f"{LEDGER}/accounts/{{account_id}}/balance", "ledger.account_not_found"),
        (f"{LEDGER}/accounts/{{account_id}}/statement", "ledger.account_not_found"),
        (f"{LEDGER}/transfers/{{transfer_id}}", "ledger.transfer_not_found"),
    ):
        response = spec["paths"][path]["get"]["responses"]["404"]
        assert PROBLEM_CONTENT_TYPE in response["content"]
        assert code in response["description"]


def test_openapi_documents_the_healthz_503_as_a_problem_document(client):
    spec = client.get("/openapi.json").json()

    unavailable = spec["paths"]["/healthz"]["get"]["responses"]["503"]
    assert list(unavailable["content"]) == [PROBLEM_CONTENT_TYPE]


# -- operator endpoints need an operator -----------------------------------------------------


@pytest.mark.parametrize("env", ["production", "test"])
def test_no_operator_ledger_endpoint_answers_without_an_operator_token(db, clock, env):
    player = open_player(db, clock, funds=25_000_000)
    house_id = house(db, clock)
    before = snapshot(db)

    with _client(db, env=env, auth=False) as c:
        responses = [
            c.get(url.format(account=player, transfer=f"fund-{player}"))
            for _, _, url in LEDGER_OPERATIONS
        ]
        # Not even a malformed request learns more than "authenticate first".
        responses.append(c.get(f"{LEDGER}/accounts?limit=0"))
        responses.append(
            c.get(f"{LEDGER}/accounts", headers={"Authorization": "Bearer cot_forged"})
        )
        health = c.get("/healthz")

    for response in responses:
        body = _assert_problem(response, 401, "auth.not_authenticated")
        body.pop("instance")  # the caller's own path, echoed back
        assert player not in str(body)
        assert house_id not in str(body)
        assert "25000000" not in str(body)
    assert health.status_code == 200
    assert snapshot(db) == before


def test_a_finance_operator_is_served_the_operator_ledger_endpoints(client, db, clock):
    player = open_player(db, clock, funds=25_000_000)

    for _, _, url in LEDGER_OPERATIONS:
        response = client.get(url.format(account=player, transfer=f"fund-{player}"))
        assert response.status_code == 200, (url, response.text)


def test_every_api_operation_is_documented_with_its_problem_responses(client):
    spec = client.get("/openapi.json").json()

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("description") or operation.get("summary"), where
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                assert list(response["content"]) == [PROBLEM_CONTENT_TYPE], where
                if path.startswith("/api/v1/"):
                    assert "`" in response["description"], f"{where} {status} names no code"


def test_a_commit_that_fails_is_never_answered_as_a_success(sqlite_db, clock, logs):
    # Fault injected into the real commit path: the unit of work's commit raises. The answer
    # must be the 500, not the 201 the endpoint had already produced.
    from sqlalchemy import event, func, select
    from sqlalchemy.orm import Session

    from croupier.core.players.models import Player
    from tests.core.players.player_fixtures import make_brand, registration

    make_brand(sqlite_db, clock)

    def fail(session):
        if any(isinstance(o, Player) for o in session.identity_map.values()):
            raise RuntimeError("disk full")

    event.listen(Session, "before_commit", fail)
    try:
        with make_client(sqlite_db, clock, raise_server_exceptions=False) as c:
            response = c.post("/api/v1/auth/register", json=registration())
    finally:
        event.remove(Session, "before_commit", fail)

    assert response.status_code == 500
    with sqlite_db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(Player)) == 0


@pytest.mark.parametrize("opentelemetry", [False, True])
def test_fastapi_s_own_telemetry_is_on_only_when_the_operator_turns_it_on(opentelemetry):
    """Off by default: FastAPI then never asks, per request, whether OpenTelemetry providers
    are configured (~7 % of a request). FastAPI keeps the configuration privately."""
    from croupier.app.main import create_app
    from croupier.kernel.config import get_settings

    settings = get_settings().model_copy(update={"opentelemetry": opentelemetry})
    config = create_app(settings)._telemetry  # type: ignore[attr-defined]
    assert (config["tracing"], config["metrics"], config["logs"]) == (opentelemetry,) * 3

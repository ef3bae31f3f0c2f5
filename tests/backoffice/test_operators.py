"""Staff access: login with mandatory TOTP, roles checked on every route, brand scoping,
API tokens shown once and revocable, and every operator action audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from croupier.backoffice.operators import create_operator
from croupier.backoffice.operators.models import OperatorCredential
from croupier.core.players.models import Player
from croupier.kernel.audit import list_audit_entries
from croupier.kernel.credentials import token_digest, totp_code
from tests.core.players.player_fixtures import assert_problem, footprint, make_brand, register
from tests.core.wallet.ledger_fixtures import open_player
from tests.http_fixtures import fast_hasher, make_client, operator_token

BO = "/api/v1/backoffice"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def brands(db, clock) -> dict[str, str]:
    return {"a": make_brand(db, clock, code="brand-a"), "b": make_brand(db, clock, code="brand-b")}


@pytest.fixture
def client(db, clock, brands):
    with make_client(db, clock) as c:
        yield c


@pytest.fixture
def staff(db, clock):
    """A created operator with the credentials handed over once."""
    with db.unit_of_work() as s:
        return create_operator(
            s,
            clock,
            fast_hasher(),
            email="Grace@Staff.test",
            role_name="compliance",
            brand_id=None,
            actor="cli:root",
        )


def _staff_login(client, staff, clock, **overrides):
    body = {
        "email": "grace@staff.test",
        "password": staff.password,
        "code": totp_code(staff.totp_secret, clock.now()),
        **overrides,
    }
    return client.post(f"{BO}/auth/login", json=body)


# -- staff login -----------------------------------------------------------------------------


def test_staff_log_in_with_password_and_totp_and_see_their_permissions(client, staff, clock):
    response = _staff_login(client, staff, clock)

    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert token.startswith("cop_")
    me = client.get(f"{BO}/me", headers=_bearer(token)).json()
    assert me["role"] == "compliance"
    assert "players:status" in me["permissions"]
    assert "ledger:read" not in me["permissions"]


def test_staff_login_without_the_right_totp_code_is_refused_like_a_wrong_password(
    client, staff, clock
):
    no_code = client.post(
        f"{BO}/auth/login", json={"email": "grace@staff.test", "password": staff.password}
    )
    wrong_code = _staff_login(client, staff, clock, code="000000")
    wrong_password = _staff_login(client, staff, clock, password="not it")
    unknown = _staff_login(client, staff, clock, email="nobody@staff.test")

    assert_problem(no_code, 422, "request.invalid")
    assert wrong_code.json() == wrong_password.json() == unknown.json()
    assert wrong_code.json()["code"] == "auth.invalid_credentials"


def test_three_failed_staff_logins_lock_the_account(client, staff, clock, db):
    for _ in range(3):
        _staff_login(client, staff, clock, password="not it")
    clock.advance(timedelta(seconds=30))

    assert_problem(_staff_login(client, staff, clock), 401, "auth.invalid_credentials")
    with db.read_only() as s:
        actions = [
            e.action
            for e in list_audit_entries(s, subject_type="operator", subject_id=staff.operator.id)
        ]
    assert "operator.locked" in actions
    assert actions.count("operator.login_failed") == 4


def test_the_credentials_are_stored_hashed(db, staff):
    with db.read_only() as s:
        from croupier.backoffice.operators.models import Operator

        row = s.get(Operator, staff.operator.id)
        assert row is not None
        assert staff.password not in row.password_hash
        assert row.password_hash.startswith("$argon2id$")


# -- roles -----------------------------------------------------------------------------------


def test_a_support_operator_cannot_do_what_needs_finance(client, db, clock, brands):
    player_account = open_player(db, clock, funds=10_000_000)
    support = operator_token(db, clock, "support", brand_id=brands["a"])
    finance = operator_token(db, clock, "finance")
    url = f"{BO}/ledger/accounts/{player_account}/balance"

    refused = client.get(url, headers=_bearer(support))
    allowed = client.get(url, headers=_bearer(finance))

    body = assert_problem(refused, 403, "auth.permission_denied")
    assert body["required"] == ["ledger:read"]
    assert "10000000" not in refused.text
    assert allowed.status_code == 200


def test_a_support_operator_may_unlock_but_not_change_a_players_status(client, db, clock, brands):
    player = register(client, brand="brand-a")
    support = operator_token(db, clock, "support", brand_id=brands["a"])
    before = footprint(db)

    response = client.post(
        f"{BO}/players/{player['id']}/status",
        json={"status": "suspended", "reason": "chargeback"},
        headers=_bearer(support),
    )

    assert_problem(response, 403, "auth.permission_denied")
    assert footprint(db) == before


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("compliance", True),
        ("finance", True),
        ("support", True),
        ("auditor", True),
        ("trader", False),
    ],
)
def test_who_may_search_players(client, db, clock, brands, role, allowed):
    brand_id = brands["a"] if role == "support" else None
    token = operator_token(db, clock, role, brand_id=brand_id)
    response = client.get(f"{BO}/players", headers=_bearer(token))
    assert response.status_code == (200 if allowed else 403), response.text


def test_an_operator_of_brand_a_sees_nothing_of_brand_b(client, db, clock, brands):
    a = register(client, brand="brand-a")
    b = register(client, brand="brand-b", email="bea@example.com", legal_name="Bea B")
    support_a = operator_token(db, clock, "support", brand_id=brands["a"])

    listed = client.get(f"{BO}/players", headers=_bearer(support_a)).json()["players"]
    own = client.get(f"{BO}/players/{a['id']}", headers=_bearer(support_a))
    other = client.get(f"{BO}/players/{b['id']}", headers=_bearer(support_a))
    unlock_other = client.post(
        f"{BO}/players/{b['id']}/unlock", json={"reason": "x"}, headers=_bearer(support_a)
    )

    assert [p["id"] for p in listed] == [a["id"]]
    assert own.status_code == 200
    assert_problem(other, 404, "players.player_not_found")
    assert_problem(unlock_other, 404, "players.player_not_found")
    assert "bea@example.com" not in other.text


def test_a_player_of_brand_a_cannot_log_in_to_brand_b(client):
    register(client, brand="brand-a")

    response = client.post(
        "/api/v1/auth/login",
        json={
            "brand": "brand-b",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        },
    )

    assert_problem(response, 401, "auth.invalid_credentials")


# -- status changes and the audit trail ------------------------------------------------------


def test_compliance_suspends_a_player_with_a_reason_which_ends_their_sessions(client, db, clock):
    player = register(client, brand="brand-a")
    session = client.post(
        "/api/v1/auth/login",
        json={
            "brand": "brand-a",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        },
    ).json()["token"]
    compliance = operator_token(db, clock, "compliance")

    changed = client.post(
        f"{BO}/players/{player['id']}/status",
        json={"status": "suspended", "reason": "source of funds review"},
        headers=_bearer(compliance),
    )

    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "suspended"
    assert_problem(client.get("/api/v1/me", headers=_bearer(session)), 401, "auth.session_expired")
    detail = client.get(f"{BO}/players/{player['id']}", headers=_bearer(compliance)).json()
    assert [(h["from_status"], h["to_status"]) for h in detail["status_history"]] == [
        (None, "pending_verification"),
        ("pending_verification", "suspended"),
    ]
    assert detail["status_history"][-1]["reason"] == "source of funds review"
    trail = client.get(f"{BO}/players/{player['id']}/audit", headers=_bearer(compliance)).json()
    status_change = next(e for e in trail["entries"] if e["action"] == "player.status_changed")
    assert status_change["actor"].startswith("operator:opr_")
    assert (status_change["before"], status_change["after"]) == (
        {"status": "pending_verification"},
        {"status": "suspended"},
    )
    assert trail["entries"][0]["action"] == "player.viewed"  # the detail read above


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"status": "self_excluded", "reason": "x"}, "players.invalid_status_change"),
        ({"status": "banned", "reason": "x"}, "request.invalid"),
        ({"status": "active", "reason": ""}, "request.invalid"),
        ({"status": "active"}, "request.invalid"),
    ],
)
def test_a_refused_status_change_changes_nothing(client, db, clock, body, code):
    player = register(client, brand="brand-a")
    compliance = operator_token(db, clock, "compliance")
    before = footprint(db)

    response = client.post(
        f"{BO}/players/{player['id']}/status", json=body, headers=_bearer(compliance)
    )

    assert_problem(response, 422, code)
    assert footprint(db) == before
    with db.read_only() as s:
        assert s.scalars(select(Player.status)).one() == "pending_verification"


def test_a_closed_account_stays_closed(client, db, clock):
    player = register(client, brand="brand-a")
    compliance = operator_token(db, clock, "compliance")
    url = f"{BO}/players/{player['id']}/status"
    client.post(
        url, json={"status": "closed", "reason": "player asked"}, headers=_bearer(compliance)
    )

    reopened = client.post(
        url, json={"status": "active", "reason": "x"}, headers=_bearer(compliance)
    )

    assert_problem(reopened, 422, "players.invalid_status_change")


# -- API tokens ------------------------------------------------------------------------------


def test_an_api_token_is_shown_once_stored_hashed_and_refused_once_revoked(
    client, staff, clock, db
):
    session = _staff_login(client, staff, clock).json()["token"]

    created = client.post(f"{BO}/tokens", json={"name": "reporting"}, headers=_bearer(session))
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    listed = client.get(f"{BO}/tokens", headers=_bearer(session)).json()
    with db.read_only() as s:
        stored = s.get(OperatorCredential, created.json()["id"])
        assert stored is not None
        assert stored.token_hash == token_digest(token)
    assert "token" not in listed[0]
    assert client.get(f"{BO}/players", headers=_bearer(token)).status_code == 200

    revoked = client.delete(f"{BO}/tokens/{created.json()['id']}", headers=_bearer(session))

    assert revoked.status_code == 204
    assert_problem(client.get(f"{BO}/players", headers=_bearer(token)), 401, "auth.session_expired")


def test_an_api_token_cannot_mint_another(client, db, clock):
    token = operator_token(db, clock, "admin")
    response = client.post(f"{BO}/tokens", json={"name": "again"}, headers=_bearer(token))
    assert_problem(response, 403, "operators.api_token_needs_session")


def test_an_idle_staff_session_ends_after_thirty_minutes(client, staff, clock):
    session = _staff_login(client, staff, clock).json()["token"]
    clock.advance(timedelta(minutes=31))

    response = client.get(f"{BO}/me", headers=_bearer(session))

    body = assert_problem(response, 401, "auth.session_expired")
    assert body["reason"] == "inactivity"


def test_a_finance_operator_tied_to_one_brand_may_not_read_the_platform_ledger(
    client, db, clock, brands
):
    player_account = open_player(db, clock, funds=10_000_000)
    finance_a = operator_token(db, clock, "finance", brand_id=brands["a"])

    response = client.get(
        f"{BO}/ledger/accounts/{player_account}/balance", headers=_bearer(finance_a)
    )

    body = assert_problem(response, 403, "auth.permission_denied")
    assert "brands:all" in body["required"]


def test_an_admin_tied_to_one_brand_sees_only_that_brand(client, db, clock, brands):
    a = register(client, brand="brand-a")
    b = register(client, brand="brand-b", email="bea@example.com", legal_name="Bea B")
    admin_a = operator_token(db, clock, "admin", brand_id=brands["a"])

    listed = client.get(f"{BO}/players", headers=_bearer(admin_a)).json()["players"]

    assert [p["id"] for p in listed] == [a["id"]]
    assert_problem(
        client.get(f"{BO}/players/{b['id']}", headers=_bearer(admin_a)),
        404,
        "players.player_not_found",
    )


def test_a_suspended_player_cannot_log_back_in(client, db, clock):
    player = register(client, brand="brand-a")
    compliance = operator_token(db, clock, "compliance")
    client.post(
        f"{BO}/players/{player['id']}/status",
        json={"status": "suspended", "reason": "fraud review"},
        headers=_bearer(compliance),
    )

    response = client.post(
        "/api/v1/auth/login",
        json={
            "brand": "brand-a",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        },
    )

    assert_problem(response, 403, "auth.account_suspended")


def test_a_locked_operators_api_tokens_stop_working_too(client, staff, clock, db):
    session = _staff_login(client, staff, clock).json()["token"]
    token = client.post(f"{BO}/tokens", json={"name": "tool"}, headers=_bearer(session)).json()[
        "token"
    ]
    for _ in range(3):
        _staff_login(client, staff, clock, password="not it")

    response = client.get(f"{BO}/players", headers=_bearer(token))

    body = assert_problem(response, 401, "auth.session_expired")
    assert body["reason"] == "locked"


def test_support_reviews_a_players_limits_exclusions_and_kyc(client, db, clock, brands):
    player = register(client, brand="brand-a")
    session = client.post(
        "/api/v1/auth/login",
        json={
            "brand": "brand-a",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        },
    ).json()["token"]
    client.put(
        "/api/v1/me/limits/deposit/24h", json={"amount": 50_000_000}, headers=_bearer(session)
    )
    support = operator_token(db, clock, "support", brand_id=brands["a"])
    trader = operator_token(db, clock, "trader")

    view = client.get(f"{BO}/players/{player['id']}/safety", headers=_bearer(support))
    refused = client.get(f"{BO}/players/{player['id']}/safety", headers=_bearer(trader))

    assert view.status_code == 200, view.text
    body = view.json()
    assert [(lim["kind"], lim["amount"]) for lim in body["limits"]] == [("deposit", 50_000_000)]
    assert (body["exclusions"], body["kyc_level"], body["kyc_checks"]) == ([], "none", [])
    assert_problem(refused, 403, "auth.permission_denied")


def test_compliance_imposes_a_limit_with_a_reason_and_support_cannot(client, db, clock, brands):
    player = register(client, brand="brand-a")
    compliance = operator_token(db, clock, "compliance")
    support = operator_token(db, clock, "support", brand_id=brands["a"])
    url = f"{BO}/players/{player['id']}/limits/deposit/7d"

    imposed = client.put(
        url, json={"amount": 25_000_000, "reason": "affordability"}, headers=_bearer(compliance)
    )
    refused = client.put(url, json={"amount": 1, "reason": "x"}, headers=_bearer(support))
    no_reason = client.put(url, json={"amount": 1, "reason": ""}, headers=_bearer(compliance))

    assert imposed.status_code == 200, imposed.text
    assert [(v["set_by"], v["amount"]) for v in imposed.json()] == [("operator", 25_000_000)]
    assert_problem(refused, 403, "auth.permission_denied")
    assert_problem(no_reason, 422, "request.invalid")

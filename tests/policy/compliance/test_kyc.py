"""KYC: checks sent to a vendor (a real HTTP simulator), signed results applied once,
levels that gate deposits, re-verification triggers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
from sqlalchemy import select

from croupier.core.players import PlayerStatus, get_player
from croupier.kernel.jurisdictions import KycLevel
from croupier.kernel.models import AuditRecord
from croupier.policy.compliance import may_deposit
from croupier.policy.compliance.cases import CaseKind, open_cases_of
from croupier.policy.compliance.kyc import kyc_of, require_reverification
from croupier.simulators.kyc_vendor import RunningVendor
from tests.core.players.player_fixtures import (
    assert_problem,
    footprint,
    logged_in,
    make_brand,
    register,
)
from tests.http_fixtures import ServedApp
from tests.policy.policy_fixtures import UNIT

SECRET = "test-secret"


@pytest.fixture(scope="module")
def vendor():
    with RunningVendor(secret=SECRET) as running:
        yield running


@pytest.fixture
def served(db, clock, vendor):
    vendor.state.delivered.clear()
    vendor.state.faults = type(vendor.state.faults)()
    make_brand(db, clock)
    with (
        ServedApp(
            db,
            clock,
            kyc_vendor_url=vendor.url,
            kyc_vendor_api_key="test-key",
            kyc_webhook_secret=SECRET,
        ) as app,
        httpx.Client(base_url=app.url, timeout=10) as client,
    ):
        yield client


def _player(db, served, **overrides):
    player = register(served, country="GB", currency="GBP", **overrides)
    served.headers.update(logged_in(served, email=player["email"]))
    return player


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _level(db, player_id):
    with db.read_only() as s:
        return kyc_of(s, player_id)


def test_an_approved_check_verifies_and_activates_the_player_who_may_then_deposit(
    db, clock, served, vendor
):
    player = _player(db, served)
    with db.unit_of_work() as s:
        assert may_deposit(s, clock, player["id"], UNIT).code == "compliance.verification_required"

    asked = served.post("/api/v1/me/kyc", json={"level": "age_verified", "documents": ["passport"]})

    assert asked.status_code == 202, asked.text
    _wait(lambda: _level(db, player["id"]).level is KycLevel.AGE_VERIFIED)
    with db.unit_of_work() as s:
        assert get_player(s, player["id"], brand_scope=None).status is PlayerStatus.ACTIVE
        assert may_deposit(s, clock, player["id"], UNIT).allowed
    assert served.get("/api/v1/me/kyc").json()["checks"][0]["status"] == "approved"


def test_a_rejected_check_opens_a_case_and_verifies_nothing(db, clock, served, vendor):
    player = _player(db, served, legal_name="Rejected Person")

    asked = served.post(
        "/api/v1/me/kyc", json={"level": "fully_verified", "documents": ["id_card"]}
    )

    assert asked.status_code == 202, asked.text
    _wait(lambda: [c["status"] for c in _level(db, player["id"]).checks] == ["rejected"])
    with db.read_only() as s:
        [case] = open_cases_of(s, player["id"], CaseKind.KYC)
        assert case.details["reason"] == "document_mismatch"
        assert get_player(s, player["id"], brand_scope=None).status is (
            PlayerStatus.PENDING_VERIFICATION
        )
    assert _level(db, player["id"]).level is KycLevel.NONE


def test_a_repeated_delivery_applies_once(db, clock, served, vendor):
    httpx.post(f"{vendor.url}/_faults", json={"delay_ms": 50, "duplicate": True})
    player = _player(db, served)

    served.post("/api/v1/me/kyc", json={"level": "age_verified", "documents": ["passport"]})

    delivered = vendor.wait_for_deliveries(2)
    assert [d["status"] for d in delivered] == [200, 200]
    with db.read_only() as s:
        verified = s.scalars(
            select(AuditRecord).where(
                AuditRecord.action == "kyc.verified", AuditRecord.subject_id == player["id"]
            )
        ).all()
    assert len(verified) == 1


def test_a_result_with_a_wrong_signature_is_refused_and_changes_nothing(db, clock, served, vendor):
    httpx.post(f"{vendor.url}/_faults", json={"delay_ms": 50, "bad_signature": True})
    player = _player(db, served)

    served.post("/api/v1/me/kyc", json={"level": "age_verified", "documents": ["passport"]})

    [delivery] = vendor.wait_for_deliveries(1)
    assert delivery["status"] == 401
    assert [c["status"] for c in _level(db, player["id"]).checks] == ["pending"]
    forged = json.dumps({"reference": "kyc_x", "result": "approved"}).encode()
    unsigned = served.post("/webhooks/kyc", content=forged)
    assert_problem(unsigned, 401, "webhook.invalid_signature")
    signed = "sha256=" + hmac.new(SECRET.encode(), forged, hashlib.sha256).hexdigest()
    unknown = served.post("/webhooks/kyc", content=forged, headers={"X-Signature": signed})
    assert_problem(unknown, 404, "compliance.kyc_check_not_found")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"level": "age_verified", "documents": ["tax_return"]},
            422,
            "compliance.invalid_kyc_request",
        ),
        ({"level": "none", "documents": ["passport"]}, 422, "compliance.invalid_kyc_request"),
        ({"level": "age_verified", "documents": []}, 422, "request.invalid"),
        ({"level": "platinum", "documents": ["passport"]}, 422, "request.invalid"),
    ],
)
def test_a_bad_verification_request_is_refused_and_nothing_is_sent(
    db, served, vendor, body, status, code
):
    _player(db, served)
    received = len(vendor.state.received)
    before = footprint(db)

    response = served.post("/api/v1/me/kyc", json=body)

    assert_problem(response, status, code)
    assert len(vendor.state.received) == received
    assert footprint(db) == before


def test_a_vendor_that_is_down_refuses_the_request_and_records_nothing(db, served, vendor):
    player = _player(db, served)
    httpx.post(f"{vendor.url}/_faults", json={"down": True})

    response = served.post(
        "/api/v1/me/kyc", json={"level": "age_verified", "documents": ["passport"]}
    )

    assert_problem(response, 503, "compliance.kyc_vendor_unavailable")
    assert _level(db, player["id"]).checks == ()


def test_changed_personal_data_calls_for_a_new_check_and_gates_deposits(db, clock, served, vendor):
    player = _player(db, served)
    served.post("/api/v1/me/kyc", json={"level": "age_verified", "documents": ["passport"]})
    _wait(lambda: _level(db, player["id"]).level is KycLevel.AGE_VERIFIED)

    served.patch("/api/v1/me/profile", json={"postcode": "EC1A 1BB"})

    _wait(lambda: _level(db, player["id"]).reverification_reason is not None)
    assert "postcode" in _level(db, player["id"]).reverification_reason
    with db.unit_of_work() as s:
        assert may_deposit(s, clock, player["id"], UNIT).code == "compliance.verification_required"
        require_reverification(s, clock, player["id"], "due diligence threshold reached")

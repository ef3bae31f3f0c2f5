"""Registration (GLI-19 §2.5.2): who may register, one account per person, and bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from croupier.core.players import DuplicatePersonPolicy
from croupier.core.players.models import Player, PlayerStatusChange
from croupier.core.wallet import get_account
from croupier.core.wallet.models import AccountKind
from croupier.kernel.audit import list_audit_entries
from tests.core.players.player_fixtures import (
    assert_problem,
    footprint,
    make_brand,
    register,
    registration,
)
from tests.http_fixtures import make_client

REGISTER = "/api/v1/auth/register"


@pytest.fixture
def client(db, clock):
    make_brand(db, clock)
    with make_client(db, clock) as c:
        yield c


def test_a_registered_player_is_pending_with_a_cash_account_a_status_history_and_an_audit_record(
    client, db
):
    player = register(client, email="Ada@Example.COM")

    assert player["status"] == "pending_verification"
    assert player["email"] == "ada@example.com"
    assert player["jurisdiction"] == "MT"
    assert player["currency"] == "EUR"
    assert "password" not in json.dumps(player)
    with db.read_only() as s:
        cash = get_account(s, player["cash_account_id"])
        assert (cash.kind, cash.currency, cash.owner_id) == (
            AccountKind.PLAYER_CASH,
            "EUR",
            player["id"],
        )
        [change] = s.scalars(select(PlayerStatusChange)).all()
        assert (change.from_status, change.to_status) == (None, "pending_verification")
        row = s.get(Player, player["id"])
        assert row is not None
        assert row.password_hash.startswith("$argon2id$")
        [audit] = list_audit_entries(s, subject_type="player", subject_id=player["id"])
        assert audit.action == "player.registered"
        assert audit.after["legal_name"] == "Ada Lovelace"


@pytest.mark.parametrize(
    ("country", "region", "minimum_age"),
    [("MT", None, 18), ("CA", "ON", 19), ("US", "NJ", 21)],
)
def test_a_player_one_day_under_the_jurisdictions_minimum_age_is_refused_and_nothing_is_created(
    client, db, country, region, minimum_age
):
    # The test clock reads 2026-11-01.
    one_day_short = f"{2026 - minimum_age}-11-02"
    before = footprint(db)

    response = client.post(
        REGISTER,
        json=registration(country=country, region=region, date_of_birth=one_day_short),
    )

    body = assert_problem(response, 422, "players.under_age")
    assert body["minimum_age"] == minimum_age
    assert footprint(db) == before


@pytest.mark.parametrize(("country", "region", "minimum_age"), [("MT", None, 18), ("US", "NJ", 21)])
def test_a_player_who_turns_the_minimum_age_today_may_register(
    client, country, region, minimum_age
):
    player = register(
        client, country=country, region=region, date_of_birth=f"{2026 - minimum_age}-11-01"
    )
    assert player["status"] == "pending_verification"


@pytest.mark.parametrize(
    ("password", "why"),
    [("password123", "breached"), ("Qwertyuiop", "breached, any case"), ("short1!", "short")],
)
def test_a_weak_or_breached_password_is_refused_and_nothing_is_created(client, db, password, why):
    before = footprint(db)

    response = client.post(REGISTER, json=registration(password=password))

    assert_problem(response, 422, "auth.weak_password")
    assert footprint(db) == before, why


def test_a_second_registration_with_the_same_email_is_refused_whatever_its_case(client, db):
    register(client)
    before = footprint(db)

    response = client.post(
        REGISTER, json=registration(email="ADA@example.com", legal_name="Someone Else")
    )

    assert_problem(response, 409, "players.email_taken")
    assert footprint(db) == before


def test_the_same_person_registering_again_is_refused_where_the_brand_refuses(client, db):
    register(client)
    before = footprint(db)

    # Same name (other case and accents), birth date and postcode (other spacing), new email.
    response = client.post(
        REGISTER,
        json=registration(email="ada2@example.com", legal_name="ADA LOVELACE", postcode="frn9010"),
    )

    assert_problem(response, 409, "players.duplicate_person")
    assert footprint(db) == before


def test_the_same_person_registering_again_is_flagged_where_the_brand_flags(client, db, clock):
    make_brand(db, clock, code="flagship", policy=DuplicatePersonPolicy.FLAG)
    first = register(client, brand="flagship")
    second = register(client, brand="flagship", email="ada2@example.com")

    assert first["flags"] == []
    assert second["flags"] == ["possible_duplicate"]


def test_the_same_person_may_hold_one_account_in_each_brand(client, db, clock):
    make_brand(db, clock, code="otherbrand")
    a = register(client)
    b = register(client, brand="otherbrand")

    assert a["brand_id"] != b["brand_id"]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"email": None}, 422, "request.invalid"),
        ({"date_of_birth": None}, 422, "request.invalid"),
        ({"email": "not-an-email"}, 422, "request.invalid"),
        ({"date_of_birth": "2001-02-30"}, 422, "request.invalid"),
        ({"date_of_birth": "2030-01-01"}, 422, "players.invalid_date_of_birth"),
        ({"date_of_birth": "1850-01-01"}, 422, "players.invalid_date_of_birth"),
        ({"brand": "nosuchbrand"}, 404, "players.brand_not_found"),
        ({"currency": "XXX"}, 422, "players.currency_not_offered"),
        ({"currency": "eur"}, 422, "request.invalid"),
        ({"country": "ZZ"}, 422, "jurisdiction.unknown"),
        ({"country": "CA"}, 422, "jurisdiction.region_required"),
        ({"country": "Malta"}, 422, "request.invalid"),
        ({"legal_name": "   "}, 422, "request.invalid"),
        ({"nickname": "ada"}, 422, "request.invalid"),
    ],
)
def test_bad_registration_input_is_a_problem_with_a_stable_code_and_creates_nothing(
    client, db, overrides, status, code
):
    before = footprint(db)

    response = client.post(REGISTER, json=registration(**overrides))

    assert_problem(response, status, code)
    assert footprint(db) == before


def test_a_currency_the_brand_does_not_offer_is_refused(client, db, clock):
    make_brand(db, clock, code="euroonly", currencies=("EUR",))
    before = footprint(db)

    response = client.post(REGISTER, json=registration(brand="euroonly", currency="GBP"))

    body = assert_problem(response, 422, "players.currency_not_offered")
    assert body["offered"] == ["EUR"]
    assert footprint(db) == before


def test_an_oversized_body_is_refused_before_it_is_parsed_and_creates_nothing(client, db):
    before = footprint(db)

    response = client.post(REGISTER, json=registration(address_line="x" * 100_000))
    streamed = client.post(
        REGISTER,
        content=(b"x" * 1024 for _ in range(100)),  # chunked: no Content-Length to trust
        headers={"Content-Type": "application/json"},
    )

    assert_problem(response, 413, "request.too_large")
    assert_problem(streamed, 413, "request.too_large")
    assert footprint(db) == before


def test_malformed_json_is_a_problem_not_a_crash(client, db):
    before = footprint(db)

    response = client.post(
        REGISTER, content=b'{"brand": ', headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 422, "request.invalid")
    assert footprint(db) == before

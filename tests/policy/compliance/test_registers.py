"""National exclusion registers: asked over HTTP at the jurisdiction's checkpoints, failing
closed when the register is down or slow. The register is a real HTTP server (simulator)."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from croupier.kernel.jurisdictions import Product, jurisdiction
from croupier.policy.compliance import may_bet, may_deposit
from croupier.policy.compliance.registers import Registers
from croupier.simulators.exclusion_register import RunningRegister
from tests.core.players.player_fixtures import assert_problem, footprint, make_brand, registration
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, player_in

ADA = {"legal_name": "Ada Lovelace", "date_of_birth": "1990-12-10", "postcode": "SW1A 1AA"}


@pytest.fixture(scope="module")
def gamstop():
    assert jurisdiction("GB").national_register == "GAMSTOP"
    with RunningRegister("GAMSTOP") as register:
        yield register


@pytest.fixture
def register(gamstop):
    gamstop.state.excluded.clear()
    gamstop.state.faults = type(gamstop.state.faults)()
    return gamstop


def _gb(**overrides):
    return registration(country="GB", currency="GBP", postcode="SW1A 1AA", **overrides)


@pytest.fixture
def client(db, clock, register):
    make_brand(db, clock)
    with make_client(
        db,
        clock,
        exclusion_registers={"GAMSTOP": register.url},
        exclusion_register_api_key="test-key",
        exclusion_register_timeout_seconds=0.5,
    ) as c:
        yield c


def test_a_person_on_gamstop_cannot_register_and_nothing_is_created(client, db, register):
    register.exclude(**ADA)
    before = footprint(db)

    response = client.post("/api/v1/auth/register", json=_gb())

    body = assert_problem(response, 403, "compliance.nationally_excluded")
    assert body["register"] == "GAMSTOP"
    assert footprint(db) == before


def test_a_person_not_on_gamstop_registers(client, register):
    response = client.post("/api/v1/auth/register", json=_gb())
    assert response.status_code == 201, response.text
    assert register.state.checks >= 1


@pytest.mark.parametrize(
    "faults",
    [{"down": True}, {"latency_ms": 1500}, {"error_rate": 1.0}],
    ids=["down", "slow", "500"],
)
def test_an_unreachable_register_blocks_registration_with_a_clear_code(
    client, db, register, faults
):
    httpx.post(f"{register.url}/_faults", json=faults)
    before = footprint(db)

    response = client.post("/api/v1/auth/register", json=_gb())

    body = assert_problem(response, 503, "compliance.register_unavailable")
    assert "GAMSTOP" in body["detail"]
    assert footprint(db) == before


def test_a_player_added_to_gamstop_after_registering_cannot_log_in(client, register):
    assert client.post("/api/v1/auth/register", json=_gb()).status_code == 201
    register.exclude(**ADA)

    response = client.post(
        "/api/v1/auth/login",
        json={
            "brand": "luckystar",
            "email": "ada@example.com",
            "password": "correct horse battery staple",
        },
    )

    assert_problem(response, 403, "compliance.nationally_excluded")


def test_a_wrong_api_key_fails_closed(db, clock, register):
    registers = Registers(urls={"Spelpaus": register.url}, api_key="wrong", timeout_s=1)
    player = player_in(db, clock, "SE", currency="SEK")  # Spelpaus is asked before every bet
    with db.unit_of_work() as s:
        decision = may_bet(s, clock, player.id, Product.SLOTS, UNIT, registers=registers)
    assert decision.code == "compliance.register_unavailable"


@pytest.mark.parametrize(
    ("required", "code"), [(True, "compliance.register_unavailable"), (False, None)]
)
def test_a_register_that_is_not_configured_fails_closed_unless_in_dev(db, clock, required, code):
    registers = Registers(urls={}, api_key="", required=required)
    player = player_in(db, clock, "SE", currency="SEK")
    with db.unit_of_work() as s:
        decision = may_bet(s, clock, player.id, Product.SLOTS, UNIT, registers=registers)
    assert decision.code == code


def test_bets_ask_the_register_where_the_jurisdiction_says_so_and_deposits_do_not(
    db, clock, register
):
    registers = Registers(urls={"Spelpaus": register.url}, api_key="test-key", timeout_s=1)
    player = player_in(db, clock, "SE", currency="SEK", born=date(1985, 3, 3))
    register.exclude(player.legal_name, player.date_of_birth.isoformat(), player.postcode)
    asked = sorted(jurisdiction("SE").register_checked_at)
    assert [c.value for c in asked] == ["bet", "login", "registration"]

    with db.unit_of_work() as s:
        deposit = may_deposit(s, clock, player.id, UNIT, registers=registers)
        bet = may_bet(s, clock, player.id, Product.SLOTS, UNIT, registers=registers)

    assert deposit.allowed
    assert bet.code == "compliance.nationally_excluded"

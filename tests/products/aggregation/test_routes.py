"""``GET /api/v1/catalogue/games``: the public catalogue, in-house titles and providers' games."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from croupier.products.aggregation import service
from croupier.products.rgs.games.catalogue import TITLES
from tests.http_fixtures import make_client
from tests.products.aggregation.keys import rsa_public_pem


@pytest.fixture
def client(db, clock):
    with make_client(db, clock) as c:
        yield c


def _acme_with_a_game(db, clock) -> None:
    with db.unit_of_work() as s:
        service.add_provider(
            s, clock, name="acme", protocol="caleta", public_key_pem=rsa_public_pem(), actor="t"
        )
        service.add_game(
            s,
            clock,
            provider="acme",
            code="sweet-7",
            name="Sweet 7",
            category="slots",
            rtp="96.5",
            blocked_countries=["US"],
            actor="t",
        )


def test_the_catalogue_lists_in_house_titles_and_provider_games_without_a_login(
    db, clock, client: TestClient
):
    _acme_with_a_game(db, clock)

    everything = client.get("/api/v1/catalogue/games")
    acme = client.get("/api/v1/catalogue/games", params={"provider": "acme"})
    slots = client.get("/api/v1/catalogue/games", params={"category": "slots"})

    assert everything.status_code == 200
    games = everything.json()["games"]
    assert {g["code"] for g in games if g["provider"] == "croupier"} == set(TITLES)
    assert all(g["id"] == g["code"] for g in games if g["provider"] == "croupier")
    [acme_game] = acme.json()["games"]
    assert acme_game["id"].startswith("pgm_")
    assert acme.json()["games"] == [
        {
            "id": acme_game["id"],
            "provider": "acme",
            "code": "sweet-7",
            "name": "Sweet 7",
            "category": "slots",
            "rtp": "96.5",
            "jurisdictions": [],
            "blocked_countries": ["US"],
            "in_house": False,
        }
    ]
    assert games[-1] == acme.json()["games"][0]
    assert {g["category"] for g in slots.json()["games"]} == {"slots"}
    assert {g["provider"] for g in slots.json()["games"]} == {"croupier", "acme"}


def test_an_unknown_provider_or_category_is_a_problem_document(client: TestClient):

    provider = client.get("/api/v1/catalogue/games", params={"provider": "nobody"})
    category = client.get("/api/v1/catalogue/games", params={"category": "bingo-hall"})

    assert (provider.status_code, provider.json()["code"]) == (
        404,
        "aggregation.provider_not_found",
    )
    assert (category.status_code, category.json()["code"]) == (
        422,
        "aggregation.unknown_category",
    )
    assert provider.headers["content-type"] == "application/problem+json"


def test_the_endpoint_and_its_errors_are_in_the_openapi_document(client: TestClient):
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/v1/catalogue/games"]["get"]
    assert {"200", "404", "422"} <= set(operation["responses"])


def test_the_public_catalogue_is_rate_limited_per_ip(db, clock):
    with make_client(db, clock, rate_limit_catalogue_per_ip=3) as anonymous:
        answers = [anonymous.get("/api/v1/catalogue/games") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "rate_limited"

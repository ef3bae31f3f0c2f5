"""The back office reads the same jurisdiction rule base as the CLI."""

from __future__ import annotations

import pytest

from croupier.kernel.jurisdictions import JURISDICTIONS
from tests.core.players.player_fixtures import assert_problem
from tests.http_fixtures import make_client, operator_token

URL = "/api/v1/backoffice/jurisdictions"


@pytest.fixture
def client(db, clock):
    with make_client(db, clock, token=operator_token(db, clock, "auditor")) as c:
        yield c


def test_any_operator_reads_every_jurisdiction_with_its_sources(client):
    listed = client.get(URL).json()
    se = client.get(f"{URL}/se").json()

    assert [j["code"] for j in listed] == list(JURISDICTIONS)
    assert se == JURISDICTIONS["SE"].model_dump(mode="json")
    assert se["limit_increase_waits_for_period_end"] is True
    assert set(se["sources"]) >= {"minimum_age", "limit_increase_cooling_off_hours"}


def test_an_unknown_jurisdiction_is_a_404_problem(client):
    assert_problem(client.get(f"{URL}/XX"), 404, "jurisdiction.not_found")


def test_the_rule_base_is_not_public(db, clock):
    with make_client(db, clock) as anonymous:
        assert_problem(anonymous.get(URL), 401, "auth.not_authenticated")

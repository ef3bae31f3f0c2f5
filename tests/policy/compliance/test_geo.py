"""Geolocation with the GeoIP database the geoip2fast package ships: the request's country
must be the jurisdiction's where the jurisdiction requires it; unknown fails closed."""

from __future__ import annotations

import pytest

from croupier.kernel.jurisdictions import Checkpoint, Product, jurisdiction
from croupier.policy.compliance import may_bet
from croupier.policy.compliance.geo import Geolocation, locate
from tests.core.players.player_fixtures import assert_problem, footprint, make_brand, registration
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, player_in

US_IP, GB_IP, CA_IP = "8.8.8.8", "81.2.69.142", "24.48.0.1"


@pytest.mark.parametrize(
    ("ip", "country", "private"),
    [(US_IP, "US", False), (GB_IP, "GB", False), (CA_IP, "CA", False), ("127.0.0.1", None, True)],
)
def test_addresses_are_located_by_country(ip, country, private):
    where = locate(ip)
    assert (where.country, where.private) == (country, private)


def test_an_address_that_is_not_an_address_is_not_located():
    assert locate("not-an-ip").country is None


NJ = jurisdiction("US-NJ")


@pytest.mark.parametrize(
    ("ip", "allow_private", "code"),
    [
        (US_IP, False, None),
        (GB_IP, False, "compliance.location_mismatch"),
        ("127.0.0.1", False, "compliance.location_unknown"),
        ("127.0.0.1", True, None),
        (None, True, "compliance.location_unknown"),
    ],
)
def test_new_jersey_requires_a_location_in_the_united_states(ip, allow_private, code):
    assert Checkpoint.LOGIN in NJ.geolocation_checked_at
    refusal = Geolocation(allow_private=allow_private).check(NJ, Checkpoint.LOGIN, ip)
    assert (refusal.code if refusal else None) == code


def test_a_jurisdiction_without_geolocation_checks_nothing():
    assert Geolocation().check(jurisdiction("MT"), Checkpoint.BET, GB_IP) is None


def _nj_login(db, clock, ip, **settings):
    make_brand(db, clock)
    with make_client(db, clock, **settings) as c:
        registered = c.post(
            "/api/v1/auth/register",
            json=registration(
                country="US", region="NJ", currency="USD", date_of_birth="1980-01-01"
            ),
        )
        assert registered.status_code == 201, registered.text  # NJ geolocates logins, not this
        before = footprint(db)
        response = c.post(
            "/api/v1/auth/login",
            json={
                "brand": "luckystar",
                "email": "ada@example.com",
                "password": "correct horse battery staple",
            },
            headers={"X-Forwarded-For": ip},
        )
    return response, before


def test_logging_in_to_new_jersey_from_abroad_is_refused_and_opens_no_session(db, clock):
    response, before = _nj_login(db, clock, GB_IP, trust_forwarded_for=True)

    body = assert_problem(response, 403, "compliance.location_mismatch")
    assert body["located"] == "GB"
    assert footprint(db) == before


def test_logging_in_to_new_jersey_from_the_united_states_works(db, clock):
    response, _ = _nj_login(db, clock, US_IP, trust_forwarded_for=True)
    assert response.status_code == 200, response.text


def test_the_forwarded_address_is_ignored_unless_a_trusted_proxy_is_configured(db, clock):
    # trust_forwarded_for is off: the peer is the test client, which has no location.
    response, _ = _nj_login(db, clock, US_IP)
    assert_problem(response, 403, "compliance.location_unknown")


def test_a_bet_from_abroad_is_refused_where_bets_are_geolocated(db, clock):
    player = player_in(db, clock, "US", region="NJ", currency="USD")
    geo = Geolocation()
    with db.unit_of_work() as s:
        abroad = may_bet(s, clock, player.id, Product.SLOTS, UNIT, geolocation=geo, ip=GB_IP)
        home = may_bet(s, clock, player.id, Product.SLOTS, UNIT, geolocation=geo, ip=US_IP)
    assert abroad.code == "compliance.location_mismatch"
    assert home.allowed

"""Geolocation with real GeoIP databases: the country database the geoip2fast package ships,
and the GeoLite2 City database of the maxminddb-geolite2 package (MaxMind DB format, July 2018)
for US states and Canadian provinces. The request's country (and state or province) must be
the jurisdiction's where the jurisdiction requires it; unknown fails closed."""

from __future__ import annotations

import pytest

from croupier.kernel.jurisdictions import Checkpoint, Product, jurisdiction
from croupier.policy.compliance import may_bet
from croupier.policy.compliance.geo import Geolocation, locate
from tests.core.players.player_fixtures import assert_problem, footprint, make_brand, registration
from tests.http_fixtures import make_client
from tests.policy.policy_fixtures import UNIT, player_in

US_IP, GB_IP, CA_IP = "8.8.8.8", "81.2.69.142", "24.48.0.1"
# Placed by the pinned GeoLite2 City database (2018.703): Rutherford NJ, Philadelphia PA,
# Mississauga ON, Montreal QC.
NJ_IP, PA_IP, ON_IP, QC_IP = "3.85.0.10", "3.103.32.10", "4.16.48.10", "4.28.136.10"


@pytest.fixture(scope="module")
def city_db() -> str:
    import _maxminddb_geolite2

    return str(_maxminddb_geolite2.geolite2_database())


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
    ("ip", "country", "region"),
    [(NJ_IP, "US", "NJ"), (PA_IP, "US", "PA"), (ON_IP, "CA", "ON"), (QC_IP, "CA", "QC"),
     (GB_IP, "GB", "ENG")],
)  # fmt: skip
def test_a_city_database_locates_states_and_provinces(city_db, ip, country, region):
    where = locate(ip, city_db)
    assert (where.country, where.region, where.private) == (country, region, False)


def test_the_city_database_knows_private_and_malformed_addresses(city_db):
    assert locate("10.1.2.3", city_db).private
    assert locate("127.0.0.1", city_db).country is None
    assert locate("not-an-ip", city_db).country is None
    assert locate("2001:db8::1", city_db).country is None


@pytest.mark.parametrize(
    ("jurisdiction_code", "ip", "code"),
    [
        ("US-NJ", NJ_IP, None),
        ("US-NJ", PA_IP, "compliance.location_mismatch"),  # the next state is abroad
        ("US-PA", PA_IP, None),
        ("US-PA", NJ_IP, "compliance.location_mismatch"),
        ("CA-ON", ON_IP, None),
        ("CA-ON", QC_IP, "compliance.location_mismatch"),
        ("CA-ON", US_IP, "compliance.location_mismatch"),
        ("US-NJ", GB_IP, "compliance.location_mismatch"),
    ],
)
def test_a_state_licence_needs_the_request_in_that_state(city_db, jurisdiction_code, ip, code):
    rules = jurisdiction(jurisdiction_code)
    refusal = Geolocation(data_file=city_db).check(rules, Checkpoint.LOGIN, ip)
    assert (refusal.code if refusal else None) == code


def test_a_country_database_cannot_place_a_request_in_a_state_so_it_fails_closed():
    # The shipped country database says "US" for a New Jersey address: not enough for NJ.
    refusal = Geolocation().check(NJ, Checkpoint.LOGIN, US_IP)
    assert refusal.code == "compliance.location_unknown"
    assert refusal.extra["located"] == "US"


@pytest.mark.parametrize(
    ("ip", "allow_private", "code"),
    [
        (NJ_IP, False, None),
        (PA_IP, False, "compliance.location_mismatch"),
        (GB_IP, False, "compliance.location_mismatch"),
        ("127.0.0.1", False, "compliance.location_unknown"),
        ("127.0.0.1", True, None),
        (None, True, "compliance.location_unknown"),
    ],
)
def test_new_jersey_requires_a_location_in_new_jersey(city_db, ip, allow_private, code):
    assert Checkpoint.LOGIN in NJ.geolocation_checked_at
    refusal = Geolocation(data_file=city_db, allow_private=allow_private).check(
        NJ, Checkpoint.LOGIN, ip
    )
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


def test_logging_in_to_new_jersey_from_another_state_is_refused_and_opens_no_session(
    db, clock, city_db
):
    response, before = _nj_login(
        db, clock, PA_IP, trust_forwarded_for=True, geoip_data_file=city_db
    )

    body = assert_problem(response, 403, "compliance.location_mismatch")
    assert body["located"] == "US-PA"
    assert footprint(db) == before


def test_logging_in_to_new_jersey_from_new_jersey_works(db, clock, city_db):
    response, _ = _nj_login(db, clock, NJ_IP, trust_forwarded_for=True, geoip_data_file=city_db)
    assert response.status_code == 200, response.text


def test_the_forwarded_address_is_ignored_unless_a_trusted_proxy_is_configured(db, clock, city_db):
    # trust_forwarded_for is off: the peer is the test client, which has no location.
    response, _ = _nj_login(db, clock, NJ_IP, geoip_data_file=city_db)
    assert_problem(response, 403, "compliance.location_unknown")


def test_a_bet_from_abroad_is_refused_where_bets_are_geolocated(db, clock, city_db):
    player = player_in(db, clock, "US", region="NJ", currency="USD")
    geo = Geolocation(data_file=city_db)
    with db.unit_of_work() as s:
        abroad = may_bet(s, clock, player.id, Product.SLOTS, UNIT, geolocation=geo, ip=GB_IP)
        next_door = may_bet(s, clock, player.id, Product.SLOTS, UNIT, geolocation=geo, ip=PA_IP)
        home = may_bet(s, clock, player.id, Product.SLOTS, UNIT, geolocation=geo, ip=NJ_IP)
    assert abroad.code == "compliance.location_mismatch"
    assert next_door.code == "compliance.location_mismatch"
    assert home.allowed

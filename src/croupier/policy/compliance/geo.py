"""Geolocation: where a request comes from, against the player's declared jurisdiction.

The client IP (``kernel.web.client_ip``: the socket's peer, or the first ``X-Forwarded-For``
hop only when ``CROUPIER_TRUST_FORWARDED_FOR`` says a trusted proxy sets it) is located in a
GeoIP database. By default that is the country database GeoIP2Fast's PyPI package ships
(derived from MaxMind GeoLite2, updated with each release). ``CROUPIER_GEOIP_DATA_FILE`` points
at another: a MaxMind DB file (``.mmdb``: GeoIP2 or GeoLite2 City, the format operators
license) read with MaxMind's own reader, or a GeoIP2Fast data file.

Where the jurisdiction requires it at a checkpoint (``geolocation_checked_at``: registration,
login, deposit, bet), the request's country must be the jurisdiction's, and for a US state or
a Canadian province (``region`` in the rule base) the request's subdivision must be that
region; otherwise the request is refused with ``compliance.location_mismatch``. A location
that cannot be established is refused with ``compliance.location_unknown`` (fail closed), and
so is a state or province licence checked with a database that knows countries only: being in
the United States says nothing about being in New Jersey. (State regulators also expect device
location, e.g. GPS or Wi-Fi through a geolocation vendor; an IP database is the first line.)

In dev and test, private and loopback addresses (a developer's machine, the test client) pass
without a location; in production they fail closed like any unknown location.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import maxminddb
from geoip2fast import GeoIP2Fast

from croupier.kernel.errors import DomainError
from croupier.kernel.jurisdictions import (
    Checkpoint,
    Jurisdiction,
    LocationMismatch,
    LocationUnknown,
)


@dataclass(frozen=True, slots=True)
class Location:
    ip: str
    country: str | None  # ISO 3166-1 alpha-2
    region: str | None  # ISO 3166-2 subdivision, with a city database only
    private: bool


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _database(data_file: str | None) -> GeoIP2Fast:
    with _lock:
        if data_file:
            return GeoIP2Fast(geoip2fast_data_file=data_file, verbose=False)
        return GeoIP2Fast(verbose=False)


@lru_cache(maxsize=4)
def _maxmind(data_file: str) -> Any:
    # MODE_AUTO memory-maps the file (or uses the C extension): lookups share one copy.
    return maxminddb.open_database(data_file)


def _is_maxmind(data_file: str | None) -> bool:
    return data_file is not None and data_file.endswith(".mmdb")


def locate(ip: str, data_file: str | None = None) -> Location:
    """Where ``ip`` is, as far as the database knows."""
    if _is_maxmind(data_file):
        assert data_file is not None
        return _locate_maxmind(ip, data_file)
    try:
        found = _database(data_file).lookup(ip)
    except Exception:
        return Location(ip, None, None, private=False)
    country = found.country_code if found.country_code and found.country_code != "--" else None
    details = found.to_dict().get("city") or {}
    region = details.get("subdivision_code") if isinstance(details, dict) else None
    return Location(ip, country, region or None, private=bool(found.is_private))


def _locate_maxmind(ip: str, data_file: str) -> Location:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return Location(ip, None, None, private=False)
    private = address.is_private or address.is_loopback
    try:
        record = _maxmind(data_file).get(ip)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return Location(ip, None, None, private=private)
    country = (record.get("country") or {}).get("iso_code")
    subdivisions = record.get("subdivisions") or []
    region = subdivisions[0].get("iso_code") if subdivisions else None
    return Location(ip, country or None, region or None, private=private)


@dataclass(frozen=True, slots=True)
class Geolocation:
    """The geolocation policy of a deployment."""

    data_file: str | None = None
    allow_private: bool = False  # dev and test only

    def check(
        self, rules: Jurisdiction, checkpoint: Checkpoint, ip: str | None
    ) -> DomainError | None:
        """None when the request may go on; the refusal otherwise."""
        if checkpoint not in rules.geolocation_checked_at:
            return None
        place = locate(ip, self.data_file) if ip else None
        if place is None or place.country is None:
            if place is not None and place.private and self.allow_private:
                return None
            return LocationUnknown(
                f"{rules.name} requires the player's location at {checkpoint.value}; "
                "it could not be established.",
                checkpoint=checkpoint.value,
            )
        if rules.region is not None and place.country == rules.country and place.region is None:
            return LocationUnknown(
                f"{rules.name} requires the player's location at {checkpoint.value}; the GeoIP "
                f"database places the request in {place.country} without a state or province.",
                checkpoint=checkpoint.value,
                located=place.country,
            )
        if place.country != rules.country or (
            rules.region is not None and place.region != rules.region
        ):
            return LocationMismatch(
                f"{rules.name} players must be in {rules.name} at {checkpoint.value}.",
                located=place.country + (f"-{place.region}" if place.region else ""),
                checkpoint=checkpoint.value,
            )
        return None

"""Geolocation: where a request comes from, against the player's declared jurisdiction.

The client IP (``kernel.web.client_ip``: the socket's peer, or the first ``X-Forwarded-For``
hop only when ``CROUPIER_TRUST_FORWARDED_FOR`` says a trusted proxy sets it) is located with
GeoIP2Fast and the country database its PyPI package ships (derived from MaxMind GeoLite2,
updated with each release). Where the jurisdiction requires it at a checkpoint
(``geolocation_checked_at``: registration, login, deposit, bet), the request's country must be
the jurisdiction's country; otherwise it is refused with ``compliance.location_mismatch``, and a
location that cannot be established is refused with ``compliance.location_unknown`` (fail
closed). The shipped database has countries only: a US state or a Canadian province cannot be
checked with it. Point ``CROUPIER_GEOIP_DATA_FILE`` at a GeoIP2Fast city database to add them.

In dev and test, private and loopback addresses (a developer's machine, the test client) pass
without a location; in production they fail closed like any unknown location.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

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


def locate(ip: str, data_file: str | None = None) -> Location:
    """Where ``ip`` is, as far as the database knows."""
    try:
        found = _database(data_file).lookup(ip)
    except Exception:
        return Location(ip, None, None, private=False)
    country = found.country_code if found.country_code and found.country_code != "--" else None
    details = found.to_dict().get("city") or {}
    region = details.get("subdivision_code") if isinstance(details, dict) else None
    return Location(ip, country, region or None, private=bool(found.is_private))


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
        if place.country != rules.country or (
            rules.region is not None and place.region is not None and place.region != rules.region
        ):
            return LocationMismatch(
                f"{rules.name} players must be in {rules.name} at {checkpoint.value}.",
                located=place.country + (f"-{place.region}" if place.region else ""),
                checkpoint=checkpoint.value,
            )
        return None

"""Jurisdictions: the rules a player's place of residence imposes on accounts and sessions.

This is the part of the jurisdiction rule base that accounts and sessions need (minimum age,
login lock, inactivity timeout, periodic re-authentication). Figures come from
``shared/REGULATION.md``; they are data, not code, so a lab can read them in one table and an
operator can check them against the regulator's current text. Limits, exclusion registers and
the rest of each jurisdiction's rules belong to the compliance module.

A jurisdiction is a country, or a region of a country where gambling is regulated by region
(Ontario in Canada, New Jersey in the United States): those countries need the region.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from croupier.kernel.errors import DomainError


class UnknownJurisdiction(DomainError):
    code = "jurisdiction.unknown"
    status = 422
    title = "No jurisdiction is known for this country and region"


class RegionRequired(DomainError):
    code = "jurisdiction.region_required"
    status = 422
    title = "This country regulates gambling by region: the region is required"


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """One regulator's rules for accounts and sessions."""

    code: str  # "MT", or "CA-ON" for a region (ISO 3166-2)
    name: str
    regulator: str
    country: str  # ISO 3166-1 alpha-2
    region: str | None  # ISO 3166-2 subdivision code without the country, e.g. "ON"
    minimum_age: int
    # GLI-19 §2.5.3: lock after this many failed logins within the window.
    login_lock_attempts: int = 3
    login_lock_window: timedelta = timedelta(minutes=30)
    # GLI-19 §2.5.4: re-authenticate after this long without activity.
    inactivity_timeout: timedelta = timedelta(minutes=30)
    # A session never lives longer than this: full re-authentication.
    reauthentication_period: timedelta = timedelta(days=30)


def _j(
    code: str, name: str, regulator: str, minimum_age: int, **rules: timedelta | int
) -> Jurisdiction:
    country, _, region = code.partition("-")
    return Jurisdiction(
        code=code,
        name=name,
        regulator=regulator,
        country=country,
        region=region or None,
        minimum_age=minimum_age,
        **rules,  # type: ignore[arg-type]
    )


JURISDICTIONS: Final[dict[str, Jurisdiction]] = {
    j.code: j
    for j in (
        _j("MT", "Malta", "Malta Gaming Authority", 18),
        _j("GB", "Great Britain", "UK Gambling Commission", 18),
        _j("CA-ON", "Ontario", "AGCO / iGaming Ontario", 19),
        _j("US-NJ", "New Jersey", "NJ Division of Gaming Enforcement", 21),
        _j("SE", "Sweden", "Spelinspektionen", 18),
        _j("DE", "Germany", "GGL", 18),
        _j("DK", "Denmark", "Spillemyndigheden", 18),
        _j("ES", "Spain", "DGOJ", 18),
        _j("BR", "Brazil", "SPA/MF", 18),
    )
}

# Countries whose gambling is regulated by region: a player there must give the region.
REGIONAL_COUNTRIES: Final = frozenset(j.country for j in JURISDICTIONS.values() if j.region)


def jurisdiction(code: str) -> Jurisdiction:
    """The jurisdiction with this code, or ``jurisdiction.unknown``."""
    try:
        return JURISDICTIONS[code]
    except KeyError:
        raise UnknownJurisdiction(f"Unknown jurisdiction {code!r}.", jurisdiction=code) from None


def jurisdiction_of_residence(country: str, region: str | None) -> Jurisdiction:
    """The jurisdiction a player living in ``country`` (and ``region``) falls under."""
    country = country.upper()
    if country in REGIONAL_COUNTRIES:
        if not region:
            raise RegionRequired(
                f"Players in {country} must give their region (e.g. ON, NJ).", country=country
            )
        code = f"{country}-{region.upper()}"
    else:
        code = country
    if code not in JURISDICTIONS:
        raise UnknownJurisdiction(
            f"croupier has no rules for {code!r} yet.", country=country, region=region
        )
    return JURISDICTIONS[code]

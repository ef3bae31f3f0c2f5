"""The jurisdiction rule base: each regulator's rules as a data file with a source per figure.

``data/<CODE>.toml`` holds one jurisdiction (``rules.Jurisdiction`` is its shape). A
jurisdiction is a country, or a region of a country where gambling is regulated by region
(Ontario in Canada; New Jersey, Pennsylvania and Michigan in the United States): those
countries need the region. The files load once, when the process starts; a file that does not
validate stops the process with its name and the reason.
"""

from __future__ import annotations

from typing import Final

from croupier.kernel.errors import DomainError, Forbidden, ServiceUnavailable
from croupier.kernel.jurisdictions.loader import (
    DATA_FOLDER,
    JurisdictionDataError,
    load_jurisdiction,
    load_jurisdictions,
)
from croupier.kernel.jurisdictions.rules import (
    FIGURES,
    Checkpoint,
    Jurisdiction,
    KycLevel,
    LimitKind,
    LimitPeriod,
    Product,
)


class UnknownJurisdiction(DomainError):
    code = "jurisdiction.unknown"
    status = 422
    title = "No jurisdiction is known for this country and region"


class RegionRequired(DomainError):
    code = "jurisdiction.region_required"
    status = 422
    title = "This country regulates gambling by region: the region is required"


class RegisterUnavailable(ServiceUnavailable):
    # Raised by the compliance module's register checks; here so that every layer can name it.
    code = "compliance.register_unavailable"
    title = "The national exclusion register cannot be reached; the check fails closed"


class NationallyExcluded(Forbidden):
    code = "compliance.nationally_excluded"
    title = "The person is excluded from gambling by the national register"


class LocationMismatch(Forbidden):
    code = "compliance.location_mismatch"
    title = "The request does not come from the player's jurisdiction"


class LocationUnknown(Forbidden):
    code = "compliance.location_unknown"
    title = "The request's location cannot be established where the jurisdiction requires it"


class JurisdictionNotFound(DomainError):
    code = "jurisdiction.not_found"
    status = 404
    title = "No such jurisdiction"


JURISDICTIONS: Final[dict[str, Jurisdiction]] = load_jurisdictions()

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


__all__ = [
    "DATA_FOLDER",
    "FIGURES",
    "JURISDICTIONS",
    "REGIONAL_COUNTRIES",
    "Checkpoint",
    "Jurisdiction",
    "JurisdictionDataError",
    "JurisdictionNotFound",
    "KycLevel",
    "LimitKind",
    "LimitPeriod",
    "LocationMismatch",
    "LocationUnknown",
    "NationallyExcluded",
    "Product",
    "RegionRequired",
    "RegisterUnavailable",
    "UnknownJurisdiction",
    "jurisdiction",
    "jurisdiction_of_residence",
    "load_jurisdiction",
    "load_jurisdictions",
]

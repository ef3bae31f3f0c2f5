"""Game providers and the game catalogue: registering providers and their games, listing them.

The catalogue lists the games of every registered provider and, as provider ``croupier``, the
in-house titles of the game server (read from ``croupier.products.rgs.service``, not stored
here, so they can never drift from what the game server plays).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import urlsplit

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.core import gamecontrol
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import JURISDICTIONS
from croupier.products.aggregation import errors
from croupier.products.aggregation.countries import ISO_COUNTRIES
from croupier.products.aggregation.models import GameProvider, ProviderGame
from croupier.products.rgs.service import in_house_titles

IN_HOUSE_PROVIDER: Final = gamecontrol.IN_HOUSE_PROVIDER  # the in-house titles' provider
# Protocols with an adapter (croupier.products.aggregation.caleta and .hub88).
PROTOCOLS: Final = ("caleta", "hub88")
CATEGORIES: Final = ("slots", "table", "live", "crash", "instant", "video-poker", "other")
MIN_RSA_BITS: Final = 2048
MAX_LAUNCH_URL_LENGTH: Final = 500

_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# The in-house mechanics as catalogue categories; anything new falls back to "other".
_MECHANIC_CATEGORY: Final = {
    "slots": "slots",
    "crash": "crash",
    "video-poker": "video-poker",
    **dict.fromkeys(
        ("dice", "limbo", "mines", "plinko", "keno", "wheel", "tower", "hilo"), "instant"
    ),
    **dict.fromkeys(
        (
            "roulette",
            "baccarat",
            "blackjack",
            "dragon-tiger",
            "casino-war",
            "sic-bo",
            "red-dog",
            "andar-bahar",
            "three-card-poker",
        ),
        "table",
    ),
}


@dataclass(frozen=True, slots=True)
class ProviderView:
    name: str
    protocol: str
    public_key_sha256: str | None  # None for the in-house provider: it signs nothing
    enabled: bool
    launch_url: str | None  # None: its games cannot be launched (in-house: not launched)
    created_at: datetime | None


@dataclass(frozen=True, slots=True)
class CatalogueGame:
    # What to put in /api/v1/games/{id}: the in-house title's code (…/rounds), or the provider
    # game's id (…/launch).
    id: str
    provider: str
    code: str
    name: str
    category: str
    rtp: str | None  # percent, exact decimal text
    jurisdictions: list[str]  # empty: not restricted by the catalogue
    blocked_countries: list[str]
    in_house: bool
    enabled: bool  # the provider is enabled


def _provider_view(row: GameProvider) -> ProviderView:
    return ProviderView(
        name=row.name,
        protocol=row.protocol,
        public_key_sha256=row.public_key_sha256,
        enabled=row.enabled,
        launch_url=row.launch_url,
        created_at=row.created_at,
    )


def _check_provider_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise errors.InvalidProviderName(
            f"{name!r} is not a valid provider name (it appears in URLs).", name=name
        )
    if name == IN_HOUSE_PROVIDER:
        raise errors.ProviderNameReserved(
            f"{name!r} is the in-house game server's name in the catalogue.", name=name
        )
    return name


def _check_protocol(protocol: str) -> str:
    if protocol in PROTOCOLS:
        return protocol
    raise errors.UnsupportedProtocol(
        f"croupier has no adapter for the {protocol!r} protocol.",
        protocol=protocol,
        supported=list(PROTOCOLS),
    )


def check_launch_url(url: str, *, allow_http: bool) -> str:
    """An absolute https URL with a host and no fragment (http only where ``allow_http``,
    i.e. outside production: the launch URL carries the player's session token)."""
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if (
        len(url) > MAX_LAUNCH_URL_LENGTH
        or parts.scheme not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.fragment
        or not url.isprintable()
        or any(c.isspace() for c in url)
    ):
        raise errors.InvalidLaunchUrl(
            f"{url!r} is not an absolute {' or '.join(schemes)} URL without a fragment "
            f"(at most {MAX_LAUNCH_URL_LENGTH} characters).",
            schemes=list(schemes),
        )
    return url


def public_key_fingerprint(public_key_pem: str | bytes) -> tuple[str, str]:
    """The key's normalized PEM and the SHA-256 of its DER SubjectPublicKeyInfo, after checking
    that it is an RSA public key of at least 2048 bits (the provider signs with RSA-SHA256)."""
    data = public_key_pem.encode() if isinstance(public_key_pem, str) else public_key_pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise errors.InvalidPublicKey("The file holds no PEM public key.") from None
    if not isinstance(key, RSAPublicKey):
        raise errors.InvalidPublicKey(
            f"The key is a {type(key).__name__.removeprefix('_')}, not an RSA public key."
        )
    if key.key_size < MIN_RSA_BITS:
        raise errors.PublicKeyTooShort(
            f"The RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required.",
            bits=key.key_size,
        )
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return pem, hashlib.sha256(der).hexdigest()


def add_provider(
    session: Session,
    clock: Clock,
    *,
    name: str,
    protocol: str,
    public_key_pem: str | bytes,
    launch_url: str | None = None,
    allow_http_launch_url: bool = False,
    actor: str,
) -> ProviderView:
    """Register a game provider with the public key that verifies its signatures and, to
    launch its games, the URL players are sent to (audited)."""
    name = _check_provider_name(name)
    protocol = _check_protocol(protocol)
    if launch_url is not None:
        launch_url = check_launch_url(launch_url, allow_http=allow_http_launch_url)
    pem, fingerprint = public_key_fingerprint(public_key_pem)
    if session.scalar(select(GameProvider.id).where(GameProvider.name == name)) is not None:
        raise errors.ProviderExists(f"Provider {name!r} is registered already.", name=name)
    row = GameProvider(
        id=new_id("gpr"),
        name=name,
        protocol=protocol,
        public_key_pem=pem,
        public_key_sha256=fingerprint,
        enabled=True,
        launch_url=launch_url,
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():  # two adds at once: the unique name decides
            session.add(row)
    except IntegrityError:
        raise errors.ProviderExists(
            f"Provider {name!r} is registered already.", name=name
        ) from None
    record_event(
        session,
        clock,
        actor=actor,
        action="provider.added",
        subject_type="game_provider",
        subject_id=row.id,
        after={
            "name": name,
            "protocol": protocol,
            "public_key_sha256": fingerprint,
            "launch_url": launch_url,
        },
    )
    return _provider_view(row)


def list_providers(session: Session) -> list[ProviderView]:
    """The in-house provider, then every registered provider by name."""
    rows = session.scalars(select(GameProvider).order_by(GameProvider.name))
    in_house = ProviderView(IN_HOUSE_PROVIDER, "in-house", None, True, None, None)
    return [in_house, *(_provider_view(r) for r in rows)]


def _provider(session: Session, name: str) -> GameProvider:
    row = session.scalar(select(GameProvider).where(GameProvider.name == name))
    if row is None:
        raise errors.ProviderNotFound(f"No game provider {name!r}.", provider=name)
    return row


def require_game(session: Session, provider: str, code: str) -> None:
    """Refuse unless the catalogue has this game (``code`` ``*``: unless the provider exists).
    Game control names games by provider and code; a mistyped one would control nothing."""
    if provider == IN_HOUSE_PROVIDER:
        known = code == gamecontrol.ALL or any(t.code == code for t in in_house_titles())
    else:
        owner = _provider(session, provider)
        known = (
            code == gamecontrol.ALL
            or session.scalar(
                select(ProviderGame.id).where(
                    ProviderGame.provider_id == owner.id, ProviderGame.code == code
                )
            )
            is not None
        )
    if not known:
        raise errors.GameNotFound(
            f"Provider {provider!r} has no game {code!r}.", provider=provider, game_code=code
        )


def _check_category(category: str) -> str:
    if category not in CATEGORIES:
        raise errors.UnknownCategory(
            f"Unknown category {category!r}.", category=category, categories=list(CATEGORIES)
        )
    return category


def _check_rtp(rtp: str | None) -> str | None:
    if rtp is None:
        return None
    try:
        value = Decimal(rtp.strip())
    except InvalidOperation:
        raise errors.InvalidRtp(f"{rtp!r} is not a decimal number.") from None
    exponent = value.as_tuple().exponent
    if (
        not value.is_finite()
        or not 0 < value <= 100
        or (isinstance(exponent, int) and exponent < -6)
    ):
        raise errors.InvalidRtp(f"{rtp!r} is not a percentage above 0, at most 100, 6 decimals.")
    text = format(value.normalize(), "f")
    return text


def _check_jurisdictions(codes: list[str]) -> list[str]:
    normalized = sorted({c.strip().upper() for c in codes})
    for code in normalized:
        if code not in JURISDICTIONS:
            raise errors.UnknownJurisdiction(
                f"croupier has no rules for jurisdiction {code!r}.", jurisdiction=code
            )
    return normalized


def _check_countries(codes: list[str]) -> list[str]:
    normalized = sorted({c.strip().upper() for c in codes})
    for code in normalized:
        if code not in ISO_COUNTRIES:
            raise errors.UnknownCountry(f"{code!r} is not an ISO 3166-1 country.", country=code)
    return normalized


def add_game(
    session: Session,
    clock: Clock,
    *,
    provider: str,
    code: str,
    name: str,
    category: str = "other",
    rtp: str | None = None,
    jurisdictions: list[str] | None = None,
    blocked_countries: list[str] | None = None,
    actor: str,
) -> CatalogueGame:
    """Add a provider's game to the catalogue (audited). The in-house provider's games come
    from the game server and cannot be added here."""
    if provider == IN_HOUSE_PROVIDER:
        raise errors.ProviderNameReserved(
            "The in-house titles are listed from the game server, not added by hand.",
            name=provider,
        )
    if not _CODE.fullmatch(code):
        raise errors.InvalidGameCode(f"{code!r} is not a valid game code.", game_code=code)
    name = name.strip()
    if not name or len(name) > 120 or not name.isprintable():
        raise errors.InvalidGameName(f"{name!r} is not a valid game name.")
    category = _check_category(category)
    rtp = _check_rtp(rtp)
    allowed = _check_jurisdictions(jurisdictions or [])
    blocked = _check_countries(blocked_countries or [])
    owner = _provider(session, provider)
    taken = select(ProviderGame.id).where(
        ProviderGame.provider_id == owner.id, ProviderGame.code == code
    )
    if session.scalar(taken) is not None:
        raise errors.GameExists(
            f"Provider {provider!r} has a game {code!r} already.", provider=provider, game_code=code
        )
    row = ProviderGame(
        id=new_id("pgm"),
        provider_id=owner.id,
        code=code,
        name=name,
        category=category,
        rtp=rtp,
        jurisdictions=json.dumps(allowed),
        blocked_countries=json.dumps(blocked),
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():  # two adds at once: the unique code decides
            session.add(row)
    except IntegrityError:
        raise errors.GameExists(
            f"Provider {provider!r} has a game {code!r} already.", provider=provider, game_code=code
        ) from None
    game = _catalogue_game(owner, row)
    record_event(
        session,
        clock,
        actor=actor,
        action="provider_game.added",
        subject_type="provider_game",
        subject_id=row.id,
        after={
            "provider": provider,
            "code": code,
            "name": name,
            "category": category,
            "rtp": rtp,
            "jurisdictions": allowed,
            "blocked_countries": blocked,
        },
    )
    return game


def _catalogue_game(provider: GameProvider, row: ProviderGame) -> CatalogueGame:
    return CatalogueGame(
        id=row.id,
        provider=provider.name,
        code=row.code,
        name=row.name,
        category=row.category,
        rtp=row.rtp,
        jurisdictions=json.loads(row.jurisdictions),
        blocked_countries=json.loads(row.blocked_countries),
        in_house=False,
        enabled=provider.enabled,
    )


def catalogue(
    session: Session,
    *,
    provider: str | None = None,
    category: str | None = None,
    include_disabled: bool = False,
) -> list[CatalogueGame]:
    """The games of the catalogue by provider and code: the in-house titles as provider
    ``croupier``, then the registered providers' games. Games of disabled providers are left
    out unless ``include_disabled``."""
    if category is not None:
        _check_category(category)
    games: list[CatalogueGame] = []
    if provider in (None, IN_HOUSE_PROVIDER):
        games.extend(
            CatalogueGame(
                id=t.code,
                provider=IN_HOUSE_PROVIDER,
                code=t.code,
                name=t.name,
                category=_MECHANIC_CATEGORY.get(t.mechanic, "other"),
                rtp=None,  # per configuration: `croupier games list` / `games math`
                jurisdictions=[],
                blocked_countries=[],
                in_house=True,
                enabled=True,
            )
            for t in in_house_titles()
        )
    if provider != IN_HOUSE_PROVIDER:
        query = select(GameProvider, ProviderGame).join(
            ProviderGame, ProviderGame.provider_id == GameProvider.id
        )
        if provider is not None:
            query = query.where(GameProvider.id == _provider(session, provider).id)
        if not include_disabled:
            query = query.where(GameProvider.enabled.is_(True))
        rows = session.execute(query.order_by(GameProvider.name, ProviderGame.code))
        games.extend(_catalogue_game(p, g) for p, g in rows)
    if category is not None:
        games = [g for g in games if g.category == category]
    return sorted(games, key=lambda g: (not g.in_house, g.provider, g.code))

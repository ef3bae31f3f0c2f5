"""Game sessions: launching a provider's game for a player, and resolving the token the
provider then presents to our wallet.

A launch checks what the catalogue, game control and policy say about this player and this
game (the provider is enabled, the game is offered in the player's jurisdiction and not blocked
in their country, neither it nor all gaming is disabled for the player (``check_play``), and
``croupier.policy.compliance.may_play``), then issues a session whose
token is 32 random bytes; only its SHA-256 is stored. A newer session of the same player at
the same provider supersedes the older ones for bets only: wins and rollbacks of rounds the
older session opened are still accepted until it expires (GLI-19 §4.15: open rounds finish).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from croupier.core.gamecontrol import check_play
from croupier.core.players import get_player
from croupier.core.players.models import Player
from croupier.core.wallet import available_of
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.db import one_of, read_together
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import Product
from croupier.policy.compliance import may_play
from croupier.products.aggregation import errors
from croupier.products.aggregation.models import GameProvider, GameSession, ProviderGame
from croupier.products.aggregation.service import IN_HOUSE_PROVIDER
from croupier.products.rgs.games.catalogue import TITLES

SESSION_LIFETIME: Final = timedelta(hours=8)
TOKEN_BYTES: Final = 32
LAUNCH_LANGUAGE: Final = "en"


@dataclass(frozen=True, slots=True)
class GameSessionView:
    id: str
    player_id: str
    provider: str
    game_id: str
    game_code: str
    created_at: datetime
    expires_at: datetime
    superseded_at: datetime | None


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new session with its token: the only time the token exists in clear."""

    session: GameSessionView
    token: str


@dataclass(frozen=True, slots=True)
class LaunchedGame:
    """A new session with its token, and the provider's URL to send the player to."""

    session: GameSessionView
    token: str
    launch_url: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _product(category: str) -> Product:
    """What policy licenses: slots and live casino are their own products, the rest casino."""
    if category == "slots":
        return Product.SLOTS
    if category == "live":
        return Product.LIVE
    return Product.CASINO


class _CatalogueProvider(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def enabled(self) -> bool: ...


class _CatalogueGame(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def jurisdictions(self) -> str: ...
    @property
    def blocked_countries(self) -> str: ...


def _check_catalogue(
    provider: _CatalogueProvider, game: _CatalogueGame, jurisdiction: str, country: str
) -> None:
    """The catalogue's part: the provider is enabled, the game offered in the player's
    jurisdiction and not blocked in their country."""
    if not provider.enabled:
        raise errors.ProviderDisabled(
            f"Provider {provider.name!r} is disabled.", provider=provider.name
        )
    allowed: list[str] = json.loads(game.jurisdictions)
    if allowed and jurisdiction not in allowed:
        raise errors.GameNotOfferedInJurisdiction(
            f"{game.code} is not offered in {jurisdiction}.", jurisdiction=jurisdiction
        )
    blocked: list[str] = json.loads(game.blocked_countries)
    if country in blocked:
        raise errors.GameBlockedInCountry(
            f"{game.code} must not be offered in {country}.", country=country
        )


def _check_offered(
    session: Session,
    clock: Clock,
    provider: GameProvider,
    game: ProviderGame,
    player_id: str,
    *,
    policy: bool = True,
) -> str:
    """Refuse unless the player may play this game now; answers the player's currency.
    ``policy=False`` checks the catalogue only (the wallet asks game control and policy
    itself, with the stake)."""
    player = get_player(session, player_id, brand_scope=None)
    _check_catalogue(provider, game, player.jurisdiction, player.country)
    if not policy:
        return player.currency
    # GLI-19 §2.4.1: a disabled game, or the kill switch, lets no new session start.
    check_play(
        session,
        clock,
        provider=provider.name,
        game_code=game.code,
        brand_id=player.brand_id,
        jurisdiction=player.jurisdiction,
        currency=player.currency,
        stake=None,
        new_round=True,
    )
    may_play(session, clock, player_id, _product(game.category)).raise_if_refused()
    return player.currency


def _issue(
    session: Session, clock: Clock, provider: GameProvider, game: ProviderGame, player_id: str
) -> tuple[GameSession, str]:
    # Launches of one player are serialized on their row (SQLite serializes every writer), so
    # that of two launches at once exactly one session is left taking bets.
    session.execute(select(Player.id).where(Player.id == player_id).with_for_update())
    now = clock.now()
    session.execute(
        update(GameSession)
        .where(
            GameSession.player_id == player_id,
            GameSession.provider_id == provider.id,
            GameSession.superseded_at.is_(None),
        )
        .values(superseded_at=now)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = GameSession(
        id=new_id("gss"),
        token_sha256=token_digest(token),
        player_id=player_id,
        provider_id=provider.id,
        game_id=game.id,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        superseded_at=None,
    )
    session.add(row)
    session.flush()
    return row, token


def _view(row: GameSession, provider: GameProvider, game: ProviderGame) -> GameSessionView:
    return GameSessionView(
        id=row.id,
        player_id=row.player_id,
        provider=provider.name,
        game_id=game.id,
        game_code=game.code,
        created_at=row.created_at,
        expires_at=row.expires_at,
        superseded_at=row.superseded_at,
    )


def _launch_url(base: str, token: str, game: str, currency: str) -> str:
    parts = urlsplit(base)
    ours = {"token": token, "game": game, "currency": currency, "lang": LAUNCH_LANGUAGE}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ours]
    return urlunsplit(parts._replace(query=urlencode([*query, *ours.items()])))


def _game(session: Session, game_id: str) -> tuple[GameProvider, ProviderGame]:
    if game_id in TITLES:
        raise errors.InHouseTitle(
            f"{game_id} is an in-house title: play it at /api/v1/games/{game_id}/rounds.",
            rounds_url=f"/api/v1/games/{game_id}/rounds",
        )
    found = session.execute(
        select(GameProvider, ProviderGame)
        .join(ProviderGame, ProviderGame.provider_id == GameProvider.id)
        .where(ProviderGame.id == game_id)
    ).one_or_none()
    if found is None:
        raise errors.GameNotFound(f"No provider game {game_id!r}.", game_id=game_id)
    return found[0], found[1]


def launch_game(session: Session, clock: Clock, player_id: str, game_id: str) -> LaunchedGame:
    """Open a session of the player at a provider's game (by its catalogue id) and answer the
    provider's launch URL with the token, the game, the player's currency and language.
    A refusal stores nothing."""
    provider, game = _game(session, game_id)
    if provider.launch_url is None:
        raise errors.ProviderNotLaunchable(
            f"Provider {provider.name!r} has no launch URL.", provider=provider.name
        )
    currency = _check_offered(session, clock, provider, game, player_id)
    row, token = _issue(session, clock, provider, game, player_id)
    record_event(  # the token is never in the trail: only its session's id
        session,
        clock,
        actor=player_id,
        action="game_session.launched",
        subject_type="game_session",
        subject_id=row.id,
        after={"player_id": player_id, "provider": provider.name, "game": game.code},
    )
    url = _launch_url(provider.launch_url, token, game.code, currency)
    return LaunchedGame(_view(row, provider, game), token, url)


def open_sandbox_session(
    session: Session, clock: Clock, *, player_id: str, provider: str, game_code: str, actor: str
) -> IssuedSession:
    """A session for integrators and tests (``croupier dev game-session``): the same checks
    as a launch, by provider name and game code, without needing a launch URL (audited)."""
    if provider == IN_HOUSE_PROVIDER:
        raise errors.InHouseTitle(
            f"{game_code} is an in-house title: play it at /api/v1/games/{game_code}/rounds.",
            rounds_url=f"/api/v1/games/{game_code}/rounds",
        )
    owner = session.scalar(select(GameProvider).where(GameProvider.name == provider))
    if owner is None:
        raise errors.ProviderNotFound(f"No game provider {provider!r}.", provider=provider)
    game = session.scalar(
        select(ProviderGame).where(
            ProviderGame.provider_id == owner.id, ProviderGame.code == game_code
        )
    )
    if game is None:
        raise errors.GameNotFound(
            f"Provider {provider!r} has no game {game_code!r}.",
            provider=provider,
            game_code=game_code,
        )
    _check_offered(session, clock, owner, game, player_id)
    row, token = _issue(session, clock, owner, game, player_id)
    record_event(
        session,
        clock,
        actor=actor,
        action="game_session.issued",
        subject_type="game_session",
        subject_id=row.id,
        after={"player_id": player_id, "provider": provider, "game": game_code},
    )
    return IssuedSession(_view(row, owner, game), token)


@dataclass(frozen=True, slots=True)
class GameRef:
    """What the wallet needs of a catalogue game."""

    id: str
    code: str
    category: str
    jurisdictions: str  # JSON lists, as stored
    blocked_countries: str

    @classmethod
    def of(cls, game: ProviderGame) -> GameRef:
        return cls(game.id, game.code, game.category, game.jurisdictions, game.blocked_countries)


@dataclass(frozen=True, slots=True)
class ProviderRef:
    """A registered game provider, as the wallet checks its calls."""

    id: str
    name: str
    protocol: str
    public_key_pem: str
    public_key_sha256: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class ResolvedSession:
    """A token's session, with what the wallet needs of its player, its game and its
    provider, and the player's available cash when it was read."""

    session: GameSessionView
    player_id: str
    currency: str
    cash_account_id: str
    brand_id: str
    jurisdiction: str
    country: str
    game: GameRef
    provider: ProviderRef
    cash_available: int


_RESOLVE = (
    select(
        GameSession.token_sha256,
        GameSession.id,
        GameSession.player_id,
        GameSession.game_id,
        GameSession.created_at,
        GameSession.expires_at,
        GameSession.superseded_at,
        GameProvider.id.label("provider_id"),
        GameProvider.name,
        GameProvider.protocol,
        GameProvider.public_key_pem,
        GameProvider.public_key_sha256,
        GameProvider.enabled,
        ProviderGame.code,
        ProviderGame.category,
        ProviderGame.jurisdictions,
        ProviderGame.blocked_countries,
        Player.currency,
        Player.cash_account_id,
        Player.brand_id,
        Player.jurisdiction,
        Player.country,
        available_of(Player.cash_account_id).label("cash_available"),
    )
    .join(GameProvider, GameProvider.id == GameSession.provider_id)
    .join(ProviderGame, ProviderGame.id == GameSession.game_id)
    .join(Player, Player.id == GameSession.player_id)
)


def lookup_sessions(
    session: Session, tokens: Iterable[str], *, lock_players: bool = False
) -> dict[str, ResolvedSession]:
    """The sessions of these tokens, by token, in one statement (a batch of wallet calls):
    whatever their age or state, which is the caller's to judge. An unknown token is left
    out of the answer. ``lock_players`` locks their players' rows for the rest of the
    transaction (PostgreSQL; SQLite has one writer anyway), in id order so that two batches
    cannot deadlock: the wallet's calls of one player serialize there."""
    by_digest = {token_digest(token): token for token in tokens}
    if not by_digest:
        return {}
    conn = session.connection()
    statement = _RESOLVE.where(one_of(conn, GameSession.token_sha256, by_digest, name="digests"))
    if lock_players and conn.dialect.name == "postgresql":
        statement = statement.order_by(Player.id).with_for_update(of=Player)
    found: dict[str, ResolvedSession] = {}
    # Often a batch's first statement: read_together sends it with its BEGIN.
    for row in read_together(conn, [statement])[0]:
        view = GameSessionView(
            id=row.id,
            player_id=row.player_id,
            provider=row.name,
            game_id=row.game_id,
            game_code=row.code,
            created_at=row.created_at,
            expires_at=row.expires_at,
            superseded_at=row.superseded_at,
        )
        provider = ProviderRef(
            row.provider_id,
            row.name,
            row.protocol,
            row.public_key_pem,
            row.public_key_sha256,
            row.enabled,
        )
        found[by_digest[row.token_sha256]] = ResolvedSession(
            view,
            row.player_id,
            row.currency,
            row.cash_account_id,
            row.brand_id,
            row.jurisdiction,
            row.country,
            GameRef(row.game_id, row.code, row.category, row.jurisdictions, row.blocked_countries),
            provider,
            row.cash_available,
        )
    return found


def resolve_session(
    session: Session, clock: Clock, token: str, *, for_bet: bool, any_age: bool = False
) -> ResolvedSession:
    """The session a provider's token stands for, in one statement. Unknown and expired
    tokens are refused alike; a superseded session is refused for bets only (its wins and
    rollbacks still come in). ``any_age`` accepts an expired token too: the wallet does so for
    wins and rollbacks, which only ever settle bets that exist (Caleta 1.5, ``token``)."""
    found = lookup_sessions(session, [token]).get(token)
    if found is None or (not any_age and found.session.expires_at <= clock.now()):
        raise errors.GameSessionInvalid("The game session token is unknown or expired.")
    if for_bet and found.session.superseded_at is not None:
        raise errors.GameSessionSuperseded(
            "A newer game session of this player at this provider takes the bets.",
            superseded_at=found.session.superseded_at.isoformat(),
        )
    return found


def reissue(session: Session, clock: Clock, session_id: str) -> IssuedSession:
    """A fresh session for the same player and game, superseding this one for bets (the
    wallet's ``check``)."""
    row, provider, game = session.execute(
        select(GameSession, GameProvider, ProviderGame)
        .join(GameProvider, GameProvider.id == GameSession.provider_id)
        .join(ProviderGame, ProviderGame.id == GameSession.game_id)
        .where(GameSession.id == session_id)
    ).one()
    new_row, token = _issue(session, clock, provider, game, row.player_id)
    return IssuedSession(_view(new_row, provider, game), token)


def check_offered(provider: _CatalogueProvider, game: GameRef, caller: ResolvedSession) -> None:
    """Refuse unless the catalogue offers this game to the token's player now (the provider
    is enabled, the player's jurisdiction and country are allowed); raises the refusal. The
    player's jurisdiction and country come with the token (no read of the player), the
    provider as the caller read it in this transaction. Game control and policy are the
    caller's to ask, with the stake."""
    _check_catalogue(provider, game, caller.jurisdiction, caller.country)


def product_of(category: str) -> Product:
    """The licensed product a game of this catalogue category is."""
    return _product(category)

"""``POST /api/v1/games/{id}/launch`` and game session tokens: superseding, expiry, refusals."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from croupier.core import gamecontrol
from croupier.kernel.clock import SystemClock
from croupier.kernel.models import AuditRecord
from croupier.products.aggregation import errors, service, sessions
from croupier.products.aggregation.models import GameProvider, GameSession
from croupier.products.aggregation.sessions import SESSION_LIFETIME, resolve_session
from tests.core.players.player_fixtures import (
    assert_problem,
    verified_player,
)
from tests.products.aggregation.keys import rsa_public_pem

ACME_URL = "https://games.acme.example/launch?brand=luckystar"


@pytest.fixture
def player(db, clock):
    """A verified Maltese player, logged in."""
    with verified_player(db, clock) as (c, view):
        yield c, view


def _provider_game(db, clock, provider="acme", launch_url=ACME_URL, **game) -> str:
    """A provider with one game; answers the game's id in the catalogue."""
    with db.unit_of_work() as s:
        service.add_provider(
            s,
            clock,
            name=provider,
            protocol="caleta",
            public_key_pem=rsa_public_pem(),
            launch_url=launch_url,
            actor="t",
        )
        added = service.add_game(
            s,
            clock,
            provider=provider,
            code="sweet-7",
            name="Sweet 7",
            category="slots",
            actor="t",
            **game,
        )
    return added.id


def _launch(client, game_id: str):
    return client.post(f"/api/v1/games/{game_id}/launch")


def _sessions(db) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(GameSession))


def _resolve(db, clock, token: str, *, for_bet: bool):
    with db.read_only() as s:
        return resolve_session(s, clock, token, for_bet=for_bet).session


def test_a_launch_answers_the_provider_url_with_a_token_that_resolves_to_the_session(
    db, clock, player
):
    client, view = player
    _provider_game(db, clock)
    [game] = client.get("/api/v1/catalogue/games", params={"provider": "acme"}).json()["games"]

    response = _launch(client, game["id"])

    assert response.status_code == 201, response.text
    body = response.json()
    url = urlsplit(body["launch_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "games.acme.example", "/launch")
    assert parse_qs(url.query) == {
        "brand": ["luckystar"],
        "token": [body["token"]],
        "game": ["sweet-7"],
        "currency": ["EUR"],
        "lang": ["en"],
    }
    assert len(body["token"]) >= 43  # 32 random bytes, url-safe base64
    resolved = _resolve(db, clock, body["token"], for_bet=True)
    assert (resolved.id, resolved.player_id, resolved.provider, resolved.game_code) == (
        body["session_id"],
        view.id,
        "acme",
        "sweet-7",
    )
    assert resolved.expires_at == clock.now() + SESSION_LIFETIME
    with db.read_only() as s:
        row = s.get(GameSession, body["session_id"])
        assert row.token_sha256 == hashlib.sha256(body["token"].encode()).hexdigest()
        assert body["token"] not in (row.id, row.token_sha256)


def test_a_newer_launch_supersedes_the_older_token_for_bets_only(db, clock, player):
    client, _view = player
    game_id = _provider_game(db, clock)
    other_provider_game = _provider_game(
        db, clock, provider="zeta", launch_url="https://zeta.example/play"
    )
    older = _launch(client, game_id).json()
    at_zeta = _launch(client, other_provider_game).json()
    clock.advance(timedelta(minutes=5))

    newer = _launch(client, game_id).json()

    with pytest.raises(errors.GameSessionSuperseded):
        _resolve(db, clock, older["token"], for_bet=True)
    assert _resolve(db, clock, older["token"], for_bet=False).id == older["session_id"]
    assert _resolve(db, clock, newer["token"], for_bet=True).id == newer["session_id"]
    # Another provider's session is not superseded by a launch at acme.
    assert _resolve(db, clock, at_zeta["token"], for_bet=True).superseded_at is None
    with db.read_only() as s:
        assert s.get(GameSession, older["session_id"]).superseded_at == clock.now()


def test_an_expired_or_unknown_token_is_refused_alike(db, clock, player):
    client, _view = player
    token = _launch(client, _provider_game(db, clock)).json()["token"]
    clock.advance(SESSION_LIFETIME - timedelta(seconds=1))
    assert _resolve(db, clock, token, for_bet=True)

    clock.advance(timedelta(seconds=1))

    for for_bet in (True, False):
        with pytest.raises(errors.GameSessionInvalid):
            _resolve(db, clock, token, for_bet=for_bet)
        with pytest.raises(errors.GameSessionInvalid):
            _resolve(db, clock, "not-a-token-we-issued", for_bet=for_bet)


def _disable_acme(db, _client) -> None:
    with db.unit_of_work() as s:
        s.execute(update(GameProvider).where(GameProvider.name == "acme").values(enabled=False))


def _disable_sweet_7(db, _client) -> None:
    with db.unit_of_work() as s:
        gamecontrol.disable_game(
            s, SystemClock(), provider="acme", game_code="sweet-7", scope="jurisdiction",
            scope_value="MT", reason="test", actor="t",
        )  # fmt: skip


def _kill_switch(db, _client) -> None:
    with db.unit_of_work() as s:
        gamecontrol.suspend_gaming(s, SystemClock(), reason="test", actor="t")


def _self_exclude(_db, client) -> None:
    assert client.post("/api/v1/me/self-exclusion", json={"months": 6}).status_code in (200, 201)


def _take_a_break(_db, client) -> None:
    assert client.post("/api/v1/me/timeout", json={"hours": 24}).status_code in (200, 201)


def _log_out(_db, client) -> None:
    del client.headers["Authorization"]


@pytest.mark.parametrize(
    ("game", "prepare", "status", "code"),
    [
        ({}, _disable_acme, 403, "aggregation.provider_disabled"),
        ({}, _disable_sweet_7, 403, "gamecontrol.game_disabled"),
        ({}, _kill_switch, 403, "gamecontrol.gaming_suspended"),
        ({"jurisdictions": ["GB"]}, None, 403, "aggregation.game_not_offered_in_jurisdiction"),
        ({"blocked_countries": ["MT"]}, None, 403, "aggregation.game_blocked_in_country"),
        ({}, _self_exclude, 403, "rg.self_excluded"),
        ({}, _take_a_break, 403, "rg.timed_out"),
        ({"launch_url": None}, None, 409, "aggregation.provider_not_launchable"),
        ({}, _log_out, 401, "auth.not_authenticated"),
    ],
    ids=[
        "disabled-provider",
        "disabled-game",
        "kill-switch",
        "not-in-jurisdiction",
        "blocked-country",
        "self-excluded",
        "timed-out",
        "no-launch-url",
        "unauthenticated",
    ],
)
def test_a_refused_launch_has_a_stable_code_and_stores_no_session(
    db, clock, player, game, prepare, status, code
):
    client, _view = player
    game = dict(game)  # the parameter is shared by both databases' runs
    launch_url = game.pop("launch_url", ACME_URL)
    game_id = _provider_game(db, clock, launch_url=launch_url, **game)
    if prepare is not None:
        prepare(db, client)

    assert_problem(_launch(client, game_id), status, code)
    assert _sessions(db) == 0


def test_an_in_house_title_or_an_unknown_game_is_not_launched(db, clock, player):
    client, _view = player

    in_house = _launch(client, "dice")
    unknown = _launch(client, "pgm_NOSUCHGAME")

    body = assert_problem(in_house, 422, "aggregation.in_house_title")
    assert body["rounds_url"] == "/api/v1/games/dice/rounds"
    assert_problem(unknown, 404, "aggregation.game_not_found")
    assert _sessions(db) == 0


def test_a_provider_launch_url_must_be_https_unless_http_is_allowed(db, clock):
    with db.unit_of_work() as s:
        for url in ("http://games.acme.example/", "ftp://x.example/", "/launch", "https://"):
            with pytest.raises(errors.InvalidLaunchUrl):
                service.add_provider(
                    s,
                    clock,
                    name="acme",
                    protocol="caleta",
                    public_key_pem=rsa_public_pem(),
                    launch_url=url,
                    actor="t",
                )
        view = service.add_provider(
            s,
            clock,
            name="acme",
            protocol="caleta",
            public_key_pem=rsa_public_pem(),
            launch_url="http://127.0.0.1:9000/launch",
            allow_http_launch_url=True,
            actor="t",
        )
    assert view.launch_url == "http://127.0.0.1:9000/launch"


def test_a_launch_is_audited_without_its_token(db, clock, player):
    client, view = player
    body = _launch(client, _provider_game(db, clock)).json()
    with db.read_only() as s:
        [(actor, subject_id, after)] = s.execute(
            select(AuditRecord.actor, AuditRecord.subject_id, AuditRecord.after).where(
                AuditRecord.action == "game_session.launched"
            )
        ).all()
    assert (actor, subject_id) == (view.id, body["session_id"])
    assert body["token"] not in (after or "")


def test_two_launches_at_once_leave_exactly_one_session_taking_bets(db, clock, player):
    _client, view = player
    game_id = _provider_game(db, clock)
    barrier = threading.Barrier(2)

    def launch() -> str:
        barrier.wait(10)
        with db.unit_of_work() as s:
            return sessions.launch_game(s, clock, view.id, game_id).token

    with ThreadPoolExecutor(2) as pool:
        tokens = list(pool.map(lambda _n: launch(), range(2)))
    taking_bets = []
    for token in tokens:
        try:
            _resolve(db, clock, token, for_bet=True)
            taking_bets.append(token)
        except errors.GameSessionSuperseded:
            pass
    assert len(taking_bets) == 1
    with db.read_only() as s:
        live = s.scalar(
            select(func.count())
            .select_from(GameSession)
            .where(GameSession.player_id == view.id, GameSession.superseded_at.is_(None))
        )
    assert live == 1

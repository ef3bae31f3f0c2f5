"""The sportsbook API: the catalogue, a quote, placing a bet, the player's bets, and trading
(suspend, price override, stake factor, result and correction, void, void report,
liability)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from croupier.core.players import activate_player, get_player
from croupier.core.players.models import PlayerSession
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import exposure
from tests.core.players.player_fixtures import assert_problem, logged_in, make_brand, register
from tests.core.wallet.ledger_fixtures import assert_ledger_verifies
from tests.http_fixtures import ServedApp, make_client, operator_token
from tests.policy.policy_fixtures import UNIT, move
from tests.products.sportsbook.book_fixtures import Fixture, fixture

API = "/api/v1/sportsbook"
BO = "/api/v1/backoffice/sportsbook"


@pytest.fixture
def world(db: Database, clock: ManualClock) -> Iterator[tuple[TestClient, Fixture, dict[str, str]]]:
    make_brand(db, clock)
    with make_client(db, clock) as client:
        registered = register(client)
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            player = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, player, "deposit", 100 * UNIT)
        client.headers.update(logged_in(client))
        fx = fixture(db, clock)
        trader = {"Authorization": f"Bearer {operator_token(db, clock, 'trader')}"}
        yield client, fx, trader


def slip(fx: Fixture, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", "slip-1"),
        "kind": "single",
        "selections": [fx.sel("1")],
        "stake_per_line": 10 * UNIT,
        "prices": {fx.sel("1"): fx.price("1")},
        **extra,
    }


def test_a_player_sees_the_catalogue_quotes_places_and_lists_a_bet(
    world: tuple[TestClient, Fixture, dict[str, str]],
) -> None:
    client, fx, _ = world
    events = client.get(f"{API}/events").json()
    assert events[0]["event"]["id"] == fx.event_id
    assert [s["code"] for s in events[0]["markets"][0]["selections"]] == ["1", "X", "2"]
    quote = client.post(
        f"{API}/quote",
        json={"kind": "single", "selections": [fx.sel("1")], "stake_per_line": 10 * UNIT},
    )
    assert quote.status_code == 200, quote.text
    assert quote.json()["potential_return"] == 25 * UNIT
    placed = client.post(f"{API}/bets", json=slip(fx))
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "accepted"
    assert client.get(f"{API}/bets").json()[0]["id"] == placed.json()["id"]
    assert client.get("/api/v1/me").json()["balance"]["available"] == 90 * UNIT


def test_bad_slips_are_problem_documents(
    world: tuple[TestClient, Fixture, dict[str, str]],
) -> None:
    client, fx, _ = world
    assert_problem(
        client.post(f"{API}/bets", json=slip(fx, kind="yankee")),
        422,
        "sportsbook.invalid_leg_count",
    )
    assert_problem(
        client.post(f"{API}/bets", json=slip(fx, kind="nonsense")),
        422,
        "sportsbook.unknown_bet_type",
    )
    assert_problem(
        client.post(f"{API}/bets", json=slip(fx, prices={fx.sel("1"): "3"})),
        409,
        "sportsbook.odds_changed",
    )
    assert_problem(
        client.post(f"{API}/bets", json=slip(fx, stake_per_line=500 * UNIT)),
        422,
        "sportsbook.insufficient_funds",
    )
    assert client.get(f"{API}/bets").json() == []


def test_a_session_ended_after_a_bet_places_no_more_and_moves_nothing(
    world: tuple[TestClient, Fixture, dict[str, str]],
) -> None:
    # The route remembers which player a token belongs to (its rate-limit key); the bet's
    # own unit of work still checks that the session is live.
    client, fx, _ = world
    assert client.post(f"{API}/bets", json=slip(fx)).status_code == 201
    headers = dict(client.headers)
    assert client.post("/api/v1/auth/logout").status_code == 204
    refused = client.post(f"{API}/bets", json=slip(fx, id="slip-2"), headers=headers)
    assert_problem(refused, 401, "auth.session_expired")
    client.headers.update(logged_in(client))
    assert len(client.get(f"{API}/bets").json()) == 1
    assert client.get("/api/v1/me").json()["balance"]["available"] == 90 * UNIT


def test_a_bet_and_a_refused_slip_each_move_their_session_s_clock(
    world: tuple[TestClient, Fixture, dict[str, str]], db: Database, clock: ManualClock
) -> None:
    """The session's use is written with the bet's rows (in the ledger's write pipeline on
    PostgreSQL) and, for a slip refused before any hold, when the unit of work commits."""
    client, fx, _ = world

    def last_seen() -> datetime:
        with db.read_only() as s:
            return s.scalars(select(PlayerSession.last_seen_at)).one()

    clock.advance(timedelta(minutes=10))
    assert client.post(f"{API}/bets", json=slip(fx)).status_code == 201
    assert last_seen() == clock.now()
    clock.advance(timedelta(minutes=10))
    refused = client.post(f"{API}/bets", json=slip(fx, id="slip-2", prices={fx.sel("1"): "3"}))
    assert_problem(refused, 409, "sportsbook.odds_changed")
    assert last_seen() == clock.now()
    assert len(client.get(f"{API}/bets").json()) == 1


def test_a_trader_suspends_overrides_settles_corrects_and_voids(
    world: tuple[TestClient, Fixture, dict[str, str]], clock: ManualClock
) -> None:
    client, fx, trader = world
    market = fx.match_odds.id
    suspended = client.post(
        f"{BO}/markets/{market}/suspend", json={"reason": "team news"}, headers=trader
    )
    assert suspended.json()["status"] == "suspended", suspended.text
    assert_problem(client.post(f"{API}/bets", json=slip(fx)), 422, "sportsbook.market_not_open")
    client.post(f"{BO}/markets/{market}/resume", json={"reason": "news in"}, headers=trader)
    priced = client.put(
        f"{BO}/selections/{fx.sel('1')}/price",
        json={"price": "2.6", "reason": "money on the away side"},
        headers=trader,
    )
    assert priced.json()["odds"] == "2.6", priced.text
    bet = client.post(f"{API}/bets", json=slip(fx, prices={fx.sel("1"): "2.6"})).json()
    assert bet["potential_return"] == 26 * UNIT
    rows = client.get(f"{BO}/events/{fx.event_id}/liability", headers=trader).json()
    home = next(row for row in rows if row["code"] == "1")
    assert (home["stakes"], home["liability"]) == (10 * UNIT, 16 * UNIT)
    settled = client.post(
        f"{BO}/markets/{market}/result",
        json={"result": {"home": 2, "away": 0}, "reason": "full time"},
        headers=trader,
    )
    assert settled.json()["paid"] == 26 * UNIT, settled.text
    corrected = client.post(
        f"{BO}/markets/{market}/result",
        json={"result": {"home": 0, "away": 0}, "reason": "goal disallowed"},
        headers=trader,
    )
    assert (corrected.json()["version"], corrected.json()["paid"]) == (2, -26 * UNIT)
    assert client.get("/api/v1/me").json()["balance"]["posted"] == 90 * UNIT
    bad = client.post(
        f"{BO}/markets/{market}/result",
        json={"result": {"home": "two"}, "reason": "typo"},
        headers=trader,
    )
    assert_problem(bad, 422, "sportsbook.invalid_result")


def test_a_void_shows_in_the_void_report_and_refunds(
    world: tuple[TestClient, Fixture, dict[str, str]], clock: ManualClock
) -> None:
    client, fx, trader = world
    client.post(f"{API}/bets", json=slip(fx))
    voided = client.post(
        f"{BO}/markets/{fx.match_odds.id}/void", json={"reason": "match abandoned"}, headers=trader
    )
    assert voided.status_code == 200, voided.text
    assert client.get("/api/v1/me").json()["balance"]["available"] == 100 * UNIT
    day = clock.now().astimezone(UTC).date().isoformat()
    report = client.get(f"{BO}/void-report", params={"day": day}, headers=trader).json()
    assert [(r["reason"], r["voided_by"][:9]) for r in report] == [("match abandoned", "operator:")]


def test_stake_factors_and_permissions(
    db: Database, clock: ManualClock, world: tuple[TestClient, Fixture, dict[str, str]]
) -> None:
    client, fx, trader = world
    player_id = client.get("/api/v1/me").json()["player"]["id"]
    set_ = client.put(
        f"{BO}/players/{player_id}/stake-factor",
        json={"factor": "0", "reason": "arbitrage"},
        headers=trader,
    )
    assert set_.status_code == 204, set_.text
    assert_problem(client.post(f"{API}/bets", json=slip(fx)), 422, "sportsbook.stake_too_high")
    finance = {"Authorization": f"Bearer {operator_token(db, clock, 'finance')}"}
    denied = client.post(
        f"{BO}/markets/{fx.match_odds.id}/suspend", json={"reason": "x" * 5}, headers=finance
    )
    assert_problem(denied, 403, "auth.permission_denied")


def test_slips_sent_at_once_share_commits_and_never_overspend(
    world: tuple[TestClient, Fixture, dict[str, str]], db: Database, clock: ManualClock
) -> None:
    # Bets go through the process's group commit: 30 slips of 10 against 100 at once place
    # exactly 10, refuse the rest with nothing held, and a slip sent again is the same bet.
    client, fx, _ = world
    headers = {"Authorization": client.headers["Authorization"]}
    with ServedApp(db, clock) as served:

        def send(n: int) -> httpx.Response:
            with httpx.Client(base_url=served.url, headers=headers, timeout=30) as http:
                return http.post(f"{API}/bets", json=slip(fx, id=f"slip-{n % 30}"))

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(send, range(30)))
        codes = Counter(
            a.status_code if a.status_code == 201 else a.json()["code"] for a in answers
        )
        assert codes == {201: 10, "sportsbook.insufficient_funds": 20}
        placed = {a.json()["client_id"]: a.json()["id"] for a in answers if a.status_code == 201}
        with ThreadPoolExecutor(16) as pool:
            again = list(pool.map(send, [int(c.split("-")[1]) for c in placed]))
        assert {a.json()["client_id"]: a.json()["id"] for a in again} == placed
    assert client.get("/api/v1/me").json()["balance"]["available"] == 0
    assert len(client.get(f"{API}/bets").json()) == 10
    assert_ledger_verifies(db)
    with db.read_only() as s:
        assert exposure.drift(s) == []


def test_many_players_slips_at_once_each_get_their_own_answer(
    world: tuple[TestClient, Fixture, dict[str, str]], db: Database, clock: ManualClock
) -> None:
    # Several players' slips in the same batches (authenticated and placed set-wise): a bad
    # token among them is refused alone, and each player's bets are their own.
    client, fx, _ = world
    tokens = [client.headers["Authorization"]]
    for name in ("bob", "cy"):
        registered = register(client, email=f"{name}@example.com", legal_name=f"{name} Example")
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            player = get_player(s, registered["id"], brand_scope=None)
        move(db, clock, player, "deposit", 100 * UNIT)
        tokens.append(logged_in(client, email=f"{name}@example.com")["Authorization"])
    sends = [(token, n) for n in range(4) for token in tokens] + [("Bearer not-a-token", 0)]
    with ServedApp(db, clock) as served:

        def send(what: tuple[str, int]) -> httpx.Response:
            token, n = what
            with httpx.Client(base_url=served.url, timeout=30) as http:
                return http.post(
                    f"{API}/bets",
                    headers={"Authorization": token},
                    json=slip(fx, id=f"slip-{n}", stake_per_line=(n + 1) * UNIT),
                )

        with ThreadPoolExecutor(13) as pool:
            answers = list(pool.map(send, sends))
    assert [a.status_code for a in answers] == [201] * 12 + [401]
    for token in tokens:
        mine = client.get(f"{API}/bets", headers={"Authorization": token}).json()
        assert sorted(b["stake"] for b in mine) == [UNIT, 2 * UNIT, 3 * UNIT, 4 * UNIT]
        me = client.get("/api/v1/me", headers={"Authorization": token}).json()
        assert me["balance"]["available"] == 90 * UNIT
    assert_ledger_verifies(db)
    with db.read_only() as s:
        assert exposure.drift(s) == []


def test_a_player_over_sixty_slips_a_minute_is_refused_and_nothing_moves(
    world: tuple[TestClient, Fixture, dict[str, str]], clock: ManualClock
) -> None:
    # The first slip finds the token's player with a read (in a worker thread); the later
    # ones from memory, counted in the event loop: the limit holds either way.
    client, fx, _ = world
    for n in range(60):
        placed = client.post(f"{API}/bets", json=slip(fx, id=f"slip-{n}", stake_per_line=UNIT))
        assert placed.status_code == 201, placed.text
    refused = client.post(f"{API}/bets", json=slip(fx, id="slip-60", stake_per_line=UNIT))
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    assert len(client.get(f"{API}/bets", params={"limit": 200}).json()) == 60
    assert client.get("/api/v1/me").json()["balance"]["available"] == 40 * UNIT

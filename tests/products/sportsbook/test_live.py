"""Live odds over ``/ws``: a real uvicorn server and real WebSocket clients."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import catalogue, live, settlement
from croupier.products.sportsbook.models import EventStatus, MarketStatus
from tests.http_fixtures import ServedApp
from tests.products.sportsbook.book_fixtures import Fixture, fixture

NATS_URL = os.environ.get("CROUPIER_TEST_NATS_URL")
REQUIRE_SERVICES = os.environ.get("CROUPIER_TEST_REQUIRE_SERVICES") == "1"


def ws_url(app: ServedApp) -> str:
    return app.url.replace("http://", "ws://") + "/ws"


def receive(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=timeout))
    assert isinstance(message, dict)
    return message


@contextmanager
def subscribed(app: ServedApp, *event_ids: str) -> Iterator[ClientConnection]:
    """A client subscribed to the events, their snapshots already read."""
    with connect(ws_url(app), compression=None) as ws:
        ws.send(json.dumps({"subscribe": list(event_ids)}))
        for _ in event_ids:
            assert receive(ws)["type"] == "snapshot"
        yield ws


def prices(message: dict[str, Any]) -> dict[str, str]:
    return {s["code"]: s["odds"] for s in message["selections"]}


def read_until_closed(ws: ClientConnection) -> tuple[int, int | None]:
    """How many messages came before the server closed, and its close code."""
    received = 0
    while True:
        try:
            ws.recv(timeout=10)
        except ConnectionClosed as closed:
            return received, closed.rcvd.code if closed.rcvd is not None else None
        received += 1


def nothing_more(ws: ClientConnection, within: float = 0.3) -> bool:
    try:
        ws.recv(timeout=within)
    except TimeoutError:
        return True
    return False


# uvicorn's websockets-sansio implementation (its default): frames straight to the transport;
# the legacy websockets implementation: the connection's queue and send task.
WS_PATHS = pytest.mark.parametrize("ws_impl", ["websockets-sansio", "websockets"])


def _frame_writers(broker: live.OddsBroker, event_id: str) -> list[bool]:
    return [s.write is not None for s in broker._subscribers.get(event_id, ())]


@WS_PATHS
def test_a_subscriber_gets_the_snapshot_then_a_committed_price_change_and_no_other_events(
    db: Database, clock: ManualClock, ws_impl: str
) -> None:
    game, other = fixture(db, clock), fixture(db, clock)
    with ServedApp(db, clock, ws=ws_impl) as app, connect(ws_url(app), compression=None) as ws:
        ws.send(json.dumps({"subscribe": [game.event_id]}))
        snapshot = receive(ws)
        broker: live.OddsBroker = app._server.config.app.state.live_odds.broker
        assert _frame_writers(broker, game.event_id) == [ws_impl == "websockets-sansio"]
        assert snapshot["type"] == "snapshot"
        assert snapshot["event_id"] == game.event_id
        (market,) = snapshot["markets"]
        assert market["market_id"] == game.match_odds.id
        assert market["status"] == "open"
        assert {s["code"]: s["odds"] for s in market["selections"]} == {
            "1": "2.5",
            "X": "3.2",
            "2": "2.9",
        }

        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, other.match_odds.id, {"1": "1.5"})
        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, game.match_odds.id, {"1": "2.4", "2": "3"})

        change = receive(ws)
        assert change["type"] == "odds"
        assert change["event_id"] == game.event_id
        assert change["market_id"] == game.match_odds.id
        assert change["seq"] == snapshot["seq"] + 1
        assert prices(change) == {"1": "2.4", "X": "3.2", "2": "3"}
        assert {s["id"] for s in change["selections"]} == {s.id for s in game.match_odds.selections}

        with db.unit_of_work() as s:
            catalogue.set_market_status(
                s, clock, game.match_odds.id, MarketStatus.SUSPENDED, actor="feed", reason="goal"
            )
        suspended = receive(ws)
        assert (suspended["status"], suspended["seq"]) == ("suspended", snapshot["seq"] + 2)
        assert nothing_more(ws)


def test_an_override_and_the_event_going_live_reach_the_subscriber(
    sqlite_db: Database, clock: ManualClock
) -> None:
    db = sqlite_db
    game = fixture(db, clock)
    with ServedApp(db, clock) as app, subscribed(app, game.event_id) as ws:
        with db.unit_of_work() as s:
            catalogue.override_price(s, clock, game.sel("X"), "3.5", actor="trader", reason="r")
        assert prices(receive(ws))["X"] == "3.5"
        with db.unit_of_work() as s:
            catalogue.set_event_state(s, clock, game.event_id, EventStatus.LIVE, minute=1)
        closed = receive(ws)
        assert (closed["market_id"], closed["status"]) == (game.match_odds.id, "closed")
        # A price sent again unchanged is not news.
        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, game.match_odds.id, {"1": "2.5"})
        assert nothing_more(ws)


def test_a_settled_and_a_voided_market_reach_the_subscriber(
    sqlite_db: Database, clock: ManualClock
) -> None:
    db = sqlite_db
    game = fixture(db, clock)
    with ServedApp(db, clock) as app, subscribed(app, game.event_id) as ws:
        with db.unit_of_work() as s:
            settlement.settle_market(
                s, clock, game.match_odds.id, {"home": 1, "away": 0}, actor="trader"
            )
        settled = receive(ws)
        assert (settled["market_id"], settled["status"]) == (game.match_odds.id, "settled")
        with db.unit_of_work() as s:
            settlement.void_market(s, clock, game.match_odds.id, actor="trader", reason="error")
        assert receive(ws)["status"] == "void"


def test_an_unsubscribed_event_stops(sqlite_db: Database, clock: ManualClock) -> None:
    db = sqlite_db
    game, other = fixture(db, clock), fixture(db, clock)
    with ServedApp(db, clock) as app, subscribed(app, game.event_id, other.event_id) as ws:
        ws.send(json.dumps({"unsubscribe": [game.event_id]}))
        ws.send(json.dumps({"ping": 1}))
        assert receive(ws) == {"type": "pong", "ping": 1}  # the unsubscribe was handled
        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, game.match_odds.id, {"1": "2.2"})
        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, other.match_odds.id, {"1": "2.2"})
        assert receive(ws)["event_id"] == other.event_id
        assert nothing_more(ws)


def change_then_fail(db: Database, clock: ManualClock, game: Fixture) -> None:
    with db.unit_of_work() as s:
        catalogue.set_prices(s, clock, game.match_odds.id, {"1": "9"})
        raise RuntimeError("the unit of work fails after the change")


def test_a_rolled_back_change_is_never_sent(sqlite_db: Database, clock: ManualClock) -> None:
    db = sqlite_db
    game = fixture(db, clock)
    with ServedApp(db, clock) as app, subscribed(app, game.event_id) as ws:
        with pytest.raises(RuntimeError, match="fails"):
            change_then_fail(db, clock, game)
        assert nothing_more(ws, within=0.5)
        with db.unit_of_work() as s:
            catalogue.set_prices(s, clock, game.match_odds.id, {"1": "2.6"})
        assert prices(receive(ws))["1"] == "2.6"


def test_an_unknown_event_is_an_error_and_the_connection_stays(
    sqlite_db: Database, clock: ManualClock
) -> None:
    db = sqlite_db
    with ServedApp(db, clock) as app, connect(ws_url(app), compression=None) as ws:
        ws.send(json.dumps({"subscribe": ["evt_NOPE"]}))
        error = receive(ws)
        assert (error["type"], error["code"]) == ("error", "sportsbook.event_not_found")
        ws.send("not json")
        assert receive(ws)["code"] == "ws.invalid_message"
        ws.send(json.dumps({"subscribe": "evt_NOPE"}))
        assert receive(ws)["code"] == "ws.invalid_message"
        ws.send(json.dumps({"ping": "still here"}))
        assert receive(ws)["type"] == "pong"


def test_connections_beyond_the_limit_per_address_are_closed(
    sqlite_db: Database, clock: ManualClock
) -> None:
    db = sqlite_db
    with (
        ServedApp(db, clock, live_odds_connections_per_ip=2) as app,
        connect(ws_url(app)) as first,
        connect(ws_url(app)) as second,
        connect(ws_url(app)) as third,
    ):
        with pytest.raises(ConnectionClosed) as closed:
            third.recv(timeout=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == live.CLOSE_TOO_MANY_CONNECTIONS
        for ws in (first, second):
            ws.send(json.dumps({"ping": 0}))
            assert receive(ws)["type"] == "pong"


def test_a_silent_connection_without_subscriptions_is_closed(
    sqlite_db: Database, clock: ManualClock
) -> None:
    db = sqlite_db
    with (
        ServedApp(db, clock, live_odds_idle_seconds=0.3) as app,
        connect(ws_url(app)) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == live.CLOSE_GOING_AWAY


@WS_PATHS
def test_a_slow_consumer_is_dropped_and_the_others_are_not_slowed(
    sqlite_db: Database, clock: ManualClock, ws_impl: str
) -> None:
    db = sqlite_db
    game = fixture(db, clock)
    changes = 2000
    # ~8 kB a message, 16 MB in all: far more than the slow client's socket buffers and the
    # server's limits (8 messages queued, or 64 KiB unsent) hold.
    big = tuple((f"sel_{i:04}", f"c{i}", "2.5") for i in range(300))
    limits = {"live_odds_queue_size": 8, "live_odds_buffer_bytes": 65_536}
    with ServedApp(db, clock, ws=ws_impl, **limits) as app:
        broker: live.OddsBroker = app._server.config.app.state.live_odds.broker
        slow_socket = socket.socket()
        slow_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow_socket.connect(("127.0.0.1", app.port))
        with (
            connect(ws_url(app), sock=slow_socket, max_queue=1, compression=None) as slow,
            subscribed(app, game.event_id) as fast,
        ):
            slow.send(json.dumps({"subscribe": [game.event_id]}))
            assert receive(slow)["type"] == "snapshot"
            deadline = time.monotonic() + 5
            while broker.subscriber_count(game.event_id) < 2:
                assert time.monotonic() < deadline
                time.sleep(0.01)
            # The fast client gets every change, in order, while the slow one is dropped.
            seqs = []
            for n in range(changes):
                broker.publish(
                    [
                        live.MarketOdds(
                            game.event_id, game.match_odds.id, "1x2", "open", big, f"{n:06}"
                        )
                    ]
                )
                seqs.append(receive(fast)["seq"])
            assert seqs == list(range(seqs[0], seqs[0] + changes))
            deadline = time.monotonic() + 5
            while broker.subscriber_count(game.event_id) > 1:
                assert time.monotonic() < deadline, "the slow consumer was not dropped"
                time.sleep(0.01)
            received, code = read_until_closed(slow)
            assert received < changes
            assert code in (live.CLOSE_SLOW_CONSUMER, None)  # None: cut before a close frame


@pytest.fixture
def nats_url() -> str:
    if not NATS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("CROUPIER_TEST_NATS_URL is not set but services are required")
        pytest.skip("CROUPIER_TEST_NATS_URL is not set")
    return NATS_URL


def test_a_change_committed_on_one_node_reaches_a_subscriber_of_another_through_nats(
    sqlite_db: Database, clock: ManualClock, nats_url: str
) -> None:
    # Two nodes on one database: each app has its own engine, so a commit on the first is
    # published by the first node's broker only; the second learns of it from NATS.
    first = sqlite_db
    second = Database(first.url)
    game = fixture(first, clock)
    try:
        with (
            ServedApp(first, clock, nats_url=nats_url),
            ServedApp(second, clock, nats_url=nats_url) as other_node,
            subscribed(other_node, game.event_id) as ws,
        ):
            with first.unit_of_work() as s:
                catalogue.set_prices(s, clock, game.match_odds.id, {"2": "3.1"})
            change = receive(ws)
            assert (change["event_id"], prices(change)["2"]) == (game.event_id, "3.1")
            assert nothing_more(ws)  # once, not again through a local path
    finally:
        second.dispose()


def test_no_broker_means_nothing_is_recorded(sqlite_db: Database, clock: ManualClock) -> None:
    db = sqlite_db
    game: Fixture = fixture(db, clock)
    with db.unit_of_work() as s:
        catalogue.set_prices(s, clock, game.match_odds.id, {"1": "2.1"})
        assert "sportsbook.live_odds" not in s.info

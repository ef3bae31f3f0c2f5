"""``/ws``: live odds over WebSocket, per event subscription.

Public odds need no login (the same prices ``GET /api/v1/sportsbook/events`` shows anyone), so
the endpoint is anonymous; what protects it is a limit of open connections per client IP, a
cap on subscriptions per connection, a bounded queue per connection (a client that does not
read is closed, code 1008) and an idle timeout. The protocol, in JSON text frames:

- client → server: ``{"subscribe": ["evt_..."]}``, ``{"unsubscribe": ["evt_..."]}``,
  ``{"ping": <anything>}``;
- server → client: ``{"type": "snapshot", "event_id", "seq", "markets": [...]}`` for each
  event subscribed to, then ``{"type": "odds", "event_id", "seq", "market_id", "kind",
  "status", "selections": [{"id", "code", "odds"}], "at"}`` for every change after it,
  ``{"type": "pong", "ping": ...}``, and ``{"type": "error", "code", "detail"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter as Tally
from typing import Any, Protocol, runtime_checkable

import structlog
from fastapi import APIRouter, FastAPI, WebSocket
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocketDisconnect, WebSocketState
from websockets.protocol import State
from websockets.server import ServerProtocol

from croupier.kernel.config import Settings
from croupier.kernel.db import Database
from croupier.products.sportsbook import live

log = structlog.get_logger("croupier.sportsbook.live")

router = APIRouter()

MAX_SUBSCRIPTIONS = 100
MAX_MESSAGE_BYTES = 16_384
MAX_ID_LENGTH = 40


class LiveOdds:
    """The app's live-odds runtime: its broker and the per-IP connection count."""

    def __init__(self, broker: live.OddsBroker, settings: Settings) -> None:
        self.broker = broker
        self.per_ip_limit = settings.live_odds_connections_per_ip
        self.idle_seconds = settings.live_odds_idle_seconds
        self.buffer_bytes = settings.live_odds_buffer_bytes
        self.connections: Tally[str] = Tally()


async def start_live_odds(app: FastAPI, settings: Settings, db: Database) -> LiveOdds:
    """Create the broker on the running loop, connect it to NATS when configured, and
    install it for the database's commits."""
    broker = live.OddsBroker(asyncio.get_running_loop(), queue_size=settings.live_odds_queue_size)
    if settings.nats_url:
        await broker.connect_nats(settings.nats_url)
    live.install(db.engine, broker)
    runtime = LiveOdds(broker, settings)
    app.state.live_odds = runtime
    return runtime


async def stop_live_odds(runtime: LiveOdds, db: Database) -> None:
    live.uninstall(db.engine, runtime.broker)
    await runtime.broker.close()


def _problem(code: str, detail: str) -> str:
    return json.dumps({"type": "error", "code": code, "detail": detail})


def _event_ids(value: Any) -> list[str] | None:
    if not isinstance(value, list) or len(value) > MAX_SUBSCRIPTIONS:
        return None
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_ID_LENGTH for v in value):
        return None
    return list(dict.fromkeys(value))


@router.websocket("/ws")
async def live_odds(websocket: WebSocket) -> None:
    """Live odds: subscribe to events, get a snapshot of each, then every change."""
    runtime: LiveOdds = websocket.app.state.live_odds
    settings: Settings = websocket.app.state.settings
    ip = websocket.client.host if websocket.client else "unknown"
    if settings.trust_forwarded_for:
        forwarded = websocket.headers.get("x-forwarded-for", "").split(",")[0].strip()
        ip = forwarded[:45] or ip
    await websocket.accept()
    if runtime.connections[ip] >= runtime.per_ip_limit:
        await websocket.close(
            live.CLOSE_TOO_MANY_CONNECTIONS, "too many connections from this address"
        )
        return
    runtime.connections[ip] += 1
    live.CONNECTIONS.inc()
    closing: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()

    def overflow() -> None:
        if not closing.done():
            closing.set_result((live.CLOSE_SLOW_CONSUMER, "slow consumer"))

    write = _frame_writer(websocket, runtime.buffer_bytes)
    subscriber = runtime.broker.new_subscriber(overflow, write)
    tasks = [asyncio.create_task(_receive(websocket, runtime, subscriber, closing))]
    if write is None:
        tasks.append(asyncio.create_task(_send(websocket, subscriber)))
    try:
        waiting: list[asyncio.Future[Any]] = [*tasks, closing]
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    finally:
        runtime.broker.remove(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        runtime.connections[ip] -= 1
        if runtime.connections[ip] <= 0:
            del runtime.connections[ip]
        live.CONNECTIONS.dec()
    if closing.done() and websocket.client_state is WebSocketState.CONNECTED:
        code, reason = closing.result()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code, reason), timeout=5)


@runtime_checkable
class _Transport(Protocol):
    """What the frame writer needs of an asyncio transport (uvloop's does not subclass
    ``asyncio.WriteTransport``)."""

    def write(self, data: bytes) -> None: ...
    def is_closing(self) -> bool: ...
    def get_write_buffer_size(self) -> int: ...


def _frame_writer(websocket: WebSocket, limit: int) -> live.FrameWrite | None:
    """Write frames straight to the connection, when the server lets us reach it.

    Under uvicorn's ``websockets-sansio`` implementation (its default, and what ``croupier
    serve`` runs) the ASGI ``receive`` is a method of the connection's protocol object, which
    holds the ``websockets`` state machine (``conn``) and the asyncio transport. Its own
    ``websocket.send`` does no more than encode a frame and ``transport.write`` it, with no
    flow control; writing a pre-encoded frame does the same without a task switch and an ASGI
    call per connection. Frames are written whole, on the loop's thread, so they never
    interleave with the protocol's pings and close frames. Anything else (another server, the
    test client) answers None: the connection's queue and send task are used instead.
    """
    protocol = getattr(websocket._receive, "__self__", None)
    conn = getattr(protocol, "conn", None)
    transport = getattr(protocol, "transport", None)
    if not isinstance(conn, ServerProtocol) or not isinstance(transport, _Transport):
        return None

    def write(frame: bytes) -> bool:
        if conn.state is not State.OPEN or transport.is_closing():
            return True  # closing: the connection's end is already under way
        transport.write(frame)
        return transport.get_write_buffer_size() <= limit

    return write


async def _send(websocket: WebSocket, subscriber: live.Subscriber) -> None:
    while True:
        await websocket.send_text(await subscriber.queue.get())


async def _receive(
    websocket: WebSocket,
    runtime: LiveOdds,
    subscriber: live.Subscriber,
    closing: asyncio.Future[tuple[int, str]],
) -> None:
    broker = runtime.broker
    db: Database = websocket.app.state.database
    while True:
        try:
            # Idle: nothing from the client and nothing subscribed for this long. A
            # subscribed client that only listens is kept; dead peers are found by the
            # server's protocol pings (uvicorn's ws_ping_interval).
            text = await asyncio.wait_for(
                websocket.receive_text(),
                timeout=None if subscriber.events else runtime.idle_seconds,
            )
        except TimeoutError:
            if not closing.done():
                closing.set_result((live.CLOSE_GOING_AWAY, "idle"))
            return
        except (WebSocketDisconnect, RuntimeError):
            return
        if len(text) > MAX_MESSAGE_BYTES:
            if not closing.done():
                closing.set_result((live.CLOSE_MESSAGE_TOO_BIG, "message too big"))
            return
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            subscriber.offer(_problem("ws.invalid_message", "Send a JSON object."), "")
            continue
        if "ping" in message:
            subscriber.offer(json.dumps({"type": "pong", "ping": message["ping"]}), "")
            continue
        unsubscribe = _event_ids(message.get("unsubscribe", []))
        subscribe = _event_ids(message.get("subscribe", []))
        if unsubscribe is None or subscribe is None:
            subscriber.offer(
                _problem(
                    "ws.invalid_message",
                    f"subscribe and unsubscribe take lists of up to {MAX_SUBSCRIPTIONS} ids.",
                ),
                "",
            )
            continue
        for event_id in unsubscribe:
            broker.unsubscribe(subscriber, event_id)
        new = [e for e in subscribe if e not in subscriber.events]
        if len(subscriber.events) + len(new) > MAX_SUBSCRIPTIONS:
            subscriber.offer(
                _problem(
                    "ws.too_many_subscriptions",
                    f"A connection follows at most {MAX_SUBSCRIPTIONS} events.",
                ),
                "",
            )
            continue
        for event_id in new:
            # Subscribe first, then read: a change committed meanwhile is held and sent
            # after the snapshot, never lost between the two.
            seq = broker.subscribe(subscriber, event_id)
            markets = await run_in_threadpool(_read_snapshot, db, event_id)
            if event_id not in subscriber.events:
                continue  # unsubscribed meanwhile
            if markets is None:
                broker.unsubscribe(subscriber, event_id)
                not_found = {
                    "type": "error",
                    "code": "sportsbook.event_not_found",
                    "detail": "No such event.",
                    "event_id": event_id,
                }
                subscriber.offer(json.dumps(not_found), "")
                continue
            broker.snapshot_sent(
                subscriber, event_id, live.snapshot_message(event_id, seq, markets)
            )


def _read_snapshot(db: Database, event_id: str) -> list[live.MarketOdds] | None:
    with db.read_only() as session:
        return live.event_snapshot(session, event_id)

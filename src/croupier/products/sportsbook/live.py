"""Live odds: price and market-state changes fanned out to players' WebSocket subscriptions.

The catalogue calls :func:`odds_changed` whenever it changes what a player sees of a market
(prices, an override, a market's status, an event's state that closes markets). That records
the market's new state on the session and, after the unit of work commits, hands it to every
:class:`OddsBroker` installed for the session's database engine; a rolled-back change is never
sent (side effects after commit). With no broker installed (the CLI, service tests) nothing is
recorded at all.

A broker fans a change out to the connections subscribed to its event:

- embedded (no ``CROUPIER_NATS_URL``): in process, on the server's event loop;
- production: published to NATS on ``sportsbook.odds.<event_id>``; every node (this one
  included) subscribes to ``sportsbook.odds.>`` and fans out what it receives to its own
  connections, so a change made on one node reaches players connected to any node. Core NATS
  (at most once): a node that misses a change still converges at the next one, and a client
  that reconnects gets a fresh snapshot.

Fan-out never waits for a connection. Each change is encoded once, as JSON and as one
WebSocket text frame, and written synchronously, in the loop's turn that received it:

- where the server exposes the connection (uvicorn's default ``websockets-sansio``
  implementation, which ``croupier serve`` uses), the frame's bytes go straight to the
  connection's transport; a connection whose unsent bytes pass ``live_odds_buffer_bytes`` is a
  slow consumer;
- elsewhere (other ASGI servers), into the connection's bounded queue (``put_nowait``), which
  a task per connection sends through ASGI; a connection whose queue is full is a slow
  consumer.

A slow consumer is closed (code 1008) and the others go on unslowed. Sequence numbers are
per event and per node: a snapshot carries the event's current number and each change on it
the next one, so a client sees 1-step increments.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from websockets.frames import Frame, Opcode

from croupier.kernel.db import after_commit
from croupier.products.sportsbook.models import Market, Selection, SportEvent

log = structlog.get_logger("croupier.sportsbook.live")

SUBJECT_PREFIX = "sportsbook.odds."
# WebSocket close codes (RFC 6455 §7.4.1).
CLOSE_SLOW_CONSUMER = 1008  # policy violation: the client did not read fast enough
CLOSE_GOING_AWAY = 1001  # idle, or the server is shutting down
CLOSE_TOO_MANY_CONNECTIONS = 1013  # try again later
CLOSE_MESSAGE_TOO_BIG = 1009

_SESSION_KEY = "sportsbook.live_odds"

ODDS_MESSAGES = Counter(
    "croupier_live_odds_messages_total", "Odds changes fanned out by this node", ["source"]
)
SLOW_CONSUMERS = Counter(
    "croupier_live_odds_slow_consumers_total", "WebSocket connections closed for not reading"
)
CONNECTIONS = Gauge("croupier_live_odds_connections", "Open live-odds WebSocket connections")


@dataclass(frozen=True, slots=True)
class MarketOdds:
    """A market's state as players see it, as committed."""

    event_id: str
    market_id: str
    kind: str
    status: str
    selections: tuple[tuple[str, str, str], ...]  # (selection id, code, offered odds)
    at: str  # the change's time (ISO 8601), to drop a stale change that arrives late

    def to_json(self) -> dict[str, Any]:
        return {
            "market_id": self.market_id,
            "kind": self.kind,
            "status": self.status,
            "selections": [{"id": i, "code": c, "odds": o} for i, c, o in self.selections],
        }

    @staticmethod
    def from_json(event_id: str, data: dict[str, Any], at: str) -> MarketOdds:
        return MarketOdds(
            event_id=event_id,
            market_id=str(data["market_id"]),
            kind=str(data["kind"]),
            status=str(data["status"]),
            selections=tuple((s["id"], s["code"], s["odds"]) for s in data["selections"]),
            at=at,
        )


# -- from the catalogue: record, then publish after commit ---------------------------------------

_brokers: dict[Engine, list[OddsBroker]] = defaultdict(list)
_brokers_lock = threading.Lock()


def install(engine: Engine, broker: OddsBroker) -> None:
    """Publish the changes committed on ``engine`` to ``broker`` (the app does it at start)."""
    with _brokers_lock:
        _brokers[engine].append(broker)


def uninstall(engine: Engine, broker: OddsBroker) -> None:
    with _brokers_lock:
        installed = _brokers.get(engine, [])
        if broker in installed:
            installed.remove(broker)
        if not installed:
            _brokers.pop(engine, None)


def _brokers_for(session: Session) -> list[OddsBroker]:
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _brokers_lock:
        return list(_brokers.get(engine, ()))


def odds_changed(session: Session, market_ids: Iterable[str], at: str) -> None:
    """The markets' prices or states changed in this unit of work: once it commits, their
    state (as of this call; a later call in the same unit of work replaces it) goes to the
    installed brokers. Nothing is sent if it rolls back."""
    ids = sorted(set(market_ids))
    if not ids or not _brokers_for(session):
        return
    session.flush()
    selections: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for s in session.scalars(
        select(Selection).where(Selection.market_id.in_(ids)).order_by(Selection.id)
    ):
        selections[s.market_id].append((s.id, s.code, s.odds_override or s.odds))
    pending: dict[str, MarketOdds] | None = session.info.get(_SESSION_KEY)
    if pending is None:
        pending = {}
        session.info[_SESSION_KEY] = pending
        after_commit(session, _publisher(session, pending))
    for market in session.scalars(select(Market).where(Market.id.in_(ids))):
        pending[market.id] = MarketOdds(
            market.event_id,
            market.id,
            market.kind,
            market.status,
            tuple(selections[market.id]),
            at,
        )


def _publisher(session: Session, pending: dict[str, MarketOdds]) -> Callable[[], None]:
    brokers = _brokers_for(session)

    def publish() -> None:
        changes = list(pending.values())
        for broker in brokers:
            broker.publish(changes)

    return publish


def event_snapshot(session: Session, event_id: str) -> list[MarketOdds] | None:
    """Every market of the event as it stands (None if there is no such event)."""
    event = session.get(SportEvent, event_id)
    if event is None:
        return None
    markets = list(
        session.scalars(select(Market).where(Market.event_id == event_id).order_by(Market.id))
    )
    selections: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    if markets:
        for s in session.scalars(
            select(Selection)
            .where(Selection.market_id.in_([m.id for m in markets]))
            .order_by(Selection.id)
        ):
            selections[s.market_id].append((s.id, s.code, s.odds_override or s.odds))
    return [
        MarketOdds(
            event_id,
            m.id,
            m.kind,
            m.status,
            tuple(selections[m.id]),
            m.updated_at.isoformat(),
        )
        for m in markets
    ]


# -- the broker: fan-out to connections ----------------------------------------------------------


class Outgoing:
    """One message for any number of connections: its JSON text, and the WebSocket text frame
    that carries it (RFC 6455 §5.2: server frames are unmasked, so the same bytes serve every
    connection), encoded once, when a connection first needs it."""

    __slots__ = ("_frame", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._frame: bytes | None = None

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = Frame(Opcode.TEXT, self.text.encode()).serialize(mask=False)
        return self._frame


# Writes a whole frame to a connection now; answers False when the connection's unsent bytes
# are over its limit (a slow consumer).
FrameWrite = Callable[[bytes], bool]


@dataclass(eq=False)
class Subscriber:
    """One WebSocket connection's side of the broker: either a direct frame writer or a
    bounded queue of encoded messages that the connection's send task empties."""

    queue: asyncio.Queue[str]
    on_overflow: Callable[[], None]
    write: FrameWrite | None = None
    events: set[str] = field(default_factory=set)
    # Events subscribed to whose snapshot is not yet sent: their changes wait here.
    held: dict[str, list[Outgoing]] = field(default_factory=dict)
    dropped: bool = False

    def offer(self, message: Outgoing | str, event_id: str) -> None:
        if self.dropped:
            return
        if isinstance(message, str):
            message = Outgoing(message)
        held = self.held.get(event_id)
        if held is not None:
            if len(held) < self.queue.maxsize:
                held.append(message)
                return
        elif self.write is not None:
            if self.write(message.frame):
                return
        else:
            try:
                self.queue.put_nowait(message.text)
                return
            except asyncio.QueueFull:
                pass
        self.overflowed()

    def overflowed(self) -> None:
        self.dropped = True
        SLOW_CONSUMERS.inc()
        self.on_overflow()


class OddsBroker:
    """Fan-out of odds changes to subscribers on one event loop, locally or through NATS.

    ``publish`` may be called from any thread (the catalogue's after-commit callbacks run in
    the thread that committed); everything else runs on the broker's loop.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, *, queue_size: int = 256) -> None:
        self.loop = loop
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._seq: dict[str, int] = defaultdict(int)
        self._last_at: dict[str, str] = {}
        self._nats: Any = None

    # publishing

    def publish(self, changes: list[MarketOdds]) -> None:
        """Send committed changes to the subscribers, on every node (thread-safe)."""
        if not changes:
            return
        if self._nats is not None:
            for change in changes:
                payload = json.dumps(
                    {"event_id": change.event_id, "at": change.at, "market": change.to_json()},
                    separators=(",", ":"),
                ).encode()
                asyncio.run_coroutine_threadsafe(
                    self._nats.publish(SUBJECT_PREFIX + change.event_id, payload), self.loop
                )
            return
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self._fan_out_all, changes, "local")

    def _fan_out_all(self, changes: list[MarketOdds], source: str) -> None:
        for change in changes:
            self._fan_out(change, source)

    def _fan_out(self, change: MarketOdds, source: str) -> None:
        last = self._last_at.get(change.market_id)
        if last is not None and change.at < last:
            return  # an older commit's change that arrived after a newer one
        self._last_at[change.market_id] = change.at
        self._seq[change.event_id] += 1
        ODDS_MESSAGES.labels(source).inc()
        subscribers = self._subscribers.get(change.event_id)
        if not subscribers:
            return
        message = Outgoing(
            json.dumps(
                {
                    "type": "odds",
                    "event_id": change.event_id,
                    "seq": self._seq[change.event_id],
                    "at": change.at,
                    **change.to_json(),
                },
                separators=(",", ":"),
            )
        )
        frame = message.frame
        for subscriber in list(subscribers):
            # The common case inline (a direct writer, nothing held, not dropped): this loop
            # runs once per connection, 10,000 times for a popular event.
            write = subscriber.write
            if write is None or subscriber.held or subscriber.dropped:
                subscriber.offer(message, change.event_id)
            elif not write(frame):
                subscriber.overflowed()

    # NATS

    async def connect_nats(self, url: str) -> None:
        """Fan out through NATS: publish there, and take every node's changes from there."""
        import nats

        self._nats = await nats.connect(url, name="croupier-live-odds")

        async def received(msg: Any) -> None:
            try:
                data = json.loads(msg.data)
                event_id = str(data["event_id"])
                change = MarketOdds.from_json(event_id, data["market"], str(data["at"]))
            except (ValueError, KeyError, TypeError):
                log.warning("live_odds.bad_nats_message", subject=msg.subject)
                return
            self._fan_out(change, "nats")

        await self._nats.subscribe(SUBJECT_PREFIX + ">", cb=received)
        await self._nats.flush()

    async def close(self) -> None:
        if self._nats is not None:
            nc, self._nats = self._nats, None
            await nc.drain()

    # subscribers (on the loop)

    def new_subscriber(
        self, on_overflow: Callable[[], None], write: FrameWrite | None = None
    ) -> Subscriber:
        """A connection's subscriber: frames go to ``write`` when given, else to its queue."""
        return Subscriber(asyncio.Queue(self.queue_size), on_overflow, write)

    def subscribe(self, subscriber: Subscriber, event_id: str) -> int:
        """Start taking ``event_id``'s changes (held until the snapshot is queued); answers
        the sequence number the snapshot carries."""
        subscriber.events.add(event_id)
        subscriber.held[event_id] = []
        self._subscribers[event_id].add(subscriber)
        return self._seq[event_id]

    def snapshot_sent(self, subscriber: Subscriber, event_id: str, snapshot: str) -> None:
        """Queue the snapshot, then the changes that came while it was read."""
        held = subscriber.held.pop(event_id, [])
        for message in (Outgoing(snapshot), *held):
            subscriber.offer(message, event_id)

    def unsubscribe(self, subscriber: Subscriber, event_id: str) -> None:
        subscriber.events.discard(event_id)
        subscriber.held.pop(event_id, None)
        subscribers = self._subscribers.get(event_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[event_id]

    def remove(self, subscriber: Subscriber) -> None:
        for event_id in list(subscriber.events):
            self.unsubscribe(subscriber, event_id)

    def subscriber_count(self, event_id: str) -> int:
        return len(self._subscribers.get(event_id, ()))


def snapshot_message(event_id: str, seq: int, markets: list[MarketOdds]) -> str:
    return json.dumps(
        {
            "type": "snapshot",
            "event_id": event_id,
            "seq": seq,
            "markets": [m.to_json() for m in markets],
        },
        separators=(",", ":"),
    )

"""Events and the transactional outbox.

A service publishes an event with :func:`publish` inside its unit of work: the event is a row
of ``outbox_events`` in the same transaction as the change, so it exists if and only if the
change committed. After the commit the :class:`OutboxDispatcher` delivers it to in-process
consumers, at least once. Each consumer records the ids of the events it has handled in
``event_consumptions`` in the same transaction as its effect, so a second delivery does nothing.
In production a relay also publishes each row to NATS JetStream with ``Nats-Msg-Id`` = event id.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.ids import new_id
from croupier.kernel.models import EventConsumption, OutboxEvent

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every domain event. Subclasses are frozen dataclasses with JSON-able fields."""

    type: ClassVar[str] = "event"

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class DeliveredEvent:
    """An event as a consumer receives it."""

    id: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]


Consumer = Callable[[Session, DeliveredEvent], None]


def publish(session: Session, event: Event, clock: Clock) -> str:
    """Write ``event`` to the outbox in the current transaction; returns the event id."""
    event_id = new_id("evt")
    session.add(
        OutboxEvent(
            id=event_id,
            type=event.type,
            payload=json.dumps(event.payload(), sort_keys=True, default=str),
            occurred_at=clock.now(),
            attempts=0,
        )
    )
    session.info["outbox_dirty"] = True
    return event_id


class _HandledElsewhere(Exception):
    """The consumption row of this (consumer, event) was written by another process."""


class OutboxDispatcher:
    """Delivers committed outbox events to the consumers registered in this process."""

    def __init__(self, database: Database, clock: Clock, batch_size: int = 200) -> None:
        self._database = database
        self._clock = clock
        self._batch_size = batch_size
        self._consumers: dict[str, list[tuple[str, Consumer]]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def subscribe(self, event_type: str, name: str, consumer: Consumer) -> None:
        """Call ``consumer`` for every event of ``event_type``; ``name`` must be stable."""
        self._consumers.setdefault(event_type, []).append((name, consumer))

    def install(self) -> None:
        """Deliver after every unit of work that wrote to the outbox."""

        def _after_commit(session: Session) -> None:
            if session.info.pop("outbox_dirty", False):
                self.dispatch_pending()

        self._database.add_after_commit_hook(_after_commit)

    def dispatch_pending(self) -> int:
        """Deliver every undelivered event; returns how many were delivered.

        Safe to call from several threads or processes: consumers are idempotent. An event
        whose consumer fails stays undelivered (with the error recorded) and is tried again on
        the next call; it does not hold back the events behind it.
        """
        if getattr(self._local, "dispatching", False):
            # A consumer published: tell the running loop below to look once more.
            self._local.published = True
            return 0
        delivered = 0
        with self._lock:
            self._local.dispatching = True
            self._local.published = False
            try:
                cursor = 0
                while True:
                    with self._database.read_only() as session:
                        rows = session.execute(
                            select(
                                OutboxEvent.seq,
                                OutboxEvent.id,
                                OutboxEvent.type,
                                OutboxEvent.occurred_at,
                                OutboxEvent.payload,
                            )
                            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.seq > cursor)
                            .order_by(OutboxEvent.seq)
                            .limit(self._batch_size)
                        ).all()
                    for seq, event_id, type_, occurred_at, payload in rows:
                        event = DeliveredEvent(event_id, type_, occurred_at, json.loads(payload))
                        delivered += self._deliver(seq, event)
                        cursor = seq
                    if len(rows) < self._batch_size:
                        if not self._local.published:
                            return delivered
                        self._local.published = False
            finally:
                self._local.dispatching = False

    def _deliver(self, seq: int, event: DeliveredEvent) -> bool:
        error: str | None = None
        for name, consumer in self._consumers.get(event.type, []):
            try:
                with self._database.unit_of_work() as session:
                    if session.get(EventConsumption, (name, event.id)) is not None:
                        continue
                    session.add(
                        EventConsumption(
                            consumer=name, event_id=event.id, handled_at=self._clock.now()
                        )
                    )
                    try:
                        session.flush()
                    except IntegrityError:
                        # Another process handled it concurrently: its consumption row won.
                        raise _HandledElsewhere from None
                    # An IntegrityError from here on is the consumer's own: a failure.
                    consumer(session, event)
                    session.flush()
            except _HandledElsewhere:
                continue
            except Exception as exc:  # a consumer bug must not stop delivery of others
                error = f"{name}: {type(exc).__name__}: {exc}"
                log.exception("outbox.consumer_failed", consumer=name, event_id=event.id)
        with self._database.unit_of_work() as session:
            values: dict[str, Any] = {"attempts": OutboxEvent.attempts + 1, "last_error": error}
            if error is None:
                values["delivered_at"] = self._clock.now()
            session.execute(update(OutboxEvent).where(OutboxEvent.seq == seq).values(**values))
        return error is None

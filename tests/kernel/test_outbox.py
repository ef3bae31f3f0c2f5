"""The transactional outbox: events leave only after commit, at least once, handled once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import func, select, text

from croupier.kernel.audit import record_event
from croupier.kernel.events import DeliveredEvent, Event, OutboxDispatcher, publish
from croupier.kernel.models import AuditRecord, CurrencyRow, EventConsumption, OutboxEvent


@dataclass(frozen=True, kw_only=True)
class BonusGranted(Event):
    type: ClassVar[str] = "test.bonus_granted"

    player_id: str
    amount: int


@dataclass(frozen=True, kw_only=True)
class WelcomeMailQueued(Event):
    type: ClassVar[str] = "test.welcome_mail_queued"

    player_id: str


class BonusCrediting:
    """A consumer whose effect is an audit record written in the session it is given."""

    name = "bonus-crediting"

    def __init__(self, clock):
        self.clock = clock
        self.received: list[DeliveredEvent] = []
        self.broken_for: set[str] = set()

    def __call__(self, session, event: DeliveredEvent) -> None:
        self.received.append(event)
        player_id = event.payload["player_id"]
        record_event(
            session,
            self.clock,
            actor=f"system:{self.name}",
            action="bonus.credited",
            subject_type="player",
            subject_id=player_id,
            after=event.payload,
        )
        if player_id in self.broken_for:
            raise RuntimeError(f"bonus wallet for {player_id} is unavailable")


@pytest.fixture
def crediting(clock):
    return BonusCrediting(clock)


@pytest.fixture
def dispatcher(db, clock, crediting):
    outbox = OutboxDispatcher(db, clock)
    outbox.subscribe(BonusGranted.type, crediting.name, crediting)
    outbox.install()
    return outbox


def _grant(db, clock, player_id, amount=500):
    with db.unit_of_work() as s:
        return publish(s, BonusGranted(player_id=player_id, amount=amount), clock)


def _credited(db, player_id=None):
    """How many times a consumer's effect reached the database."""
    query = (
        select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "bonus.credited")
    )
    if player_id is not None:
        query = query.where(AuditRecord.subject_id == player_id)
    with db.read_only() as s:
        return s.scalar(query)


def _outbox(db, event_id):
    with db.read_only() as s:
        row = s.execute(select(OutboxEvent).where(OutboxEvent.id == event_id)).scalar_one()
        return {
            "delivered": row.delivered_at is not None,
            "attempts": row.attempts,
            "last_error": row.last_error,
        }


def _count(db, model):
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_event_is_delivered_to_its_consumer_after_the_commit(db, clock, dispatcher, crediting):
    seen_committed: list[bool] = []

    def outbox_row_is_committed(session, event):
        # Another connection sees the outbox row: the producer's transaction has committed.
        with db.read_only() as other:
            row = other.execute(select(OutboxEvent.seq).where(OutboxEvent.id == event.id))
            seen_committed.append(row.first() is not None)

    dispatcher.subscribe(BonusGranted.type, "commit-witness", outbox_row_is_committed)

    with db.unit_of_work() as s:
        event_id = publish(s, BonusGranted(player_id="ply_1", amount=500), clock)
        s.flush()
        assert crediting.received == []

    [delivered] = crediting.received
    assert delivered.id == event_id
    assert delivered.type == "test.bonus_granted"
    assert delivered.payload == {"player_id": "ply_1", "amount": 500}
    assert delivered.occurred_at == clock.now()
    assert seen_committed == [True]
    assert _credited(db, "ply_1") == 1
    assert _outbox(db, event_id) == {"delivered": True, "attempts": 1, "last_error": None}
    assert _count(db, EventConsumption) == 2


def test_the_outbox_row_holds_the_event_as_json(db, clock, dispatcher):
    event_id = _grant(db, clock, "ply_1", amount=1234)
    with db.read_only() as s:
        row = s.execute(select(OutboxEvent).where(OutboxEvent.id == event_id)).scalar_one()
        assert row.type == BonusGranted.type
        assert json.loads(row.payload) == {"player_id": "ply_1", "amount": 1234}
        assert row.occurred_at == clock.now()
    assert event_id.startswith("evt_")


def test_an_event_published_in_a_unit_of_work_that_fails_is_never_delivered(
    db, clock, dispatcher, crediting
):
    def publish_then_fail():
        with db.unit_of_work() as s:
            publish(s, BonusGranted(player_id="ply_1", amount=500), clock)
            s.flush()
            raise RuntimeError("the bonus grant failed after publishing")

    with pytest.raises(RuntimeError):
        publish_then_fail()

    assert dispatcher.dispatch_pending() == 0
    assert crediting.received == []
    assert _count(db, OutboxEvent) == 0
    assert _count(db, EventConsumption) == 0
    assert _credited(db) == 0


def test_a_second_delivery_of_the_same_event_has_no_second_effect(db, clock, dispatcher, crediting):
    event_id = _grant(db, clock, "ply_1")
    assert _credited(db, "ply_1") == 1

    # At-least-once: the dispatcher crashed before marking the event delivered.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE outbox_events SET delivered_at = NULL"))
    assert dispatcher.dispatch_pending() == 1

    assert len(crediting.received) == 1
    assert _credited(db, "ply_1") == 1
    assert _count(db, EventConsumption) == 1
    assert _outbox(db, event_id) == {"delivered": True, "attempts": 2, "last_error": None}


def test_dispatching_with_nothing_pending_does_nothing(db, clock, dispatcher, crediting):
    _grant(db, clock, "ply_1")
    assert dispatcher.dispatch_pending() == 0
    assert len(crediting.received) == 1
    assert _credited(db) == 1


def test_a_failing_consumer_leaves_its_event_pending_and_does_not_block_later_events(
    db, clock, dispatcher, crediting
):
    crediting.broken_for.add("ply_broken")
    stuck = _grant(db, clock, "ply_broken")

    assert _outbox(db, stuck) == {
        "delivered": False,
        "attempts": 1,
        "last_error": "bonus-crediting: RuntimeError: bonus wallet for ply_broken is unavailable",
    }
    assert _credited(db, "ply_broken") == 0  # the failed effect rolled back
    assert _count(db, EventConsumption) == 0

    later = _grant(db, clock, "ply_fine")
    assert _outbox(db, later) == {"delivered": True, "attempts": 1, "last_error": None}
    assert _credited(db, "ply_fine") == 1
    assert _outbox(db, stuck)["delivered"] is False
    assert _outbox(db, stuck)["attempts"] == 2  # tried again when the later event was sent

    crediting.broken_for.clear()  # the consumer is fixed and redeployed
    assert dispatcher.dispatch_pending() == 1
    assert _outbox(db, stuck) == {"delivered": True, "attempts": 3, "last_error": None}
    assert _credited(db, "ply_broken") == 1
    assert _credited(db, "ply_fine") == 1
    assert _count(db, EventConsumption) == 2


def test_a_retry_after_one_consumer_failed_does_not_rerun_the_consumer_that_succeeded(
    db, clock, dispatcher, crediting
):
    points: list[str] = []

    def broken_mailer(session, event):
        raise ConnectionError("mail relay down")

    dispatcher.subscribe(BonusGranted.type, "bonus-mailer", broken_mailer)
    dispatcher.subscribe(
        BonusGranted.type,
        "loyalty-points",
        lambda _session, e: points.append(e.payload["player_id"]),
    )
    event_id = _grant(db, clock, "ply_1")

    outbox = _outbox(db, event_id)
    assert outbox["delivered"] is False
    assert outbox["last_error"] == "bonus-mailer: ConnectionError: mail relay down"
    assert (_credited(db, "ply_1"), points) == (1, ["ply_1"])

    assert dispatcher.dispatch_pending() == 0
    assert (_credited(db, "ply_1"), points) == (1, ["ply_1"])
    assert _outbox(db, event_id)["attempts"] == 2


def test_an_event_without_consumers_is_marked_delivered(db, clock, dispatcher, crediting):
    with db.unit_of_work() as s:
        event_id = publish(s, WelcomeMailQueued(player_id="ply_1"), clock)
    assert _outbox(db, event_id) == {"delivered": True, "attempts": 1, "last_error": None}
    assert crediting.received == []


def test_events_reach_a_consumer_in_the_order_they_were_committed(db, clock, dispatcher, crediting):
    for n in range(5):
        _grant(db, clock, f"ply_{n}")
    assert [e.payload["player_id"] for e in crediting.received] == [f"ply_{n}" for n in range(5)]


def test_a_backlog_larger_than_one_batch_is_delivered_in_one_call(db, clock, crediting):
    outbox = OutboxDispatcher(db, clock, batch_size=2)
    outbox.subscribe(BonusGranted.type, crediting.name, crediting)
    with db.unit_of_work() as s:
        for n in range(5):
            publish(s, BonusGranted(player_id=f"ply_{n}", amount=n), clock)
    assert outbox.dispatch_pending() == 5
    assert _credited(db) == 5


def test_an_event_published_by_a_consumer_is_delivered_in_the_same_dispatch(
    db, clock, dispatcher, crediting
):
    mails: list[str] = []

    def queue_welcome_mail(session, event):
        publish(session, WelcomeMailQueued(player_id=event.payload["player_id"]), clock)

    dispatcher.subscribe(BonusGranted.type, "welcome-mail", queue_welcome_mail)
    dispatcher.subscribe(
        WelcomeMailQueued.type, "mailer", lambda _session, e: mails.append(e.payload["player_id"])
    )
    _grant(db, clock, "ply_1")

    assert mails == ["ply_1"]


def test_a_consumer_that_violates_a_constraint_leaves_its_event_pending(
    db, clock, dispatcher, crediting
):
    def register_currency_twice(session, event):
        session.add(CurrencyRow(code="EUR", name="Euro", ledger_scale=6, minor_units=2))
        session.flush()

    dispatcher.subscribe(BonusGranted.type, "currency-registry", register_currency_twice)
    event_id = _grant(db, clock, "ply_1")

    outbox = _outbox(db, event_id)
    assert outbox["delivered"] is False
    assert outbox["last_error"] is not None

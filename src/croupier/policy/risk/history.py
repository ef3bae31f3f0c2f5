"""Risk's own tables, read and written as plain statements (a decision cannot afford the ORM).

Writes run in the caller's unit of work and are never committed here. Inserts that may race
another process (the same attempt id retried, the same device seen by two processes at once)
are ``INSERT ... ON CONFLICT DO NOTHING``, so a race never breaks the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from croupier.policy.risk.decisions import RiskDecision, RiskOutcome, RiskRequest
from croupier.policy.risk.models import RiskAttempt, RiskDeviceSighting, RiskInstrumentSighting

_A = RiskAttempt.__table__.c
_D = RiskDeviceSighting.__table__.c
_I = RiskInstrumentSighting.__table__.c


def _insert_ignoring(dialect: str, table: Any) -> Insert:
    # RETURNING tells whether the row went in (psycopg reports no rowcount for it).
    first_key = next(iter(table.primary_key.columns))
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().returning(first_key)
    return sqlite.insert(table).on_conflict_do_nothing().returning(first_key)


_INSERTS: dict[tuple[str, str], Insert] = {
    (dialect, name): _insert_ignoring(dialect, model.__table__)
    for dialect in ("postgresql", "sqlite")
    for name, model in (
        ("attempt", RiskAttempt),
        ("device", RiskDeviceSighting),
        ("instrument", RiskInstrumentSighting),
    )
}
_DECISION_OF = select(_A.decision).where(_A.id == bindparam("id"))
_ATTEMPT_OF = select(_A.player_id, _A.succeeded, _A.at).where(_A.id == bindparam("id"))
_SETTLE = (
    update(RiskAttempt)
    .where(_A.id == bindparam("attempt_id"))
    .values(succeeded=bindparam("ok"), settled_at=bindparam("now"))
)
_PLAYER_TOTALS = (
    select(_A.kind, _A.currency, func.count(), func.sum(_A.amount))
    .where(
        _A.player_id == bindparam("player_id"),
        _A.at < bindparam("epoch"),
        _A.outcome != RiskOutcome.DECLINE.value,
    )
    .group_by(_A.kind, _A.currency)
)
_DEVICE_BASE = select(_D.player_id, _D.first_seen_at).where(
    _D.device_id == bindparam("key"), _D.first_seen_at < bindparam("epoch")
)
_INSTRUMENT_BASE = select(_I.player_id, _I.first_seen_at).where(
    _I.fingerprint == bindparam("key"), _I.first_seen_at < bindparam("epoch")
)
_ATTEMPTS_SINCE = (
    select(_A.id, _A.player_id, _A.kind, _A.amount, _A.currency, _A.at, _A.outcome)
    .where(_A.at >= bindparam("since"))
    .order_by(_A.at)
    .limit(bindparam("limit"))
)
_FAILURES_SINCE = (
    select(_A.id, _A.player_id, _A.settled_at)
    .where(_A.settled_at >= bindparam("since"), _A.succeeded.is_(False))
    .order_by(_A.settled_at)
    .limit(bindparam("limit"))
)
_DEVICES_SINCE = (
    select(_D.device_id, _D.player_id, _D.first_seen_at)
    .where(_D.first_seen_at >= bindparam("since"))
    .order_by(_D.first_seen_at)
    .limit(bindparam("limit"))
)
_INSTRUMENTS_SINCE = (
    select(_I.fingerprint, _I.player_id, _I.first_seen_at)
    .where(_I.first_seen_at >= bindparam("since"))
    .order_by(_I.first_seen_at)
    .limit(bindparam("limit"))
)


def record_attempt(
    session: Session, request: RiskRequest, at: datetime, decision: RiskDecision
) -> bool:
    """Record a scored attempt; False if one of this id is recorded already (nothing changes)."""
    connection = session.connection()
    result = connection.execute(
        _INSERTS[connection.dialect.name, "attempt"],
        {
            "id": request.attempt_id,
            "player_id": request.player_id,
            "kind": request.kind,
            "amount": request.amount,
            "currency": request.currency,
            "device_id": request.device_id,
            "instrument_fingerprint": request.instrument_fingerprint,
            "ip_country": request.ip_country,
            "at": at,
            "outcome": decision.outcome.value,
            "score": decision.score,
            "model_version": decision.model_version,
            "decision": json.dumps(decision.as_dict(), separators=(",", ":")),
            "succeeded": None,
            "settled_at": None,
        },
    )
    return result.first() is not None


def record_sighting(session: Session, what: str, key: str, player_id: str, at: datetime) -> None:
    """The first time ``player_id`` used a device (``what="device"``) or an instrument."""
    connection = session.connection()
    column = "device_id" if what == "device" else "fingerprint"
    connection.execute(
        _INSERTS[connection.dialect.name, what],
        {column: key, "player_id": player_id, "first_seen_at": at},
    ).first()


def recorded_decision(session: Session, attempt_id: str) -> RiskDecision | None:
    text = session.connection().execute(_DECISION_OF, {"id": attempt_id}).scalar_one_or_none()
    return None if text is None else RiskDecision.from_dict(json.loads(text))


def attempt_of(session: Session, attempt_id: str) -> Any:
    """(player_id, succeeded, at) of a recorded attempt."""
    return session.connection().execute(_ATTEMPT_OF, {"id": attempt_id}).one_or_none()


def settle_attempt(session: Session, attempt_id: str, *, succeeded: bool, at: datetime) -> None:
    session.connection().execute(_SETTLE, {"attempt_id": attempt_id, "ok": succeeded, "now": at})


def player_totals_before(session: Session, player_id: str, epoch: datetime) -> Sequence[Any]:
    """(kind, currency, count, sum of amounts) of the player's attempts before ``epoch`` that
    risk did not decline."""
    return (
        session.connection().execute(_PLAYER_TOTALS, {"player_id": player_id, "epoch": epoch}).all()
    )


def sightings_before(session: Session, what: str, key: str, epoch: datetime) -> Sequence[Any]:
    """(player_id, first_seen_at) of a device or instrument, seen before ``epoch``."""
    statement = _DEVICE_BASE if what == "device" else _INSTRUMENT_BASE
    return session.connection().execute(statement, {"key": key, "epoch": epoch}).all()


def attempts_since(session: Session, since: datetime, limit: int) -> Sequence[Any]:
    return session.connection().execute(_ATTEMPTS_SINCE, {"since": since, "limit": limit}).all()


def failures_since(session: Session, since: datetime, limit: int) -> Sequence[Any]:
    return session.connection().execute(_FAILURES_SINCE, {"since": since, "limit": limit}).all()


def sightings_since(session: Session, what: str, since: datetime, limit: int) -> Sequence[Any]:
    statement = _DEVICES_SINCE if what == "device" else _INSTRUMENTS_SINCE
    return session.connection().execute(statement, {"since": since, "limit": limit}).all()

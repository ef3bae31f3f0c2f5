"""The hash-chained audit trail of significant events (GLI-19 §2.8.8).

Each record carries the SHA-256 of its own content and of the record before it, and the chain
head (one row) holds the newest sequence number and hash. Editing a record breaks its hash;
removing one leaves a gap or a broken link; removing the newest ones leaves the head pointing
past the end. ``croupier audit verify`` walks the chain and reports every break.

Appending locks the head row, so audited actions serialize on it for the rest of their
transaction. Audit records are for significant events (limits, overrides, exclusions, clock
changes), not for every ledger transfer: transfers are their own immutable journal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _canonical(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: str | None,
    after: str | None,
    reason: str | None,
    prev_hash: str,
) -> str:
    material = json.dumps(
        [
            seq,
            # Stored in UTC (UTCDateTime), so it is hashed in UTC whatever zone it came in.
            occurred_at.astimezone(UTC).isoformat(),
            actor,
            action,
            subject_type,
            subject_id,
            before,
            after,
            reason,
            prev_hash,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def record_event(
    session: Session,
    clock: Clock,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Any = None,
    after: Any = None,
    reason: str | None = None,
) -> AuditRecord:
    """Append a significant event to the audit trail, in the caller's transaction.

    ``actor`` names who did it (``operator:<id>``, ``player:<id>``, ``system:<job>``,
    ``cli:<user>``); ``before`` and ``after`` are JSON-able snapshots of what changed.
    """
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
        session.add(head)
    fields: dict[str, Any] = {
        "seq": head.last_seq + 1,
        "occurred_at": clock.now().astimezone(UTC),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "before": _canonical(before),
        "after": _canonical(after),
        "reason": reason,
        "prev_hash": head.last_hash,
    }
    entry = AuditRecord(**fields, hash=_digest(**fields))
    session.add(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.hash
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit record as readers see it (``before`` and ``after`` decoded)."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: Any
    after: Any
    reason: str | None


def list_audit_entries(
    session: Session,
    *,
    subject_type: str,
    subject_id: str,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The audit records about one subject, newest first, a page at a time."""
    stmt = select(AuditRecord).where(
        AuditRecord.subject_type == subject_type, AuditRecord.subject_id == subject_id
    )
    if before_seq is not None:
        stmt = stmt.where(AuditRecord.seq < before_seq)
    rows = session.scalars(stmt.order_by(AuditRecord.seq.desc()).limit(limit)).all()
    return [
        AuditEntry(
            seq=r.seq,
            occurred_at=r.occurred_at,
            actor=r.actor,
            action=r.action,
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            before=json.loads(r.before) if r.before else None,
            after=json.loads(r.after) if r.after else None,
            reason=r.reason,
        )
        for r in rows
    ]


@dataclass(frozen=True)
class AuditViolation:
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"record {self.seq}" if self.seq is not None else "chain"
        return f"{where}: {self.problem}"


def verify_audit_chain(
    session: Session, batch_size: int = 5000
) -> tuple[int, list[AuditViolation]]:
    """Walk the whole chain; returns (records checked, violations)."""
    violations: list[AuditViolation] = []
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    last_seq = 0
    while True:
        rows = (
            session.execute(
                select(AuditRecord)
                .where(AuditRecord.seq > last_seq)
                .order_by(AuditRecord.seq)
                .limit(batch_size)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for rec in rows:
            checked += 1
            if rec.seq != expected_seq:
                violations.append(AuditViolation(rec.seq, f"sequence gap: expected {expected_seq}"))
            if rec.prev_hash != prev_hash:
                violations.append(AuditViolation(rec.seq, "link to the previous record is broken"))
            recomputed = _digest(
                seq=rec.seq,
                occurred_at=rec.occurred_at,
                actor=rec.actor,
                action=rec.action,
                subject_type=rec.subject_type,
                subject_id=rec.subject_id,
                before=rec.before,
                after=rec.after,
                reason=rec.reason,
                prev_hash=rec.prev_hash,
            )
            if recomputed != rec.hash:
                violations.append(AuditViolation(rec.seq, "content does not match its hash"))
            expected_seq = rec.seq + 1
            prev_hash = rec.hash
            last_seq = rec.seq
        session.expunge_all()
    head = session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.last_seq, head.last_hash) if head else (0, GENESIS_HASH)
    if head_seq != last_seq or head_hash != prev_hash:
        violations.append(
            AuditViolation(
                None,
                f"chain head says record {head_seq} is the newest, the log ends at {last_seq}",
            )
        )
    session.expunge_all()
    return checked, violations

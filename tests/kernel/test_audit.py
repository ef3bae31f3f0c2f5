"""The hash-chained audit trail (GLI-19 §2.8.8): appending, verifying, and detecting tampering."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from croupier.kernel.audit import (
    GENESIS_HASH,
    AuditViolation,
    _digest,
    record_event,
    verify_audit_chain,
)
from croupier.kernel.clock import ManualClock
from croupier.kernel.models import AuditChainHead, AuditRecord

COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "reason",
    "prev_hash",
    "hash",
)


def _record_limit_changes(db, clock, count=3):
    """``count`` significant events, one unit of work each, a minute apart."""
    for n in range(1, count + 1):
        with db.unit_of_work() as s:
            record_event(
                s,
                clock,
                actor=f"operator:op-{n}",
                action="limits.deposit_limit_changed",
                subject_type="player",
                subject_id="ply_1",
                before={"daily": (n - 1) * 100, "currency": "EUR"},
                after={"daily": n * 100, "currency": "EUR"},
                reason=f"player request #{n}",
            )
        clock.advance(timedelta(minutes=1))


def _rows(db):
    with db.read_only() as s:
        records = s.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars()
        return [tuple(getattr(r, c) for c in COLUMNS) for r in records]


def _head(db):
    with db.read_only() as s:
        head = s.get(AuditChainHead, 1)
        return head.last_seq, head.last_hash


def _verify(db):
    with db.read_only() as s:
        return verify_audit_chain(s)


def _execute(db, sql, **params):
    """Raw SQL behind the application's back, as an intruder with database access would."""
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


# -- appending ------------------------------------------------------------------------------


def test_an_empty_audit_trail_verifies(db):
    assert _verify(db) == (0, [])
    assert _head(db) == (0, GENESIS_HASH)


def test_each_event_is_appended_and_chained_to_the_one_before(db, clock):
    _record_limit_changes(db, clock)

    rows = [dict(zip(COLUMNS, r, strict=True)) for r in _rows(db)]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["prev_hash"] == GENESIS_HASH
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert rows[2]["prev_hash"] == rows[1]["hash"]
    assert len({r["hash"] for r in rows}) == 3
    assert _head(db) == (3, rows[2]["hash"])

    second = rows[1]
    assert second["actor"] == "operator:op-2"
    assert second["action"] == "limits.deposit_limit_changed"
    assert json.loads(second["before"]) == {"daily": 100, "currency": "EUR"}
    assert json.loads(second["after"]) == {"daily": 200, "currency": "EUR"}
    assert second["reason"] == "player request #2"
    assert second["occurred_at"] == datetime(2026, 11, 1, 12, 1, tzinfo=UTC)


def test_an_intact_chain_verifies_without_violations(db, clock):
    _record_limit_changes(db, clock, count=5)
    assert _verify(db) == (5, [])


def test_verification_walks_the_chain_across_batches(db, clock):
    _record_limit_changes(db, clock, count=7)
    with db.read_only() as s:
        assert verify_audit_chain(s, batch_size=2) == (7, [])


def test_an_event_in_a_rolled_back_unit_of_work_leaves_no_record(db, clock):
    _record_limit_changes(db, clock, count=1)
    before = _rows(db), _head(db)

    def record_then_fail():
        with db.unit_of_work() as s:
            record_event(s, clock, actor="system:job", action="x", subject_type="t", subject_id="1")
            raise RuntimeError("the audited change failed")

    with pytest.raises(RuntimeError):
        record_then_fail()
    assert (_rows(db), _head(db)) == before
    assert _verify(db) == (1, [])


# -- tampering ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("after", '{"currency":"EUR","daily":999999}'),
        ("before", None),
        ("actor", "operator:someone-else"),
        ("action", "limits.nothing_happened"),
        ("subject_id", "ply_2"),
        ("reason", "edited"),
    ],
)
def test_editing_a_record_breaks_its_hash(db, clock, column, value):
    _record_limit_changes(db, clock)
    _execute(db, f"UPDATE audit_log SET {column} = :value WHERE seq = 2", value=value)

    checked, violations = _verify(db)
    assert checked == 3
    assert violations == [AuditViolation(2, "content does not match its hash")]


def test_moving_a_records_time_breaks_its_hash(db, clock):
    _record_limit_changes(db, clock)
    with db.unit_of_work() as s:
        s.get(AuditRecord, 2).occurred_at = datetime(2026, 10, 1, tzinfo=UTC)

    assert _verify(db) == (3, [AuditViolation(2, "content does not match its hash")])


def test_an_edit_with_a_recomputed_hash_breaks_the_next_records_link(db, clock):
    _record_limit_changes(db, clock)
    with db.unit_of_work() as s:
        forged = s.get(AuditRecord, 2)
        forged.after = json.dumps({"daily": 999_999}, separators=(",", ":"))
        forged.hash = _digest(**{c: getattr(forged, c) for c in COLUMNS if c != "hash"})

    assert _verify(db) == (3, [AuditViolation(3, "link to the previous record is broken")])


def test_deleting_a_middle_record_is_detected(db, clock):
    _record_limit_changes(db, clock)
    _execute(db, "DELETE FROM audit_log WHERE seq = 2")

    checked, violations = _verify(db)
    assert checked == 2
    assert violations == [
        AuditViolation(3, "sequence gap: expected 2"),
        AuditViolation(3, "link to the previous record is broken"),
    ]


def test_deleting_the_newest_record_is_detected_by_the_chain_head(db, clock):
    _record_limit_changes(db, clock)
    _execute(db, "DELETE FROM audit_log WHERE seq = 3")

    checked, violations = _verify(db)
    assert checked == 2
    assert violations == [
        AuditViolation(None, "chain head says record 3 is the newest, the log ends at 2")
    ]
    assert str(violations[0]).startswith("chain: chain head")


def test_deleting_the_whole_log_is_detected_by_the_chain_head(db, clock):
    _record_limit_changes(db, clock)
    _execute(db, "DELETE FROM audit_log")

    checked, violations = _verify(db)
    assert checked == 0
    assert [v.seq for v in violations] == [None]


def test_verification_changes_nothing(db, clock):
    _record_limit_changes(db, clock)
    _execute(db, "UPDATE audit_log SET reason = 'edited' WHERE seq = 1")
    before = _rows(db), _head(db)
    _verify(db)
    assert (_rows(db), _head(db)) == before


# -- portability ----------------------------------------------------------------------------


def test_records_read_back_identically_on_sqlite_and_postgresql(sqlite_db, postgresql_db):
    start = datetime(2026, 11, 1, 23, 59, 59, 123_456, tzinfo=UTC)
    _record_limit_changes(sqlite_db, ManualClock(start))
    _record_limit_changes(postgresql_db, ManualClock(start))

    on_sqlite, on_postgresql = _rows(sqlite_db), _rows(postgresql_db)
    assert on_sqlite == on_postgresql
    for row in on_sqlite + on_postgresql:
        occurred_at = row[COLUMNS.index("occurred_at")]
        assert occurred_at.tzinfo is UTC
    assert on_sqlite[0][COLUMNS.index("occurred_at")] == start
    assert _head(sqlite_db) == _head(postgresql_db)
    assert _verify(sqlite_db) == _verify(postgresql_db) == (3, [])


def test_an_event_timed_in_another_zone_still_verifies(db):
    malta_summer = timezone(timedelta(hours=2))
    clock = ManualClock(datetime(2026, 7, 1, 14, 0, tzinfo=malta_summer))
    _record_limit_changes(db, clock, count=1)
    assert _verify(db) == (1, [])


# -- concurrency ----------------------------------------------------------------------------


def test_twenty_concurrent_writers_produce_one_contiguous_chain(db, clock):
    writers = 20
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            with db.unit_of_work() as s:
                record_event(
                    s,
                    clock,
                    actor=f"system:worker-{n}",
                    action="exclusion.self_excluded",
                    subject_type="player",
                    subject_id=f"ply_{n}",
                    after={"period_days": 180},
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    rows = _rows(db)
    assert [r[0] for r in rows] == list(range(1, writers + 1))
    assert {r[COLUMNS.index("subject_id")] for r in rows} == {f"ply_{n}" for n in range(writers)}
    assert _head(db) == (writers, rows[-1][COLUMNS.index("hash")])
    assert _verify(db) == (writers, [])

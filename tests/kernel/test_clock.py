"""The platform clock: durations, the stored offset (dev and test only) and its audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from croupier.kernel.audit import verify_audit_chain
from croupier.kernel.clock import (
    ClockNotAdjustable,
    InvalidDuration,
    OffsetClock,
    SystemClock,
    clock_for,
    parse_duration,
    read_clock_offset,
    set_clock_offset,
)
from croupier.kernel.config import Environment, Settings
from croupier.kernel.models import AuditRecord

# -- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25h", timedelta(hours=25)),
        ("90m", timedelta(minutes=90)),
        ("7d", timedelta(days=7)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        (" 1H 30M ", timedelta(hours=1, minutes=30)),
    ],
)
def test_a_duration_in_operator_notation_is_understood(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "5x", "0h", "0d0m", "h", "-1h", "1.5h", "1h-", "25"])
def test_a_malformed_or_empty_duration_is_refused(text):
    with pytest.raises(InvalidDuration) as exc_info:
        parse_duration(text)
    assert exc_info.value.code == "clock.invalid_duration"


def test_a_duration_beyond_any_calendar_is_refused_as_invalid():
    with pytest.raises(InvalidDuration):
        parse_duration("1000000000d")


# -- clocks ---------------------------------------------------------------------------------


def test_a_manual_clock_moves_only_when_told(clock):
    start = clock.now()
    assert clock.now() == start
    clock.advance(timedelta(hours=25))
    assert clock.now() == start + timedelta(hours=25)
    assert clock.now().tzinfo is UTC


def test_the_system_clock_is_timezone_aware_utc():
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert before <= now <= datetime.now(UTC)
    assert now.utcoffset() == timedelta(0)


# -- the stored offset ----------------------------------------------------------------------


def _audit_records(db):
    with db.read_only() as s:
        records = list(s.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars())
        s.expunge_all()  # keep the loaded values: the read-only session expires on rollback
        return records


def _offset(db):
    with db.read_only() as s:
        return read_clock_offset(s)


def test_a_fresh_deployment_runs_on_the_wall_clock(db):
    assert _offset(db) == timedelta(0)


def test_moving_the_clock_in_production_is_refused_and_nothing_changes(db, clock):
    with pytest.raises(ClockNotAdjustable) as exc_info, db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(hours=25), adjustable=False, actor="cli:ops")
    assert exc_info.value.code == "clock.not_adjustable"
    assert exc_info.value.status == 403
    assert _offset(db) == timedelta(0)
    assert _audit_records(db) == []


def test_a_negative_offset_is_refused_and_nothing_changes(db, clock):
    with pytest.raises(InvalidDuration) as exc_info, db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(hours=-1), adjustable=True, actor="cli:ops")
    assert exc_info.value.code == "clock.invalid_duration"
    assert _offset(db) == timedelta(0)
    assert _audit_records(db) == []


def test_moving_the_clock_beyond_a_hundred_years_in_all_is_refused_and_nothing_changes(db, clock):
    with db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(days=36_000), adjustable=True, actor="cli:ops")
    with pytest.raises(InvalidDuration), db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(days=36_601), adjustable=True, actor="cli:ops")
    with db.read_only() as s:
        assert read_clock_offset(s) == timedelta(days=36_000)
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 1


def test_advancing_the_clock_is_stored_and_audited_with_before_and_after(db, clock):
    with db.unit_of_work() as s:
        new = set_clock_offset(s, clock, parse_duration("25h"), adjustable=True, actor="cli:alice")
    assert new == timedelta(hours=25)
    with db.unit_of_work() as s:
        set_clock_offset(
            s, clock, read_clock_offset(s) + parse_duration("7d"), adjustable=True, actor="cli:bob"
        )

    assert _offset(db) == timedelta(days=8, hours=1)
    first, second = _audit_records(db)
    assert first.action == second.action == "clock.offset_changed"
    assert (first.subject_type, first.subject_id) == ("clock", "platform")
    assert first.actor == "cli:alice"
    assert first.occurred_at == clock.now()
    assert json.loads(first.before) == {"offset_seconds": 0}
    assert json.loads(first.after) == {"offset_seconds": 25 * 3600}
    assert second.actor == "cli:bob"
    assert json.loads(second.before) == {"offset_seconds": 25 * 3600}
    assert json.loads(second.after) == {"offset_seconds": (8 * 24 + 1) * 3600}
    with db.read_only() as s:
        assert verify_audit_chain(s) == (2, [])


def test_a_clock_move_that_rolls_back_leaves_no_offset_and_no_audit_record(db, clock):
    def move_then_fail():
        with db.unit_of_work() as s:
            set_clock_offset(s, clock, timedelta(hours=25), adjustable=True, actor="cli:ops")
            raise RuntimeError("the command failed after moving the clock")

    with pytest.raises(RuntimeError):
        move_then_fail()
    assert _offset(db) == timedelta(0)
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(AuditRecord)) == 0


def test_an_offset_clock_picks_up_a_stored_offset(db, clock):
    platform_clock = OffsetClock(lambda: _offset(db), refresh_s=0)
    before = datetime.now(UTC)
    assert before <= platform_clock.now() <= datetime.now(UTC)

    with db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(hours=25), adjustable=True, actor="cli:ops")

    before = datetime.now(UTC)
    now = platform_clock.now()
    assert before + timedelta(hours=25) <= now <= datetime.now(UTC) + timedelta(hours=25)
    assert now.utcoffset() == timedelta(0)


def test_an_offset_clock_rereads_a_cached_offset_only_when_invalidated(db, clock):
    platform_clock = OffsetClock(lambda: _offset(db), refresh_s=3600)
    assert platform_clock.now() < datetime.now(UTC) + timedelta(hours=1)

    with db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(hours=25), adjustable=True, actor="cli:ops")

    assert platform_clock.now() < datetime.now(UTC) + timedelta(hours=1)
    platform_clock.invalidate()
    assert platform_clock.now() >= datetime.now(UTC) + timedelta(hours=24)


def test_production_runs_on_the_wall_clock_and_dev_on_the_stored_offset(db, clock):
    with db.unit_of_work() as s:
        set_clock_offset(s, clock, timedelta(days=2), adjustable=True, actor="cli:ops")

    production = clock_for(Settings(env=Environment.PRODUCTION, database_url=db.url), db)
    dev = clock_for(Settings(env=Environment.DEV, database_url=db.url), db)

    assert isinstance(production, SystemClock)
    assert production.now() < datetime.now(UTC) + timedelta(hours=1)
    assert dev.now() >= datetime.now(UTC) + timedelta(days=2) - timedelta(minutes=1)

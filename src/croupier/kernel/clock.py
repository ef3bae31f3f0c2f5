"""Time comes from an injectable clock.

Production reads the system clock. In ``dev`` and ``test`` an operator may move the clock
forward (``croupier clock advance 25h``) so that rules that wait 24 hours can be shown working;
the offset lives in the database so that every process of the deployment sees the same time.
Moving the clock is a significant event (GLI-19 §2.8.8, "changes to the master clock") and is
audited by the command that does it.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from croupier.kernel.config import Settings
from croupier.kernel.db import Database
from croupier.kernel.errors import DomainError
from croupier.kernel.models import ClockOffset


class ClockNotAdjustable(DomainError):
    code = "clock.not_adjustable"
    status = 403
    title = "The clock can be moved only in dev and test environments"


class InvalidDuration(DomainError):
    code = "clock.invalid_duration"
    status = 422
    title = "Invalid duration"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class OffsetClock:
    """The system clock plus an offset read from a source at most once per ``refresh_s``."""

    def __init__(self, read_offset: _OffsetReader, refresh_s: float = 1.0) -> None:
        self._read_offset = read_offset
        self._refresh_s = refresh_s
        self._offset = timedelta(0)
        self._read_at = -1e18
        self._lock = threading.Lock()

    def now(self) -> datetime:
        mono = time.monotonic()
        if mono - self._read_at >= self._refresh_s:
            with self._lock:
                self._offset = self._read_offset()
                self._read_at = mono
        return datetime.now(UTC) + self._offset

    def invalidate(self) -> None:
        """Read the offset again on the next call."""
        self._read_at = -1e18


class _OffsetReader(Protocol):
    def __call__(self) -> timedelta: ...


_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
# Far beyond any rule's waiting period, and far inside datetime's range (year 9999).
MAX_OFFSET = timedelta(days=100 * 366)


def parse_duration(text: str) -> timedelta:
    """Parse ``25h``, ``90m``, ``7d``, ``1h30m``, ``2w`` into a positive timedelta."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise InvalidDuration(
            f"{text!r} is not a duration; use forms like 25h, 90m, 7d or 1h30m.",
        )
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise InvalidDuration("The duration must be positive.")
    if seconds > MAX_OFFSET.total_seconds():
        raise InvalidDuration(f"{text!r} is longer than the clock may ever be moved (100 years).")
    return timedelta(seconds=seconds)


def read_clock_offset(session: Session) -> timedelta:
    """The offset stored for the deployment (zero if never set)."""
    row = session.get(ClockOffset, 1)
    return timedelta(seconds=row.offset_seconds) if row else timedelta(0)


def set_clock_offset(
    session: Session, clock: Clock, offset: timedelta, *, adjustable: bool, actor: str
) -> timedelta:
    """Store a new offset (dev and test only) and audit the change; returns the new offset."""
    from croupier.kernel.audit import record_event

    if not adjustable:
        raise ClockNotAdjustable("The clock can be moved only when CROUPIER_ENV is dev or test.")
    if offset < timedelta(0):
        raise InvalidDuration("The clock never runs behind the wall clock.")
    if offset > MAX_OFFSET:
        raise InvalidDuration("The clock may be moved at most 100 years ahead in all.")
    row = session.get(ClockOffset, 1, with_for_update=True)
    before = row.offset_seconds if row else 0
    if row is None:
        row = ClockOffset(id=1, offset_seconds=0)
        session.add(row)
    row.offset_seconds = int(offset.total_seconds())
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="clock.offset_changed",
        subject_type="clock",
        subject_id="platform",
        before={"offset_seconds": before},
        after={"offset_seconds": row.offset_seconds},
    )
    return timedelta(seconds=row.offset_seconds)


def clock_for(settings: Settings, database: Database) -> Clock:
    """The wall clock in production; in dev and test, the wall clock plus the stored offset."""
    if not settings.clock_is_adjustable:
        return SystemClock()

    def offset() -> timedelta:
        with database.read_only() as session:
            return read_clock_offset(session)

    return OffsetClock(offset)

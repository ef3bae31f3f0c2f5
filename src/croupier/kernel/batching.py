"""Many callers' units of work in one database transaction (group commit).

A request that writes pays for its commit: on SQLite one writer at a time and a disk flush
per commit; on PostgreSQL a flush per commit and the hot rows (a house account) locked until
it ends. Requests that come together can share one: the :class:`UnitOfWorkBatcher` runs one
thread per process that takes every unit of work queued while the previous batch committed,
runs each in its own savepoint of one transaction, and commits once (or, for units that
rarely raise, runs them without savepoints and falls back to savepoints when one does).

Each unit of work still stands alone: one that raises is rolled back to its savepoint and
gets its exception, the others go on; a unit that hit a database error (a deadlock between
processes, say) is run again on its own after the batch. A unit of work's result is handed
back only after the commit succeeded; if the commit fails, every caller of the batch gets the
error, and nothing of it was written.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from croupier.kernel.db import Database

log = structlog.get_logger(__name__)

T = TypeVar("T")

BATCH_UNITS = Histogram(
    "croupier_batched_units_of_work",
    "Units of work committed together in one transaction, by batcher",
    ["batcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


BATCH_RETRIES = Counter(
    "croupier_batches_rerun_total",
    "Batches run without savepoints that a unit's exception sent back to run with them",
    ["batcher"],
)


@dataclass(slots=True)
class _Unit(Generic[T]):
    work: Callable[[Session], T]
    future: Future[T]


class UnitOfWorkBatcher:
    """Group commit of whole units of work (one committer thread per process)."""

    def __init__(
        self, database: Database, name: str, *, max_batch: int = 64, savepoints: bool = True
    ) -> None:
        """``savepoints=False``: run a batch's units without a savepoint each (two round
        trips fewer per unit) and, if any of them raises, roll the whole batch back and run
        it again the careful way, a savepoint per unit. For units that report refusals as
        results rather than exceptions (the seamless wallet), where a unit raising is rare:
        the outcome is the same either way, since nothing of a failed try is committed."""
        self._database = database
        self._name = name
        self._max_batch = max_batch
        self._savepoints = savepoints
        self._queue: queue.SimpleQueue[_Unit[Any] | None] = queue.SimpleQueue()
        self._closed = False
        self.batches = 0
        self._thread = threading.Thread(target=self._run, name=f"batch-{name}", daemon=True)
        self._thread.start()

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue ``work(session)``; the future has its result once its transaction committed."""
        future: Future[T] = Future()
        if self._closed:
            future.set_exception(RuntimeError(f"The {self._name} batcher is closed."))
            return future
        self._queue.put(_Unit(work, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued and stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            units = [first]
            stop = False
            while len(units) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                units.append(nxt)
            self._commit(units)
            if stop:
                return

    def _commit_without_savepoints(self, units: list[_Unit[Any]]) -> bool:
        """Run and commit the batch with no savepoints; False (nothing written, nothing
        answered) when a unit or the commit raised."""
        values: list[Any] = []
        try:
            with self._database.unit_of_work() as session:
                for unit in units:
                    values.append(unit.work(session))
        except Exception:
            BATCH_RETRIES.labels(self._name).inc()
            return False
        self.batches += 1
        BATCH_UNITS.labels(self._name).observe(len(units))
        for unit, value in zip(units, values, strict=True):
            unit.future.set_result(value)
        return True

    def _commit(self, units: list[_Unit[Any]]) -> None:
        if not self._savepoints and len(units) > 1 and self._commit_without_savepoints(units):
            return
        outcomes: list[tuple[_Unit[Any], Any, BaseException | None]] = []
        again: list[_Unit[Any]] = []
        try:
            with self._database.unit_of_work() as session:
                for unit in units:
                    try:
                        with session.begin_nested():
                            outcomes.append((unit, unit.work(session), None))
                    except DBAPIError as exc:
                        if len(units) == 1:
                            outcomes.append((unit, None, exc))
                        else:
                            again.append(unit)  # on its own, after this batch
                    except Exception as exc:
                        outcomes.append((unit, None, exc))
        except Exception as exc:
            if len(units) > 1:
                # The commit itself failed: nothing of the batch was written. Each unit on
                # its own, so that one bad unit cannot fail the others twice.
                log.warning("batch.commit_failed", batcher=self._name, units=len(units))
                for unit in units:
                    self._commit([unit])
                return
            units[0].future.set_exception(exc)
            return
        self.batches += 1
        BATCH_UNITS.labels(self._name).observe(len(outcomes))
        for unit, value, error in outcomes:
            if error is not None:
                unit.future.set_exception(error)
            else:
                unit.future.set_result(value)
        for unit in again:
            self._commit([unit])

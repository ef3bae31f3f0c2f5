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

A :class:`BulkBatcher` goes one step further for requests of one kind: its handler receives
the whole batch and does it set-wise (one statement for all the batch's rows of a table rather
than one per request), which is where most of the time of a busy endpoint goes once the
commits are shared.
"""

from __future__ import annotations

import asyncio
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
I = TypeVar("I")  # noqa: E741 - an item of a bulk batch
R = TypeVar("R")

BATCH_UNITS = Histogram(
    "croupier_batched_units_of_work",
    "Units of work committed together in one transaction, by batcher",
    ["batcher"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


BATCH_RETRIES = Counter(
    "croupier_batches_rerun_total",
    "Batches that an exception sent back to run again (with savepoints, or item by item)",
    ["batcher"],
)


@dataclass(slots=True)
class _Unit(Generic[T]):
    work: Callable[[Session], T]
    future: Future[T]


@dataclass(slots=True)
class _Item(Generic[I, R]):
    value: I
    future: Future[R] | asyncio.Future[R]
    loop: asyncio.AbstractEventLoop | None = None  # set for an awaiting caller


class _Committer(Generic[T]):
    """One committer thread per process that takes what was queued while the previous batch
    committed (up to ``max_batch``) and hands it to ``_commit``."""

    def __init__(self, database: Database, name: str, max_batch: int) -> None:
        self._database = database
        self._name = name
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[T | None] = queue.SimpleQueue()
        self._closed = False
        self.batches = 0
        self._thread = threading.Thread(target=self._run, name=f"batch-{name}", daemon=True)
        self._thread.start()

    def _put(self, entry: T, future: Future[Any] | asyncio.Future[Any]) -> None:
        if self._closed:
            future.set_exception(RuntimeError(f"The {self._name} batcher is closed."))
        else:
            self._queue.put(entry)

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
            entries = [first]
            stop = False
            while len(entries) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                entries.append(nxt)
            self._commit(entries)
            if stop:
                return

    def _commit(self, entries: list[T]) -> None:
        raise NotImplementedError

    def _committed(self, size: int) -> None:
        self.batches += 1
        BATCH_UNITS.labels(self._name).observe(size)


class UnitOfWorkBatcher(_Committer[_Unit[Any]]):
    """Group commit of whole units of work (one committer thread per process)."""

    def __init__(
        self, database: Database, name: str, *, max_batch: int = 64, savepoints: bool = True
    ) -> None:
        """``savepoints=False``: run a batch's units without a savepoint each (two round
        trips fewer per unit) and, if any of them raises, roll the whole batch back and run
        it again the careful way, a savepoint per unit. For units that report refusals as
        results rather than exceptions (the seamless wallet), where a unit raising is rare:
        the outcome is the same either way, since nothing of a failed try is committed."""
        self._savepoints = savepoints
        super().__init__(database, name, max_batch)

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue ``work(session)``; the future has its result once its transaction committed."""
        future: Future[T] = Future()
        self._put(_Unit(work, future), future)
        return future

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
        self._committed(len(units))
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
        self._committed(len(outcomes))
        for unit, value, error in outcomes:
            if error is not None:
                unit.future.set_exception(error)
            else:
                unit.future.set_result(value)
        for unit in again:
            self._commit([unit])


class BulkBatcher(_Committer[_Item[I, R]]):
    """Group commit of requests of one kind, handled set-wise: ``handle(session, items)``
    gets every item of the batch at once and returns one result per item, in order (a
    refusal is a result, not an exception). The results are handed back once the batch
    committed. If ``handle`` or the commit raises, nothing of the batch was written and each
    item runs again in a batch of its own, so that only the item at fault gets the error."""

    def __init__(
        self,
        database: Database,
        name: str,
        handle: Callable[[Session, list[I]], list[R]],
        *,
        max_batch: int = 128,
    ) -> None:
        self._handle = handle
        super().__init__(database, name, max_batch)

    def submit(self, item: I) -> Future[R]:
        """Queue ``item``; the future has its result once its transaction committed."""
        future: Future[R] = Future()
        self._put(_Item(item, future), future)
        return future

    async def put(self, item: I) -> R:
        """Queue ``item`` and wait for its result (from an event loop). The batch's answers
        reach each loop in one wake-up, not one per item."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._put(_Item(item, future, loop), future)
        return await future

    def _commit(self, entries: list[_Item[I, R]]) -> None:
        try:
            with self._database.unit_of_work() as session:
                results = self._handle(session, [entry.value for entry in entries])
                if len(results) != len(entries):
                    raise RuntimeError(
                        f"The {self._name} handler answered {len(results)} results for "
                        f"{len(entries)} items."
                    )
        except Exception as exc:
            if len(entries) == 1:
                _answer([(entries[0], None, exc)])
                return
            BATCH_RETRIES.labels(self._name).inc()
            log.warning("batch.failed", batcher=self._name, units=len(entries), error=repr(exc))
            for entry in entries:
                self._commit([entry])
            return
        self._committed(len(entries))
        _answer([(entry, result, None) for entry, result in zip(entries, results, strict=True)])


def _answer(answers: list[tuple[_Item[Any, Any], Any, BaseException | None]]) -> None:
    """Hand each item its result or error: a thread's future at once, an event loop's
    futures in one call into that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any, BaseException | None]]] = {}
    for entry, result, error in answers:
        if entry.loop is None:
            _settle([(entry.future, result, error)])
        else:
            by_loop.setdefault(entry.loop, []).append((entry.future, result, error))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:  # the loop closed: nobody is waiting any more
            log.warning("batch.loop_closed", answers=len(settled))


def _settle(settled: list[tuple[Any, Any, BaseException | None]]) -> None:
    for future, result, error in settled:
        if future.done():  # an awaiting caller that went away (cancelled)
            continue
        try:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)
        except (TypeError, RuntimeError) as refused:  # an error a future may not carry
            # (StopIteration): the caller still gets an answer, and the others theirs.
            log.error("batch.answer_refused", error=repr(error), refused=repr(refused))
            future.set_exception(RuntimeError(f"The batch failed: {error!r}"))

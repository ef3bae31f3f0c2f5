"""Group commit: many callers' transfers in one database transaction.

Every bet pays the same house account, so a ledger that commits each transfer on its own
serializes on that one row: each transaction holds its lock through the commit's disk flush.
The :class:`GroupCommitter` runs one committer thread per process. Callers hand it their
transfers and wait; while one batch commits, the next callers queue up, and the committer takes
them all (up to ``max_batch`` transfers) into the next transaction. Each transfer still gets its
own result, exactly as :func:`~croupier.core.wallet.service.create_transfers` decides it: a
refused transfer never fails the others, and a linked chain never spans two callers.

Nothing is weakened: the transaction is the same one a single transfer would use, with the same
row locks and the same checks. If a batch fails for a database reason (a dropped connection, a
serialization failure), it is retried; because every transfer has the caller's id, a retry after
an unknown commit outcome replays instead of moving money twice.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from croupier.core.wallet import errors
from croupier.core.wallet.service import NewTransfer, TransferResult, create_transfers
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database

log = structlog.get_logger(__name__)

BATCH_SIZE = Histogram(
    "croupier_ledger_batch_transfers",
    "Transfers per group-committed ledger transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096),
)
BATCH_SECONDS = Histogram(
    "croupier_ledger_batch_seconds",
    "Time to apply and commit one ledger batch",
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0),
)
BATCH_RETRIES = Counter(
    "croupier_ledger_batch_retries_total",
    "Ledger batches tried again after a database error (lost connection, serialization failure)",
)
TRANSFER_RESULTS = Counter(
    "croupier_ledger_transfers_total", "Ledger transfers by outcome", ["outcome"]
)


@dataclass(slots=True)
class _Request:
    transfers: Sequence[NewTransfer]
    future: Future[list[TransferResult]]


class GroupCommitter:
    """Batches concurrent callers' transfers into shared transactions (one thread per process)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        max_batch: int = 2000,
        retries: int = 3,
        linger_s: float = 0.002,
    ) -> None:
        self._database = database
        self._clock = clock
        self._max_batch = max_batch
        self._retries = retries
        self._linger_s = linger_s
        self._last_requests = 1
        self._connection: Connection | None = None
        self.batches = 0
        self.transfers = 0
        self.retries = 0
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="ledger-group-commit", daemon=True)
        self._thread.start()

    def submit(self, transfers: Sequence[NewTransfer]) -> list[TransferResult]:
        """Apply ``transfers`` (one caller's batch) and wait for their results.

        The caller's batch commits atomically with whatever else shares its transaction, but
        each transfer's result is its own. Raises ``ledger.linked_chain_open`` if the last
        transfer is marked linked, and ``ledger.unavailable`` if the database failed repeatedly
        (retrying with the same ids is then safe).
        """
        return self.submit_async(transfers).result()

    def submit_async(self, transfers: Sequence[NewTransfer]) -> Future[list[TransferResult]]:
        """Like :meth:`submit` but returns at once with a future of the results.

        An asyncio caller awaits ``asyncio.wrap_future(...)``, so one process can keep many
        requests in flight without a thread for each.
        """
        if transfers and transfers[-1].linked:
            raise errors.LinkedChainOpen("The last transfer of a batch may not be marked linked.")
        future: Future[list[TransferResult]] = Future()
        if not transfers:
            future.set_result([])
            return future
        if self._closed:
            raise errors.LedgerUnavailable("The ledger is shutting down.")
        self._queue.put(_Request(list(transfers), future))
        return future

    def submit_one(self, transfer: NewTransfer) -> TransferResult:
        """Apply one transfer and wait for its result."""
        return self.submit([transfer])[0]

    def close(self, timeout: float = 10.0) -> None:
        """Finish queued work and stop the committer thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join(timeout)
        self._drop_connection()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            requests = [first]
            count = len(first.transfers)
            stop = False
            # Threads wake one at a time, so right after a commit only a few callers have
            # queued again. Wait (at most linger_s) until as many callers as last time have
            # come back: under steady load batches stay full; when load drops, the wait
            # expires once and the target follows it down.
            deadline: float | None = None
            while count < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    if len(requests) >= self._last_requests:
                        break
                    now = time.monotonic()
                    if deadline is None:
                        deadline = now + self._linger_s
                    if now >= deadline:
                        break
                    try:
                        nxt = self._queue.get(timeout=deadline - now)
                    except queue.Empty:
                        break
                if nxt is None:
                    stop = True
                    break
                requests.append(nxt)
                count += len(nxt.transfers)
            self._last_requests = len(requests)
            self._commit(requests, count)
            if stop:
                return

    def _apply(self, transfers: list[NewTransfer]) -> list[TransferResult]:
        # The committer keeps one connection: no pool checkout, ping or reset per batch.
        if self._connection is None:
            self._connection = self._database.engine.connect()
        with Session(bind=self._connection) as session, session.begin():
            return create_transfers(session, self._clock, transfers)

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except DBAPIError:
                pass
            self._connection = None

    def _commit(self, requests: list[_Request], count: int) -> None:
        flat = [t for r in requests for t in r.transfers]
        started = time.perf_counter()
        for attempt in range(1, self._retries + 1):
            try:
                results = self._apply(flat)
                break
            except DBAPIError as exc:
                self._drop_connection()
                log.warning(
                    "ledger.batch_retry",
                    attempt=attempt,
                    transfers=count,
                    error=type(exc.orig).__name__ if exc.orig else type(exc).__name__,
                )
                if attempt == self._retries:
                    failure = errors.LedgerUnavailable(
                        "The ledger could not commit; retry with the same transfer ids."
                    )
                    for r in requests:
                        r.future.set_exception(failure)
                    return
                self.retries += 1
                BATCH_RETRIES.inc()
                time.sleep(0.005 * attempt)
            except Exception as exc:  # a bug: fail these callers, keep serving others
                log.exception("ledger.batch_failed", transfers=count)
                for r in requests:
                    r.future.set_exception(exc)
                return
        self.batches += 1
        self.transfers += count
        BATCH_SIZE.observe(count)
        BATCH_SECONDS.observe(time.perf_counter() - started)
        offset = 0
        for r in requests:
            mine = results[offset : offset + len(r.transfers)]
            offset += len(r.transfers)
            for res in mine:
                TRANSFER_RESULTS.labels(
                    "replayed" if res.replayed else "ok" if res.ok else res.error.code  # type: ignore[union-attr]
                ).inc()
            r.future.set_result(mine)

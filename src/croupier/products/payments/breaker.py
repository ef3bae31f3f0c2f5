"""A circuit breaker per PSP: stop sending payments to a PSP that is failing.

Closed: calls go through; a failure counts. It opens after ``consecutive_failures`` failures
in a row, or when at least ``min_calls`` calls of the last ``window_seconds`` failed at
``error_rate`` or more. Open: no calls for ``open_seconds``. Then half-open: one probe at a
time goes through; its success closes the breaker, its failure opens it again.

Only failures that say the PSP is unwell count: no connection, 503, timeouts, 5xx. A decline
is a success (the PSP works). State is kept per process (each process learns on its own in a
few calls; documented in docs/operations.md).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog
from prometheus_client import Counter, Gauge

from croupier.products.payments.config import BreakerConfig

log = structlog.get_logger("croupier.payments.breaker")

BREAKER_STATE = Gauge(
    "croupier_psp_breaker_open", "1 while a PSP's circuit breaker is open or half-open", ["psp"]
)
BREAKER_OPENED = Counter("croupier_psp_breaker_opened_total", "Times a breaker opened", ["psp"])


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSnapshot:
    psp: str
    state: BreakerState
    consecutive_failures: int
    calls_in_window: int
    failures_in_window: int
    opened_at: float | None  # unix seconds of the last opening
    times_opened: int


class CircuitBreaker:
    def __init__(
        self,
        psp: str,
        config: BreakerConfig,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.psp = psp
        self.config = config
        self._monotonic = monotonic
        self._wall = wall
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._calls: deque[tuple[float, bool]] = deque()  # (when, failed)
        self._open_until = 0.0
        self._probe_in_flight = False
        self._opened_at: float | None = None
        self._times_opened = 0

    def _trim(self, now: float) -> None:
        horizon = now - self.config.window_seconds
        while self._calls and self._calls[0][0] < horizon:
            self._calls.popleft()

    def allow(self) -> bool:
        """May a call go to this PSP now? (In half-open, only one probe at a time.)"""
        with self._lock:
            now = self._monotonic()
            if self._state is BreakerState.OPEN:
                if now < self._open_until:
                    return False
                self._state = BreakerState.HALF_OPEN
                self._probe_in_flight = False
                log.info("psp.breaker_half_open", psp=self.psp)
            if self._state is BreakerState.HALF_OPEN:
                if self._probe_in_flight:
                    return False
                self._probe_in_flight = True
            return True

    def record_success(self) -> None:
        with self._lock:
            now = self._monotonic()
            self._trim(now)
            self._calls.append((now, False))
            self._consecutive = 0
            if self._state is not BreakerState.CLOSED:
                self._state = BreakerState.CLOSED
                self._probe_in_flight = False
                self._calls.clear()
                BREAKER_STATE.labels(self.psp).set(0)
                log.info("psp.breaker_closed", psp=self.psp)

    def record_failure(self) -> None:
        with self._lock:
            now = self._monotonic()
            self._trim(now)
            self._calls.append((now, True))
            self._consecutive += 1
            if self._state is BreakerState.HALF_OPEN:
                self._open(now, "probe failed")
                return
            if self._state is BreakerState.OPEN:
                return
            failures = sum(1 for _, failed in self._calls if failed)
            if self._consecutive >= self.config.consecutive_failures:
                self._open(now, f"{self._consecutive} failures in a row")
            elif len(
                self._calls
            ) >= self.config.min_calls and failures >= self.config.error_rate * len(self._calls):
                self._open(now, f"{failures} of {len(self._calls)} calls failed")

    def _open(self, now: float, why: str) -> None:
        self._state = BreakerState.OPEN
        self._open_until = now + self.config.open_seconds
        self._probe_in_flight = False
        self._opened_at = self._wall()
        self._times_opened += 1
        BREAKER_STATE.labels(self.psp).set(1)
        BREAKER_OPENED.labels(self.psp).inc()
        log.warning("psp.breaker_opened", psp=self.psp, why=why)

    def snapshot(self) -> BreakerSnapshot:
        with self._lock:
            now = self._monotonic()
            self._trim(now)
            state = self._state
            if state is BreakerState.OPEN and now >= self._open_until:
                state = BreakerState.HALF_OPEN
            return BreakerSnapshot(
                psp=self.psp,
                state=state,
                consecutive_failures=self._consecutive,
                calls_in_window=len(self._calls),
                failures_in_window=sum(1 for _, failed in self._calls if failed),
                opened_at=self._opened_at,
                times_opened=self._times_opened,
            )

"""The circuit breaker per PSP, on a clock the test moves."""

from __future__ import annotations

from croupier.products.payments.breaker import BreakerState, CircuitBreaker
from croupier.products.payments.config import BreakerConfig


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(**config: float) -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    settings = BreakerConfig.model_validate(
        {
            "consecutive_failures": 3,
            "min_calls": 10,
            "error_rate": 0.5,
            "window_seconds": 10,
            "open_seconds": 5,
            **config,
        }
    )
    return CircuitBreaker("card", settings, monotonic=clock, wall=clock), clock


def test_it_opens_after_consecutive_failures_and_refuses_calls() -> None:
    b, _ = breaker()
    for _ in range(2):
        assert b.allow()
        b.record_failure()
    assert b.snapshot().state is BreakerState.CLOSED
    b.record_failure()
    assert b.snapshot().state is BreakerState.OPEN
    assert not b.allow()
    assert b.snapshot().times_opened == 1


def test_a_success_resets_the_run_of_failures() -> None:
    b, _ = breaker()
    b.record_failure()
    b.record_failure()
    b.record_success()
    b.record_failure()
    b.record_failure()
    assert b.snapshot().state is BreakerState.CLOSED


def test_it_opens_on_the_error_rate_over_the_window() -> None:
    b, clock = breaker(consecutive_failures=100)
    for i in range(10):
        clock.now += 0.1
        b.record_failure() if i % 2 else b.record_success()
    assert b.snapshot().state is BreakerState.OPEN


def test_old_calls_leave_the_window() -> None:
    b, clock = breaker(consecutive_failures=100)
    for _ in range(9):
        b.record_failure()
        b.record_success()
    clock.now += 11  # all of them are older than the window now
    b.record_failure()
    snapshot = b.snapshot()
    assert snapshot.state is BreakerState.CLOSED
    assert snapshot.calls_in_window == 1


def test_after_the_open_time_one_probe_goes_through_and_its_success_closes() -> None:
    b, clock = breaker()
    for _ in range(3):
        b.record_failure()
    clock.now += 5
    assert b.snapshot().state is BreakerState.HALF_OPEN
    assert b.allow()  # the probe
    assert not b.allow()  # only one at a time
    b.record_success()
    assert b.snapshot().state is BreakerState.CLOSED
    assert b.allow()
    assert b.allow()


def test_a_failed_probe_opens_it_again() -> None:
    b, clock = breaker()
    for _ in range(3):
        b.record_failure()
    clock.now += 5
    assert b.allow()
    b.record_failure()
    assert b.snapshot().state is BreakerState.OPEN
    assert not b.allow()
    assert b.snapshot().times_opened == 2

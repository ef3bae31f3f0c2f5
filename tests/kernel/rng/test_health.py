"""Continuous health tests: a broken source stops play until an operator resets."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from croupier.kernel.clock import ManualClock
from croupier.kernel.rng import HealthState, Rng, RngHealthFailure
from croupier.kernel.rng.health import (
    STARTUP_SAMPLES,
    WINDOW,
    HealthMonitor,
    adaptive_proportion_cutoff,
    repetition_count_cutoff,
)

from .byte_sources import StreamSource, SwitchableSource, one_value_too_often


def test_cutoffs_are_the_standards() -> None:
    # SP 800-90B §4.4.1: C = 1 + ceil(20 / H).
    assert [repetition_count_cutoff(h) for h in (1, 2, 4, 8)] == [21, 11, 6, 4]
    # SP 800-90B Table 2 (W = 512, alpha = 2**-20).
    assert [adaptive_proportion_cutoff(h) for h in (1, 2, 4, 8)] == [311, 177, 62, 13]


def feed(stream: bytes, chunk: int) -> str | None:
    """Test the stream in draws of ``chunk`` bytes; the first failure's reason."""
    monitor = HealthMonitor()
    for start in range(0, len(stream), chunk):
        reason = monitor.test(stream[start : start + chunk])
        if reason:
            return reason
    return None


def no_runs(size: int, avoid: int) -> bytes:
    """Random bytes with no two equal neighbours and without ``avoid``."""
    out = bytearray()
    for b in os.urandom(size * 2):
        if b != avoid and (not out or b != out[-1]):
            out.append(b)
    return bytes(out[:size])


@pytest.mark.parametrize("chunk", [1, 64, 65, 1000])
def test_a_run_is_caught_at_the_cutoff_however_the_draws_cut_it(chunk: int) -> None:
    cutoff = repetition_count_cutoff(2)
    before, after = no_runs(997, avoid=0x5A), no_runs(2000, avoid=0x5A)
    assert feed(before + bytes([0x5A]) * (cutoff - 1) + after, chunk) is None
    reason = feed(before + bytes([0x5A]) * cutoff + after, chunk)
    assert reason is not None
    assert reason.startswith("repetition count test: 11 identical samples (0x5a)")


@pytest.mark.parametrize("chunk", [1, 64, 65, 1000])
def test_a_value_is_caught_at_the_proportion_cutoff_however_the_draws_cut_it(chunk: int) -> None:
    cutoff = adaptive_proportion_cutoff(2)

    def window_with(count: int) -> bytes:
        # the window's first value `count` times, never twice in a row, then other values
        others = no_runs(WINDOW, avoid=0x5A)
        mixed = [byte for i in range(count) for byte in (0x5A, others[i])]
        return bytes(mixed + list(others[count : WINDOW - count]))

    quiet = no_runs(3 * WINDOW, avoid=0x5A)
    assert feed(quiet + window_with(cutoff - 1) + quiet, chunk) is None
    reason = feed(quiet + window_with(cutoff) + quiet, chunk)
    assert reason is not None
    assert reason.startswith(f"adaptive proportion test: value 0x5a occurred {cutoff} times")


def test_a_stuck_source_fails_the_start_up_test_and_no_game_can_draw() -> None:
    calls = []

    def zeros(size: int) -> bytes:
        calls.append(size)
        return bytes(size)

    clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    rng = Rng(zeros, clock=clock)
    with capture_logs() as logs, pytest.raises(RngHealthFailure) as raised:
        rng.randbelow(37)

    assert "repetition count test" in raised.value.detail
    status = rng.status()
    assert status.state is HealthState.FAILED
    assert status.failures == 1
    assert status.last_failure_at == clock.now()
    assert "11 identical samples" in (status.last_failure_reason or "")
    assert [e["event"] for e in logs] == ["rng.health_failure"]
    assert logs[0]["log_level"] == "critical"
    # Every further draw is refused without touching the source: play has stopped.
    with pytest.raises(RngHealthFailure):
        rng.randbelow(2)
    with pytest.raises(RngHealthFailure):
        rng.shuffle([1, 2, 3])
    with pytest.raises(RngHealthFailure):
        rng.random_bytes(16)
    assert calls == [STARTUP_SAMPLES]
    assert rng.status().failures == 1


def test_a_source_that_repeats_one_value_too_often_fails_the_proportion_test() -> None:
    source = StreamSource(one_value_too_often(0x41, seed=7))
    rng = Rng(source)
    with pytest.raises(RngHealthFailure) as raised:
        rng.random_bytes(4096)
    assert "adaptive proportion test: value 0x41" in raised.value.detail
    assert rng.status().state is HealthState.FAILED


def test_a_source_that_gets_stuck_during_play_stops_the_game_mid_round() -> None:
    source = SwitchableSource()
    rng = Rng(source)
    deck = list(range(52))
    rng.shuffle(deck)  # healthy: the round is dealt
    assert rng.status().state is HealthState.OK

    source.stuck = True
    dealt: list[int] = []

    def deal() -> None:
        for _ in range(100):
            dealt.append(rng.randbelow(52))

    with pytest.raises(RngHealthFailure):
        deal()
    # At most C - 1 = 10 stuck bytes went out before the run of 11 was seen (and none of the
    # failing draw's): nothing after the failure.
    assert len(dealt) <= repetition_count_cutoff(2) - 1
    calls = source.calls
    with pytest.raises(RngHealthFailure):
        rng.choice(deck)
    assert source.calls == calls


def test_reset_by_an_operator_resumes_play_after_the_start_up_test_passes() -> None:
    source = SwitchableSource()
    rng = Rng(source)
    source.stuck = True
    with pytest.raises(RngHealthFailure):
        rng.random_bytes(64)

    # Resetting while the source is still broken fails at once, not at a player's bet.
    with capture_logs() as logs, pytest.raises(RngHealthFailure):
        rng.reset(actor="operator:alice", reason="replaced the entropy daemon")
    assert [e["event"] for e in logs] == ["rng.reset", "rng.health_failure"]
    assert logs[0]["actor"] == "operator:alice"
    assert rng.status().state is HealthState.FAILED
    assert rng.status().failures == 2

    source.stuck = False
    status = rng.reset(actor="operator:alice", reason="source repaired")
    assert status.state is HealthState.OK
    assert status.failures == 2  # the history stays
    assert "repetition count test" in (status.last_failure_reason or "")
    assert 0 <= rng.randbelow(37) < 37


def test_a_source_returning_too_few_bytes_is_a_failure() -> None:
    rng = Rng(lambda size: os.urandom(size - 1))
    with pytest.raises(RngHealthFailure, match="returned 1023 bytes instead of 1024"):
        rng.randbelow(10)


def test_a_source_that_raises_is_a_failure() -> None:
    def broken(size: int) -> bytes:
        raise OSError("getrandom: function not implemented")

    rng = Rng(broken)
    with pytest.raises(RngHealthFailure, match="byte source failed: getrandom"):
        rng.randbelow(10)
    assert rng.status().state is HealthState.FAILED


def test_the_os_csprng_passes_over_a_megabyte_drawn_in_game_and_bulk_sizes() -> None:
    rng = Rng()
    for _ in range(16):
        rng.random_bytes(64 * 1024)
    for _ in range(20_000):
        rng.randbelow(37)
    status = rng.status()
    assert status.state is HealthState.OK
    assert status.failures == 0
    assert status.samples_tested >= 1_048_576 + 20_000


def test_the_failure_is_a_503_problem_with_a_stable_code() -> None:
    problem = RngHealthFailure("stuck").to_problem()
    assert problem["status"] == 503
    assert problem["code"] == "rng.health_failure"

"""Continuous health tests on every byte the RNG draws (NIST SP 800-90B §4.3-4.4).

GLI-19 §3 asks for live monitoring that stops play when the generator fails. We run the two
approved continuous tests of SP 800-90B §4.4 on each byte (an 8-bit sample) before it is used:

- **Repetition Count Test** (§4.4.1): fails when ``C`` identical samples follow one another,
  with ``C = 1 + ceil(20 / H)`` for a false-positive probability ``alpha = 2**-20`` under an
  assumed min-entropy of ``H`` bits per sample. It catches a source stuck on one value.
- **Adaptive Proportion Test** (§4.4.2): in each window of ``W = 512`` samples, counts how often
  the window's first value occurs; fails when the count reaches ``C``, the smallest count whose
  upper tail under ``Binomial(W, 2**-H)`` is at most ``alpha``. It catches a source that has
  lost most of its entropy without being stuck.

**Why H = 2 bits per byte.** Our source is the operating system's CSPRNG, whose output is
indistinguishable from 8 bits of entropy per byte. Setting ``H`` below the truth makes false
alarms vanish while still catching a broken source; setting it to 8 would halt the casino about
once per million bytes by chance (``alpha = 2**-20`` per sample is the standard's design point
for a noise source that really has ``H``). With ``H = 2``:

- RCT cutoff ``C = 1 + ceil(20 / 2) = 11``: 11 identical bytes in a row. For uniform bytes the
  chance of that at a given position is ``256**-10 = 2**-80``.
- APT cutoff ``C = 177`` of 512: the smallest ``c`` with ``P[Binomial(512, 1/4) >= c] <= 2**-20``,
  computed exactly in rationals by :func:`adaptive_proportion_cutoff` (SP 800-90B Table 2 lists
  the same 177; for H = 1 and H = 8 it lists 311 and 13, which the function also gives). Uniform
  bytes (a value's chance is 1/256, 2 expected per window) never get near it; a source that
  emits one value more than about a third of the time trips it within a few windows.

A statistical weakness too subtle for these tests (a 60/40 bit bias, a counter) is the
certification battery's job (:mod:`croupier.kernel.rng.certify`), not the live monitor's.

Start-up (§4.3): before the first draw and after every reset, 1024 samples are drawn, tested
and thrown away. A failure puts the monitor in the ``failed`` state, which only
:meth:`HealthMonitor.reset` by an operator leaves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from fractions import Fraction
from functools import cache
from typing import Final, Literal

import structlog

from croupier.kernel.clock import Clock, SystemClock

log = structlog.get_logger(__name__)

DEFAULT_MIN_ENTROPY: Final = 2
"""Assumed min-entropy H, in bits per 8-bit sample (see the module docstring for why)."""
ALPHA_EXPONENT: Final = 20
"""False-positive probability of each test, alpha = 2**-20 (SP 800-90B §4.4)."""
WINDOW: Final = 512
"""APT window for non-binary samples (SP 800-90B §4.4.2)."""
STARTUP_SAMPLES: Final = 1024
"""Samples tested and discarded before first use and after a reset (SP 800-90B §4.3)."""
SMALL_DRAW: Final = 64
"""Up to this many bytes a Python loop is faster than the bulk tests' big-integer tricks."""


def repetition_count_cutoff(min_entropy: float, alpha_exponent: int = ALPHA_EXPONENT) -> int:
    """``C = 1 + ceil(-log2(alpha) / H)`` (SP 800-90B §4.4.1)."""
    if not 0 < min_entropy <= 8:
        raise ValueError("min-entropy of an 8-bit sample is in (0, 8]")
    return 1 + math.ceil(Fraction(alpha_exponent) / Fraction(min_entropy))


@cache
def adaptive_proportion_cutoff(
    min_entropy: float, window: int = WINDOW, alpha_exponent: int = ALPHA_EXPONENT
) -> int:
    """``C = 1 + CRITBINOM(W, 2**-H, 1 - alpha)`` (SP 800-90B §4.4.2), computed exactly.

    CRITBINOM is the smallest ``k`` with ``P[X <= k] >= 1 - alpha``; the cutoff is therefore the
    smallest ``c`` with ``P[X >= c] <= alpha`` for ``X ~ Binomial(W, p)``, ``p = 2**-H``. The tail
    is summed downwards from ``W`` in exact rationals, so no rounding can move the cutoff.
    """
    if not 0 < min_entropy <= 8:
        raise ValueError("min-entropy of an 8-bit sample is in (0, 8]")
    p = Fraction(2.0**-min_entropy)  # exact: the float's binary value, a power of two for whole H
    alpha = Fraction(1, 2**alpha_exponent)
    tail = Fraction(0)
    for c in range(window, -1, -1):
        tail += math.comb(window, c) * p**c * (1 - p) ** (window - c)
        if tail > alpha:
            return c + 1
    return 0  # unreachable: the whole distribution sums to 1 > alpha


_Failure = Literal["repetition", "proportion"]


class HealthState(StrEnum):
    UNTESTED = "untested"  # start-up tests pending (new, or reset by an operator)
    OK = "ok"
    FAILED = "failed"  # every draw is refused until an operator resets


@dataclass(frozen=True, slots=True)
class HealthStatus:
    """What an operator (or ``/healthz``) needs to know about the RNG's health."""

    state: HealthState
    samples_tested: int
    failures: int
    last_failure_reason: str | None
    last_failure_at: datetime | None


class HealthMonitor:
    """The RCT and APT state machines over a stream of 8-bit samples.

    Not thread-safe on its own: the :class:`~croupier.kernel.rng.generator.Rng` that owns it
    serialises every call under its lock.
    """

    def __init__(
        self, min_entropy: float = DEFAULT_MIN_ENTROPY, clock: Clock | None = None
    ) -> None:
        self.min_entropy = min_entropy
        self.repetition_cutoff = repetition_count_cutoff(min_entropy)
        self.proportion_cutoff = adaptive_proportion_cutoff(min_entropy)
        self._clock: Clock = clock or SystemClock()
        self.state = HealthState.UNTESTED
        self._samples_tested = 0
        self._failures = 0
        self._last_failure_reason: str | None = None
        self._last_failure_at: datetime | None = None
        self._restart_tests()

    def _restart_tests(self) -> None:
        self._run_value = -1  # RCT: the last sample (none yet) and how many times in a row
        self._run_length = 0
        self._apt_value = -1  # APT: the current window's first sample, samples seen, its count
        self._apt_seen = 0
        self._apt_count = 0

    def status(self) -> HealthStatus:
        return HealthStatus(
            state=self.state,
            samples_tested=self._samples_tested,
            failures=self._failures,
            last_failure_reason=self._last_failure_reason,
            last_failure_at=self._last_failure_at,
        )

    def test(self, samples: bytes) -> str | None:
        """Run both tests over the next samples; the failure's reason, or None if they pass.

        The caller discards samples that fail and calls :meth:`fail`.
        """
        self._samples_tested += len(samples)
        if len(samples) <= SMALL_DRAW:
            failed = self._test_each(samples)
        else:
            failed = self._repetition_count(samples) or self._adaptive_proportion(samples)
        if failed == "repetition":
            return (
                f"repetition count test: {self._run_length} identical samples "
                f"({self._run_value:#04x}) in a row (cutoff C = {self.repetition_cutoff} "
                f"for H = {self.min_entropy} bits per byte)"
            )
        if failed == "proportion":
            return (
                f"adaptive proportion test: value {self._apt_value:#04x} occurred "
                f"{self._apt_count} times in a window of {WINDOW} (cutoff C = "
                f"{self.proportion_cutoff} for H = {self.min_entropy} bits per byte)"
            )
        return None

    def _test_each(self, samples: bytes) -> _Failure | None:
        # Both tests, sample by sample: the cheapest way for the few bytes of a game's draw.
        for sample in samples:
            if sample == self._run_value:
                self._run_length += 1
                if self._run_length >= self.repetition_cutoff:
                    return "repetition"
            else:
                self._run_value, self._run_length = sample, 1
            if self._apt_seen == 0:
                self._apt_value, self._apt_count = sample, 0
            if sample == self._apt_value:
                self._apt_count += 1
                if self._apt_count >= self.proportion_cutoff:
                    return "proportion"
            self._apt_seen = (self._apt_seen + 1) % WINDOW
        return None

    def _repetition_count(self, samples: bytes) -> _Failure | None:
        # SP 800-90B §4.4.1 over a long draw. XOR of the stream with itself shifted by one has a
        # zero byte wherever two neighbours are equal, so C equal samples in a row are C - 1 zero
        # bytes in a row: one substring search in C instead of a Python loop per byte.
        cutoff = self.repetition_cutoff
        carried = bytes([self._run_value]) * self._run_length if self._run_length else b""
        stream = carried + samples
        width = len(stream) - 1
        left = int.from_bytes(stream[:-1], "big")
        right = int.from_bytes(stream[1:], "big")
        at = (left ^ right).to_bytes(width, "big").find(bytes(cutoff - 1))
        if at >= 0:
            self._run_value, self._run_length = stream[at], cutoff
            return "repetition"
        last = stream[-1:]
        self._run_value = last[0]
        self._run_length = len(stream) - len(stream.rstrip(last))
        return None

    def _adaptive_proportion(self, samples: bytes) -> _Failure | None:
        # SP 800-90B §4.4.2 over a long draw: one C-level count per window.
        position, size = 0, len(samples)
        while position < size:
            if self._apt_seen == 0:
                self._apt_value, self._apt_count = samples[position], 0
            take = min(WINDOW - self._apt_seen, size - position)
            self._apt_count += samples.count(self._apt_value, position, position + take)
            self._apt_seen = (self._apt_seen + take) % WINDOW
            position += take
            if self._apt_count >= self.proportion_cutoff:
                return "proportion"
        return None

    def passed_startup(self) -> None:
        self.state = HealthState.OK

    def fail(self, reason: str) -> None:
        """Enter the failed state and raise the alert."""
        self.state = HealthState.FAILED
        self._failures += 1
        self._last_failure_reason = reason
        self._last_failure_at = self._clock.now()
        log.critical(
            "rng.health_failure",
            reason=reason,
            samples_tested=self._samples_tested,
            failures=self._failures,
        )

    def reset(self, *, actor: str, reason: str) -> None:
        """Back to ``untested``: the owner runs the start-up tests again before any draw."""
        log.warning(
            "rng.reset",
            actor=actor,
            reason=reason,
            previous_state=self.state.value,
            last_failure_reason=self._last_failure_reason,
        )
        self.state = HealthState.UNTESTED
        self._restart_tests()

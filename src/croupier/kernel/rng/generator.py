"""The platform's random number generator: the OS CSPRNG, scaled without bias, health-tested.

GLI-19 §3 wants a cryptographically strong generator that is never seeded from time and is
reseeded from external entropy: the kernel's CSPRNG (``os.urandom``, what ``secrets`` uses) is
exactly that, so we draw from it directly and keep no generator state of our own. We keep no
buffer of drawn bytes either: a buffer would be copied into both processes by ``fork()`` and
deal the same cards twice.

**Scaling without bias** (GLI-19 §3: "rejection of out-of-range values is allowed").
``randbelow(n)`` draws the fewest whole bytes ``b`` that can hold ``n - 1`` (``b = ceil(k / 8)``
with ``k = ceil(log2 n)`` bits), reads them as an integer ``r`` uniform on ``[0, 2**(8b))`` and
keeps it only below the *rejection zone*: ``zone = 2**(8b) - (2**(8b) mod n)``, the largest
multiple of ``n`` that fits. Every residue ``0 .. n-1`` then has exactly ``zone / n`` preimages
among the kept values, so ``r mod n`` is exactly uniform; a rejected ``r`` is discarded and a
fresh one drawn. A draw is rejected with probability ``(2**(8b) mod n) / 2**(8b) < 1/2`` (for a
52-card deck 48/256), so a call reads fewer than ``2b`` bytes on average. Masking to ``k`` bits
(Python's ``secrets.randbelow``) would be just as unbiased but rejects more often; plain
``r mod n`` without the zone would favour the low residues (the classic modulo bias).

Every byte passes the SP 800-90B health tests (:mod:`croupier.kernel.rng.health`) before use;
after a failure every draw raises :class:`RngHealthFailure` until an operator resets.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, MutableSequence, Sequence
from typing import Final, TypeVar

from croupier.kernel.clock import Clock
from croupier.kernel.rng.errors import RngHealthFailure
from croupier.kernel.rng.health import (
    DEFAULT_MIN_ENTROPY,
    STARTUP_SAMPLES,
    HealthMonitor,
    HealthState,
    HealthStatus,
)

T = TypeVar("T")

ByteSource = Callable[[int], bytes]
"""Where raw bytes come from: ``os.urandom`` in production, a broken one in tests."""

CHUNK: Final = 64 * 1024
"""Largest single draw: bounds the time the lock is held and the health test's memory."""


def _source_name(source: ByteSource) -> str:
    if source is os.urandom:
        return "os.urandom"
    module = getattr(source, "__module__", None)
    name = getattr(source, "__qualname__", None) or type(source).__qualname__
    return f"{module}.{name}" if module else name


class Rng:
    """A health-tested, thread-safe random number generator over a byte source.

    One instance per process (:func:`default_rng`) so that a health failure stops every game of
    the process; tests build their own with a ``source`` that misbehaves on purpose.
    """

    def __init__(
        self,
        source: ByteSource = os.urandom,
        *,
        min_entropy: float = DEFAULT_MIN_ENTROPY,
        clock: Clock | None = None,
    ) -> None:
        self._source = source
        self.source_name = _source_name(source)
        self._health = HealthMonitor(min_entropy, clock)
        self._lock = threading.Lock()

    # -- raw bytes -------------------------------------------------------------------------

    def _draw(self, size: int) -> bytes:
        """``size`` health-tested bytes from the source (``size <= CHUNK``)."""
        with self._lock:
            health = self._health
            if health.state is HealthState.FAILED:
                raise RngHealthFailure(
                    f"The RNG is stopped after a health-test failure: "
                    f"{health.status().last_failure_reason}",
                )
            if health.state is HealthState.UNTESTED:
                self._startup()
            return self._tested(size)

    def _tested(self, size: int) -> bytes:
        try:
            data = self._source(size)
        except OSError as exc:  # the kernel refused entropy: as bad as a stuck source
            data, failure = b"", f"the byte source failed: {exc}"
        else:
            failure = f"the byte source returned {len(data)} bytes instead of {size}"
        reason = self._health.test(data) if len(data) == size else failure
        if reason is None:
            return data
        self._health.fail(reason)
        raise RngHealthFailure(f"The RNG failed a health test: {reason}")

    def _startup(self) -> None:
        # SP 800-90B §4.3: test 1024 samples before first use and discard them.
        self._tested(STARTUP_SAMPLES)
        self._health.passed_startup()

    def random_bytes(self, size: int) -> bytes:
        """``size`` random bytes (seeds, nonces, provably-fair server seeds)."""
        if size < 0:
            raise ValueError("size must not be negative")
        parts = []
        while size > 0:
            take = min(size, CHUNK)
            parts.append(self._draw(take))
            size -= take
        return b"".join(parts)

    # -- integers and sequences ------------------------------------------------------------

    def randbelow(self, n: int) -> int:
        """A uniformly random integer in ``[0, n)``, exactly unbiased (see the module docstring)."""
        if n <= 0:
            raise ValueError("n must be positive")
        if n == 1:
            return 0
        size = ((n - 1).bit_length() + 7) // 8
        space = 1 << (8 * size)
        zone = space - space % n
        while True:
            value = int.from_bytes(self._draw(size), "big")
            if value < zone:
                return value % n

    def choice(self, items: Sequence[T]) -> T:
        """One element, each equally likely."""
        if not items:
            raise IndexError("cannot choose from an empty sequence")
        return items[self.randbelow(len(items))]

    def shuffle(self, items: MutableSequence[T]) -> None:
        """Shuffle in place; every one of the ``len(items)!`` orders is equally likely.

        Fisher-Yates (Durstenfeld): position ``i``, from the last down, swaps with a position
        drawn uniformly from ``0 .. i``. That is a product of independent uniform choices
        ``n * (n-1) * ... * 2``, one per permutation, and only as fair as ``randbelow``.
        """
        for i in range(len(items) - 1, 0, -1):
            j = self.randbelow(i + 1)
            items[i], items[j] = items[j], items[i]

    def sample(self, population: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements in random order (mine positions, keno draws).

        The first ``k`` steps of a Fisher-Yates shuffle of a copy, so every ordered selection is
        equally likely and only ``k`` numbers are drawn.
        """
        pool = list(population)
        if not 0 <= k <= len(pool):
            raise ValueError("sample larger than population or negative")
        for i in range(k):
            j = i + self.randbelow(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]

    # -- health ----------------------------------------------------------------------------

    def status(self) -> HealthStatus:
        """The health state, samples tested, failures and the last failure's reason and time."""
        with self._lock:
            return self._health.status()

    def reset(self, *, actor: str, reason: str) -> HealthStatus:
        """Let play resume after an operator has investigated a failure.

        The start-up tests run again at once, so a source that is still broken fails here
        (raising :class:`RngHealthFailure`) instead of at a player's next bet. The caller
        records the reset in the audit trail; the RNG logs it too.
        """
        with self._lock:
            self._health.reset(actor=actor, reason=reason)
            self._startup()
            return self._health.status()


_default: Rng | None = None
_default_lock = threading.Lock()


def default_rng() -> Rng:
    """The process-wide generator over ``os.urandom`` that every game draws from."""
    global _default  # noqa: PLW0603 - one generator per process, so one failure stops all play
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Rng()
    return _default


def status() -> HealthStatus:
    """The process-wide generator's health (for ``/healthz``, metrics and the back office)."""
    return default_rng().status()


def reset(*, actor: str, reason: str) -> HealthStatus:
    """Reset the process-wide generator after a health failure (see :meth:`Rng.reset`)."""
    return default_rng().reset(actor=actor, reason=reason)

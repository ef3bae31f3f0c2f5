"""Byte sources for the RNG under test: one good and reproducible, the others broken on purpose.

A source is what :class:`~croupier.kernel.rng.Rng` takes in place of ``os.urandom``: a function
from a number of bytes to that many bytes.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator


class ShakeSource:
    """A good, reproducible source: SHAKE-256 of (seed, call number)."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._calls = 0

    def __call__(self, size: int) -> bytes:
        self._calls += 1
        return hashlib.shake_256(self._seed + self._calls.to_bytes(8, "big")).digest(size)


class StreamSource:
    """Serves bytes from an iterator; counts how many it served."""

    def __init__(self, stream: Iterator[int]) -> None:
        self._stream = stream
        self.served = 0

    def __call__(self, size: int) -> bytes:
        self.served += size
        return bytes(next(self._stream) for _ in range(size))


def counter(width: int = 1, start: int = 0) -> Iterator[int]:
    """0, 1, 2, ... as ``width``-byte big-endian integers, wrapping around, byte by byte."""
    value = start
    while True:
        yield from value.to_bytes(width, "big")
        value = (value + 1) % (1 << (8 * width))


def biased_bits(p_one: float, seed: int) -> Iterator[int]:
    """Bytes whose bits are independently 1 with probability ``p_one``."""
    draw = random.Random(seed).random
    while True:
        yield sum(1 << bit for bit in range(8) if draw() < p_one)


def lcg_low_bytes(seed: int) -> Iterator[int]:
    """The low byte of a 32-bit linear congruential generator: bit k has period 2**(k+1)."""
    state = seed
    while True:
        state = (1664525 * state + 1013904223) % 2**32
        yield state & 0xFF


def one_value_too_often(value: int, seed: int) -> Iterator[int]:
    """``value`` every other byte (never twice in a row), other values in between: a source
    that lost most of its entropy without being stuck."""
    draw = random.Random(seed).randrange
    others = [v for v in range(256) if v != value]
    while True:
        yield value
        yield others[draw(len(others))]


class SwitchableSource:
    """``os.urandom`` until :attr:`stuck` is set, then the same byte forever."""

    def __init__(self) -> None:
        self.stuck = False
        self.calls = 0

    def __call__(self, size: int) -> bytes:
        self.calls += 1
        return bytes(size) if self.stuck else os.urandom(size)

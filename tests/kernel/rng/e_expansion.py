"""The binary expansion of e, the input of SP 800-22's worked examples (NIST ships it as
``data.e``); computed here instead of stored, in under a second.

e = sum 1/k! is summed exactly by binary splitting into one fraction P/Q, and P/Q is turned
into bits with a Newton reciprocal, because CPython 3.11 divides million-bit integers in
quadratic time.
"""

from __future__ import annotations

import math
from functools import cache


def _split(a: int, b: int) -> tuple[int, int]:
    """(P, Q) with P/Q = sum over k in (a, b] of a!/k!, and Q = (a+1)(a+2)...b."""
    if b - a == 1:
        return 1, b
    middle = (a + b) // 2
    p1, q1 = _split(a, middle)
    p2, q2 = _split(middle, b)
    return p1 * q2 + p2, q1 * q2


def _reciprocal(d: int, precision: int) -> int:
    """About 2**(bits(d) + precision) / d, to within a few units (Newton's iteration)."""
    width = d.bit_length()
    if precision <= 4096:
        return (1 << (width + precision)) // d
    half = precision // 2 + 16
    drop = max(width - (half + 16), 0)
    x = _reciprocal(d >> drop, half) << (precision - half)
    error = (1 << (width + precision)) - d * x
    return x + ((x * error) >> (width + precision))


@cache
def e_fraction_bits(count: int) -> str:
    """The first ``count`` bits after the binary point of e = 10.101101111110000101..."""
    terms, log2_factorial = 2, 1.0
    while log2_factorial < count + 64:
        terms += 1
        log2_factorial += math.log2(terms)
    p, q = _split(0, terms)  # sum over k = 1..terms of 1/k!
    precision = count + 72
    scaled = ((q + p) * _reciprocal(q, precision)) >> q.bit_length()  # e * 2**precision
    return format(scaled, "b")[2 : 2 + count]

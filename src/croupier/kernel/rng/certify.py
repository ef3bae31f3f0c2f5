"""Statistical certification of the RNG: the NIST SP 800-22 battery and the games' ranges.

GLI-19 §3: labs test the RNG at 99 % confidence, and "the NIST SP 800-22 battery (15 tests,
alpha = 0.01, ~100 sequences of 10**6 bits)" is the usual evidence. This module produces that
evidence for our generator in the lab's shape, so an operator sees a failure before a lab does.

**Why our own implementation.** The Python packages on PyPI (nistrng 1.2.3, nist80022,
sp80022suite, sts-pylib) are unmaintained since 2019-2021, and the most used one, nistrng, has
open reports of wrong p-values in 7 of its tests (swapped min/max in Approximate Entropy, integer
overflow in Cumulative Sums, miscounted Random Excursions). Each test here follows SP 800-22
rev. 1a section 2.x step by step, with the defaults and tables of NIST's reference code (STS
2.1.2), vectorised with numpy; the tests in ``tests/kernel/rng`` check each one against the
worked examples printed in the specification.

**Reading the result.** Each test gives one or more p-values per sequence (rows: 188 for the
default parameters, as in STS's ``finalAnalysisReport``). A sequence passes a row at
``p >= alpha``. Per row, SP 800-22 §4.2.1 asks that the proportion of passing sequences lie in
``p_hat +/- 3 sqrt(p_hat (1 - p_hat) / m)`` with ``p_hat = 1 - alpha`` (97 of 100 at least), and
§4.2.2 that the p-values be uniform (chi-square over ten bins, ``P_T >= 0.0001``, computed once
at least 55 sequences ran). A perfect generator still breaks the proportion rule on about 1.8 %
of rows (so on about 3 of 188), which is why labs read the table instead of demanding a clean
sheet. The overall verdict does the same reading mechanically: it passes when

- the number of flagged rows is within what chance explains (at most the 99.9 % quantile of the
  number a perfect generator would flag, from each row's exact binomial false-flag chance), and
- no row fails decisively (a pass count or a uniformity P_T that a perfect generator would show
  with probability below 0.001 divided by the number of rows), and
- the chi-square goodness-of-fit of ``randbelow(n)`` passes for the games' ranges, read the
  same way.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from scipy.special import gammaincc

from croupier.kernel.clock import Clock, SystemClock
from croupier.kernel.rng.generator import Rng

Bits = npt.NDArray[np.uint8]
"""A sequence of bits, one 0 or 1 per element."""
PValues = dict[str, float]
"""One test's p-values on one sequence, by variant ("" when the test has a single p-value)."""
ProgressCallback = Callable[[int, int, str], None]
"""Called with (steps done, steps in all, what is running) as the battery advances."""

ALPHA: Final = 0.01
GAME_RANGES: Final[tuple[int, ...]] = (*range(2, 55), 10001)
"""Every ``n`` the games pass to ``randbelow``: coin flips (2), mines boards (24, 25), roulette
(37, 38), wheels (up to 54 segments), decks (52, and 2..54 during a Fisher-Yates shuffle of a
deck with jokers), and dice/limbo outcomes 0..10000 (10001)."""
UNIFORMITY_MIN_SEQUENCES: Final = 55
UNIFORMITY_CUTOFF: Final = 0.0001
FAMILY_ALPHA: Final = 0.001


def _igamc(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x) (SP 800-22 §5.5.3 "igamc")."""
    return float(gammaincc(a, x))


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def bits_from_bytes(data: bytes, count: int | None = None) -> Bits:
    """The bits of ``data``, most significant first in each byte, as ``count`` 0/1 values."""
    unpacked: Bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8))
    return unpacked if count is None else unpacked[:count]


def bits_from_text(text: str) -> Bits:
    """``"0110..."`` as bits (whitespace ignored), for the specification's examples."""
    return np.frombuffer("".join(text.split()).encode(), dtype=np.uint8) - ord("0")


def _window_values(bits: Bits, m: int, *, wrap: bool) -> npt.NDArray[np.int64]:
    """The m-bit patterns starting at each position, as integers (first bit most significant).

    ``wrap`` appends the first ``m - 1`` bits so that every one of the ``n`` positions starts a
    pattern (Serial, Approximate Entropy); otherwise there are ``n - m + 1``.
    """
    source = np.concatenate([bits, bits[: m - 1]]) if wrap else bits
    count = bits.size if wrap else bits.size - m + 1
    values = np.zeros(count, dtype=np.int64)
    for k in range(m):
        values = (values << 1) | source[k : k + count]
    return values


# -- the 15 tests of SP 800-22 rev. 1a ----------------------------------------------------------


def frequency(bits: Bits) -> PValues:
    """§2.1 Frequency (monobit): are ones and zeros about equally common?"""
    n = bits.size
    s_n = 2 * int(bits.sum()) - n
    return {"": math.erfc(abs(s_n) / math.sqrt(n) / math.sqrt(2.0))}


def block_frequency(bits: Bits, block: int = 128) -> PValues | None:
    """§2.2 Frequency within a block of ``block`` bits (STS default 128)."""
    blocks = bits.size // block
    if blocks == 0:
        return None
    ones = bits[: blocks * block].reshape(blocks, block).sum(axis=1, dtype=np.int64)
    chi2 = 4.0 * block * float((((ones / block) - 0.5) ** 2).sum())
    return {"": _igamc(blocks / 2.0, chi2 / 2.0)}


def runs(bits: Bits) -> PValues:
    """§2.3 Runs: do 0/1 changes happen as often as they should?"""
    n = bits.size
    pi = float(bits.sum()) / n
    if abs(pi - 0.5) >= 2.0 / math.sqrt(n):  # §2.3.4 (2): the frequency prerequisite fails
        return {"": 0.0}
    v_obs = 1 + int(np.count_nonzero(bits[1:] != bits[:-1]))
    spread = 2.0 * math.sqrt(2.0 * n) * pi * (1.0 - pi)
    return {"": math.erfc(abs(v_obs - 2.0 * n * pi * (1.0 - pi)) / spread)}


# §2.4.4 and §3.4: (block length M, smallest class, class probabilities) by sequence length.
_LONGEST_RUN_TABLES: Final = (
    (750_000, 10_000, 10, (0.0882, 0.2092, 0.2483, 0.1933, 0.1208, 0.0675, 0.0727)),
    (6_272, 128, 4, (0.1174, 0.2430, 0.2493, 0.1752, 0.1027, 0.1124)),
    (128, 8, 1, (0.2148, 0.3672, 0.2305, 0.1875)),
)


def _longest_runs_of_ones(blocks: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    rows, width = blocks.shape
    padded = np.zeros((rows, width + 2), dtype=np.int8)
    padded[:, 1:-1] = blocks
    edges = np.diff(padded, axis=1)
    start_rows, start_cols = np.nonzero(edges == 1)
    _, end_cols = np.nonzero(edges == -1)
    longest = np.zeros(rows, dtype=np.int64)
    np.maximum.at(longest, start_rows, end_cols - start_cols)
    return longest


def longest_run(bits: Bits) -> PValues | None:
    """§2.4 Longest run of ones in a block (block size chosen from ``n`` as in the spec)."""
    n = bits.size
    table = next((row for row in _LONGEST_RUN_TABLES if n >= row[0]), None)
    if table is None:
        return None
    _, block, smallest, probabilities = table
    k = len(probabilities) - 1
    blocks = n // block
    longest = _longest_runs_of_ones(bits[: blocks * block].reshape(blocks, block))
    observed = np.bincount(np.clip(longest - smallest, 0, k), minlength=k + 1)
    expected = blocks * np.array(probabilities)
    chi2 = float((((observed - expected) ** 2) / expected).sum())
    return {"": _igamc(k / 2.0, chi2 / 2.0)}


def _rank_probability(rank: int, rows: int, cols: int) -> float:
    """§3.5: the chance that a random ``rows x cols`` binary matrix has this rank."""
    product = 1.0
    for i in range(rank):
        product *= (1 - 2.0 ** (i - cols)) * (1 - 2.0 ** (i - rows)) / (1 - 2.0 ** (i - rank))
    return float(2.0 ** (rank * (rows + cols - rank) - rows * cols) * product)


def _gf2_ranks(matrices: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Ranks over GF(2) of many small matrices at once (rows packed into 64-bit words)."""
    count, rows, cols = matrices.shape
    weights = np.left_shift(np.uint64(1), np.arange(cols - 1, -1, -1, dtype=np.uint64))
    packed = (matrices.astype(np.uint64) * weights).sum(axis=2, dtype=np.uint64)
    used = np.zeros((count, rows), dtype=bool)
    every = np.arange(count)
    for col in range(cols):
        has_bit = ((packed >> np.uint64(cols - 1 - col)) & np.uint64(1)).astype(bool)
        candidates = has_bit & ~used
        found = candidates.any(axis=1)
        pivot = candidates.argmax(axis=1)
        pivot_rows = packed[every, pivot]
        eliminate = has_bit & found[:, None]
        eliminate[every, pivot] = False
        packed = np.where(eliminate, packed ^ pivot_rows[:, None], packed)
        used[every[found], pivot[found]] = True
    ranks: npt.NDArray[np.int64] = used.sum(axis=1, dtype=np.int64)
    return ranks


def binary_matrix_rank(bits: Bits, rows: int = 32, cols: int = 32) -> PValues | None:
    """§2.5 Binary matrix rank of disjoint ``rows x cols`` sub-matrices (32 x 32 in the spec)."""
    matrices = bits.size // (rows * cols)
    if matrices == 0:
        return None
    blocks = bits[: matrices * rows * cols].reshape(matrices, rows, cols)
    ranks = _gf2_ranks(blocks)
    full = min(rows, cols)
    p_full = _rank_probability(full, rows, cols)
    p_less = _rank_probability(full - 1, rows, cols)
    observed = (
        int(np.count_nonzero(ranks == full)),
        int(np.count_nonzero(ranks == full - 1)),
        int(np.count_nonzero(ranks < full - 1)),
    )
    expected = (p_full * matrices, p_less * matrices, (1 - p_full - p_less) * matrices)
    chi2 = sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))
    return {"": math.exp(-chi2 / 2.0)}


def discrete_fourier_transform(bits: Bits) -> PValues:
    """§2.6 Spectral (DFT): periodic features show as too many peaks above the 95 % bound."""
    n = bits.size
    spectrum = np.fft.rfft(2.0 * bits - 1.0)
    moduli = np.abs(spectrum[: n // 2])
    bound = math.sqrt(math.log(1 / 0.05) * n)
    n0 = 0.95 * n / 2.0
    n1 = int(np.count_nonzero(moduli < bound))
    d = (n1 - n0) / math.sqrt(n * 0.95 * 0.05 / 4.0)
    return {"": math.erfc(abs(d) / math.sqrt(2.0))}


@cache
def aperiodic_templates(m: int) -> tuple[int, ...]:
    """The m-bit templates that cannot overlap themselves (148 for m = 9), in STS's order."""

    def aperiodic(value: int) -> bool:
        text = format(value, f"0{m}b")
        return all(text[shift:] != text[: m - shift] for shift in range(1, m))

    return tuple(value for value in range(1 << m) if aperiodic(value))


def non_overlapping_template(
    bits: Bits, m: int = 9, blocks: int = 8, templates: Sequence[int] | None = None
) -> PValues | None:
    """§2.7 Non-overlapping template matching, one p-value per aperiodic m-bit template.

    The spec scans each block and jumps ``m`` bits after a match. An aperiodic template cannot
    match again less than ``m`` bits after a match (it would overlap itself), so the jump never
    skips a match and the count is simply how often the template occurs: one ``bincount`` per
    block counts every template at once.
    """
    n = bits.size
    block = n // blocks
    if block < m:
        return None
    chosen = aperiodic_templates(m) if templates is None else tuple(templates)
    mean = (block - m + 1) / 2.0**m
    variance = block * (1 / 2.0**m - (2 * m - 1) / 2.0 ** (2 * m))
    values = _window_values(bits, m, wrap=False)
    counts = np.stack(
        [
            np.bincount(values[j * block : j * block + block - m + 1], minlength=1 << m)
            for j in range(blocks)
        ]
    )[:, list(chosen)]
    chi2 = (((counts - mean) ** 2) / variance).sum(axis=0)
    p_values = gammaincc(blocks / 2.0, chi2 / 2.0)
    return {format(t, f"0{m}b"): float(p) for t, p in zip(chosen, p_values, strict=True)}


def overlapping_probabilities(
    m: int, block: int, classes: int = 5, *, corrected: bool = True
) -> list[float]:
    """§2.8 / §3.8: chance that a block holds 0, 1, ..., >= ``classes`` template matches.

    For the spec's parameters (m = 9, M = 1032, K = 5) and ``corrected``, the corrected values
    that SP 800-22 rev. 1a lists for them (Hamano and Kaneko showed the approximation to be off;
    STS 2.1.2 has these values in its source but overwrites them). Otherwise the compound-Poisson
    approximation of §3.8 that STS 2.1.2 computes, and with which NIST computed Appendix B.
    """
    if corrected and (m, block, classes) == (9, 1032, 5):
        return [0.364091, 0.185659, 0.139381, 0.100571, 0.070432, 0.139865]
    eta = (block - m + 1) / 2.0**m / 2.0
    probabilities = [math.exp(-eta)]
    for u in range(1, classes):
        terms = (math.comb(u - 1, j - 1) * eta**j / math.factorial(j) for j in range(1, u + 1))
        probabilities.append(math.exp(-eta) / 2.0**u * sum(terms))
    probabilities.append(1.0 - sum(probabilities))
    return probabilities


def overlapping_template(
    bits: Bits,
    m: int = 9,
    block: int = 1032,
    classes: int = 5,
    probabilities: Sequence[float] | None = None,
) -> PValues | None:
    """§2.8 Overlapping template matching of m ones (too many or too few runs of ones)."""
    blocks = bits.size // block
    if blocks == 0:
        return None
    matrix = bits[: blocks * block].reshape(blocks, block).astype(np.int32)
    sums = np.zeros((blocks, block + 1), dtype=np.int32)
    np.cumsum(matrix, axis=1, out=sums[:, 1:])
    matches = np.count_nonzero((sums[:, m:] - sums[:, :-m]) == m, axis=1)
    observed = np.bincount(np.minimum(matches, classes), minlength=classes + 1)
    pi = overlapping_probabilities(m, block, classes) if probabilities is None else probabilities
    expected = blocks * np.array(pi)
    chi2 = float((((observed - expected) ** 2) / expected).sum())
    return {"": _igamc(classes / 2.0, chi2 / 2.0)}


# §2.9.4: expected value and variance of the statistic for L = 1..16.
_UNIVERSAL_EXPECTED: Final = (
    0.0, 0.7326495, 1.5374383, 2.4016068, 3.3112247, 4.2534266, 5.2177052, 6.1962507,
    7.1836656, 8.1764248, 9.1723243, 10.170032, 11.168765, 12.168070, 13.167693, 14.167488,
    15.167379,
)  # fmt: skip
_UNIVERSAL_VARIANCE: Final = (
    0.0, 0.690, 1.338, 1.901, 2.358, 2.705, 2.954, 3.125, 3.238, 3.311, 3.356, 3.384, 3.401,
    3.410, 3.416, 3.419, 3.421,
)  # fmt: skip
# §2.9.7: the smallest n for each L from 6 to 16.
_UNIVERSAL_MIN_BITS: Final = (
    (6, 387_840), (7, 904_960), (8, 2_068_480), (9, 4_654_080), (10, 10_342_400),
    (11, 22_753_280), (12, 49_643_520), (13, 107_560_960), (14, 231_669_760),
    (15, 496_435_200), (16, 1_059_061_760),
)  # fmt: skip


def _universal_statistic(bits: Bits, length: int, init_blocks: int) -> tuple[float, int]:
    """(f_n, K): mean log2 distance to the previous occurrence of each L-bit block."""
    total = bits.size // length
    tested = total - init_blocks
    weights = 1 << np.arange(length - 1, -1, -1, dtype=np.int64)
    values = bits[: total * length].reshape(total, length).astype(np.int64) @ weights
    order = np.argsort(values, kind="stable")  # stable: equal values stay in stream order
    previous = np.full(total, -1, dtype=np.int64)
    repeats = values[order[1:]] == values[order[:-1]]
    previous[order[1:][repeats]] = order[:-1][repeats]
    index = np.arange(init_blocks, total)
    distances = index - previous[index]  # a value never seen before counts from position 0
    return float(np.log2(distances).sum()) / tested, tested


def maurers_universal(
    bits: Bits, length: int | None = None, init_blocks: int | None = None
) -> PValues | None:
    """§2.9 Maurer's universal statistical test (is the sequence compressible?)."""
    if length is None:
        eligible = [ell for ell, min_bits in _UNIVERSAL_MIN_BITS if bits.size >= min_bits]
        if not eligible:
            return None
        length = eligible[-1]
    init_blocks = 10 * 2**length if init_blocks is None else init_blocks
    if bits.size // length <= init_blocks:
        return None
    statistic, tested = _universal_statistic(bits, length, init_blocks)
    c = 0.7 - 0.8 / length + (4 + 32 / length) * tested ** (-3 / length) / 15
    sigma = c * math.sqrt(_UNIVERSAL_VARIANCE[length] / tested)
    deviation = abs(statistic - _UNIVERSAL_EXPECTED[length])
    return {"": math.erfc(deviation / (math.sqrt(2.0) * sigma))}


def linear_complexities(bits: Bits, block: int) -> npt.NDArray[np.int64]:
    """Berlekamp-Massey linear complexity of each ``block``-bit block, all blocks at once.

    Polynomials are bit-packed into rows of 64-bit words (bit j = coefficient of x**j) and the
    algorithm runs in lock-step over all blocks. Instead of shifting the previous connection
    polynomial B by a per-block amount ``N - m``, we keep ``D = B << (N - m)`` and shift it by
    one every step, which is the same for every block.
    """
    blocks = bits.size // block
    words = (block + 63) // 64
    sequence = bits[: blocks * block].reshape(blocks, block).astype(np.uint64)
    one, top = np.uint64(1), np.uint64(63)

    def shift_left(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
        shifted = x << one
        shifted[:, 1:] |= x[:, :-1] >> top
        return shifted

    c = np.zeros((blocks, words), dtype=np.uint64)
    c[:, 0] = 1
    d = np.zeros((blocks, words), dtype=np.uint64)
    d[:, 0] = 2  # B = 1 shifted by N - m = 0 - (-1)
    window = np.zeros((blocks, words), dtype=np.uint64)  # bit j = s[N - j]
    complexity = np.zeros(blocks, dtype=np.int64)
    for n in range(block):
        window = shift_left(window)
        window[:, 0] |= sequence[:, n]
        # parity of popcount(C & window), folding the words together with XOR first
        folded = np.bitwise_xor.reduce(c & window, axis=1)
        discrepancy = (np.bitwise_count(folded) & 1).astype(np.uint64)
        grow = discrepancy.astype(bool) & (2 * complexity <= n)
        previous = c
        c = c ^ (d * discrepancy[:, None])
        d = shift_left(np.where(grow[:, None], previous, d))
        complexity = np.where(grow, n + 1 - complexity, complexity)
    return complexity


# §3.10: the classes' exact probabilities (the spec prints them rounded: 0.010417, ...).
_LINEAR_COMPLEXITY_PROBABILITIES: Final = (1 / 96, 1 / 32, 1 / 8, 1 / 2, 1 / 4, 1 / 16, 1 / 48)


def linear_complexity(bits: Bits, block: int = 500) -> PValues | None:
    """§2.10 Linear complexity of ``block``-bit blocks (too short an LFSR is not random)."""
    blocks = bits.size // block
    if blocks == 0:
        return None
    complexities = linear_complexities(bits, block)
    sign = -1.0 if block % 2 else 1.0
    mu = block / 2.0 + (9.0 + (-1.0) ** (block + 1)) / 36.0 - (block / 3.0 + 2.0 / 9.0) / 2.0**block
    t = sign * (complexities - mu) + 2.0 / 9.0
    observed = np.bincount(np.searchsorted([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5], t), minlength=7)
    expected = blocks * np.array(_LINEAR_COMPLEXITY_PROBABILITIES)
    chi2 = float((((observed - expected) ** 2) / expected).sum())
    return {"": _igamc(3.0, chi2 / 2.0)}


def _psi_squared(values: npt.NDArray[np.int64], m: int, n: int) -> float:
    if m <= 0:
        return 0.0
    counts = np.bincount(values, minlength=1 << m).astype(np.int64)
    return float((1 << m) / n * int((counts * counts).sum()) - n)


def serial(bits: Bits, m: int = 16) -> PValues:
    """§2.11 Serial: are all overlapping m-bit patterns equally common? (two p-values)"""
    n = bits.size
    values = _window_values(bits, m, wrap=True)
    # The (m-1)- and (m-2)-bit patterns at each position are the m-bit pattern's leading bits.
    psi_m = _psi_squared(values, m, n)
    psi_m1 = _psi_squared(values >> 1, m - 1, n)
    psi_m2 = _psi_squared(values >> 2, m - 2, n)
    delta1 = psi_m - psi_m1
    delta2 = psi_m - 2 * psi_m1 + psi_m2
    return {
        "1": _igamc(2.0 ** (m - 2), delta1 / 2.0),
        "2": _igamc(2.0 ** (m - 3), delta2 / 2.0),
    }


def approximate_entropy(bits: Bits, m: int = 10) -> PValues:
    """§2.12 Approximate entropy: m- against (m+1)-bit pattern frequencies."""
    n = bits.size
    values = _window_values(bits, m + 1, wrap=True)

    def phi(length: int, patterns: npt.NDArray[np.int64]) -> float:
        counts = np.bincount(patterns, minlength=1 << length)
        freq = counts[counts > 0] / n
        return float((freq * np.log(freq)).sum())

    apen = phi(m, values >> 1) - phi(m + 1, values)
    chi2 = 2.0 * n * (math.log(2) - apen)
    return {"": _igamc(2.0 ** (m - 1), chi2 / 2.0)}


def _c_div(a: int, b: int) -> int:
    """C's integer division (truncates toward zero), as in STS's summation bounds."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def _cusum_p_value(n: int, z: int) -> float:
    root = math.sqrt(n)
    end = _c_div(_c_div(n, z) - 1, 4)
    sum1 = sum(
        _normal_cdf((4 * k + 1) * z / root) - _normal_cdf((4 * k - 1) * z / root)
        for k in range(_c_div(_c_div(-n, z) + 1, 4), end + 1)
    )
    sum2 = sum(
        _normal_cdf((4 * k + 3) * z / root) - _normal_cdf((4 * k + 1) * z / root)
        for k in range(_c_div(_c_div(-n, z) - 3, 4), end + 1)
    )
    return 1.0 - sum1 + sum2


def cumulative_sums(bits: Bits) -> PValues:
    """§2.13 Cumulative sums, forward and backward: does the random walk stray too far?"""
    steps = 2 * bits.astype(np.int32) - 1
    forward = int(np.abs(np.cumsum(steps, dtype=np.int32)).max())
    backward = int(np.abs(np.cumsum(steps[::-1], dtype=np.int32)).max())
    n = bits.size
    return {"forward": _cusum_p_value(n, forward), "backward": _cusum_p_value(n, backward)}


def _excursion_walk(bits: Bits, min_cycles: int) -> tuple[npt.NDArray[np.int64], int] | None:
    """The walk S_k and its number of cycles J, or None when J is too small (§2.14.7)."""
    walk = np.cumsum(2 * bits.astype(np.int64) - 1)
    cycles = int(np.count_nonzero(walk == 0)) + (1 if walk[-1] != 0 else 0)
    if cycles < max(0.005 * math.sqrt(bits.size), min_cycles):
        return None
    return walk, cycles


def _excursion_probabilities(x: int) -> list[float]:
    """§3.14: chance that state x is visited exactly k = 0..4 times, and >= 5 times, in a cycle."""
    q = 1.0 - 1.0 / (2 * abs(x))
    return [
        q,
        *(1.0 / (4 * x * x) * q ** (k - 1) for k in range(1, 5)),
        1.0 / (2 * abs(x)) * q**4,
    ]


def random_excursions(bits: Bits, min_cycles: int = 500) -> PValues | None:
    """§2.14 Random excursions: visits to states -4..4 per cycle of the walk (needs J >= 500)."""
    walked = _excursion_walk(bits, min_cycles)
    if walked is None:
        return None
    walk, cycles = walked
    at_zero = walk == 0
    cycle_of = np.cumsum(at_zero) - at_zero  # a zero closes its cycle
    result: PValues = {}
    for x in (-4, -3, -2, -1, 1, 2, 3, 4):
        visits = np.bincount(cycle_of[walk == x], minlength=cycles)
        observed = np.bincount(np.minimum(visits, 5), minlength=6)
        expected = cycles * np.array(_excursion_probabilities(x))
        chi2 = float((((observed - expected) ** 2) / expected).sum())
        result[f"x={x:+d}"] = _igamc(2.5, chi2 / 2.0)
    return result


def random_excursions_variant(bits: Bits, min_cycles: int = 500) -> PValues | None:
    """§2.15 Random excursions variant: total visits to states -9..9 (needs J >= 500)."""
    walked = _excursion_walk(bits, min_cycles)
    if walked is None:
        return None
    walk, cycles = walked
    visits = np.bincount(walk[(walk >= -9) & (walk <= 9)] + 9, minlength=19)
    result: PValues = {}
    for x in (*range(-9, 0), *range(1, 10)):
        xi = int(visits[x + 9])
        spread = math.sqrt(2.0 * cycles * (4.0 * abs(x) - 2.0))
        result[f"x={x:+d}"] = math.erfc(abs(xi - cycles) / spread)
    return result


# -- the battery ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameters:
    """The tests' parameters; the defaults are STS 2.1.2's, which labs use."""

    block_frequency_block: int = 128
    non_overlapping_m: int = 9
    overlapping_m: int = 9
    approximate_entropy_m: int = 10
    serial_m: int = 16
    linear_complexity_block: int = 500
    overlapping_corrected: bool = True
    """False reproduces STS 2.1.2 and Appendix B; see :func:`overlapping_probabilities`."""


def _overlapping(bits: Bits, params: Parameters) -> PValues | None:
    m = params.overlapping_m
    probabilities = overlapping_probabilities(m, 1032, 5, corrected=params.overlapping_corrected)
    return overlapping_template(bits, m, probabilities=probabilities)


SP800_22_TESTS: Final[tuple[tuple[str, Callable[[Bits, Parameters], PValues | None]], ...]] = (
    ("Frequency", lambda b, _p: frequency(b)),
    ("BlockFrequency", lambda b, p: block_frequency(b, p.block_frequency_block)),
    ("CumulativeSums", lambda b, _p: cumulative_sums(b)),
    ("Runs", lambda b, _p: runs(b)),
    ("LongestRun", lambda b, _p: longest_run(b)),
    ("Rank", lambda b, _p: binary_matrix_rank(b)),
    ("FFT", lambda b, _p: discrete_fourier_transform(b)),
    ("NonOverlappingTemplate", lambda b, p: non_overlapping_template(b, p.non_overlapping_m)),
    ("OverlappingTemplate", _overlapping),
    ("Universal", lambda b, _p: maurers_universal(b)),
    ("ApproximateEntropy", lambda b, p: approximate_entropy(b, p.approximate_entropy_m)),
    ("RandomExcursions", lambda b, _p: random_excursions(b)),
    ("RandomExcursionsVariant", lambda b, _p: random_excursions_variant(b)),
    ("Serial", lambda b, p: serial(b, p.serial_m)),
    ("LinearComplexity", lambda b, p: linear_complexity(b, p.linear_complexity_block)),
)
"""The 15 tests in the order of STS's final analysis report."""


def run_sp800_22(bits: Bits, parameters: Parameters | None = None) -> dict[str, PValues | None]:
    """Every test on one sequence: p-values by test name (None where not applicable)."""
    params = parameters or Parameters()
    return {name: run(bits, params) for name, run in SP800_22_TESTS}


def _binomial_tail(trials: int, p: float, at_least: int) -> float:
    """P[X >= at_least] for X ~ Binomial(trials, p)."""
    return float(
        sum(
            math.comb(trials, k) * p**k * (1 - p) ** (trials - k)
            for k in range(at_least, trials + 1)
        )
    )


def proportion_bounds(sequences: int, alpha: float = ALPHA) -> tuple[float, float]:
    """§4.2.1: the interval the proportion of passing sequences should lie in."""
    p_hat = 1 - alpha
    spread = 3 * math.sqrt(p_hat * alpha / sequences)
    return p_hat - spread, p_hat + spread


def uniformity_p_value(p_values: Sequence[float]) -> float:
    """§4.2.2: P-value_T of the chi-square of the p-values over ten equal bins."""
    histogram = p_value_histogram(p_values)
    expected = len(p_values) / 10
    chi2 = sum((count - expected) ** 2 / expected for count in histogram)
    return _igamc(9 / 2, chi2 / 2)


def p_value_histogram(p_values: Iterable[float]) -> list[int]:
    histogram = [0] * 10
    for p in p_values:
        histogram[min(int(p * 10), 9)] += 1
    return histogram


@dataclass(frozen=True, slots=True)
class RowResult:
    """One row of the final analysis: a test (and variant) over all sequences."""

    test: str
    variant: str
    p_values: list[float | None]  # per sequence; None where the test did not apply
    applicable: int
    passing: int  # sequences with p >= alpha
    proportion: float | None
    proportion_min: float | None
    proportion_ok: bool | None
    histogram: list[int]
    uniformity_p: float | None  # None below 55 applicable sequences
    uniformity_ok: bool | None
    false_flag_chance: float  # probability that a perfect generator gets this row flagged
    decisive: bool  # flagged beyond anything chance explains across all rows

    @property
    def label(self) -> str:
        return f"{self.test} {self.variant}" if self.variant else self.test

    @property
    def flagged(self) -> bool:
        return self.proportion_ok is False or self.uniformity_ok is False


@dataclass(frozen=True, slots=True)
class RangeResult:
    """Chi-square goodness of fit of ``randbelow(n)`` to the uniform distribution on 0..n-1."""

    n: int
    draws: int
    chi_square: float
    degrees_of_freedom: int
    p_value: float
    passed: bool


@dataclass(frozen=True, slots=True)
class Summary:
    rows: int
    rows_flagged: int
    rows_flagged_allowed: int
    decisive_failures: list[str]
    ranges: int
    ranges_flagged: int
    ranges_flagged_allowed: int
    ranges_decisive_failures: list[int]
    passed: bool


@dataclass(frozen=True, slots=True)
class CertificationReport:
    generated_at: datetime
    source: str
    sequences: int
    bits: int
    alpha: float
    parameters: Parameters
    rows: list[RowResult]
    ranges: list[RangeResult]
    summary: Summary
    duration_seconds: float
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Every test, every p-value, the §4.2.1 and §4.2.2 analysis and the verdict."""
        document = asdict(self)
        document["generated_at"] = self.generated_at.isoformat()
        alpha = self.alpha
        for row, data in zip(self.rows, document["rows"], strict=True):
            data["label"] = row.label
            data["flagged"] = row.flagged
            data["sequence_passed"] = [None if p is None else p >= alpha for p in row.p_values]
        return document

    def to_text(self) -> str:
        """A table in the shape of STS's ``finalAnalysisReport.txt``."""
        low, _ = proportion_bounds(self.sequences, self.alpha)
        lines = [
            "RNG certification: NIST SP 800-22 rev. 1a and chi-square of the games' ranges",
            f"generated {self.generated_at.isoformat()}  source {self.source}",
            f"{self.sequences} sequences of {self.bits} bits, alpha = {self.alpha}; "
            f"took {self.duration_seconds:.1f} s",
            "",
            " C1  C2  C3  C4  C5  C6  C7  C8  C9 C10  P-VALUE   PROPORTION  STATISTICAL TEST",
            "-" * 94,
        ]
        for row in self.rows:
            bins = "".join(f"{count:>3} " for count in row.histogram)
            uniform = "    ----  " if row.uniformity_p is None else f"{row.uniformity_p:.6f}"
            mark_u = "*" if row.uniformity_ok is False else " "
            if row.applicable:
                proportion = f"{row.passing:>4}/{row.applicable:<4}"
                mark_p = "*" if row.proportion_ok is False else " "
            else:
                proportion, mark_p = "   n/a   ", " "
            decisive = "  DECISIVE" if row.decisive else ""
            lines.append(f"{bins}{uniform}{mark_u}  {proportion}{mark_p}  {row.label}{decisive}")
        lines += [
            "-" * 94,
            f"Rows flagged (*): {self.summary.rows_flagged} of {self.summary.rows}; chance "
            f"explains up to {self.summary.rows_flagged_allowed}. The minimum pass rate is "
            f"{low:.4f} of the sequences (SP 800-22 §4.2.1; for the random excursion rows, of "
            "those with enough cycles); uniformity needs "
            f"P-VALUE >= {UNIFORMITY_CUTOFF} (§4.2.2, from {UNIFORMITY_MIN_SEQUENCES} sequences).",
            "",
            "randbelow(n): chi-square goodness of fit to the uniform distribution",
            "       n      draws    chi-square    df    p-value",
        ]
        for r in self.ranges:
            mark = " " if r.passed else "*"
            lines.append(
                f"{r.n:>8} {r.draws:>10} {r.chi_square:>13.2f} {r.degrees_of_freedom:>5}  "
                f"{r.p_value:.6f}{mark}"
            )
        lines += [
            f"Ranges flagged (*): {self.summary.ranges_flagged} of {self.summary.ranges}; chance "
            f"explains up to {self.summary.ranges_flagged_allowed}.",
            "",
            *self.notes,
            f"VERDICT: {'PASS' if self.summary.passed else 'FAIL'}",
        ]
        if self.summary.decisive_failures or self.summary.ranges_decisive_failures:
            lines.append(
                "Decisive failures: "
                + ", ".join(
                    [*self.summary.decisive_failures]
                    + [f"randbelow({n})" for n in self.summary.ranges_decisive_failures]
                )
            )
        return "\n".join(lines) + "\n"


def _row_false_flag_chance(applicable: int, alpha: float, minimum: int) -> float:
    """Chance a perfect generator passes fewer than ``minimum`` of ``applicable`` sequences."""
    return _binomial_tail(applicable, alpha, applicable - minimum + 1)


def _chance_allowance(chances: Sequence[float]) -> int:
    """The 99.9 % quantile of how many of these independent events happen (Poisson-binomial)."""
    distribution = [1.0]
    for q in chances:
        shifted = [0.0, *distribution]
        distribution = [
            a * (1 - q) + b * q for a, b in zip([*distribution, 0.0], shifted, strict=True)
        ]
    tail = 1.0
    for k, probability in enumerate(distribution):
        tail -= probability
        if tail <= FAMILY_ALPHA:
            return k
    return len(chances)


def _analyse_row(
    test: str, variant: str, p_values: list[float | None], alpha: float, rows: int
) -> RowResult:
    applicable_values = [p for p in p_values if p is not None]
    applicable = len(applicable_values)
    passing = sum(1 for p in applicable_values if p >= alpha)
    histogram = p_value_histogram(applicable_values)
    if not applicable:
        return RowResult(
            test, variant, p_values, 0, 0, None, None, None, histogram, None, None, 0.0, False
        )
    low, high = proportion_bounds(applicable, alpha)
    proportion = passing / applicable
    proportion_ok = low <= proportion <= high
    minimum = math.ceil(low * applicable - 1e-9)
    chance = _row_false_flag_chance(applicable, alpha, minimum)
    uniformity = (
        uniformity_p_value(applicable_values) if applicable >= UNIFORMITY_MIN_SEQUENCES else None
    )
    uniformity_ok = None if uniformity is None else uniformity >= UNIFORMITY_CUTOFF
    if uniformity is not None:
        chance += UNIFORMITY_CUTOFF
    # Decisive: a result that a perfect generator shows on any of the rows with chance < 0.001.
    family = FAMILY_ALPHA / rows
    failures = applicable - passing
    decisive = (not proportion_ok and _binomial_tail(applicable, alpha, failures) < family) or (
        uniformity is not None and uniformity < family
    )
    return RowResult(
        test=test,
        variant=variant,
        p_values=p_values,
        applicable=applicable,
        passing=passing,
        proportion=proportion,
        proportion_min=low,
        proportion_ok=proportion_ok,
        histogram=histogram,
        uniformity_p=uniformity,
        uniformity_ok=uniformity_ok,
        false_flag_chance=chance,
        decisive=decisive,
    )


def analyse(results: Sequence[dict[str, PValues | None]], alpha: float = ALPHA) -> list[RowResult]:
    """Turn per-sequence p-values into the rows of the final analysis (SP 800-22 §4.2)."""
    order = [name for name, _ in SP800_22_TESTS]
    tests = [*order, *sorted({t for result in results for t in result} - set(order))]
    keys: list[tuple[str, str]] = []
    for test in tests:
        variants: dict[str, None] = {}
        for result in results:
            variants.update(dict.fromkeys(result.get(test) or {}))
        if any(test in result for result in results):
            keys += [(test, variant) for variant in variants or {"": None}]
    rows = []
    for test, variant in keys:
        p_values = [(result.get(test) or {}).get(variant) for result in results]
        rows.append(_analyse_row(test, variant, p_values, alpha, len(keys)))
    return rows


def range_fit(rng: Rng, n: int, draws: int, alpha: float = ALPHA) -> RangeResult:
    """Chi-square goodness of fit of ``draws`` outputs of ``rng.randbelow(n)``."""
    draws = max(draws, 5 * n)  # at least 5 expected per cell, as the chi-square needs
    counts = [0] * n
    randbelow = rng.randbelow
    for _ in range(draws):
        counts[randbelow(n)] += 1
    expected = draws / n
    chi2 = sum((count - expected) ** 2 for count in counts) / expected
    p_value = _igamc((n - 1) / 2.0, chi2 / 2.0)
    return RangeResult(n, draws, chi2, n - 1, p_value, p_value >= alpha)


def certify(
    rng: Rng,
    *,
    sequences: int = 100,
    bits: int = 1_000_000,
    alpha: float = ALPHA,
    parameters: Parameters | None = None,
    ranges: Sequence[int] = GAME_RANGES,
    draws_per_range: int = 100_000,
    progress: ProgressCallback | None = None,
    clock: Clock | None = None,
) -> CertificationReport:
    """Run the SP 800-22 battery on ``sequences`` x ``bits`` bits from ``rng`` and the
    goodness-of-fit of ``randbelow`` for each of ``ranges``; analyse as the lab would.

    Draws go through the generator's health tests, so a source that trips them raises
    :class:`~croupier.kernel.rng.errors.RngHealthFailure` here as it would in play.
    """
    if sequences < 1 or bits < 100:
        raise ValueError("need at least one sequence of at least 100 bits")
    params = parameters or Parameters()
    started = time.monotonic()
    total = sequences + len(ranges)
    results: list[dict[str, PValues | None]] = []
    for index in range(sequences):
        if progress:
            progress(index, total, f"SP 800-22 sequence {index + 1}/{sequences}")
        sequence = bits_from_bytes(rng.random_bytes((bits + 7) // 8), bits)
        results.append(run_sp800_22(sequence, params))
    range_results = []
    for offset, n in enumerate(ranges):
        if progress:
            progress(sequences + offset, total, f"randbelow({n})")
        range_results.append(range_fit(rng, n, draws_per_range, alpha))
    if progress:
        progress(total, total, "done")
    rows = analyse(results, alpha)
    summary = _summarise(rows, range_results, alpha)
    notes = []
    if sequences < UNIFORMITY_MIN_SEQUENCES:
        notes.append(
            f"Uniformity of p-values (§4.2.2) needs at least {UNIFORMITY_MIN_SEQUENCES} "
            f"sequences; {sequences} ran."
        )
    if bits < 1_000_000:
        notes.append(
            "SP 800-22 recommends sequences of 10**6 bits; some tests do not apply to shorter "
            "ones (Universal needs 387,840 bits, Random Excursions 500 cycles of the walk)."
        )
    return CertificationReport(
        generated_at=(clock or SystemClock()).now(),
        source=rng.source_name,
        sequences=sequences,
        bits=bits,
        alpha=alpha,
        parameters=params,
        rows=rows,
        ranges=range_results,
        summary=summary,
        duration_seconds=time.monotonic() - started,
        notes=notes,
    )


def _summarise(rows: list[RowResult], ranges: list[RangeResult], alpha: float) -> Summary:
    measured = [row for row in rows if row.applicable]
    flagged = sum(1 for row in measured if row.flagged)
    allowed = _chance_allowance([row.false_flag_chance for row in measured])
    decisive = [row.label for row in measured if row.decisive]
    ranges_flagged = sum(1 for r in ranges if not r.passed)
    ranges_allowed = _chance_allowance([alpha] * len(ranges))
    ranges_decisive = [r.n for r in ranges if r.p_value < FAMILY_ALPHA / max(len(ranges), 1)]
    passed = (
        bool(measured)
        and flagged <= allowed
        and not decisive
        and ranges_flagged <= ranges_allowed
        and not ranges_decisive
    )
    return Summary(
        rows=len(measured),
        rows_flagged=flagged,
        rows_flagged_allowed=allowed,
        decisive_failures=decisive,
        ranges=len(ranges),
        ranges_flagged=ranges_flagged,
        ranges_flagged_allowed=ranges_allowed,
        ranges_decisive_failures=ranges_decisive,
        passed=passed,
    )


def write_plot(report: CertificationReport, path: Path) -> bool:
    """A PNG of the p-value distributions; False (and no file) if matplotlib is missing."""
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    tests = [name for name, _ in SP800_22_TESTS]
    by_test = {name: np.zeros(10) for name in tests}
    every = []
    for row in report.rows:
        values = [p for p in row.p_values if p is not None]
        every.extend(values)
        by_test[row.test] += np.array(p_value_histogram(values))
    figure, (left, right) = plt.subplots(
        1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [1, 1.3]}
    )
    left.hist(every, bins=10, range=(0, 1), color="#4c72b0", edgecolor="white")
    left.axhline(len(every) / 10, color="#c44e52", linestyle="--", label="uniform")
    left.set_title(f"All p-values ({len(every)})")
    left.set_xlabel("p-value")
    left.set_ylabel("count")
    left.legend()
    ratios = np.array(
        [
            by_test[name] / (by_test[name].sum() / 10)
            if by_test[name].sum()
            else np.full(10, np.nan)
            for name in tests
        ]
    )
    colours = mpl.colormaps["coolwarm"].with_extremes(bad="#eeeeee")
    image = right.imshow(ratios, aspect="auto", cmap=colours, vmin=0, vmax=2)
    for y, name in enumerate(tests):
        if not by_test[name].sum():
            right.text(4.5, y, "not applicable", ha="center", va="center", fontsize=8)
    right.set_yticks(range(len(tests)), tests)
    right.set_xticks(range(10), [f"{i / 10:.1f}" for i in range(10)])
    right.set_xlabel("p-value bin (lower edge)")
    right.set_title("Observed / expected count per bin")
    figure.colorbar(image, ax=right)
    verdict = "PASS" if report.summary.passed else "FAIL"
    figure.suptitle(
        f"SP 800-22: {report.sequences} x {report.bits} bits from {report.source} - {verdict}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def write_report(report: CertificationReport, directory: Path) -> list[Path]:
    """Write ``report.json``, ``report.txt`` and (with matplotlib) ``pvalues.png``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [directory / "report.json", directory / "report.txt"]
    written[0].write_text(json.dumps(report.to_json(), indent=1, default=str) + "\n")
    written[1].write_text(report.to_text())
    plot = directory / "pvalues.png"
    if write_plot(report, plot):
        written.append(plot)
    return written

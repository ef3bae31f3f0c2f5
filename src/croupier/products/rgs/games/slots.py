"""Slot machines: reel strips, paylines or 243 ways, wilds, scatters and free spins, exact math.

The titles themselves (their strips and paytables) are data in
:mod:`croupier.products.rgs.games.slots_titles`; this module is the engine they share.

**Croupier's slot mapping** (PROTOCOLS.md §1's wheel mapping, applied once per reel). A spin
reads one number per reel from the round's stream, in reel order, and stops reel ``r`` at
``stop_r = pick(len(strip_r))``. The three visible rows of a reel are its strip's entries at
``stop_r``, ``stop_r + 1`` and ``stop_r + 2`` (wrapping round to the strip's start): top, middle,
bottom. Free spins read the same stream on: free spin ``k`` takes the numbers that follow those
of spin ``k − 1`` (the base spin is spin 0). Every strip is printed in the title's data, stop 0
first, so a player can recompute any grid from the stops a verifier shows.

**Stake and units.** The player's stake is the whole bet. A line title with ``L`` lines bets
``stake / L`` on each line and its paytable is in line bets; a ways title bets ``ways_bet``
coins of ``stake / ways_bet`` and pays coins per way. Scatters pay multiples of the whole stake.
Everything a spin pays is therefore a whole number of *units* (a line bet or a coin), and the
multiplier of the stake is ``units / L`` (or ``units / ways_bet``): exact, no rounding.

**Pays.**

- *Lines* pay left to right from reel 1: ``count`` leading positions of the line showing the same
  symbol (or a wild standing in for it) pay ``pays[symbol][count]`` line bets. Each line pays its
  best win only, so a line of wilds pays as the best-paying symbol it could stand for.
- *Ways* (243 = 3^5) pay a symbol when it (or a wild) shows on each of reels 1 … ``count``, once
  for every combination of positions: ``pays[symbol][count] × Π (positions on reel r)``.
- *Wilds* stand in for every paying symbol, never for the scatter.
- *Scatters* pay anywhere on the grid by their count: ``scatter_pays[count] × stake``. A strip
  holds its scatters at least three stops apart, so a reel shows at most one.
- *Free spins*: 3 or more scatters in the base spin award ``free_spins`` free spins, played on
  the title's free-spin strips (its base strips unless it has its own), every win of them
  (scatter pays too) multiplied by ``free_multiplier``. Scatters in free spins pay but award no
  more spins: no retriggers, so the feature is a fixed number of independent spins and its
  math is exact.

**A round** is multi-step: it starts with the base spin; if it awards free spins the round stays
open with the one move ``spin`` until every free spin is played, each ``spin`` being one free
spin; otherwise it ends at once. Nothing is stored but the moves: each step is replayed from the
seeds, and a step shows only the spins played so far. The round pays the sum of everything its
spins paid.

**What a step shows** (its latest spin): ``spin`` (0 for the base spin, ``k`` for free spin
``k``), ``stops`` (one per reel), ``grid`` (the three rows top to bottom, each from reel 1),
``wins`` (each ``{"line": n}`` numbered from 1, ``{"ways": n}`` with the number of ways, or
``{"scatter": [[reel, row], ...]}`` counted from 0; with its ``symbol``, ``count`` and ``pays``,
a multiplier of the stake written ``"p/q"``, free-spin multiplier included),
``free_spins_won``, ``free_spins_left`` and ``total``, what the round has paid so far.

**Math.** A spin's pay distribution is enumerated exactly over every stop combination (numpy,
reel 1 stop by stop, integer counts of every pay in units). The whole round's distribution is
``P(no feature) · base`` plus the feature rounds: the pays of the triggering base spins
convolved with ``free_spins`` independent free spins, computed exactly as an integer polynomial
power by number-theoretic transforms modulo several primes, recombined by the Chinese remainder
theorem (every count is an integer far below the primes' product).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from math import gcd, prod
from typing import Any, Final, NamedTuple

import numpy as np
import numpy.typing as npt

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import NumberStream
from croupier.products.rgs.games.base import Action, Params, Step
from croupier.products.rgs.math import Outcome

ROWS: Final = 3  # rows visible on every reel
SPIN: Final = "spin"  # the one move of an open round: play the next free spin
TRIGGER: Final = 3  # scatters in the base spin that award the free spins
MIN_STOPS: Final = 20
MAX_STOPS: Final = 40
REEL_COUNTS: Final = (3, 5)
SCATTER_GAP: Final = ROWS  # scatters this many stops apart never share a window

Strip = tuple[str, ...]
Counts = npt.NDArray[np.int64]

# NTT-friendly primes p < 2^31 (so a product of two residues fits in an int64) with 2^23 | p − 1,
# each with a primitive root: transforms of length up to 2^23.
NTT_PRIMES: Final[tuple[tuple[int, int], ...]] = (
    (2130706433, 3),
    (2113929217, 5),
    (2088763393, 5),
    (2013265921, 31),
    (1811939329, 13),
    (1711276033, 29),
    (1484783617, 5),
    (1300234241, 3),
    (1224736769, 3),
    (1107296257, 10),
    (998244353, 3),
    (897581057, 3),
    (880803841, 26),
    (754974721, 11),
    (645922817, 3),
    (595591169, 3),
    (469762049, 3),
    (377487361, 7),
    (167772161, 3),
)
NTT_MAX_LENGTH: Final = 2**23


def strip(text: str) -> Strip:
    """A reel strip written as text: symbol codes separated by spaces, stop 0 first."""
    return tuple(text.split())


@dataclass(frozen=True, eq=False)
class SlotTitle:
    """A slot title: its strips and paytables are all its math (see the module's docstring).

    ``eq=False``: a title is one object, hashed by identity, so its exact distribution can be
    cached per title.
    """

    code: str
    name: str
    reels: tuple[Strip, ...]
    # symbol → {count: units}; listed best-paying first (a tie on a line names the first).
    pays: Mapping[str, Mapping[int, int]]
    lines: tuple[tuple[int, ...], ...] = ()  # rows (0 top … 2 bottom) per reel; () for ways
    ways_bet: int = 0  # coins a ways title's stake stands for; 0 for a line title
    wild: str | None = None
    scatter: str | None = None
    scatter_pays: Mapping[int, int] = field(default_factory=dict)  # count → × stake
    free_spins: int = 0  # awarded for TRIGGER or more scatters; no retriggers
    free_multiplier: int = 1
    free_reels: tuple[Strip, ...] | None = None  # None: the base strips
    mechanic: str = "slots"
    fair_game: str = "slots"

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def bet_units(self) -> int:
        """Units (line bets or coins) one stake stands for."""
        return len(self.lines) if self.lines else self.ways_bet

    @property
    def feature_reels(self) -> tuple[Strip, ...]:
        return self.reels if self.free_reels is None else self.free_reels

    def check(self, params: Params) -> Params:
        # One configuration: the stake is the whole bet, every line is always played.
        if params:
            raise InvalidBet(
                f"{self.name} takes no parameter, got {sorted(params)[0]!r}.", parameter="params"
            )
        return {}

    def replay(
        self,
        stream: NumberStream,
        params: Params,  # noqa: ARG002 (the protocol's signature; slots take no bet parameters)
        actions: Sequence[Action],
    ) -> Step:
        machine = _machine(self)
        spin = machine.spin(stream, machine.base, 1)
        won = self.free_spins if spin.scatters >= TRIGGER and self.free_spins else 0
        total = spin.units
        for played, action in enumerate(actions):
            if played == won:
                raise InvalidAction("The round is over.", action=action.name)
            if action.name != SPIN:
                raise InvalidAction(f"Unknown action {action.name!r}: spin.", action=action.name)
            if action.args:
                raise InvalidAction("spin takes no arguments.", parameter="args")
            spin = machine.spin(stream, machine.feature, self.free_multiplier)
            total += spin.units
        left = won - len(actions)
        view: dict[str, Any] = {
            "spin": len(actions),  # 0: the base spin; k: free spin k
            "stops": spin.stops,
            "grid": spin.grid,
            "wins": spin.wins,
            "free_spins_won": won,
            "free_spins_left": left,
            "total": machine.text(total),
        }
        if left:
            # A free spin is no choice: an interrupted round spins on by itself (§4.16).
            return Step(finished=False, view=view, allowed=(SPIN,), automatic=Action(SPIN))
        return Step(finished=True, view=view, multiplier=machine.multiplier(total))

    def distribution(
        self,
        params: Params,  # noqa: ARG002 (one configuration, one distribution)
    ) -> Sequence[Outcome]:
        return round_distribution(self)

    def configurations(self) -> Sequence[Params]:
        return [{}]


def _validate(title: SlotTitle) -> None:
    """Refuse title data a test lab would (the module fails to import rather than mislead)."""
    where = title.code

    def fail(detail: str) -> None:
        raise ValueError(f"{where}: {detail}")

    if bool(title.lines) == bool(title.ways_bet):
        fail("a title has either paylines or a ways bet")
    special = {title.wild, title.scatter} - {None}
    for name, strips in (("reels", title.reels), ("free_reels", title.feature_reels)):
        if len(strips) not in REEL_COUNTS or len(strips) != len(title.reels):
            fail(f"{name}: 3 or 5 reels, the same number in the base game and free spins")
        for r, s in enumerate(strips):
            if not MIN_STOPS <= len(s) <= MAX_STOPS:
                fail(f"{name} reel {r + 1}: {MIN_STOPS} to {MAX_STOPS} stops, got {len(s)}")
            unknown = set(s) - set(title.pays) - special
            if unknown:
                fail(f"{name} reel {r + 1}: unknown symbols {sorted(unknown)}")
            at = [i for i, c in enumerate(s) if c == title.scatter]
            gaps = [(b - a) % len(s) for a, b in zip(at, at[1:] + at[:1], strict=True)]
            if len(at) > 1 and min(gaps) < SCATTER_GAP:
                fail(f"{name} reel {r + 1}: scatters fewer than {SCATTER_GAP} stops apart")
    n = len(title.reels)
    for symbol, table in title.pays.items():
        if symbol in special or not table:
            fail(f"{symbol} is not a paying symbol")
        for count, units in table.items():
            low = 3 if title.ways_bet else 1
            if not low <= count <= n or units <= 0:
                fail(f"{symbol} pays for counts {low} to {n}, positive units")
    if title.ways_bet and n != max(REEL_COUNTS):
        fail("a ways title has 5 reels")
    for line in title.lines:
        if len(line) != n or any(not 0 <= row < ROWS for row in line):
            fail(f"line {line}: one row 0 … {ROWS - 1} per reel")
    if len(set(title.lines)) != len(title.lines):
        fail("two lines are the same")
    if title.scatter is None and (title.scatter_pays or title.free_spins):
        fail("scatter pays and free spins need a scatter")
    if any(not TRIGGER <= c <= n or p < 0 for c, p in title.scatter_pays.items()):
        fail(f"scatters pay from {TRIGGER} to {n} on the grid")
    if title.free_spins < 0 or title.free_multiplier < 1:
        fail("free spins and their multiplier are positive")


# -- playing a spin --------------------------------------------------------------------------


class SpinResult(NamedTuple):
    stops: list[int]
    grid: list[list[str]]  # rows top to bottom, each reel 1 first
    wins: list[dict[str, Any]]
    units: int  # what the spin pays, in units (free-spin multiplier included)
    scatters: int


@dataclass(frozen=True, slots=True)
class _Reelset:
    strips: tuple[Strip, ...]
    windows: tuple[tuple[tuple[str, ...], ...], ...]  # reel → stop → rows top to bottom
    line_codes: tuple[tuple[tuple[int, ...], ...], ...]  # reel → stop → row → index offset
    way_counts: tuple[tuple[tuple[int, ...], ...], ...]  # reel → stop → paying symbol → count
    scatter_rows: tuple[tuple[tuple[int, ...], ...], ...]  # reel → stop → rows with a scatter


class _Machine:
    """A title compiled for fast play: a symbol tuple's best line win is one list look-up."""

    def __init__(self, title: SlotTitle) -> None:
        self.title = title
        self.paying = tuple(title.pays)
        self.symbols = self.paying + tuple(s for s in (title.wild, title.scatter) if s)
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.n = len(title.reels)
        self.base = self._reelset(title.reels)
        self.feature = self._reelset(title.feature_reels)
        self.units_per_stake = title.bet_units
        if title.lines:
            pays, winner = line_table(title)
            self.line_pays: list[int] = pays.tolist()
            self.line_winner: list[int] = winner.tolist()
        self.way_pays = [[title.pays[s].get(c, 0) for c in range(self.n + 1)] for s in self.paying]
        self.scatter_units = [
            title.scatter_pays.get(c, 0) * self.units_per_stake for c in range(self.n + 1)
        ]
        self._multipliers: dict[int, Fraction] = {}
        self._texts: dict[int, str] = {}

    def _reelset(self, strips: tuple[Strip, ...]) -> _Reelset:
        k, n, wild = len(self.symbols), len(strips), self.title.wild
        windows = tuple(
            tuple(tuple(s[(stop + row) % len(s)] for row in range(ROWS)) for stop in range(len(s)))
            for s in strips
        )
        return _Reelset(
            strips=strips,
            windows=windows,
            line_codes=tuple(
                tuple(tuple(self.index[c] * k ** (n - 1 - r) for c in w) for w in reel)
                for r, reel in enumerate(windows)
            ),
            way_counts=tuple(
                tuple(tuple(sum(c in (p, wild) for c in w) for p in self.paying) for w in reel)
                for reel in windows
            ),
            scatter_rows=tuple(
                tuple(tuple(i for i, c in enumerate(w) if c == self.title.scatter) for w in reel)
                for reel in windows
            ),
        )

    def multiplier(self, units: int) -> Fraction:
        """The stake multiplier of ``units``: one shared object per value."""
        m = self._multipliers.get(units)
        if m is None:
            m = self._multipliers[units] = Fraction(units, self.units_per_stake)
        return m

    def text(self, units: int) -> str:
        t = self._texts.get(units)
        if t is None:
            t = self._texts[units] = str(self.multiplier(units))
        return t

    def spin(self, stream: NumberStream, reels: _Reelset, factor: int) -> SpinResult:
        stops = [stream.pick(len(s)) for s in reels.strips]
        wins: list[dict[str, Any]] = []
        units = 0
        if self.title.lines:
            codes = [reels.line_codes[r][stop] for r, stop in enumerate(stops)]
            pays, winner = self.line_pays, self.line_winner
            # Unrolled for 5 and 3 reels: this loop is most of the time a round takes.
            if self.n == 5:
                a, b, c, d, e = codes
                found = [
                    (number, i)
                    for number, (ra, rb, rc, rd, re) in enumerate(self.title.lines, 1)
                    if pays[i := a[ra] + b[rb] + c[rc] + d[rd] + e[re]]
                ]
            else:
                a, b, c = codes
                found = [
                    (number, i)
                    for number, (ra, rb, rc) in enumerate(self.title.lines, 1)
                    if pays[i := a[ra] + b[rb] + c[rc]]
                ]
            for number, i in found:
                won = pays[i] * factor
                units += won
                symbol, count = divmod(winner[i], self.n + 1)
                wins.append(self._win("line", number, self.paying[symbol], count, won))
        else:
            counts = [reels.way_counts[r][stop] for r, stop in enumerate(stops)]
            for p, table in enumerate(self.way_pays):
                ways, count = 1, 0
                for reel in counts:
                    if not reel[p]:
                        break
                    ways *= reel[p]
                    count += 1
                if table[count]:
                    won = table[count] * ways * factor
                    units += won
                    wins.append(self._win("ways", ways, self.paying[p], count, won))
        scatters = 0
        if self.title.scatter is not None:
            at = [[r, row] for r, stop in enumerate(stops) for row in reels.scatter_rows[r][stop]]
            scatters = len(at)
            if self.scatter_units[scatters]:
                won = self.scatter_units[scatters] * factor
                units += won
                wins.append(self._win("scatter", at, self.title.scatter, scatters, won))
        windows = [reels.windows[r][stop] for r, stop in enumerate(stops)]
        return SpinResult(
            stops, [list(row) for row in zip(*windows, strict=True)], wins, units, scatters
        )

    def _win(self, kind: str, where: object, symbol: str, count: int, units: int) -> dict[str, Any]:
        return {kind: where, "symbol": symbol, "count": count, "pays": self.text(units)}


@cache
def _machine(title: SlotTitle) -> _Machine:
    return _Machine(title)


# -- exact math ------------------------------------------------------------------------------


def line_table(title: SlotTitle) -> tuple[Counts, Counts]:
    """The best win of a line for every tuple of symbol indices (reel 1 most significant):
    its pay in line bets, and ``symbol · (reels + 1) + count`` of the win (for the view)."""
    machine_symbols = (*title.pays, *(s for s in (title.wild, title.scatter) if s))
    k, n = len(machine_symbols), len(title.reels)
    grid = np.indices((k,) * n, dtype=np.int64).reshape(n, -1)
    wild = machine_symbols.index(title.wild) if title.wild else -1
    best = np.zeros(grid.shape[1], dtype=np.int64)
    winner = np.zeros(grid.shape[1], dtype=np.int64)
    for p, symbol in enumerate(title.pays):
        table = np.array([title.pays[symbol].get(c, 0) for c in range(n + 1)], dtype=np.int64)
        run = np.cumprod((grid == p) | (grid == wild), axis=0).sum(axis=0)
        pay = table[run]
        better = pay > best
        best = np.where(better, pay, best)
        winner = np.where(better, p * (n + 1) + run, winner)
    return best, winner


def _outer_sum(vectors: Sequence[Counts]) -> Counts:
    out = np.zeros(1, dtype=np.int64)
    for v in vectors:
        out = (out[:, None] + v[None, :]).ravel()
    return out


def _outer_product(vectors: Sequence[Counts]) -> Counts:
    out = np.ones(1, dtype=np.int64)
    for v in vectors:
        out = (out[:, None] * v[None, :]).ravel()
    return out


def spin_counts(title: SlotTitle, feature: bool) -> tuple[Counts, Counts]:
    """How many stop combinations pay each number of units (index = units), split into those
    that do not and those that do award the free spins (always none in free spins).

    Every combination is counted once: reel 1 stop by stop, the other reels as two groups
    whose pays are combined by broadcasting (for lines, index offsets into the line table;
    for ways, products of the counts of each symbol per reel).
    """
    machine = _machine(title)
    reels = machine.feature if feature else machine.base
    factor = title.free_multiplier if feature else 1
    n, k = machine.n, len(machine.symbols)
    lens = [len(s) for s in reels.strips]
    cut = 1 + (n - 1) // 2  # reels 2 … cut and cut + 1 … n: the two groups
    win = [
        np.array([[machine.index[c] for c in w] for w in reel], dtype=np.int64)
        for reel in reels.windows
    ]
    scat = [np.array([len(rows) for rows in reel], dtype=np.int64) for reel in reels.scatter_rows]
    scatter_a, scatter_b = _outer_sum(scat[1:cut]), _outer_sum(scat[cut:])
    scatter_units = np.array(machine.scatter_units, dtype=np.int64)
    if title.lines:
        table = np.array(machine.line_pays, dtype=np.int64)
        offsets = [
            [win[r][:, row] * k ** (n - 1 - r) for r, row in enumerate(line)]
            for line in title.lines
        ]
        heads = [o[0] for o in offsets]
        group_a = [_outer_sum(o[1:cut]) for o in offsets]
        group_b = [_outer_sum(o[cut:]) for o in offsets]
        top = int(table.max()) * len(title.lines)
    else:
        wild = machine.index.get(title.wild or "", -1)
        ways: list[tuple[Counts, Counts, Counts]] = []
        for p, pays in enumerate(machine.way_pays):
            c = [((w == p) | (w == wild)).sum(axis=1) for w in win]
            # Group b (reels 4, 5) decides how far a win on reels 1-3 goes on.
            tail = (
                pays[3] * _outer_product([c[3] == 0, np.ones(lens[4], dtype=np.int64)])
                + pays[4] * _outer_product([c[3], c[4] == 0])
                + pays[5] * _outer_product([c[3], c[4]])
            )
            ways.append((c[0], _outer_product(c[1:cut]), tail))
        top = sum(max(pays) for pays in machine.way_pays) * ROWS**n
    size = (top + int(scatter_units.max())) * factor + 1
    plain = np.zeros(size, dtype=np.int64)
    awarded = np.zeros(size, dtype=np.int64)
    for s0 in range(lens[0]):
        total = np.zeros((len(scatter_a), len(scatter_b)), dtype=np.int64)
        if title.lines:
            for head, a, b in zip(heads, group_a, group_b, strict=True):
                total += table[head[s0] + a[:, None] + b[None, :]]
        else:
            for c0, a, b in ways:
                if c0[s0]:
                    total += c0[s0] * a[:, None] * b[None, :]
        scatters = scat[0][s0] + scatter_a[:, None] + scatter_b[None, :]
        total += scatter_units[scatters]
        total *= factor
        triggers = (scatters >= TRIGGER) & (not feature) & (title.free_spins > 0)
        plain += np.bincount(total[~triggers], minlength=size)
        awarded += np.bincount(total[triggers], minlength=size)
    assert int(plain.sum() + awarded.sum()) == prod(lens)
    return plain, awarded


def _bit_reversal(n: int) -> npt.NDArray[np.intp]:
    bits = n.bit_length() - 1
    index = np.arange(n)
    out = np.zeros(n, dtype=np.intp)
    for b in range(bits):
        out |= ((index >> b) & 1) << (bits - 1 - b)
    return out


def _powers(w: int, m: int, p: int) -> Counts:
    out = np.ones(1, dtype=np.int64)
    while out.size < m:
        out = np.concatenate((out, out * pow(w, out.size, p) % p))
    return out[:m]


def _ntt(a: Counts, p: int, root: int) -> Counts:
    """The number-theoretic transform of ``a`` (length a power of 2) modulo ``p``, with
    ``root`` a primitive ``len(a)``-th root of unity: iterative Cooley–Tukey, vectorised."""
    n = a.size
    a = a[_bit_reversal(n)]
    m = 1
    while m < n:
        w = _powers(pow(root, n // (2 * m), p), m, p)
        blocks = a.reshape(-1, 2, m)
        u = blocks[:, 0, :]
        v = blocks[:, 1, :] * w % p
        a = np.concatenate(((u + v) % p, (u - v) % p), axis=1).reshape(n)
        m *= 2
    return a


def _power_mod(x: Counts, e: int, p: int) -> Counts:
    result = np.ones_like(x)
    while e:
        if e & 1:
            result = result * x % p
        x = x * x % p
        e >>= 1
    return result


def feature_convolution(trigger: Counts, spin: Counts, spins: int) -> list[int]:
    """The exact integer coefficients of ``trigger * spin^(*spins)`` (``*`` convolution): how
    many (base stops, free-spin stops …) sequences pay each total, for rounds with the feature.

    Computed modulo enough NTT primes that their product exceeds every coefficient (bounded by
    the product of the two arrays' sums), then recombined exactly (Garner's mixed radix)."""
    length = len(trigger) + spins * (len(spin) - 1)
    size = 1 << max(0, (length - 1).bit_length())
    if size > NTT_MAX_LENGTH:
        raise ValueError(f"feature distribution too long for the transform: {length}")
    bound = int(trigger.sum()) * int(spin.sum()) ** spins
    primes: list[tuple[int, int]] = []
    modulus = 1
    for p, g in NTT_PRIMES:
        if modulus > bound:
            break
        primes.append((p, g))
        modulus *= p
    if modulus <= bound:
        raise ValueError("feature distribution needs more NTT primes")
    residues: list[Counts] = []
    for p, g in primes:
        root = pow(g, (p - 1) // size, p)
        a = np.zeros(size, dtype=np.int64)
        a[: len(trigger)] = trigger % p
        b = np.zeros(size, dtype=np.int64)
        b[: len(spin)] = spin % p
        product = _ntt(a, p, root) * _power_mod(_ntt(b, p, root), spins, p) % p
        inverse = _ntt(product, p, pow(root, p - 2, p)) * pow(size, p - 2, p) % p
        residues.append(inverse[:length])
    # Garner: x = v0 + v1·p0 + v2·p0·p1 + …, each digit v_i < p_i computed modulo p_i.
    digits: list[Counts] = []
    for i, (p, _) in enumerate(primes):
        x = residues[i]
        for j, v in enumerate(digits):
            pj = primes[j][0]
            x = (x - v) % p * pow(pj, p - 2, p) % p
        digits.append(x)
    total = np.zeros(length, dtype=object)
    for (p, _), v in zip(reversed(primes), reversed(digits), strict=True):
        total = total * p + v.astype(object)
    return [int(c) for c in total]


@cache
def round_distribution(title: SlotTitle) -> tuple[Outcome, ...]:
    """The exact distribution of a whole round's multiplier: the base spin, and the free spins
    when it awards them. Cached: a title's math never changes while the process runs."""
    plain, awarded = spin_counts(title, feature=False)
    base_combos = int(plain.sum() + awarded.sum())
    machine = _machine(title)
    if not int(awarded.sum()):
        return tuple(
            Outcome(Fraction(int(c), base_combos), machine.multiplier(u))
            for u, c in enumerate(plain.tolist())
            if c
        )
    if title.free_reels is None:  # the same strips: the same spins, every pay multiplied
        free = np.zeros((len(plain) - 1) * title.free_multiplier + 1, dtype=np.int64)
        free[:: title.free_multiplier] = plain + awarded
    else:
        free, _ = spin_counts(title, feature=True)
    free_combos = int(free.sum())
    # Every pay is a multiple of g: work in units of g (a shorter transform).
    g = 0
    for counts in (plain, awarded, free):
        for u in np.flatnonzero(counts).tolist():
            g = gcd(g, u)
    g = max(g, 1)
    featured = feature_convolution(
        np.trim_zeros(awarded[::g], "b"), np.trim_zeros(free[::g], "b"), title.free_spins
    )
    weight = free_combos**title.free_spins  # each base combination stands for this many rounds
    numerators: dict[int, int] = {}
    for u, c in enumerate(plain.tolist()):
        if c:
            numerators[u] = c * weight
    for v, c in enumerate(featured):
        if c:
            numerators[v * g] = numerators.get(v * g, 0) + c
    denominator = base_combos * weight
    return tuple(
        Outcome(Fraction(c, denominator), machine.multiplier(u))
        for u, c in sorted(numerators.items())
    )

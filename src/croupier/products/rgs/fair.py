"""Provably fair outcomes: commit–reveal with HMAC-SHA256, exactly as PROTOCOLS.md §1.

The scheme is the one crypto casinos publish and third-party verifiers implement, so a player
can check any round of ours with a verifier we did not write. That only works if we follow it to
the byte: the HMAC key is the server seed's hex *text*, the message is
``"{client_seed}:{nonce}:{round}"``, numbers are big-endian 4-byte words read across rounds
from cursor 0, and every game is a fixed reading of those numbers.

Every mapping is exact integer arithmetic (``pick(k, n) = (k * n) >> 32``). The published float
``k / 2**32`` never appears here: it exists only so verifiers can explain the scheme, and
``floor(k / 2**32 * n)`` equals ``pick(k, n)`` only while the product stays exact in a double.

The module is pure: no database, no clock, no I/O. Randomness comes only from ``secrets`` in
:func:`new_server_seed` and :func:`default_client_seed`; every outcome is a function of
(server seed, client seed, nonce) and the game's parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Protocol, TypeVar

from croupier.kernel.rng import default_rng
from croupier.products.rgs.errors import (
    InvalidClientSeed,
    InvalidFairParameter,
    InvalidServerSeed,
)

_T = TypeVar("_T")

SERVER_SEED_BYTES: Final = 32
SERVER_SEED_LENGTH: Final = 2 * SERVER_SEED_BYTES
CLIENT_SEED_MAX_LENGTH: Final = 64
DEFAULT_CLIENT_SEED_BYTES: Final = 16

ROUND_BYTES: Final = 32  # one HMAC-SHA256 digest
NUMBER_BYTES: Final = 4
NUMBER_RANGE: Final = 2**32

DICE_OUTCOMES: Final = 10_001  # 0.00 … 100.00 in hundredths
EUROPEAN_POCKETS: Final = 37
AMERICAN_POCKETS: Final = 38
ROULETTE_POCKETS: Final = frozenset({EUROPEAN_POCKETS, AMERICAN_POCKETS})

LIMBO_MIN_MULTIPLIER: Final = 100  # 1.00x: the formula never pays less than the stake back
# The largest value the formula itself produces (k = 1). Using it for k = 0 keeps the mapping
# monotone (a smaller k never gives a smaller multiplier), so k = 0 really is the maximum.
# A game's cap on what it *pays* belongs to settlement, not to the outcome a verifier shows.
LIMBO_MAX_MULTIPLIER: Final = 99 * NUMBER_RANGE

RANKS: Final = "23456789TJQKA"
SUITS: Final = "DHSC"  # ♦ ♥ ♠ ♣, the order of PROTOCOLS.md §1
CARDS: Final[tuple[str, ...]] = tuple(rank + suit for rank in RANKS for suit in SUITS)
# Dealing with replacement has no natural end; this bounds the work one call may ask for, far
# above any hand of blackjack, hi-lo or baccarat.
MAX_CARDS_WITH_REPLACEMENT: Final = 1_024

KENO_SQUARES: Final = 40
KENO_DRAWS: Final = 10
MINES_TILES: Final = 25
MIN_MINES: Final = 1
MAX_MINES: Final = 24  # at least one safe tile, or there is no game
MIN_PLINKO_ROWS: Final = 8
MAX_PLINKO_ROWS: Final = 16
MIN_WHEEL_SEGMENTS: Final = 2
# Far above any wheel a player can read; also keeps pick(S)'s truncation bias (at most one
# extra number out of 2^32 / S per segment) negligible.
MAX_WHEEL_SEGMENTS: Final = 1_000


# -- validation ------------------------------------------------------------------------------


# Compiled once: seeds are checked for every round (and a million times per simulation).
# \Z, not $: "$" would also match before a trailing newline.
_SERVER_SEED: Final = re.compile(rf"[0-9a-f]{{{SERVER_SEED_LENGTH}}}\Z")
# Visible ASCII "!" (0x21) to "~" (0x7E) except ":" (0x3A).
_CLIENT_SEED: Final = re.compile(rf"[!-9;-~]{{1,{CLIENT_SEED_MAX_LENGTH}}}\Z")


def _check_int(value: object, name: str, low: int, high: int | None = None) -> int:
    # bool is an int subclass, and True rows or mines is a caller's bug, not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFairParameter(
            f"{name} must be an integer, got {type(value).__name__}.", parameter=name
        )
    if value < low or (high is not None and value > high):
        bounds = f"at least {low}" if high is None else f"between {low} and {high}"
        raise InvalidFairParameter(f"{name} must be {bounds}, got {value}.", parameter=name)
    return value


def check_server_seed(server_seed: object) -> str:
    """The server seed itself, or :class:`InvalidServerSeed`.

    PROTOCOLS.md §1 keys the HMAC with the hex *text*, so the 32 bytes written in upper case
    would yield different outcomes than the same bytes in lower case. Only the canonical
    spelling (64 characters of ``0-9a-f``) is accepted, so a revealed seed verifies in any
    verifier as written.
    """
    if not isinstance(server_seed, str) or _SERVER_SEED.fullmatch(server_seed) is None:
        raise InvalidServerSeed()
    return server_seed


def check_client_seed(client_seed: object) -> str:
    """The client seed itself, or :class:`InvalidClientSeed`.

    A client seed is 1 to 64 visible ASCII characters (``!`` to ``~``) other than ``:``:

    - ASCII only, because the HMAC message is bytes: a non-ASCII seed would depend on the
      encoding a verifier picks (UTF-8 or Latin-1) and on Unicode normalisation (an "é" typed
      on two systems can be two different byte strings), and the round would not verify.
    - no space, because web verifiers and copy-paste trim or collapse whitespace; a seed with
      an edge or double space would silently verify as a different seed.
    - no ``:``, because it separates the fields of ``"{client_seed}:{nonce}:{round}"``; the
      message stays parseable from either end by any reader or log viewer.
    - at most 64 characters: room for any seed a player types or a 32-byte hex string, and a
      bounded column to store.
    """
    if not isinstance(client_seed, str) or _CLIENT_SEED.fullmatch(client_seed) is None:
        raise InvalidClientSeed()
    return client_seed


def check_nonce(nonce: object) -> int:
    """The nonce itself, or :class:`InvalidFairParameter`: it counts rounds from 0."""
    return _check_int(nonce, "nonce", 0)


# -- seeds and commitment --------------------------------------------------------------------


def new_server_seed() -> str:
    """A fresh server seed: 32 bytes from the health-tested RNG (the operating system's CSPRNG,
    GLI-19 §3), in lower-case hex."""
    return default_rng().random_bytes(SERVER_SEED_BYTES).hex()


def commitment(server_seed: str) -> str:
    """What the player sees before playing: ``sha256`` of the seed's hex text, in hex.

    It binds us to the seed without revealing it; once the seed is revealed, anyone can hash
    it and compare.
    """
    return hashlib.sha256(check_server_seed(server_seed).encode("ascii")).hexdigest()


def default_client_seed() -> str:
    """A client seed for a player who has not chosen one: 16 random bytes as 32 hex characters.

    Random rather than fixed, so we could not have picked a server seed against a client seed we
    knew in advance; the player may replace it at any time.
    """
    return default_rng().random_bytes(DEFAULT_CLIENT_SEED_BYTES).hex()


@dataclass(frozen=True, slots=True)
class RoundSeeds:
    """The inputs that fix a round's outcome, validated once.

    The server seed stays out of ``repr`` so that logging a round never reveals a seed whose
    commitment is still in play.
    """

    server_seed: str = field(repr=False)
    client_seed: str
    nonce: int

    def __post_init__(self) -> None:
        check_server_seed(self.server_seed)
        check_client_seed(self.client_seed)
        check_nonce(self.nonce)

    def stream(self) -> NumberStream:
        """A fresh stream over this round's bytes, at cursor 0."""
        return NumberStream(self)


def round_digest(seeds: RoundSeeds, round_index: int) -> bytes:
    """HMAC round ``r``: ``HMAC_SHA256(server_seed as ASCII, "{client_seed}:{nonce}:{r}")``."""
    r = _check_int(round_index, "round_index", 0)
    message = f"{seeds.client_seed}:{seeds.nonce}:{r}".encode("ascii")
    return hmac.digest(seeds.server_seed.encode("ascii"), message, "sha256")


# -- numbers ---------------------------------------------------------------------------------


def pick(k: int, n: int) -> int:
    """``floor(k * n / 2^32)``: a number ``0 ≤ k < 2^32`` mapped onto ``0 … n − 1``.

    Exact integer arithmetic; the float form ``floor(k / 2^32 * n)`` that verifiers print
    agrees with it only while ``k * n`` fits a double's 53-bit mantissa.
    """
    _check_int(k, "k", 0, NUMBER_RANGE - 1)
    _check_int(n, "n", 1, NUMBER_RANGE)
    return (k * n) >> 32


class _KeyedState(Protocol):
    def copy(self) -> _KeyedState: ...
    def update(self, message: bytes) -> None: ...
    def digest(self) -> bytes: ...


@lru_cache(maxsize=256)
def _keyed(key: bytes) -> _KeyedState:
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    # CPython's HMAC wraps OpenSSL's keyed state (``_hmac``) in Python methods; copying the
    # OpenSSL state itself saves a fifth of each HMAC. Where it is absent, the wrapper serves.
    inner: _KeyedState | None = getattr(keyed, "_hmac", None)
    return keyed if inner is None else inner


def _hmac(key: bytes, message: bytes) -> bytes:
    """``HMAC_SHA256(key, message)``, from a cached keyed state: copying it skips the key
    schedule, a third of the cost of a round (a player plays many rounds with one seed)."""
    state = _keyed(key).copy()
    state.update(message)
    return state.digest()


@lru_cache(maxsize=64)
def _words(count: int) -> struct.Struct:
    """``count`` big-endian 4-byte numbers."""
    return struct.Struct(f">{count}I")


class NumberStream:
    """The byte stream of PROTOCOLS.md §1 and the numbers read from it.

    The stream is HMAC rounds 0, 1, 2, … concatenated; each read continues at the cursor, so
    the 9th number is the first word of round 1. Rounds are computed only when reached.
    """

    __slots__ = ("_block", "_key", "_offset", "_prefix", "_round")

    def __init__(self, seeds: RoundSeeds) -> None:
        self._start(seeds.server_seed.encode("ascii"), f"{seeds.client_seed}:{seeds.nonce}:")

    def _start(self, key: bytes, prefix: str) -> None:
        self._key = key
        self._prefix = prefix
        self._round = 0
        self._block = _hmac(key, f"{prefix}0".encode("ascii"))
        self._offset = 0

    @classmethod
    def of_checked(cls, server_key: bytes, client_seed: str, nonce: int) -> NumberStream:
        """A stream for seeds the caller has already checked (a simulation or a benchmark
        checks its seed pair once, then plays a million nonces): no per-round validation."""
        stream = cls.__new__(cls)
        # _start, inline: this runs once per round of every simulation and benchmark.
        prefix = f"{client_seed}:{nonce}:"
        stream._key, stream._prefix, stream._round, stream._offset = server_key, prefix, 0, 0
        stream._block = _hmac(server_key, f"{prefix}0".encode("ascii"))
        return stream

    def rest_of_round(self) -> tuple[int, ...]:
        """The numbers left in the current HMAC round, or the next round's 8 if it is used up:
        for a reader that deals until something happens (andar bahar) and owns the stream, so
        that reading past what it needs changes nothing."""
        offset = self._offset
        if offset == ROUND_BYTES:
            self._round += 1
            self._block = _hmac(self._key, f"{self._prefix}{self._round}".encode("ascii"))
            offset = 0
        self._offset = ROUND_BYTES
        return _words((ROUND_BYTES - offset) // NUMBER_BYTES).unpack_from(self._block, offset)

    @property
    def cursor(self) -> int:
        """How many bytes have been read so far."""
        return self._round * ROUND_BYTES + self._offset

    def next_bytes(self, count: int) -> bytes:
        """The next ``count`` bytes, crossing into the next HMAC round when one runs out."""
        remaining = _check_int(count, "count", 0)
        parts: list[bytes] = []
        while remaining:
            if self._offset == ROUND_BYTES:
                self._round += 1
                message = f"{self._prefix}{self._round}".encode("ascii")
                self._block = _hmac(self._key, message)
                self._offset = 0
            take = min(remaining, ROUND_BYTES - self._offset)
            parts.append(self._block[self._offset : self._offset + take])
            self._offset += take
            remaining -= take
        return b"".join(parts)

    def next_number(self) -> int:
        """The next number ``k = b0·2^24 + b1·2^16 + b2·2^8 + b3``, ``0 ≤ k < 2^32``."""
        offset = self._offset
        if offset <= ROUND_BYTES - NUMBER_BYTES:  # the common case: within this HMAC round
            self._offset = offset + NUMBER_BYTES
            return int.from_bytes(self._block[offset : offset + NUMBER_BYTES], "big")
        return int.from_bytes(self.next_bytes(NUMBER_BYTES), "big")

    def numbers(self, count: int) -> tuple[int, ...]:
        """The next ``count`` numbers in one read: exactly what ``count`` calls of
        :meth:`next_number` return (a keno draw, a baccarat deal read ahead), at a fraction of
        the cost of the calls."""
        size, offset = NUMBER_BYTES * count, self._offset
        if count > 0 and offset + size <= ROUND_BYTES:  # within this HMAC round: no copy
            self._offset = offset + size
            return _words(count).unpack_from(self._block, offset)
        if offset == ROUND_BYTES and 0 < size <= ROUND_BYTES:  # all from the next round
            self._round += 1
            self._block = _hmac(self._key, f"{self._prefix}{self._round}".encode("ascii"))
            self._offset = size
            return _words(count).unpack_from(self._block, 0)
        return _words(count).unpack(self.next_bytes(size))

    def pick(self, n: int) -> int:
        """The next number, picked from ``n`` (``1 ≤ n ≤ 2^32``)."""
        if n.__class__ is not int or not 1 <= n <= NUMBER_RANGE:
            _check_int(n, "n", 1, NUMBER_RANGE)
        return (self.next_number() * n) >> 32


def _draw_without_replacement(
    stream: NumberStream, population: Sequence[_T], count: int
) -> list[_T]:
    # PROTOCOLS.md §1 keno/mines/deck: draw i takes index pick(N − i) of what remains, kept in
    # ascending (population) order; list.pop preserves that order.
    remaining = list(population)
    size = len(remaining)
    # pick(n) is (k · n) >> 32 of the next number k: the numbers are read in one go.
    return [remaining.pop((k * (size - i)) >> 32) for i, k in enumerate(stream.numbers(count))]


# -- games -----------------------------------------------------------------------------------


def format_hundredths(value: int) -> str:
    """A non-negative count of hundredths as text: ``4123`` → ``"41.23"``, ``198`` → ``"1.98"``."""
    value = _check_int(value, "value", 0)
    whole, cents = divmod(value, 100)
    return f"{whole}.{cents:02d}"


def dice_roll(seeds: RoundSeeds) -> int:
    """The dice roll in hundredths, ``0 … 10000`` (0.00 … 100.00): ``pick(10001)``.

    Render it with :func:`format_hundredths`.
    """
    return seeds.stream().pick(DICE_OUTCOMES)


def roulette_pocket(seeds: RoundSeeds, pockets: int = EUROPEAN_POCKETS) -> int:
    """The pocket index ``pick(pockets)``: 37 for European roulette, 38 for American.

    The index is the outcome a verifier shows; which label it carries on the table (for
    American, conventionally 37 for "00") is the game's, not the scheme's.
    """
    if isinstance(pockets, bool) or pockets not in ROULETTE_POCKETS:
        raise InvalidFairParameter(
            f"pockets must be {EUROPEAN_POCKETS} or {AMERICAN_POCKETS}, got {pockets!r}.",
            parameter="pockets",
        )
    return seeds.stream().pick(pockets)


def limbo_multiplier_for(k: int, max_multiplier: int = LIMBO_MAX_MULTIPLIER) -> int:
    """The limbo (and single crash round) multiplier in hundredths for number ``k``.

    ``max(100, floor(99 · 2^32 / k))`` for ``k > 0``: a 1% house edge, never below 1.00x.
    ``k = 0`` has no quotient and gives ``max_multiplier``; the default is the formula's own
    largest value (at ``k = 1``), see :data:`LIMBO_MAX_MULTIPLIER`. A game may pass a smaller
    maximum (at least 1.00x), but then numbers 1 … ``99 · 2^32 // max_multiplier`` outrank
    ``k = 0``; cap what a game pays at settlement instead.
    """
    _check_int(k, "k", 0, NUMBER_RANGE - 1)
    _check_int(max_multiplier, "max_multiplier", LIMBO_MIN_MULTIPLIER)
    if k == 0:
        return max_multiplier
    return max(LIMBO_MIN_MULTIPLIER, (99 * NUMBER_RANGE) // k)


def limbo_multiplier(seeds: RoundSeeds, max_multiplier: int = LIMBO_MAX_MULTIPLIER) -> int:
    """The round's limbo multiplier in hundredths (``198`` is 1.98x), from the first number."""
    _check_int(max_multiplier, "max_multiplier", LIMBO_MIN_MULTIPLIER)
    return limbo_multiplier_for(seeds.stream().next_number(), max_multiplier)


def cards_with_replacement(seeds: RoundSeeds, count: int) -> list[str]:
    """``count`` cards dealt from an infinite shoe: each is ``CARDS[pick(52)]``.

    For blackjack, hi-lo and baccarat; card codes such as ``"TD"`` or ``"AC"``.
    """
    count = _check_int(count, "count", 1, MAX_CARDS_WITH_REPLACEMENT)
    stream = seeds.stream()
    return [CARDS[stream.pick(len(CARDS))] for _ in range(count)]


def keno_draw(seeds: RoundSeeds) -> list[int]:
    """The 10 squares drawn from 1 … 40, in draw order."""
    return _draw_without_replacement(seeds.stream(), range(1, KENO_SQUARES + 1), KENO_DRAWS)


def mine_tiles(seeds: RoundSeeds, mines: int) -> list[int]:
    """Where the ``mines`` mines lie among tiles 0 … 24, in draw order (1 ≤ mines ≤ 24)."""
    mines = _check_int(mines, "mines", MIN_MINES, MAX_MINES)
    return _draw_without_replacement(seeds.stream(), range(MINES_TILES), mines)


@dataclass(frozen=True, slots=True)
class PlinkoDrop:
    """A ball's path down the board (0 left, 1 right, one per row) and the slot it lands in."""

    path: tuple[int, ...]

    @property
    def slot(self) -> int:
        """The landing slot, ``0 … rows``: the number of bounces to the right."""
        return sum(self.path)


def plinko_drop(seeds: RoundSeeds, rows: int) -> PlinkoDrop:
    """The ball's path over ``rows`` rows (8 … 16): each direction is ``pick(2)``."""
    rows = _check_int(rows, "rows", MIN_PLINKO_ROWS, MAX_PLINKO_ROWS)
    stream = seeds.stream()
    return PlinkoDrop(path=tuple(stream.pick(2) for _ in range(rows)))


def wheel_segment(seeds: RoundSeeds, segments: int) -> int:
    """The segment index ``pick(segments)``, ``0 … segments − 1``."""
    segments = _check_int(segments, "segments", MIN_WHEEL_SEGMENTS, MAX_WHEEL_SEGMENTS)
    return seeds.stream().pick(segments)


def deck_top(seeds: RoundSeeds, count: int) -> list[str]:
    """The first ``count`` cards (1 … 52) of the round's shuffled deck.

    The shuffle draws one card at a time, so these are exactly the first ``count`` cards of
    :func:`shuffled_deck`, without computing the rest.
    """
    count = _check_int(count, "count", 1, len(CARDS))
    return _draw_without_replacement(seeds.stream(), CARDS, count)


def shuffled_deck(seeds: RoundSeeds) -> list[str]:
    """A full 52-card deck in draw order (video poker, finite shoes): keno's draw over CARDS."""
    return deck_top(seeds, len(CARDS))


# -- verification: what `croupier fair verify` and the public endpoint answer ----------------

FAIR_GAMES: Final = (
    "dice", "roulette", "limbo", "cards", "deck", "keno", "mines", "plinko", "wheel",
)  # fmt: skip
DEFAULT_CARDS: Final = 52
DEFAULT_MINES: Final = 3
DEFAULT_PLINKO_ROWS: Final = 16
DEFAULT_WHEEL_SEGMENTS: Final = 10


def verify_outcome(
    game: str,
    server_seed: str,
    client_seed: str,
    nonce: int,
    *,
    count: int | None = None,
    mines: int | None = None,
    rows: int | None = None,
    segments: int | None = None,
) -> dict[str, object]:
    """The outcome of one round of ``game`` from its revealed seeds, in the published shape:
    dice ``{"roll": 41.23}``, roulette ``{"pocket": 17}``, limbo ``{"multiplier": 2.35}``,
    cards ``{"cards": [...]}`` (with replacement), deck ``{"cards": [...]}`` (the first K cards
    of the shuffled deck: video poker, three card poker, red dog, andar bahar), keno
    ``{"drawn": [...]}``, mines ``{"mines": [...]}``, plinko ``{"path": [...], "slot": k}``,
    wheel ``{"segment": k}``. A parameter that does not apply to ``game`` is ignored; one that
    does defaults as the CLI documents (52 cards, 3 mines, 16 rows, 10 segments)."""
    if game not in FAIR_GAMES:
        raise InvalidFairParameter(
            f"Unknown game {game!r}: one of {', '.join(FAIR_GAMES)}.",
            parameter="game",
            games=list(FAIR_GAMES),
        )
    seeds = RoundSeeds(server_seed, client_seed, nonce)
    if game == "dice":
        return {"roll": dice_roll(seeds) / 100}
    if game == "roulette":
        return {"pocket": roulette_pocket(seeds)}
    if game == "limbo":
        return {"multiplier": limbo_multiplier(seeds) / 100}
    if game == "cards":
        return {"cards": cards_with_replacement(seeds, DEFAULT_CARDS if count is None else count)}
    if game == "deck":
        return {"cards": deck_top(seeds, DEFAULT_CARDS if count is None else count)}
    if game == "keno":
        return {"drawn": keno_draw(seeds)}
    if game == "mines":
        return {"mines": mine_tiles(seeds, DEFAULT_MINES if mines is None else mines)}
    if game == "plinko":
        drop = plinko_drop(seeds, DEFAULT_PLINKO_ROWS if rows is None else rows)
        return {"path": list(drop.path), "slot": drop.slot}
    return {
        "segment": wheel_segment(seeds, DEFAULT_WHEEL_SEGMENTS if segments is None else segments)
    }

"""The mathematics of crash, pure: the hash chain, a round's crash point, and the curve.

Hash chain. The operator draws a secret seed ``h_N`` (32 random bytes, as 64 hex characters)
and computes ``h_{i-1} = sha256(h_i)``, where ``sha256`` hashes the hex *text* and answers hex,
exactly like a provably fair commitment (PROTOCOLS.md §1). ``h_0``, the terminating hash, is
published before the first round; round ``i`` of the chain uses ``h_1, h_2, …`` in order.
Once a round has crashed its hash is revealed, and anyone can hash it ``i`` times and arrive
at ``h_0``: every hash was fixed when ``h_0`` was published, and the next one cannot be
computed from those revealed (that would invert sha256).

Crash point. A round is a single limbo draw (PROTOCOLS.md §1, "limbo (and a single crash
round)") on the stream of server seed ``h_i``, client seed the chain's public salt, nonce 0:
``max(100, floor(99 · 2^32 / k))`` hundredths from the stream's first number ``k``. So
``croupier fair verify limbo --server-seed h_i --client-seed SALT --nonce 0`` prints it.

Curve. While a round runs, its multiplier grows with the server's time since the start:
``m(t) = floor(100 · e^(0.00006 · t))`` hundredths for ``t`` whole milliseconds (bustabit's
curve: 2.00x after 11.6 s, 10x after 38 s, 1,000,000x after 3 min 50 s). It is computed
with :mod:`decimal` at 50 significant digits, whose results are correctly rounded and
therefore the same on every machine: what a cash-out pays is never left to a platform's
floating point.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from decimal import Context, Decimal, localcontext
from functools import lru_cache
from typing import Final

from croupier.products.rgs.fair import (
    LIMBO_MIN_MULTIPLIER,
    RoundSeeds,
    check_server_seed,
    limbo_multiplier,
)

# A round's crash point is capped here: the round ends at 1,000,000x at the latest and every
# bet still in is paid that (so the cap is also the top award: 1,000,000 times the stake).
MAX_MULTIPLIER: Final = 100_000_000  # hundredths
MIN_AUTO_CASHOUT: Final = 101  # 1.01x: below it a bet could only ever lose or return the stake
GROWTH_PER_MS: Final = Decimal("0.00006")
_EXACT: Final = Context(prec=50)

DEFAULT_CHAIN_LENGTH: Final = 1_000_000
MAX_CHAIN_LENGTH: Final = 100_000_000
CHECKPOINT_EVERY: Final = 1_000


# -- the chain -------------------------------------------------------------------------------


def previous_hash(chain_hash: str) -> str:
    """``h_{i-1}`` from ``h_i``: sha256 of the hex text, in hex."""
    return hashlib.sha256(check_server_seed(chain_hash).encode("ascii")).hexdigest()


def hash_back(chain_hash: str, steps: int) -> str:
    """``h_{i-steps}`` from ``h_i``: ``steps`` applications of :func:`previous_hash`."""
    value = check_server_seed(chain_hash).encode("ascii")
    sha256 = hashlib.sha256
    for _ in range(steps):
        value = sha256(value).hexdigest().encode("ascii")
    return value.decode("ascii")


def links_to(chain_hash: str, index: int, terminating_hash: str) -> bool:
    """Whether ``chain_hash``, revealed as the chain's ``index``-th hash, hashes to the
    published terminating hash ``h_0`` in exactly ``index`` steps."""
    return index >= 1 and hash_back(chain_hash, index) == terminating_hash


def walk_chain(seed: str, length: int, every: int = CHECKPOINT_EVERY) -> Iterator[tuple[int, str]]:
    """From the secret seed ``h_length`` down to ``h_0``: yields ``(i, h_i)`` for ``i =
    length``, for every multiple of ``every`` below it, and last for ``(0, h_0)``."""
    value = check_server_seed(seed).encode("ascii")
    sha256 = hashlib.sha256
    yield length, seed
    for i in range(length - 1, -1, -1):
        value = sha256(value).hexdigest().encode("ascii")
        if i % every == 0:
            yield i, value.decode("ascii")


# -- rounds ----------------------------------------------------------------------------------


def crash_point(chain_hash: str, salt: str) -> int:
    """The round's crash point in hundredths, as ``croupier fair verify limbo --server-seed
    HASH --client-seed SALT --nonce 0`` prints it (uncapped: see :func:`end_multiplier`)."""
    return limbo_multiplier(RoundSeeds(chain_hash, salt, 0))


def end_multiplier(point: int) -> int:
    """Where the round ends: its crash point, or the cap :data:`MAX_MULTIPLIER`."""
    return min(point, MAX_MULTIPLIER)


def multiplier_at(elapsed_ms: int) -> int:
    """The curve: ``floor(100 · e^(0.00006 · elapsed_ms))`` hundredths, exactly."""
    if elapsed_ms <= 0:
        return LIMBO_MIN_MULTIPLIER
    with localcontext(_EXACT):
        return int((GROWTH_PER_MS * elapsed_ms).exp() * 100)  # int() floors a positive


@lru_cache(maxsize=4096)
def ms_to_reach(hundredths: int) -> int:
    """The first whole millisecond at which the curve reaches ``hundredths`` (0 for 1.00x)."""
    if hundredths <= LIMBO_MIN_MULTIPLIER:
        return 0
    with localcontext(_EXACT):
        guess = int(
            ((Decimal(hundredths) / 100).ln() / GROWTH_PER_MS).to_integral_value("ROUND_CEILING")
        )
    # ln and exp are correctly rounded, so the guess is right or one off at an exact boundary.
    while multiplier_at(guess) < hundredths:
        guess += 1
    while guess > 0 and multiplier_at(guess - 1) >= hundredths:
        guess -= 1
    return guess


def settle_multiplier(point: int, auto_cashout: int | None) -> int:
    """What a bet that was not cashed out by hand is paid per unit (hundredths; 0 when lost).

    Its target is its auto cash-out, or the cap when it has none: it wins when the crash point
    reaches the target (a tie goes to the player, as in limbo) and is then paid the target.
    """
    target = MAX_MULTIPLIER if auto_cashout is None else auto_cashout
    return target if point >= target else 0

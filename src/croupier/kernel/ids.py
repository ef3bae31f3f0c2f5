"""Identifiers: time-ordered generated ids, and validation of caller-chosen ids."""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Final

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Caller-chosen ids (transfer ids, idempotency keys): printable, no spaces, bounded length.
# Provider transaction ids are UUIDs or opaque strings; a product namespaces them
# ("caleta:bet:<uuid>"), hence ':' is allowed.
CALLER_ID_MAX_LENGTH: Final = 128
_CALLER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-/@+=]{0,127}$")

# Ids starting with this prefix are made by the platform itself (e.g. pending-transfer expiry).
SYSTEM_ID_PREFIX: Final = "sys:"


class _RandomPool(threading.local):
    """A thread's bytes from ``os.urandom``, drawn a few at a time."""

    def __init__(self) -> None:
        self.data = b""
        self.at = 0


_POOL_BYTES: Final = 4096
_pool = _RandomPool()


def random_bytes(n: int) -> bytes:
    """``n`` bytes from the kernel's CSPRNG (``os.urandom``, what ``secrets`` uses), taken
    from a per-thread pool refilled 4 KiB at a time. The bytes are the same quality; what
    the pool saves is the system call per id, which releases the GIL: on a busy server the
    thread then waits for another to give it back, up to the switch interval (5 ms), so one
    id could cost a request milliseconds. A forked child starts with an empty pool (else
    parent and child would hand out the same bytes). For ids and request ids, not keys."""
    pool = _pool
    end = pool.at + n
    if end > len(pool.data):
        pool.data, pool.at, end = os.urandom(max(_POOL_BYTES, n)), 0, n
    taken = pool.data[pool.at : end]
    pool.at = end
    return taken


def _empty_pool_in_child() -> None:
    # The child has one thread, the one that forked: its pool is the only one left.
    _pool.data, _pool.at = b"", 0


os.register_at_fork(after_in_child=_empty_pool_in_child)


def new_id(prefix: str) -> str:
    """A new id like ``acc_01JD3Q...``: a ULID (48-bit ms time + 80 random bits) with a prefix.

    Time-ordered, so ids sort roughly by creation and B-tree inserts stay local.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(random_bytes(10))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def is_valid_caller_id(value: object) -> bool:
    """True if ``value`` can be a caller-chosen id (and is not in the system namespace)."""
    return (
        isinstance(value, str)
        and _CALLER_ID.match(value) is not None
        and not value.startswith(SYSTEM_ID_PREFIX)
    )

"""Identifiers: time-ordered generated ids, and validation of caller-chosen ids."""

from __future__ import annotations

import re
import secrets
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


def new_id(prefix: str) -> str:
    """A new id like ``acc_01JD3Q...``: a ULID (48-bit ms time + 80 random bits) with a prefix.

    Time-ordered, so ids sort roughly by creation and B-tree inserts stay local.
    """
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
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

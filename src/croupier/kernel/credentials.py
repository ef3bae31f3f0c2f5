"""Credentials: password hashing and policy, opaque tokens, TOTP and recovery codes.

- Passwords are hashed with argon2id (argon2-cffi; RFC 9106 low-memory profile by default).
  A password is refused when it is shorter than 10 or longer than 128 characters, or when it
  appears in a bundled list of the 30,000 most common passwords from public breaches (the list
  zxcvbn ships), compared case-insensitively.
- Tokens are opaque random strings with a prefix that says what they are (``cps_`` player
  session, ``cop_`` operator session, ``cot_`` operator API token). Only their SHA-256 is
  stored: a copy of the database gives no usable token. (A token has 256 random bits, so a
  fast hash is enough; argon2 is for low-entropy passwords.)
- TOTP (RFC 6238, pyotp): 30-second steps, one step of clock drift either way, and a code is
  accepted at most once: the caller stores the last step used and passes it back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from functools import lru_cache
from typing import Final

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from croupier.kernel.errors import DomainError

PASSWORD_MIN_LENGTH: Final = 10
PASSWORD_MAX_LENGTH: Final = 128  # argon2 is slow on purpose: bound the work an attacker causes
TOTP_ISSUER: Final = "croupier"
RECOVERY_CODES: Final = 10


class WeakPassword(DomainError):
    code = "auth.weak_password"
    status = 422
    title = "The password is too short, too long or too common"


def password_hasher(*, time_cost: int = 3, memory_kib: int = 65_536) -> PasswordHasher:
    """An argon2id hasher; ``time_cost`` and ``memory_kib`` come from the settings."""
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=4)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str, *, personal: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, too long, too common, or is the user's own email."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"The password needs at least {PASSWORD_MIN_LENGTH} characters.")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"The password may have at most {PASSWORD_MAX_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise WeakPassword("This password appears in lists of breached passwords; choose another.")
    if any(p and lowered == p.lower() for p in personal):
        raise WeakPassword("The password may not be your email address or name.")


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. With no hash (unknown user) it does the same work anyway,
    so that the answer takes as long whichever credential was wrong (GLI-19 §2.5.3)."""
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[key]


# -- tokens ----------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    """The SHA-256 under which a token is stored and looked up."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str) -> tuple[str, str]:
    """A new opaque token and its digest. Show the token once; store only the digest."""
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    return token, token_digest(token)


# -- TOTP and recovery codes -----------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account_name: str, issuer: str = TOTP_ISSUER) -> str:
    """The otpauth:// URI an authenticator app scans (as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def totp_step(when: datetime) -> int:
    return int(when.timestamp()) // 30


def verify_totp(secret: str, code: str, now: datetime, last_used_step: int | None) -> int | None:
    """The time step the code belongs to if it is valid now and newer than ``last_used_step``
    (a code is accepted only once); None otherwise."""
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp_step(now)
    for step in (current - 1, current, current + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_code(secret: str, when: datetime) -> str:
    """The code an authenticator shows at ``when`` (for tests, demos and the sandbox)."""
    return pyotp.TOTP(secret).at(when)


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like ``7KQ2-M4XD-P9TA``: 60 random bits each, shown once, stored as digests."""
    alphabet = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def recovery_code_digest(code: str) -> str:
    return token_digest(code.strip().upper().replace(" ", ""))

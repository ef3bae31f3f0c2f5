"""Secrets at rest: AES-256-GCM with key ids, so keys can rotate.

A sealed value is ``"<kid>.<nonce b64>.<ciphertext+tag b64>"``. The key id says which key
opens it; new values are sealed with the first key of ``CROUPIER_DATA_KEYS``, and every key
listed still opens what it sealed, so rotating means putting a new key first, re-sealing at
leisure, and dropping the old key once nothing refers to it. ``context`` binds a value to its
row (e.g. a seed pair's id): a sealed value copied into another row does not open there.

Production refuses to start without keys. Dev and test use a development key that is in
this source file and therefore protects nothing; it exists so that ``make run`` works.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from croupier.kernel.config import Environment, Settings
from croupier.kernel.errors import DomainError

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
_DEV_KEY: Final = ("dev", bytes(range(KEY_BYTES)))  # public, for dev and test only


class DataKeysMissing(RuntimeError):
    """Production without CROUPIER_DATA_KEYS, or a malformed key list (a start-up error)."""


class SealedValueUnreadable(DomainError):
    code = "crypto.sealed_value_unreadable"
    status = 500
    title = "A sealed value could not be opened with the configured keys"


@dataclass(frozen=True)
class Keyring:
    """The data keys of this deployment: the first seals, all open."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        keys: list[tuple[str, bytes]] = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kid, _, encoded = part.partition(":")
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if not kid or not kid.isalnum() or len(key) != KEY_BYTES:
                # Never echo the value: it is a key.
                raise DataKeysMissing(
                    f"CROUPIER_DATA_KEYS: entry {len(keys) + 1} is not 'kid:base64 of "
                    f"{KEY_BYTES} bytes' (kid alphanumeric)"
                )
            keys.append((kid, key))
        if not keys:
            raise DataKeysMissing("CROUPIER_DATA_KEYS is empty")
        if len({kid for kid, _ in keys}) != len(keys):
            raise DataKeysMissing("CROUPIER_DATA_KEYS: a key id appears twice")
        return cls(tuple(keys))

    @classmethod
    def of(cls, settings: Settings) -> Keyring:
        if settings.data_keys:
            return cls.parse(settings.data_keys)
        if settings.env is Environment.PRODUCTION:
            raise DataKeysMissing(
                "CROUPIER_DATA_KEYS is required in production (generate one with "
                "`croupier keys generate`)"
            )
        return cls((_DEV_KEY,))

    def seal(self, plaintext: bytes, context: str) -> str:
        kid, key = self.keys[0]
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
        return ".".join((kid, _b64(nonce), _b64(sealed)))

    def open(self, value: str, context: str) -> bytes:
        kid, _, rest = value.partition(".")
        nonce_text, _, sealed_text = rest.partition(".")
        key = dict(self.keys).get(kid)
        if key is None:
            raise SealedValueUnreadable(f"No data key {kid!r} is configured.", kid=kid)
        try:
            return AESGCM(key).decrypt(
                base64.urlsafe_b64decode(nonce_text), base64.urlsafe_b64decode(sealed_text),
                context.encode(),
            )  # fmt: skip
        except (InvalidTag, binascii.Error, ValueError):
            raise SealedValueUnreadable(
                "The sealed value does not open with its key (altered, or another row's).",
                kid=kid,
            ) from None


def new_data_key() -> str:
    """A fresh key for CROUPIER_DATA_KEYS, as base64."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()

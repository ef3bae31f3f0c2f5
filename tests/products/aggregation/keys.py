"""Real keys for provider registration tests, generated once per process."""

from __future__ import annotations

from functools import cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def _public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@cache
def rsa_public_pem(bits: int = 2048) -> bytes:
    return _public_pem(rsa.generate_private_key(public_exponent=65537, key_size=bits))


@cache
def ec_public_pem() -> bytes:
    return _public_pem(ec.generate_private_key(ec.SECP256R1()))


@cache
def rsa_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """The game server's signing key of the wallet tests (one per process)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem_of(key: rsa.RSAPrivateKey) -> bytes:
    return _public_pem(key)

"""Secrets at rest: sealed with the first data key, opened by any listed key, bound to their
row, and production refuses to start without keys."""

from __future__ import annotations

import base64

import pytest

from croupier.kernel.config import Settings
from croupier.kernel.crypto import DataKeysMissing, Keyring, SealedValueUnreadable, new_data_key


def _keyring(*kids: str) -> tuple[Keyring, str]:
    text = ",".join(f"{kid}:{new_data_key()}" for kid in kids)
    return Keyring.parse(text), text


def test_a_value_opens_with_its_context_and_not_with_another():
    keyring, _ = _keyring("k1")
    sealed = keyring.seal(b"server seed", "sdp_1")
    assert keyring.open(sealed, "sdp_1") == b"server seed"
    assert b"server seed" not in sealed.encode()
    with pytest.raises(SealedValueUnreadable):
        keyring.open(sealed, "sdp_2")  # copied into another row


def test_rotation_seals_with_the_new_key_and_still_opens_the_old():
    old, old_text = _keyring("k1")
    sealed_before = old.seal(b"seed", "ctx")
    rotated = Keyring.parse(f"k2:{new_data_key()},{old_text}")
    sealed_after = rotated.seal(b"seed", "ctx")
    assert sealed_after.startswith("k2.")
    assert rotated.open(sealed_before, "ctx") == b"seed"
    with pytest.raises(SealedValueUnreadable) as unknown:
        old.open(sealed_after, "ctx")
    assert unknown.value.extra["kid"] == "k2"


def test_a_tampered_value_does_not_open():
    keyring, _ = _keyring("k1")
    kid, nonce, body = keyring.seal(b"seed", "ctx").split(".")
    flipped = base64.urlsafe_b64decode(body)
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    with pytest.raises(SealedValueUnreadable):
        keyring.open(".".join((kid, nonce, base64.urlsafe_b64encode(flipped).decode())), "ctx")


_FIXED_KEY = base64.b64encode(bytes(range(100, 132))).decode()  # fixed: xdist needs stable ids


@pytest.mark.parametrize(
    "text",
    ["", "k1", "k1:short", "k-1:" + _FIXED_KEY, f"k1:{_FIXED_KEY},k1:{_FIXED_KEY}"],
)
def test_a_malformed_key_list_is_refused_without_echoing_it(text):
    with pytest.raises(DataKeysMissing) as refused:
        Keyring.parse(text)
    secret = text.partition(":")[2]
    assert not secret or secret not in str(refused.value)


def test_production_needs_keys_and_dev_has_a_development_key():
    with pytest.raises(DataKeysMissing):
        Keyring.of(Settings(env="production", data_keys=""))
    dev = Keyring.of(Settings(env="dev", data_keys=""))
    assert dev.open(dev.seal(b"x", "c"), "c") == b"x"

"""Credentials: password policy and hashing, tokens, TOTP once only, recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from croupier.kernel.credentials import (
    WeakPassword,
    check_password_policy,
    hash_password,
    new_recovery_codes,
    new_token,
    new_totp_secret,
    recovery_code_digest,
    token_digest,
    totp_code,
    verify_password,
    verify_totp,
)

NOW = datetime(2026, 11, 1, 12, 0, 5, tzinfo=UTC)


class CountingHasher(PasswordHasher):
    """A real argon2id hasher that counts how often it verifies."""

    verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
        CountingHasher.verifications += 1
        return super().verify(hash, password)


@pytest.mark.parametrize(
    "password",
    ["1234567890", "PASSWORD1234", "iloveyou", "x" * 129, "ada@example.com"],
)
def test_short_long_breached_or_personal_passwords_are_refused(password):
    with pytest.raises(WeakPassword) as exc_info:
        check_password_policy(password, personal=("ada@example.com",))
    assert exc_info.value.code == "auth.weak_password"


def test_a_long_uncommon_passphrase_is_accepted():
    check_password_policy("correct horse battery staple", personal=("ada@example.com",))


def test_an_unknown_user_costs_the_same_hashing_work_as_a_wrong_password():
    hasher = CountingHasher(time_cost=1, memory_cost=8192, parallelism=1)
    stored = hash_password(hasher, "correct horse battery staple")
    CountingHasher.verifications = 0

    assert verify_password(hasher, None, "anything at all") is False
    assert verify_password(hasher, stored, "anything at all") is False
    assert verify_password(hasher, stored, "correct horse battery staple") is True
    assert CountingHasher.verifications == 3


def test_tokens_are_random_prefixed_and_stored_only_as_digests():
    token, digest = new_token("cps")
    other, _ = new_token("cps")

    assert token.startswith("cps_")
    assert token != other
    assert digest == token_digest(token)
    assert token not in digest
    assert len(digest) == 64


def test_a_totp_code_is_accepted_once_and_within_one_step_of_drift():
    secret = new_totp_secret()
    code = totp_code(secret, NOW)

    step = verify_totp(secret, code, NOW, None)
    assert step is not None
    assert verify_totp(secret, code, NOW, step) is None  # replayed
    assert verify_totp(secret, code, NOW + timedelta(seconds=30), None) is not None  # drift
    assert verify_totp(secret, code, NOW + timedelta(seconds=90), None) is None  # too late
    assert verify_totp(secret, "12345", NOW, None) is None
    assert verify_totp(secret, "abcdef", NOW, None) is None


def test_recovery_codes_are_distinct_and_their_digest_ignores_case_and_spaces():
    codes = new_recovery_codes()

    assert len(set(codes)) == 10
    assert recovery_code_digest(codes[0].lower()) == recovery_code_digest(f" {codes[0]} ")

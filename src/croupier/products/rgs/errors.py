"""Errors of the remote game server, each with a stable code."""

from __future__ import annotations

from croupier.kernel.errors import DomainError


class RgsError(DomainError):
    code = "rgs.error"
    status = 422


class InvalidSeed(RgsError):
    code = "rgs.invalid_seed"
    title = "The seed is not valid"


class InvalidServerSeed(InvalidSeed):
    # PROTOCOLS.md §1: the HMAC key is the hex *text*, so "AB…" and "ab…" would give different
    # outcomes for the same 32 bytes; only the one canonical spelling is accepted.
    code = "rgs.invalid_server_seed"
    title = "A server seed is 64 lower-case hexadecimal characters"


class InvalidClientSeed(InvalidSeed):
    code = "rgs.invalid_client_seed"
    title = "A client seed is 1 to 64 visible ASCII characters other than ':'"


class InvalidFairParameter(RgsError):
    code = "rgs.invalid_fair_parameter"
    title = "A parameter of the provably fair draw is out of range"

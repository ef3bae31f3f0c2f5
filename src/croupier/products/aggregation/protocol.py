"""The seamless-wallet protocols of the Hub88 family: Caleta 1.5 and Hub88 itself.

Both sign the body with RSA-SHA256 (PKCS#1 v1.5, base64 in a header), send the same JSON
fields with amounts in 1/100000 of the currency, and answer ``{status, request_uuid, user,
currency, balance}`` with ``RS_*`` statuses. A :class:`Dialect` says what differs: the
signature header, the paths of the verbs, which statuses exist, whether ``user`` is sent.

This module only translates: it checks the signature over the exact body bytes before
anything else, decodes and type-checks the body, converts amounts into ledger units (exactly,
or the request is refused), calls the wallet core in :mod:`.wallet`, and answers with the
balance floored to 1/100000 (never more than the player has). Every answer is HTTP 200 with
the protocol's status.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.money import Money, MoneyError, UnknownCurrency, currency
from croupier.products.aggregation import wallet
from croupier.products.aggregation.sessions import ProviderRef, lookup_sessions
from croupier.products.aggregation.wallet import Answer, Movement, Rollback, Status

DECIMALS: Final = 5  # amounts are integers of 1/100000 of the currency
MAX_AMOUNT: Final = 10**15  # 10 billion units of a currency: far beyond any stake


@dataclass(frozen=True, slots=True)
class Dialect:
    """What one protocol of the family calls things."""

    name: str  # as registered: ``croupier provider add --protocol NAME``
    signature_header: str
    # A wallet status the protocol has no word for is said with the closest one it has.
    renamed: Mapping[Status, Status] = field(default_factory=dict)
    # Hub88 sends the operator's user id with every call; it must be the token's player.
    user_required: bool = False

    def status_text(self, status: Status) -> str:
        said = self.renamed.get(status, status)
        return "RS_OK" if said is Status.OK else f"RS_ERROR_{said.value}"


class ProtocolError(Exception):
    """The request is refused before the wallet sees it."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# -- signatures ---------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)  # registration refuses anything else
    return key


def signature_valid(public_key_pem: str, body: bytes, signature: str | None) -> bool:
    """RSA-SHA256 (PKCS#1 v1.5) of the exact body bytes, base64 in the header."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        _public_key(public_key_pem).verify(raw, body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# -- decoding -----------------------------------------------------------------------------------


def _decode(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("RS_ERROR_WRONG_SYNTAX", "body is not JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError("RS_ERROR_WRONG_SYNTAX", "body is not a JSON object")
    return data


def _text(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ProtocolError("RS_ERROR_WRONG_TYPES", f"{name} is missing")
        return None
    if not isinstance(value, str) or not value or len(value) > wallet.MAX_ID_LENGTH:
        raise ProtocolError(
            "RS_ERROR_WRONG_TYPES", f"{name} must be a string of 1-{wallet.MAX_ID_LENGTH}"
        )
    return value


def _required(data: dict[str, Any], name: str) -> str:
    value = _text(data, name)
    assert value is not None
    return value


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise ProtocolError("RS_ERROR_WRONG_TYPES", f"{name} must be a boolean")
    return value


def _amount(data: dict[str, Any], code: str) -> int:
    value = data.get("amount")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError("RS_ERROR_WRONG_TYPES", "amount must be an integer")
    if not 0 <= value <= MAX_AMOUNT:
        raise ProtocolError("RS_ERROR_WRONG_TYPES", "amount is out of range")
    try:
        return Money.from_units(value, DECIMALS, code).amount
    except MoneyError:
        raise ProtocolError("RS_ERROR_WRONG_TYPES", "amount does not convert exactly") from None


def _currency(data: dict[str, Any]) -> str:
    code = _required(data, "currency")
    try:
        currency(code)
    except UnknownCurrency:
        raise ProtocolError("RS_ERROR_WRONG_CURRENCY", f"unknown currency {code}") from None
    return code


def _game_id(data: dict[str, Any]) -> None:
    value = data.get("game_id")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ProtocolError("RS_ERROR_WRONG_TYPES", "game_id must be an integer")


def _user(data: dict[str, Any], dialect: Dialect) -> str | None:
    return _text(data, "user", required=dialect.user_required)


def _movement(data: dict[str, Any], dialect: Dialect, *, win: bool) -> Movement:
    for name in ("supplier_user", "request_uuid"):
        _text(data, name, required=name == "request_uuid")
    _game_id(data)
    code = _currency(data)
    return Movement(
        token=_required(data, "token"),
        transaction_uuid=_required(data, "transaction_uuid"),
        round=_required(data, "round"),
        game_code=_required(data, "game_code"),
        amount=_amount(data, code),
        currency=code,
        is_free=_flag(data, "is_free"),
        round_closed=_flag(data, "round_closed"),
        reference_uuid=_required(data, "reference_transaction_uuid") if win else None,
        user=_user(data, dialect),
    )


def _rollback(data: dict[str, Any], dialect: Dialect) -> Rollback:
    _text(data, "request_uuid")
    _game_id(data)
    if "is_free" in data:
        _flag(data, "is_free")
    return Rollback(
        token=_required(data, "token"),
        transaction_uuid=_required(data, "transaction_uuid"),
        reference_uuid=_required(data, "reference_transaction_uuid"),
        round=_required(data, "round"),
        game_code=_required(data, "game_code"),
        round_closed=_flag(data, "round_closed"),
        user=_user(data, dialect),
    )


# -- answering ----------------------------------------------------------------------------------


def _balance_units(answer: Answer) -> int | None:
    if answer.balance is None or answer.currency is None:
        return None
    scale: int = currency(answer.currency).ledger_scale
    balance: int = answer.balance
    factor: int = 10 ** abs(scale - DECIMALS)
    if scale <= DECIMALS:
        return balance * factor
    return balance // factor  # floor: never more than there is


def encode(dialect: Dialect, answer: Answer, request_uuid: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": dialect.status_text(answer.status),
        "request_uuid": request_uuid,
    }
    if answer.player_id is not None:
        out["user"] = answer.player_id
        out["currency"] = answer.currency
        out["balance"] = _balance_units(answer)
    return out


def refusal(status: str, request_uuid: str | None) -> dict[str, Any]:
    return {"status": status, "request_uuid": request_uuid}


@dataclass(frozen=True, slots=True)
class Handled:
    """An answer in the protocol and, for logs and metrics, why (never sent to the provider)."""

    body: dict[str, Any]
    status: str
    reason: str


@dataclass(frozen=True, slots=True)
class BalanceQuery:
    token: str
    game_code: str
    user: str | None


@dataclass(frozen=True, slots=True)
class TokenCheck:
    token: str


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request whose signature and body were checked: what is left is the wallet's work."""

    provider: ProviderRef
    dialect: Dialect
    verb: str
    request_uuid: str | None
    request: Movement | Rollback | BalanceQuery | TokenCheck


def run(session: Session, clock: Clock, prepared: Sequence[Prepared]) -> list[Handled]:
    """The wallet's work for a batch of checked requests, one answer each, in order: the
    bets, wins and rollbacks together (:func:`wallet.process`), then each balance and check.

    Each with its provider as it is now: if the key changed since the signature was checked
    (with a copy kept for a few seconds), the request is refused as unsigned, and the
    provider's retry meets the new key."""
    answers: list[Handled | None] = [None] * len(prepared)
    # The tokens' sessions come with their providers as they are now, and lock the players
    # whose calls these are (one statement); a provider is read on its own only when no
    # token of the batch named it.
    found = lookup_sessions(session, {p.request.token for p in prepared}, lock_players=True)
    known: dict[str, ProviderRef | None] = {s.provider.name: s.provider for s in found.values()}
    movements: list[tuple[int, wallet.WalletCall]] = []
    queries: list[tuple[int, ProviderRef]] = []
    for i, p in enumerate(prepared):
        if p.provider.name not in known:
            known[p.provider.name] = wallet.provider_by_name(session, p.provider.name)
        provider = known[p.provider.name]
        if provider is None or provider.public_key_sha256 != p.provider.public_key_sha256:
            answers[i] = Handled(
                refusal("RS_ERROR_INVALID_SIGNATURE", p.request_uuid),
                "RS_ERROR_INVALID_SIGNATURE",
                "the provider's key changed",
            )
        elif isinstance(p.request, Movement | Rollback):
            movements.append((i, wallet.WalletCall(provider, wallet.Kind(p.verb), p.request)))
        else:
            queries.append((i, provider))
    done = wallet.process(session, clock, [call for _, call in movements], found=found)
    for (i, _), answer in zip(movements, done, strict=True):
        answers[i] = _handled(prepared[i], answer)
    for i, provider in queries:
        request = prepared[i].request
        if isinstance(request, TokenCheck):
            answer = wallet.check(session, clock, provider, token=request.token)
        else:
            assert isinstance(request, BalanceQuery)
            answer = wallet.balance(
                session,
                clock,
                provider,
                token=request.token,
                game_code=request.game_code,
                user=request.user,
            )
        answers[i] = _handled(prepared[i], answer)
    return [a for a in answers if a is not None]


def _handled(prepared: Prepared, answer: Answer) -> Handled:
    out = encode(prepared.dialect, answer, prepared.request_uuid)
    if prepared.verb == "check" and answer.token is not None:
        out = {"status": out["status"], "token": answer.token}
    return Handled(out, out["status"], answer.reason)


def prepare(
    provider: ProviderRef, dialect: Dialect, verb: str, body: bytes, signature: str | None
) -> Prepared | Handled:
    """Check the signature over the exact bytes (before anything else), then decode and
    type-check the body of ``verb`` (the wallet's: check, balance, bet, win or rollback).
    A refusal is answered at once, without the database."""
    if not signature_valid(provider.public_key_pem, body, signature):
        return Handled(
            refusal("RS_ERROR_INVALID_SIGNATURE", _echoed_uuid(body)),
            "RS_ERROR_INVALID_SIGNATURE",
            "bad signature",
        )
    request_uuid: str | None = None
    try:
        data = _decode(body)
        raw_uuid = data.get("request_uuid")
        request_uuid = raw_uuid if isinstance(raw_uuid, str) else None
        decoded = _decoded(dialect, verb, data)
    except ProtocolError as error:
        return Handled(refusal(error.status, request_uuid), error.status, error.reason)
    return Prepared(provider, dialect, verb, request_uuid, decoded)


def _echoed_uuid(body: bytes) -> str | None:
    """The ``request_uuid`` of an unsigned body, only to echo it as the spec asks (nothing
    else of the body is read)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    value = data.get("request_uuid") if isinstance(data, dict) else None
    return value if isinstance(value, str) and len(value) <= wallet.MAX_ID_LENGTH else None


def _decoded(
    dialect: Dialect, verb: str, data: dict[str, Any]
) -> Movement | Rollback | BalanceQuery | TokenCheck:
    """The wallet's request of a decoded body (decoding raises ``ProtocolError``)."""
    if verb == "check":
        return TokenCheck(_required(data, "token"))
    if verb == "balance":
        _text(data, "request_uuid")
        _text(data, "supplier_user", required=False)
        _game_id(data)
        token, game_code = _required(data, "token"), _required(data, "game_code")
        return BalanceQuery(token, game_code, _user(data, dialect))
    if verb == "rollback":
        return _rollback(data, dialect)
    return _movement(data, dialect, win=verb == "win")

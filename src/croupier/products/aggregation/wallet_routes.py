"""The seamless wallet that game providers call, in their own protocol: Caleta at
``/providers/{provider}/wallet/{verb}``, Hub88 at ``/providers/{provider}/user/balance`` and
``/providers/{provider}/transaction/{verb}``.

The body is read as raw bytes, because the signature covers the exact bytes sent, and is
checked and decoded here; the wallet's work then joins the process's batch of calls
(:func:`wallet_batcher`: the batch's bets, wins and rollbacks are decided set-wise and
committed together), and its answer is sent once that batch committed. Whatever goes wrong
unexpectedly is answered ``RS_ERROR_UNKNOWN`` (the provider then rolls a bet back and retries
a win), never a stack trace.
"""

from __future__ import annotations

import threading
import time
from enum import StrEnum
from typing import Annotated, Any, Final

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from croupier.kernel.batching import BulkBatcher
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.web import problem_responses
from croupier.products.aggregation import protocol, wallet
from croupier.products.aggregation.caleta import CALETA
from croupier.products.aggregation.errors import ProviderNotFound
from croupier.products.aggregation.hub88 import HUB88
from croupier.products.aggregation.protocol import Dialect
from croupier.products.aggregation.sessions import ProviderRef

log = structlog.get_logger(__name__)

router = APIRouter(tags=["provider wallet"])

REQUESTS = Counter(
    "croupier_provider_wallet_requests_total",
    "Seamless-wallet requests from game providers, by provider, verb and answer",
    ["provider", "verb", "status"],
)
SECONDS = Histogram(
    "croupier_provider_wallet_seconds",
    "Time to answer a seamless-wallet request",
    ["verb"],
    buckets=(0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


class CaletaVerb(StrEnum):
    CHECK = "check"
    BALANCE = "balance"
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"


class Hub88Transaction(StrEnum):
    BET = "bet"
    WIN = "win"
    ROLLBACK = "rollback"


def _signed_body(dialect: Dialect, what: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": what,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        "parameters": [
            {
                "name": dialect.signature_header,
                "in": "header",
                "required": True,
                "description": "base64 of RSA-SHA256 (PKCS#1 v1.5) over the exact body bytes",
                "schema": {"type": "string"},
            }
        ],
    }


def _answers(what: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": f"{what} Every protocol status, RS_OK or RS_ERROR_*, comes with "
            "HTTP 200; balances are in 1/100000 of the currency.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **problem_responses(ProviderNotFound),
    }


_PROVIDER_TTL_S: Final = 5.0
_providers: dict[tuple[str, str], tuple[float, ProviderRef]] = {}
_providers_lock = threading.Lock()


def _known_provider(database: Database, name: str) -> ProviderRef | None:
    """The provider as remembered (without a read), if it was read lately."""
    cached = _providers.get((database.url, name))
    if cached is not None and time.monotonic() - cached[0] < _PROVIDER_TTL_S:
        return cached[1]
    return None


def _provider(database: Database, name: str) -> ProviderRef | None:
    """The registered provider by name, read at most every few seconds per process: its key
    is needed before anything else, on every call. A rotated key takes effect within
    ``_PROVIDER_TTL_S``; a disabled provider's new rounds are refused by the wallet at once.
    Unknown names are not remembered (they come from URLs)."""
    key = (database.url, name)
    now = time.monotonic()
    known = _known_provider(database, name)
    if known is not None:
        return known
    with database.read_only() as session:
        found = wallet.provider_by_name(session, name)
    if found is not None:
        with _providers_lock:
            if len(_providers) > 1000:
                _providers.clear()
            _providers[key] = (now, found)
    return found


WalletBatcher = BulkBatcher[protocol.Prepared, protocol.Handled]


def wallet_batcher(database: Database, clock: Clock) -> WalletBatcher:
    """The process's group commit of wallet calls: each batch's bets, wins and rollbacks
    are decided set-wise, then its balances and checks, in one transaction. A refusal is an
    answer, not an error; a call that raises sends the batch back to run call by call."""

    def handle(session: Session, calls: list[protocol.Prepared]) -> list[protocol.Handled]:
        return protocol.run(session, clock, calls)

    return BulkBatcher(database, "provider-wallet", handle)


def _not_found(dialect: Dialect, name: str) -> JSONResponse:
    error = ProviderNotFound(f"No {dialect.name} game provider {name!r}.", provider=name)
    return JSONResponse(
        error.to_problem(), status_code=error.status, media_type="application/problem+json"
    )


def _answer(verb: str, label: str, handled: protocol.Handled, started: float) -> JSONResponse:
    SECONDS.labels(verb).observe(time.perf_counter() - started)
    REQUESTS.labels(label, verb, handled.status).inc()
    if handled.status != "RS_OK":
        log.info(
            "provider_wallet.refused",
            provider=label,
            verb=verb,
            status=handled.status,
            reason=handled.reason,
        )
    return JSONResponse(handled.body)


async def _handle(request: Request, dialect: Dialect, name: str, verb: str) -> JSONResponse:
    started = time.perf_counter()
    body = await request.body()
    database: Database = request.app.state.database
    try:
        provider = _known_provider(database, name)
        if provider is None:
            provider = await run_in_threadpool(_provider, database, name)
        if provider is None or provider.protocol != dialect.name:
            return _not_found(dialect, name)
        signature = request.headers.get(dialect.signature_header)
        prepared = protocol.prepare(provider, dialect, verb, body, signature)
        if isinstance(prepared, protocol.Handled):
            return _answer(verb, provider.name, prepared, started)
        batcher: WalletBatcher = request.app.state.provider_wallet_batcher
        handled = await batcher.put(prepared)
    except Exception:
        log.exception("provider_wallet.failed", provider=name, verb=verb)
        REQUESTS.labels("unknown", verb, "RS_ERROR_UNKNOWN").inc()
        return JSONResponse(protocol.refusal("RS_ERROR_UNKNOWN", None))
    return _answer(verb, provider.name, handled, started)


ProviderName = Annotated[str, Path(max_length=40, description="The provider's registered name")]


@router.post(
    "/providers/{provider}/wallet/{verb}",
    openapi_extra=_signed_body(
        CALETA,
        "The Caleta 1.5 body of the verb (wallet_check_body, wallet_balance_body, "
        "wallet_bet_body, wallet_win_body, wallet_rollback_body).",
    ),
    responses=_answers(
        "The Caleta BalanceResponse {status, request_uuid, user, currency, balance}; "
        "`check` answers {status, token}."
    ),
    summary="Caleta 1.5 seamless wallet: check, balance, bet, win, rollback",
)
async def caleta_wallet(request: Request, provider: ProviderName, verb: CaletaVerb) -> JSONResponse:
    """A game provider's wallet call in the Caleta 1.5 protocol. The signature is checked
    over the exact body bytes before anything else; each transaction id is processed at most
    once (a repeat answers RS_OK, a conflicting one RS_ERROR_DUPLICATE_TRANSACTION)."""
    return await _handle(request, CALETA, provider, verb.value)


@router.post(
    "/providers/{provider}/user/balance",
    openapi_extra=_signed_body(HUB88, "{user, token, request_uuid, game_code}"),
    responses=_answers("{status, request_uuid, user, currency, balance}."),
    summary="Hub88 wallet: the player's balance",
)
async def hub88_balance(request: Request, provider: ProviderName) -> JSONResponse:
    """A Hub88 provider asks for the player's balance (signed in X-Hub88-Signature)."""
    return await _handle(request, HUB88, provider, "balance")


@router.post(
    "/providers/{provider}/transaction/{verb}",
    openapi_extra=_signed_body(
        HUB88,
        "The Hub88 transaction body: user, token, request_uuid, transaction_uuid, round, "
        "round_closed, game_code, currency, amount, is_free (and reference_transaction_uuid "
        "for a win or a rollback).",
    ),
    responses=_answers("{status, request_uuid, user, currency, balance}."),
    summary="Hub88 wallet: bet, win, rollback",
)
async def hub88_transaction(
    request: Request, provider: ProviderName, verb: Hub88Transaction
) -> JSONResponse:
    """A Hub88 provider's bet, win or rollback, on the same round and transaction core as
    Caleta's."""
    return await _handle(request, HUB88, provider, verb.value)

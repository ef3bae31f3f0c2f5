"""The seamless wallet that game providers call, at ``/providers/{provider}/wallet/{verb}``.

The body is read as raw bytes, because the signature covers the exact bytes sent. The work
runs in a worker thread in one unit of work; whatever goes wrong unexpectedly is answered
``RS_ERROR_UNKNOWN`` (the provider then rolls a bet back and retries a win), never a stack
trace.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter, Histogram
from starlette.concurrency import run_in_threadpool

from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.web import problem_responses
from croupier.products.aggregation import caleta, wallet
from croupier.products.aggregation.errors import ProviderNotFound

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


_BODY = {
    "requestBody": {
        "required": True,
        "description": "The Caleta 1.5 body of the verb (wallet_check_body, wallet_balance_body, "
        "wallet_bet_body, wallet_win_body, wallet_rollback_body), signed in X-Auth-Signature.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    },
    "parameters": [
        {
            "name": caleta.SIGNATURE_HEADER,
            "in": "header",
            "required": True,
            "description": "base64 of RSA-SHA256 (PKCS#1 v1.5) over the exact body bytes",
            "schema": {"type": "string"},
        }
    ],
}
_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The Caleta BalanceResponse {status, request_uuid, user, currency, "
        "balance} (balance in 1/100000 of the currency); `check` answers {status, token}. "
        "Every protocol status, RS_OK or RS_ERROR_*, comes with HTTP 200.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _unknown(request_uuid: str | None = None) -> dict[str, Any]:
    return caleta.refusal("RS_ERROR_UNKNOWN", request_uuid)


def _serve(
    database: Database,
    clock: Clock,
    provider_name: str,
    verb: str,
    body: bytes,
    signature: str | None,
) -> JSONResponse:
    started = time.perf_counter()
    try:
        with database.unit_of_work() as session:
            provider = wallet.provider_by_name(session, provider_name)
            if provider is None or provider.protocol != caleta.PROTOCOL:
                error = ProviderNotFound(
                    f"No Caleta game provider {provider_name!r}.", provider=provider_name
                )
                return JSONResponse(
                    error.to_problem(),
                    status_code=error.status,
                    media_type="application/problem+json",
                )
            handled = caleta.handle(session, clock, provider, verb, body, signature)
    except Exception:
        log.exception("provider_wallet.failed", provider=provider_name, verb=verb)
        REQUESTS.labels(provider_name, verb, "RS_ERROR_UNKNOWN").inc()
        return JSONResponse(_unknown())
    SECONDS.labels(verb).observe(time.perf_counter() - started)
    REQUESTS.labels(provider_name, verb, handled.status).inc()
    if handled.status != "RS_OK":
        log.info(
            "provider_wallet.refused",
            provider=provider_name,
            verb=verb,
            status=handled.status,
            reason=handled.reason,
        )
    return JSONResponse(handled.body)


@router.post(
    "/providers/{provider}/wallet/{verb}",
    openapi_extra=_BODY,
    responses={**_ANSWER, **problem_responses(ProviderNotFound)},
    summary="Caleta 1.5 seamless wallet: check, balance, bet, win, rollback",
)
async def caleta_wallet(
    request: Request,
    provider: Annotated[str, Path(max_length=40, description="The provider's registered name")],
    verb: CaletaVerb,
) -> JSONResponse:
    """A game provider's wallet call in the Caleta 1.5 protocol. The signature is checked
    over the exact body bytes before anything else; each transaction id is processed at most
    once (a repeat answers RS_OK, a conflicting one RS_ERROR_DUPLICATE_TRANSACTION)."""
    body = await request.body()
    return await run_in_threadpool(
        _serve,
        request.app.state.database,
        request.app.state.clock,
        provider,
        verb.value,
        body,
        request.headers.get(caleta.SIGNATURE_HEADER),
    )

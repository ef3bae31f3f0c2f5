"""The client of a payment service provider (the protocol of docs/psp-simulator.md).

Every call ends in one of four ways, and the orchestration acts on which:

- ``ok``: the PSP answered with the object (a payment or payout in some state);
- ``retryable``: the PSP certainly did not act (connection refused, 503, 429): another PSP
  may be tried;
- ``ambiguous``: the PSP may have acted (timeout after the request was sent, a 5xx other than
  503, a broken connection): never try another PSP; ask this one again later (janitor);
- ``rejected``: the PSP refused the request itself (4xx): final, and a bug to look at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx

from croupier.products.payments.config import PspConfig


class Outcome(StrEnum):
    OK = "ok"
    RETRYABLE = "retryable"
    AMBIGUOUS = "ambiguous"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class PspAnswer:
    outcome: Outcome
    body: dict[str, Any] | None = None
    detail: str = ""
    milliseconds: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class PspClient:
    """One PSP: a pooled, thread-safe HTTP client with the PSP's key and timeout."""

    def __init__(self, config: PspConfig) -> None:
        self.config = config
        self.name = config.name
        timeout = httpx.Timeout(config.timeout_seconds, connect=min(1.0, config.timeout_seconds))
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=timeout,
            headers={"Authorization": f"Bearer {config.secret('api_key')}"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> PspAnswer:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            response = self._http.request(method, path, json=json, headers=headers, params=params)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return PspAnswer(
                Outcome.RETRYABLE, detail=f"not reached: {type(exc).__name__}", milliseconds=took()
            )
        except httpx.TimeoutException as exc:
            return PspAnswer(
                Outcome.AMBIGUOUS, detail=f"no answer: {type(exc).__name__}", milliseconds=took()
            )
        except httpx.HTTPError as exc:
            return PspAnswer(
                Outcome.AMBIGUOUS,
                detail=f"broken exchange: {type(exc).__name__}",
                milliseconds=took(),
            )
        ms = took()
        status = response.status_code
        if status in (503, 429):
            return PspAnswer(Outcome.RETRYABLE, detail=f"HTTP {status}", milliseconds=ms)
        if status >= 500:
            return PspAnswer(Outcome.AMBIGUOUS, detail=f"HTTP {status}", milliseconds=ms)
        try:
            body = response.json()
        except ValueError:
            body = None
        if status >= 400 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            return PspAnswer(
                Outcome.REJECTED,
                body=body if isinstance(body, dict) else None,
                detail=f"HTTP {status} {error or ''}".strip(),
                milliseconds=ms,
            )
        return PspAnswer(Outcome.OK, body=body, milliseconds=ms)

    # -- payments ----------------------------------------------------------------------------

    def create_payment(self, payload: dict[str, Any], idempotency_key: str) -> PspAnswer:
        return self._call("POST", "/v1/payments", json=payload, idempotency_key=idempotency_key)

    def get_payment(self, psp_id: str) -> PspAnswer:
        return self._call("GET", f"/v1/payments/{psp_id}")

    def find_payment(self, reference: str) -> PspAnswer:
        """The payment with our ``reference``: ``body`` is None when the PSP has none."""
        answer = self._call("GET", "/v1/payments", params={"reference": reference})
        return _first(answer)

    def refund(self, psp_id: str, amount: int, idempotency_key: str) -> PspAnswer:
        return self._call(
            "POST",
            f"/v1/payments/{psp_id}/refunds",
            json={"amount": amount},
            idempotency_key=idempotency_key,
        )

    # -- payouts -----------------------------------------------------------------------------

    def create_payout(self, payload: dict[str, Any], idempotency_key: str) -> PspAnswer:
        return self._call("POST", "/v1/payouts", json=payload, idempotency_key=idempotency_key)

    def find_payout(self, reference: str) -> PspAnswer:
        return _first(self._call("GET", "/v1/payouts", params={"reference": reference}))

    # -- settlement --------------------------------------------------------------------------

    def settlement_report(self, day: str) -> tuple[PspAnswer, str]:
        """The settlement CSV for ``day`` (YYYY-MM-DD), with how the call went."""
        started = time.perf_counter()
        try:
            response = self._http.get(f"/v1/settlements/{day}")
        except httpx.HTTPError as exc:
            return PspAnswer(Outcome.RETRYABLE, detail=type(exc).__name__), ""
        ms = int((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            return PspAnswer(
                Outcome.REJECTED, detail=f"HTTP {response.status_code}", milliseconds=ms
            ), ""
        return PspAnswer(Outcome.OK, milliseconds=ms), response.text


def _first(answer: PspAnswer) -> PspAnswer:
    if not answer.ok or answer.body is None:
        return answer
    data = answer.body.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return PspAnswer(Outcome.OK, body=None, milliseconds=answer.milliseconds)
    return PspAnswer(Outcome.OK, body=data[0], milliseconds=answer.milliseconds)

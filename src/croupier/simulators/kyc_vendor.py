"""A KYC vendor, simulated: checks arrive by HTTP, results come back later, signed.

``POST /v1/checks`` with the operator's API key takes a check (reference, level, person,
documents, callback URL) and answers 202 at once. After a delay the vendor POSTs the result to
the callback URL, signed with HMAC-SHA256 over the body (header
``X-Signature: sha256=<hex>``), the way real vendors deliver asynchronous webhooks. Results:
``approved``, except for a legal name containing "reject" (``rejected``, reason
``document_mismatch``). Faults on demand (``POST /_faults``): a longer delay, a duplicate
delivery, a wrong signature, the vendor down.

    croupier simulate kyc-vendor --port 8702 --api-key test-key --secret test-secret
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel

from croupier.simulators.serving import BackgroundServer


class CheckRequest(BaseModel):
    reference: str
    level: str
    legal_name: str
    date_of_birth: str
    documents: list[str]
    callback_url: str


class Faults(BaseModel):
    delay_ms: int = 50
    duplicate: bool = False
    bad_signature: bool = False
    down: bool = False


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class VendorState:
    api_key: str
    secret: str
    faults: Faults = field(default_factory=Faults)
    received: list[str] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)


def _deliver(state: VendorState, check: CheckRequest) -> None:
    time.sleep(state.faults.delay_ms / 1000)
    rejected = "reject" in check.legal_name.lower()
    result = {
        "reference": check.reference,
        "result": "rejected" if rejected else "approved",
        "level": check.level,
        "reason": "document_mismatch" if rejected else None,
    }
    body = json.dumps(result, sort_keys=True).encode()
    signature = sign("not-the-secret" if state.faults.bad_signature else state.secret, body)
    for _ in range(2 if state.faults.duplicate else 1):
        # Like real vendors, retry a delivery that was not accepted (a few times, backing off).
        for attempt in range(5):
            try:
                response = httpx.post(
                    check.callback_url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Signature": signature},
                    timeout=5,
                )
                status: int | str = response.status_code
            except httpx.HTTPError as exc:
                status = f"error: {type(exc).__name__}"
            if status in {200, 401}:
                break
            time.sleep(0.1 * 2**attempt)
        state.delivered.append({**result, "status": status})


def build_app(state: VendorState) -> FastAPI:
    app = FastAPI(title="KYC vendor (simulated)")

    @app.post("/v1/checks", status_code=202)
    def create_check(check: CheckRequest, x_api_key: str = Header(default="")) -> dict[str, str]:
        if state.faults.down:
            raise HTTPException(503, "vendor unavailable")
        if x_api_key != state.api_key:
            raise HTTPException(401, "bad API key")
        state.received.append(check.reference)
        threading.Thread(target=_deliver, args=(state, check), daemon=True).start()
        return {"reference": check.reference, "status": "accepted"}

    @app.post("/_faults", status_code=204)
    def set_faults(faults: Faults) -> None:
        state.faults = faults

    return app


class RunningVendor:
    """The simulated vendor serving on 127.0.0.1 in a background thread (for tests)."""

    def __init__(self, api_key: str = "test-key", secret: str = "test-secret") -> None:  # noqa: S107
        self.state = VendorState(api_key=api_key, secret=secret)
        self._served = BackgroundServer(build_app(self.state), "the simulated KYC vendor")

    def __enter__(self) -> RunningVendor:
        self._served.start()
        return self

    @property
    def url(self) -> str:
        return self._served.url

    def wait_for_deliveries(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.state.delivered) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.state.delivered)

    def __exit__(self, *exc: object) -> None:
        self._served.stop()

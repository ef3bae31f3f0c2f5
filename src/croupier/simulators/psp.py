"""Payment service providers, simulated: real HTTP servers with the protocol of a card processor.

One code base, three kinds (``card`` with 3-D Secure, ``ewallet``, ``instant`` bank transfer),
in-memory state, one simulator per PSP name. The full protocol, with curl examples, is in
``docs/psp-simulator.md``; in short:

- ``POST /v1/payments`` (``Authorization: Bearer <api key>``, ``Idempotency-Key`` required):
  ``card`` captures at once unless 3-D Secure is required (``amount >= three_ds_threshold`` or
  a card number starting ``4000003``): then ``pending`` with a ``redirect_url`` whose page
  (``/3ds/{id}``) passes or fails it; ``ewallet`` captures at once; ``instant`` stays ``pending``
  until the payer "confirms" ``settle_delay_ms`` later. The same key with the same body answers
  the payment as it is now (``Idempotent-Replayed: true``); with another body, 409.
- ``GET /v1/payments/{id}``, ``GET /v1/payments?reference=``, ``POST /v1/payments/{id}/refunds``,
  ``POST /v1/payouts`` (``pending`` then ``paid`` or ``failed``), ``GET /v1/payouts...``,
  ``GET /v1/settlements/{YYYY-MM-DD}`` (CSV).
- Every state change is POSTed to the webhook URL from a background thread, signed
  ``Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "{t}.{body}")>``, retried with backoff.
- The fault panel (``/admin/...``, no auth: bind to 127.0.0.1): latency, a share of requests
  refused (503, not processed) or answered 500 after processing, fully down, decline rules,
  webhooks late, twice, out of order, badly signed or stale; chargebacks; settlement edits.

    croupier psp-sim card --port 8801
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import hmac
import io
import itertools
import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import partial
from html import escape
from typing import Annotated, Any, Literal, TypeAlias, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import RequestResponseEndpoint

from croupier.simulators.serving import BackgroundServer

log = logging.getLogger(__name__)
_M = TypeVar("_M", bound=BaseModel)


class PspKind(StrEnum):
    CARD = "card"
    EWALLET = "ewallet"
    INSTANT = "instant"


# The payment ``method`` each kind accepts, and the instrument field it reads.
METHOD_OF_KIND = {
    PspKind.CARD: "card",
    PspKind.EWALLET: "ewallet",
    PspKind.INSTANT: "bank_transfer",
}
INSTRUMENT_FIELD = {
    PspKind.CARD: "card_number",
    PspKind.EWALLET: "wallet_id",
    PspKind.INSTANT: "iban",
}
THREE_DS_CARD_PREFIX = "4000003"
# Waits between the 10 tries of a webhook delivery (seconds).
WEBHOOK_BACKOFF: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0)
STALE_TIMESTAMP_SECONDS = 600
# ``webhook_out_of_order`` holds an object's events until it stops changing by itself; a 3-D
# Secure page nobody answers would hold them forever, so they go out after this at the latest.
OUT_OF_ORDER_MAX_HOLD_SECONDS = 10.0
WEBHOOK_TIMEOUT_SECONDS = 5.0
MAX_AMOUNT = 10**15
STAT_NAMES = (
    "requests_received",
    "requests_processed",
    "requests_rejected",
    "requests_refused_by_fault",
    "requests_answered_ambiguously",
    "payments_created",
    "refunds",
    "chargebacks",
    "payouts_created",
    "webhook_events",
    "webhook_attempts",
    "webhooks_delivered",
    "webhooks_abandoned",
)
_CARD_NUMBER = re.compile(r"^[0-9]{12,19}$")
_WALLET_ID = re.compile(r"^[^@\s]+@[^@\s]+$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def kind_for(name: str, kind: str | None = None) -> PspKind:
    """The kind given, else the one NAME spells (``card``, ``ewallet``, ``instant``)."""
    chosen = kind if kind is not None else name
    try:
        return PspKind(chosen)
    except ValueError:
        choices = ", ".join(k.value for k in PspKind)
        raise ValueError(f"unknown PSP kind {chosen!r} (choose one of {choices})") from None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Signature`` header of a webhook: HMAC-SHA256 over ``"{t}.{body}"``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


# -- the fault panel -----------------------------------------------------------------------------


class DeclineRule(BaseModel):
    """Decline what matches every condition given: a payment is ``declined``, a payout
    ``failed``, with ``code``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount_gte: StrictInt | None = Field(default=None, gt=0)
    card_prefix: StrictStr | None = Field(default=None, pattern=r"^[0-9]{1,19}$")
    country: StrictStr | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    code: StrictStr = Field(default="do_not_honor", min_length=1, max_length=64)

    @model_validator(mode="after")
    def _has_a_condition(self) -> DeclineRule:
        if self.amount_gte is None and self.card_prefix is None and self.country is None:
            raise ValueError("a decline rule needs amount_gte, card_prefix or country")
        return self

    def matches(self, amount: int, country: str, card_number: str | None) -> bool:
        if self.amount_gte is not None and amount < self.amount_gte:
            return False
        if self.card_prefix is not None and not (
            card_number is not None and card_number.startswith(self.card_prefix)
        ):
            return False
        return self.country is None or country == self.country


class Faults(BaseModel):
    """The knobs of the fault panel. Replaced whole on every change, so a request reads one
    consistent set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: int = Field(default=0, ge=0, le=600_000)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    ambiguous_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    down: bool = False
    decline_rules: tuple[DeclineRule, ...] = ()
    webhook_delay_ms: int = Field(default=0, ge=0, le=600_000)
    webhook_duplicate: bool = False
    webhook_out_of_order: bool = False
    webhook_bad_signature: bool = False
    webhook_stale_timestamp: bool = False
    three_ds_threshold: int = Field(default=5000, ge=0)
    settle_delay_ms: int = Field(default=200, ge=0, le=600_000)
    payout_delay_ms: int = Field(default=100, ge=0, le=600_000)
    # Payout instruments (card number, wallet id or IBAN) whose payouts fail.
    payout_fail_list: tuple[str, ...] = ()


# -- records -------------------------------------------------------------------------------------


@dataclass(eq=False)
class Payment:
    id: str
    reference: str
    amount: int
    currency: str
    method: str
    instrument: str
    holder_name: str
    country: str
    created: int
    updated: int
    status: str = "pending"
    decline_code: str | None = None
    redirect_url: str | None = None
    return_url: str | None = None
    awaiting_3ds: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payment",
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "method": self.method,
            "decline_code": self.decline_code,
            "redirect_url": self.redirect_url,
            "created": self.created,
            "updated": self.updated,
        }

    def webhook_data(self) -> dict[str, Any]:
        return {
            "object": "payment",
            "id": self.id,
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "decline_code": self.decline_code,
        }


@dataclass(eq=False)
class Payout:
    id: str
    reference: str
    amount: int
    currency: str
    instrument: str
    holder_name: str
    country: str
    created: int
    updated: int
    status: str = "pending"
    failure_code: str | None = None
    # Decided when the payout is created, shown when it resolves.
    fails_with: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payout",
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "failure_code": self.failure_code,
            "created": self.created,
            "updated": self.updated,
        }

    def webhook_data(self) -> dict[str, Any]:
        return {
            "object": "payout",
            "id": self.id,
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "currency": self.currency,
            "failure_code": self.failure_code,
        }


@dataclass(frozen=True)
class SettlementRow:
    psp_id: str
    reference: str
    type: str
    status: str
    amount: int
    currency: str
    occurred_at: int  # unix seconds

    def day(self) -> date:
        return datetime.fromtimestamp(self.occurred_at, UTC).date()


@dataclass
class SettlementEdits:
    drop: set[str] = field(default_factory=set)
    amounts: dict[str, int] = field(default_factory=dict)
    extra: list[SettlementRow] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    created: int
    object_id: str
    body: bytes  # exactly the bytes sent

    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST of an event to the webhook URL, and how the receiver answered."""

    event_id: str
    event_type: str
    copy: int  # 1, or 2 for the duplicate of ``webhook_duplicate``
    attempt: int  # 1 for the first try
    url: str
    signature: str
    body: bytes
    status_code: int | None  # None: no answer (connection refused, timeout)
    error: str | None
    at: float  # unix seconds (wall clock) of the attempt

    @property
    def accepted(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class _IdempotencyRecord:
    fingerprint: str
    object_kind: Literal["payment", "payout"]
    object_id: str


class Scheduler:
    """One background thread that runs jobs at their due time (monotonic clock), in due order.

    Webhook retries are rescheduled rather than slept on, so one failing receiver holds the
    thread only for the length of one attempt."""

    def __init__(self) -> None:
        self._jobs: list[tuple[float, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running_job = False
        self._stopped = False

    def after(self, seconds: float, job: Callable[[], None]) -> None:
        with self._condition:
            if self._stopped:
                return
            due = time.monotonic() + max(0.0, seconds)
            heapq.heappush(self._jobs, (due, next(self._sequence), job))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="psp-sim-scheduler", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def idle(self) -> bool:
        """No job waiting or running (webhooks all sent or abandoned)."""
        with self._condition:
            return not self._jobs and not self._running_job

    def stop(self, timeout: float = 5.0) -> None:
        with self._condition:
            self._stopped = True
            self._jobs.clear()
            self._condition.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._running_job = False
                while True:
                    if self._stopped:
                        return
                    now = time.monotonic()
                    if self._jobs and self._jobs[0][0] <= now:
                        job = heapq.heappop(self._jobs)[2]
                        self._running_job = True
                        break
                    self._condition.wait(self._jobs[0][0] - now if self._jobs else None)
            try:
                job()
            except Exception:  # a bug in one job must not stop the webhooks of the others
                log.exception("PSP simulator job failed")


@dataclass(eq=False)
class PspState:
    """Everything one simulated PSP knows. Guarded by ``lock``: requests are served from a
    thread pool and webhooks from the scheduler's thread."""

    name: str
    kind: PspKind
    api_key: str
    webhook_secret: str
    webhook_url: str | None = None
    seed: int = 0
    # Unix seconds for ``created``/``updated``, webhook timestamps and the settlement day.
    clock: Callable[[], float] = time.time
    webhook_backoff: tuple[float, ...] = WEBHOOK_BACKOFF
    faults: Faults = field(default_factory=Faults)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    rng: random.Random = field(init=False, repr=False)
    payments: dict[str, Payment] = field(default_factory=dict, repr=False)
    payouts: dict[str, Payout] = field(default_factory=dict, repr=False)
    idempotency: dict[tuple[str, str], _IdempotencyRecord] = field(default_factory=dict, repr=False)
    settlement: list[SettlementRow] = field(default_factory=list, repr=False)
    settlement_edits: SettlementEdits = field(default_factory=SettlementEdits, repr=False)
    events: list[WebhookEvent] = field(default_factory=list, repr=False)
    attempts: list[WebhookAttempt] = field(default_factory=list, repr=False)
    held: dict[str, list[WebhookEvent]] = field(default_factory=dict, repr=False)
    stats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAT_NAMES, 0))
    scheduler: Scheduler = field(default_factory=Scheduler, repr=False)
    _http: httpx.Client | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 (fault rolls, reproducible by seed)

    def reseed(self, seed: int) -> None:
        with self.lock:
            self.seed = seed
            self.rng = random.Random(seed)  # noqa: S311

    def now(self) -> int:
        return int(self.clock())

    def count(self, stat: str, n: int = 1) -> None:
        with self.lock:
            self.stats[stat] += n

    def webhook_client(self) -> httpx.Client:
        """The HTTP client of deliveries (made on first use; used by the scheduler's thread)."""
        if self._http is None:
            self._http = httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS)
        return self._http

    def close(self) -> None:
        """Stop the background thread (pending webhooks are dropped)."""
        self.scheduler.stop()
        if self._http is not None:
            self._http.close()


# -- errors and request bodies -------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


_ERROR_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_state",
    500: "internal_error",
    503: "unavailable",
}


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT)
    currency: StrictStr = Field(pattern=r"^[A-Z]{3}$")
    method: StrictStr
    instrument: dict[StrictStr, StrictStr]
    holder_name: StrictStr = Field(min_length=1, max_length=200)
    country: StrictStr = Field(pattern=r"^[A-Z]{2}$")
    reference: StrictStr = Field(min_length=1, max_length=200)
    return_url: StrictStr | None = Field(default=None, max_length=2000)


class PayoutRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT)
    currency: StrictStr = Field(pattern=r"^[A-Z]{3}$")
    instrument: dict[StrictStr, StrictStr]
    holder_name: StrictStr = Field(min_length=1, max_length=200)
    country: StrictStr = Field(pattern=r"^[A-Z]{2}$")
    reference: StrictStr = Field(min_length=1, max_length=200)


class RefundRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT)


class SettlementRowIn(BaseModel):
    """A row added to the report by ``/admin/settlement-edits`` (``occurred_at`` defaults to
    now; unix seconds or ISO 8601)."""

    model_config = ConfigDict(extra="forbid")

    psp_id: StrictStr = Field(min_length=1)
    reference: StrictStr = ""
    type: StrictStr = "payment"
    status: StrictStr | None = None
    amount: StrictInt
    currency: StrictStr = Field(pattern=r"^[A-Z]{3}$")
    occurred_at: StrictInt | StrictStr | None = None


class SettlementEditsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop: list[StrictStr] = []
    amounts: dict[StrictStr, StrictInt] = {}
    extra: list[SettlementRowIn] = []


class ChargebackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payment_id: StrictStr


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_url: StrictStr | None = None
    webhook_secret: StrictStr | None = Field(default=None, min_length=1)
    api_key: StrictStr | None = Field(default=None, min_length=1)
    seed: StrictInt | None = None


def _validated(model: type[_M], payload: object) -> _M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ApiError(400, "invalid_request", _describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        raise ApiError(400, "invalid_request", "the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_request", "the body is not a JSON object")
    return payload


def _instrument(kind: PspKind, instrument: Mapping[str, str]) -> str:
    # A merchant that keeps no card numbers or IBANs (croupier keeps a fingerprint) pays out,
    # or places a payment it held for review, with the instrument's token instead; the
    # simulator takes any such token as an instrument it has on file.
    token = instrument.get("instrument_token")
    if token is not None:
        if not _TOKEN.match(token):
            raise ApiError(400, "invalid_request", "instrument.instrument_token is not valid")
        return f"token:{token}"
    name = INSTRUMENT_FIELD[kind]
    value = instrument.get(name)
    if value is None:
        raise ApiError(400, "invalid_request", f"instrument.{name} is required by a {kind} PSP")
    if kind is PspKind.INSTANT:
        value = value.replace(" ", "").upper()
    pattern = {PspKind.CARD: _CARD_NUMBER, PspKind.EWALLET: _WALLET_ID, PspKind.INSTANT: _IBAN}
    if not pattern[kind].match(value):
        raise ApiError(400, "invalid_request", f"instrument.{name} is not valid")
    return value


# -- state changes (the caller holds state.lock) -------------------------------------------------


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def _decline_rule(
    state: PspState, amount: int, country: str, card_number: str | None
) -> DeclineRule | None:
    for rule in state.faults.decline_rules:
        if rule.matches(amount, country, card_number):
            return rule
    return None


_SETTLED_AS = {"captured": "payment", "refunded": "refund", "charged_back": "chargeback"}


def _move_payment(state: PspState, payment: Payment, status: str) -> None:
    payment.status = status
    payment.updated = state.now()
    if status in _SETTLED_AS:
        state.settlement.append(
            SettlementRow(
                psp_id=payment.id,
                reference=payment.reference,
                type=_SETTLED_AS[status],
                status=status,
                amount=payment.amount,
                currency=payment.currency,
                occurred_at=payment.updated,
            )
        )
    _emit(state, f"payment.{status}", payment.id, payment.webhook_data())


def _move_payout(state: PspState, payout: Payout, status: str) -> None:
    payout.status = status
    payout.updated = state.now()
    if status == "paid":
        state.settlement.append(
            SettlementRow(
                psp_id=payout.id,
                reference=payout.reference,
                type="payout",
                status="paid",
                amount=payout.amount,
                currency=payout.currency,
                occurred_at=payout.updated,
            )
        )
    _emit(state, f"payout.{status}", payout.id, payout.webhook_data())


def create_payment(state: PspState, request: PaymentRequest, base_url: str) -> Payment:
    """Take a payment through as far as it goes on its own (see the module docstring)."""
    expected = METHOD_OF_KIND[state.kind]
    if request.method != expected:
        raise ApiError(400, "invalid_request", f"method must be {expected!r} at a {state.kind} PSP")
    instrument = _instrument(state.kind, request.instrument)
    now = state.now()
    payment = Payment(
        id=_new_id("psp_pay"),
        reference=request.reference,
        amount=request.amount,
        currency=request.currency,
        method=request.method,
        instrument=instrument,
        holder_name=request.holder_name,
        country=request.country,
        created=now,
        updated=now,
        return_url=request.return_url,
    )
    state.payments[payment.id] = payment
    state.stats["payments_created"] += 1
    card_number = (
        instrument if state.kind is PspKind.CARD and not instrument.startswith("token:") else None
    )
    rule = _decline_rule(state, request.amount, request.country, card_number)
    if rule is not None:
        payment.decline_code = rule.code
        _move_payment(state, payment, "declined")
    elif state.kind is PspKind.CARD:
        if request.amount >= state.faults.three_ds_threshold or instrument.startswith(
            THREE_DS_CARD_PREFIX
        ):
            payment.redirect_url = f"{base_url}/3ds/{payment.id}"
            payment.awaiting_3ds = True
            _move_payment(state, payment, "pending")
        else:
            _move_payment(state, payment, "authorized")
            _move_payment(state, payment, "captured")
    elif state.kind is PspKind.EWALLET:
        _move_payment(state, payment, "captured")
    else:
        _move_payment(state, payment, "pending")
        state.scheduler.after(
            state.faults.settle_delay_ms / 1000, partial(_confirm_transfer, state, payment.id)
        )
    _release_held(state, payment.id, payment.status)
    return payment


def _confirm_transfer(state: PspState, payment_id: str) -> None:
    with state.lock:
        payment = state.payments[payment_id]
        if payment.status == "pending":
            _move_payment(state, payment, "captured")
            _release_held(state, payment.id, payment.status)


def complete_3ds(state: PspState, payment_id: str, outcome: str) -> Payment:
    """The payer passed or failed the 3-D Secure challenge."""
    payment = _payment(state, payment_id)
    if outcome not in ("pass", "fail"):
        raise ApiError(400, "invalid_request", "outcome must be 'pass' or 'fail'")
    if not (payment.awaiting_3ds and payment.status == "pending"):
        raise ApiError(
            409, "invalid_state", f"payment is {payment.status}, not awaiting 3-D Secure"
        )
    payment.awaiting_3ds = False
    if outcome == "pass":
        _move_payment(state, payment, "authorized")
        _move_payment(state, payment, "captured")
    else:
        payment.decline_code = "3ds_failed"
        _move_payment(state, payment, "declined")
    _release_held(state, payment.id, payment.status)
    return payment


def refund_payment(state: PspState, payment_id: str, request: RefundRequest) -> Payment:
    """Refund a captured payment in full."""
    payment = _payment(state, payment_id)
    if payment.status != "captured":
        raise ApiError(409, "invalid_state", f"payment is {payment.status}; only captured refunds")
    if request.amount != payment.amount:
        raise ApiError(
            400, "invalid_request", f"only a full refund ({payment.amount}) is supported"
        )
    state.stats["refunds"] += 1
    _move_payment(state, payment, "refunded")
    _release_held(state, payment.id, payment.status)
    return payment


def charge_back(state: PspState, payment_id: str) -> Payment:
    """The payer's bank took a captured payment back."""
    payment = _payment(state, payment_id)
    if payment.status != "captured":
        raise ApiError(409, "invalid_state", f"payment is {payment.status}; only captured")
    state.stats["chargebacks"] += 1
    _move_payment(state, payment, "charged_back")
    _release_held(state, payment.id, payment.status)
    return payment


def create_payout(state: PspState, request: PayoutRequest) -> Payout:
    """A payout, ``pending`` until ``payout_delay_ms`` later it is ``paid`` or ``failed``."""
    instrument = _instrument(state.kind, request.instrument)
    now = state.now()
    card_number = instrument if state.kind is PspKind.CARD else None
    rule = _decline_rule(state, request.amount, request.country, card_number)
    fails_with = rule.code if rule is not None else None
    if fails_with is None and instrument in state.faults.payout_fail_list:
        fails_with = "instrument_blocked"
    payout = Payout(
        id=_new_id("psp_po"),
        reference=request.reference,
        amount=request.amount,
        currency=request.currency,
        instrument=instrument,
        holder_name=request.holder_name,
        country=request.country,
        created=now,
        updated=now,
        fails_with=fails_with,
    )
    state.payouts[payout.id] = payout
    state.stats["payouts_created"] += 1
    _move_payout(state, payout, "pending")
    state.scheduler.after(
        state.faults.payout_delay_ms / 1000, partial(_resolve_payout, state, payout.id)
    )
    return payout


def _resolve_payout(state: PspState, payout_id: str) -> None:
    with state.lock:
        payout = state.payouts[payout_id]
        if payout.status != "pending":
            return
        if payout.fails_with is not None:
            payout.failure_code = payout.fails_with
            _move_payout(state, payout, "failed")
        else:
            _move_payout(state, payout, "paid")
        _release_held(state, payout.id, payout.status)


def _payment(state: PspState, payment_id: str) -> Payment:
    payment = state.payments.get(payment_id)
    if payment is None:
        raise ApiError(404, "not_found", f"no payment {payment_id}")
    return payment


def _payout(state: PspState, payout_id: str) -> Payout:
    payout = state.payouts.get(payout_id)
    if payout is None:
        raise ApiError(404, "not_found", f"no payout {payout_id}")
    return payout


# -- webhooks ------------------------------------------------------------------------------------


def _emit(state: PspState, event_type: str, object_id: str, data: dict[str, Any]) -> None:
    created = state.now()
    event_id = _new_id("evt")
    body = json.dumps(
        {"id": event_id, "type": event_type, "created": created, "data": data},
        separators=(",", ":"),
    ).encode()
    event = WebhookEvent(
        id=event_id, type=event_type, created=created, object_id=object_id, body=body
    )
    state.events.append(event)
    state.stats["webhook_events"] += 1
    if state.faults.webhook_out_of_order:
        held = state.held.setdefault(object_id, [])
        if not held:
            state.scheduler.after(
                OUT_OF_ORDER_MAX_HOLD_SECONDS, partial(_flush_held, state, object_id)
            )
        held.append(event)
        return
    _schedule_deliveries(state, [event])


def _release_held(state: PspState, object_id: str, status: str) -> None:
    """An object that will not change by itself any more lets its held events go (reversed)."""
    if status not in ("pending", "authorized"):
        _flush_held(state, object_id)


def _flush_held(state: PspState, object_id: str) -> None:
    with state.lock:
        events = state.held.pop(object_id, [])
        if events:
            _schedule_deliveries(state, list(reversed(events)))


def _schedule_deliveries(state: PspState, events: list[WebhookEvent]) -> None:
    if state.webhook_url is None:
        return
    delay = state.faults.webhook_delay_ms / 1000
    copies = 2 if state.faults.webhook_duplicate else 1
    for event in events:
        for copy in range(1, copies + 1):
            state.scheduler.after(delay, partial(_deliver, state, event, copy, 1))


def _deliver(state: PspState, event: WebhookEvent, copy: int, attempt: int) -> None:
    """One try at POSTing ``event``; the next try is scheduled unless the receiver took it.

    The signature faults are read at each try, so clearing one lets the retries through."""
    with state.lock:
        url = state.webhook_url
        secret = state.webhook_secret
        faults = state.faults
        now = state.now()
    if url is None:
        return
    timestamp = now - STALE_TIMESTAMP_SECONDS if faults.webhook_stale_timestamp else now
    signature = sign(
        f"not-{secret}" if faults.webhook_bad_signature else secret, timestamp, event.body
    )
    status_code: int | None = None
    error: str | None = None
    try:
        response = state.webhook_client().post(
            url,
            content=event.body,
            headers={
                "Content-Type": "application/json",
                "Signature": signature,
                "User-Agent": f"croupier-psp-sim/{state.name}",
            },
        )
        status_code = response.status_code
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    record = WebhookAttempt(
        event_id=event.id,
        event_type=event.type,
        copy=copy,
        attempt=attempt,
        url=url,
        signature=signature,
        body=event.body,
        status_code=status_code,
        error=error,
        at=time.time(),
    )
    with state.lock:
        state.attempts.append(record)
        state.stats["webhook_attempts"] += 1
        if record.accepted:
            state.stats["webhooks_delivered"] += 1
            return
        if attempt > len(state.webhook_backoff):
            state.stats["webhooks_abandoned"] += 1
            return
        wait = state.webhook_backoff[attempt - 1]
    state.scheduler.after(wait, partial(_deliver, state, event, copy, attempt + 1))


# -- settlement ----------------------------------------------------------------------------------

SETTLEMENT_COLUMNS = ("psp_id", "reference", "type", "status", "amount", "currency", "occurred_at")
_STATUS_OF_ROW_TYPE = {
    "payment": "captured",
    "refund": "refunded",
    "chargeback": "charged_back",
    "payout": "paid",
}


def settlement_report(state: PspState, day: date) -> str:
    """The day's CSV: its settled events, after the admin's edits (``drop`` and ``amounts``
    name a ``psp_id``, or ``psp_id:type`` for one row of it)."""
    edits = state.settlement_edits
    rows: list[SettlementRow] = []
    for settled in state.settlement:
        keys = (settled.psp_id, f"{settled.psp_id}:{settled.type}")
        if settled.day() != day or any(k in edits.drop for k in keys):
            continue
        amount = settled.amount
        for key in keys:
            amount = edits.amounts.get(key, amount)
        rows.append(SettlementRow(**{**asdict(settled), "amount": amount}))
    rows += [row for row in edits.extra if row.day() == day]
    rows.sort(key=lambda r: r.occurred_at)  # stable: same second keeps the order of events
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SETTLEMENT_COLUMNS)
    for row in rows:
        occurred = datetime.fromtimestamp(row.occurred_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow(
            (row.psp_id, row.reference, row.type, row.status, row.amount, row.currency, occurred)
        )
    return out.getvalue()


def _extra_row(state: PspState, row: SettlementRowIn) -> SettlementRow:
    if row.occurred_at is None:
        occurred = state.now()
    elif isinstance(row.occurred_at, int):
        occurred = row.occurred_at
    else:
        try:
            parsed = datetime.fromisoformat(row.occurred_at)
        except ValueError:
            raise ApiError(400, "invalid_request", "occurred_at is not ISO 8601") from None
        occurred = int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())
    return SettlementRow(
        psp_id=row.psp_id,
        reference=row.reference,
        type=row.type,
        status=row.status or _STATUS_OF_ROW_TYPE.get(row.type, row.type),
        amount=row.amount,
        currency=row.currency,
        occurred_at=occurred,
    )


# -- HTTP ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str]
    base_url: str


_Action: TypeAlias = Callable[[_Call], Response]


def _authorized(state: PspState, authorization: str | None) -> bool:
    expected = f"Bearer {state.api_key}".encode()
    return hmac.compare_digest((authorization or "").encode(), expected)


def _serve(state: PspState, call: _Call, action: _Action, *, mutating: bool) -> Response:
    """The fault gate around every ``/v1`` call: auth, ``error_rate`` (refused, nothing done),
    the action under the lock, ``ambiguous_rate`` (done, then 500), ``latency_ms`` (after)."""
    with state.lock:
        faults = state.faults
    response: Response
    if not _authorized(state, call.headers.get("authorization")):
        state.count("requests_rejected")
        response = _error(401, "unauthorized", "missing or wrong API key")
    else:
        with state.lock:
            refused = faults.error_rate > 0 and state.rng.random() < faults.error_rate
            if refused:
                state.stats["requests_refused_by_fault"] += 1
        if refused:
            response = _error(503, "unavailable", "the PSP did not process this request")
        else:
            try:
                with state.lock:
                    response = action(call)
                    state.stats["requests_processed"] += 1
                    ambiguous = (
                        mutating
                        and faults.ambiguous_rate > 0
                        and state.rng.random() < faults.ambiguous_rate
                    )
                    if ambiguous:
                        state.stats["requests_answered_ambiguously"] += 1
            except ApiError as exc:
                state.count("requests_rejected")
                response = _error(exc.status, exc.code, exc.message)
            else:
                if ambiguous:
                    response = _error(
                        500, "internal_error", "the request may have been processed; re-query"
                    )
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)  # after processing: a timeout is ambiguous too
    return response


def _idempotent_create(
    state: PspState,
    call: _Call,
    scope: str,
    create: Callable[[dict[str, Any]], Payment | Payout],
) -> Response:
    """Create once per Idempotency-Key (per endpoint); a replay answers the object as it is now."""
    key = call.headers.get("idempotency-key")
    if not key:
        raise ApiError(400, "invalid_request", "the Idempotency-Key header is required")
    if len(key) > 200:
        raise ApiError(400, "invalid_request", "the Idempotency-Key is longer than 200")
    payload = _json_object(call.body)
    fingerprint = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    record = state.idempotency.get((scope, key))
    if record is not None:
        if record.fingerprint != fingerprint:
            raise ApiError(
                409, "idempotency_conflict", "this Idempotency-Key was used with another body"
            )
        current = (
            state.payments[record.object_id]
            if record.object_kind == "payment"
            else state.payouts[record.object_id]
        )
        return JSONResponse(current.as_json(), headers={"Idempotent-Replayed": "true"})
    created = create(payload)
    object_kind: Literal["payment", "payout"] = (
        "payment" if isinstance(created, Payment) else "payout"
    )
    state.idempotency[(scope, key)] = _IdempotencyRecord(fingerprint, object_kind, created.id)
    return JSONResponse(created.as_json(), status_code=201)


def _three_ds_page(payment: Payment) -> str:
    amount = f"{payment.amount} {escape(payment.currency)} (minor units)"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>3-D Secure</title></head>
<body>
<h1>3-D Secure (simulated)</h1>
<p>Payment <code>{escape(payment.id)}</code>: {amount}, status {escape(payment.status)}.</p>
<form method="post" action="/3ds/{escape(payment.id)}">
<button type="submit" name="outcome" value="pass">Pass</button>
<button type="submit" name="outcome" value="fail">Fail</button>
</form>
</body></html>
"""


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def build_app(state: PspState) -> FastAPI:
    """The simulated PSP as an ASGI app (its webhooks start with its first event)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title=f"PSP simulator {state.name} ({state.kind.value})",
        description="See docs/psp-simulator.md.",
        lifespan=lifespan,
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _ERROR_CODES.get(exc.status_code, "error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return _error(400, "invalid_request", "; ".join(parts))

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message)

    @app.middleware("http")
    async def down_gate(request: Request, call_next: RequestResponseEndpoint) -> Response:
        """``down`` answers every endpoint but the fault panel with 503 at once."""
        if request.url.path.startswith("/admin"):
            return await call_next(request)
        with state.lock:
            state.stats["requests_received"] += 1
            down = state.faults.down
            if down:
                state.stats["requests_refused_by_fault"] += 1
        if down:
            return _error(503, "unavailable", "the PSP is down")
        return await call_next(request)

    async def api(request: Request, action: _Action, *, mutating: bool = False) -> Response:
        call = _Call(
            headers=request.headers,
            body=await request.body(),
            query=request.query_params,
            base_url=str(request.base_url).rstrip("/"),
        )
        return await run_in_threadpool(_serve, state, call, action, mutating=mutating)

    # -- payments

    @app.post("/v1/payments", status_code=201)
    async def post_payment(request: Request) -> Response:
        """Create a payment (``Idempotency-Key`` required). 201, or 200 on a replay."""

        def action(call: _Call) -> Response:
            def create(payload: dict[str, Any]) -> Payment:
                parsed = _validated(PaymentRequest, payload)
                return create_payment(state, parsed, call.base_url)

            return _idempotent_create(state, call, "POST /v1/payments", create)

        return await api(request, action, mutating=True)

    @app.get("/v1/payments")
    async def find_payments(request: Request) -> Response:
        """The payments with ``?reference=`` (``{"data": [...]}``, empty when there is none)."""

        def action(call: _Call) -> Response:
            reference = call.query.get("reference")
            if not reference:
                raise ApiError(400, "invalid_request", "the reference query parameter is required")
            found = [p.as_json() for p in state.payments.values() if p.reference == reference]
            return JSONResponse({"object": "list", "data": found})

        return await api(request, action)

    @app.get("/v1/payments/{payment_id}")
    async def get_payment(request: Request, payment_id: str) -> Response:
        """One payment as it is now."""
        return await api(request, lambda _: JSONResponse(_payment(state, payment_id).as_json()))

    @app.post("/v1/payments/{payment_id}/refunds", status_code=201)
    async def post_refund(request: Request, payment_id: str) -> Response:
        """Refund a captured payment in full (``Idempotency-Key`` required); answers the payment."""

        def action(call: _Call) -> Response:
            def create(payload: dict[str, Any]) -> Payment:
                return refund_payment(state, payment_id, _validated(RefundRequest, payload))

            return _idempotent_create(
                state, call, f"POST /v1/payments/{payment_id}/refunds", create
            )

        return await api(request, action, mutating=True)

    # -- payouts

    @app.post("/v1/payouts", status_code=201)
    async def post_payout(request: Request) -> Response:
        """Create a payout (``Idempotency-Key`` required): ``pending``, then ``paid``/``failed``."""

        def action(call: _Call) -> Response:
            def create(payload: dict[str, Any]) -> Payout:
                return create_payout(state, _validated(PayoutRequest, payload))

            return _idempotent_create(state, call, "POST /v1/payouts", create)

        return await api(request, action, mutating=True)

    @app.get("/v1/payouts")
    async def find_payouts(request: Request) -> Response:
        """The payouts with ``?reference=``."""

        def action(call: _Call) -> Response:
            reference = call.query.get("reference")
            if not reference:
                raise ApiError(400, "invalid_request", "the reference query parameter is required")
            found = [p.as_json() for p in state.payouts.values() if p.reference == reference]
            return JSONResponse({"object": "list", "data": found})

        return await api(request, action)

    @app.get("/v1/payouts/{payout_id}")
    async def get_payout(request: Request, payout_id: str) -> Response:
        """One payout as it is now."""
        return await api(request, lambda _: JSONResponse(_payout(state, payout_id).as_json()))

    # -- settlement

    @app.get("/v1/settlements/{day}")
    async def get_settlement(request: Request, day: str) -> Response:
        """The settlement report of a UTC day, as CSV."""

        def action(_: _Call) -> Response:
            try:
                parsed = date.fromisoformat(day)
            except ValueError:
                raise ApiError(400, "invalid_request", "the day is YYYY-MM-DD") from None
            if len(day) != 10:
                raise ApiError(400, "invalid_request", "the day is YYYY-MM-DD")
            return Response(settlement_report(state, parsed), media_type="text/csv")

        return await api(request, action)

    # -- 3-D Secure (the payer's browser; no API key)

    @app.get("/3ds/{payment_id}", response_class=HTMLResponse)
    def three_ds_page(payment_id: str) -> HTMLResponse:
        """The challenge page a ``redirect_url`` points to."""
        with state.lock:
            payment = _payment(state, payment_id)
            return HTMLResponse(_three_ds_page(payment))

    @app.post("/3ds/{payment_id}")
    async def three_ds_answer(request: Request, payment_id: str) -> Response:
        """``outcome=pass|fail`` as a form (then back to ``return_url``, 303) or JSON."""
        body = await request.body()
        is_form = request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        )
        if is_form:
            outcome = parse_qs(body.decode(errors="replace")).get("outcome", [""])[0]
        else:
            outcome = str(_json_object(body).get("outcome", ""))

        def answer() -> Payment:
            with state.lock:
                return complete_3ds(state, payment_id, outcome)

        payment = await run_in_threadpool(answer)
        if not is_form:
            return JSONResponse(payment.as_json())
        if payment.return_url:
            target = _with_query(
                payment.return_url, {"payment_id": payment.id, "status": payment.status}
            )
            return RedirectResponse(target, status_code=303)
        return HTMLResponse(f"<p>Payment {escape(payment.id)} is {escape(payment.status)}.</p>")

    # -- the fault panel

    @app.get("/admin/faults")
    def get_faults() -> dict[str, Any]:
        """The faults in force."""
        return state.faults.model_dump()

    @app.post("/admin/faults")
    def post_faults(patch: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Change the knobs named in the body; the others keep their value."""
        with state.lock:
            merged = {**state.faults.model_dump(), **patch}
            state.faults = _validated(Faults, merged)
            return state.faults.model_dump()

    @app.post("/admin/faults/reset")
    def reset_faults() -> dict[str, Any]:
        """Every knob back to its default, and the settlement edits forgotten."""
        with state.lock:
            state.faults = Faults()
            state.settlement_edits = SettlementEdits()
            return state.faults.model_dump()

    @app.post("/admin/chargebacks")
    def post_chargeback(body: ChargebackIn) -> dict[str, Any]:
        """Charge a captured payment back (``charged_back``, webhook, settlement row)."""
        with state.lock:
            return charge_back(state, body.payment_id).as_json()

    @app.post("/admin/settlement-edits")
    def post_settlement_edits(body: SettlementEditsIn) -> dict[str, Any]:
        """Alter the next settlement reports: drop rows, change amounts, add rows."""
        with state.lock:
            extra = [_extra_row(state, row) for row in body.extra]
            edits = state.settlement_edits
            edits.drop.update(body.drop)
            edits.amounts.update(body.amounts)
            edits.extra.extend(extra)
            return {
                "drop": sorted(edits.drop),
                "amounts": dict(edits.amounts),
                "extra": [asdict(row) for row in edits.extra],
            }

    @app.get("/admin/stats")
    def get_stats() -> dict[str, Any]:
        """Counters of requests and webhooks since start."""
        with state.lock:
            return {
                **state.stats,
                "payments": len(state.payments),
                "payouts": len(state.payouts),
                "webhooks_held": sum(len(v) for v in state.held.values()),
            }

    @app.get("/admin/config")
    def get_config() -> dict[str, Any]:
        """Name, kind, webhook URL and seed (never the keys)."""
        with state.lock:
            return {
                "name": state.name,
                "kind": state.kind.value,
                "method": METHOD_OF_KIND[state.kind],
                "webhook_url": state.webhook_url,
                "seed": state.seed,
            }

    @app.post("/admin/config")
    def post_config(body: ConfigIn) -> dict[str, Any]:
        """Set the webhook URL (``null`` stops webhooks), webhook secret, API key or seed."""
        with state.lock:
            if "webhook_url" in body.model_fields_set:
                state.webhook_url = body.webhook_url
            if body.webhook_secret is not None:
                state.webhook_secret = body.webhook_secret
            if body.api_key is not None:
                state.api_key = body.api_key
            if body.seed is not None:
                state.reseed(body.seed)
        return get_config()

    return app


# -- in tests ------------------------------------------------------------------------------------


class RunningPsp:
    """A simulated PSP serving on 127.0.0.1 (a free port) in a background thread."""

    def __init__(
        self,
        name: str = "card",
        *,
        kind: PspKind | str | None = None,
        api_key: str | None = None,
        webhook_secret: str | None = None,
        webhook_url: str | None = None,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        webhook_backoff: tuple[float, ...] = WEBHOOK_BACKOFF,
    ) -> None:
        self.state = PspState(
            name=name,
            kind=kind_for(name, kind),
            api_key=api_key or f"{name}-key",
            webhook_secret=webhook_secret or f"{name}-secret",
            webhook_url=webhook_url,
            seed=seed,
            clock=clock,
            webhook_backoff=webhook_backoff,
        )
        self._served = BackgroundServer(build_app(self.state), "the simulated PSP")
        self._admin_client: httpx.Client | None = None

    def __enter__(self) -> RunningPsp:
        self._served.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._served.stop()
        if self._admin_client is not None:
            self._admin_client.close()
        self.state.close()

    @property
    def url(self) -> str:
        return self._served.url

    @property
    def api_key(self) -> str:
        return self.state.api_key

    @property
    def webhook_secret(self) -> str:
        return self.state.webhook_secret

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client on this PSP with its API key (close it, or use it with ``with``)."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.state.api_key}"},
            **{"timeout": 10, **kwargs},
        )

    @property
    def _admin(self) -> httpx.Client:
        if self._admin_client is None:
            self._admin_client = httpx.Client(timeout=10)
        return self._admin_client

    def _admin_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._admin.post(f"{self.url}{path}", json=body)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def set_faults(self, **faults: Any) -> Faults:
        """Change fault knobs through the admin API (``set_faults(error_rate=1)``)."""
        return Faults.model_validate(self._admin_post("/admin/faults", faults))

    def reset_faults(self) -> None:
        self._admin_post("/admin/faults/reset", {})

    def set_webhook_url(self, url: str | None) -> None:
        self._admin_post("/admin/config", {"webhook_url": url})

    def charge_back(self, payment_id: str) -> dict[str, Any]:
        return self._admin_post("/admin/chargebacks", {"payment_id": payment_id})

    def edit_settlement(
        self,
        *,
        drop: list[str] | None = None,
        amounts: dict[str, int] | None = None,
        extra: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        return self._admin_post(
            "/admin/settlement-edits",
            {"drop": drop or [], "amounts": amounts or {}, "extra": extra or []},
        )

    def stats(self) -> dict[str, Any]:
        response = self._admin.get(f"{self.url}/admin/stats")
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def wait_for_webhooks(
        self, count: int, timeout: float = 10.0, *, accepted_only: bool = True
    ) -> list[WebhookAttempt]:
        """Wait until ``count`` deliveries were accepted (2xx) by the receiver, or with
        ``accepted_only=False`` until ``count`` attempts were made; return those so far.
        Raises TimeoutError when they do not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            with self.state.lock:
                attempts = [a for a in self.state.attempts if a.accepted or not accepted_only]
            if len(attempts) >= count:
                return attempts
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(attempts)} of {count} webhooks in {timeout} s")
            time.sleep(0.01)

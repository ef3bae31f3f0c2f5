"""Request and response shapes of the payments API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from croupier.kernel.web import ViewModel


class InstrumentInModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_number: str | None = Field(default=None, max_length=32)
    wallet_id: str | None = Field(default=None, max_length=254)
    iban: str | None = Field(default=None, max_length=42)


class DepositIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Your id for this deposit: a retry with it returns the same one")
    amount: int = Field(gt=0, le=2**63 - 1, description="Ledger units of the player's currency")
    currency: str = Field(min_length=3, max_length=8)
    method: Literal["card", "ewallet", "bank_transfer"]
    instrument: InstrumentInModel
    holder_name: str | None = Field(default=None, max_length=200)
    return_url: str | None = Field(default=None, max_length=500)


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Your id for this withdrawal: a retry with it returns the same one")
    amount: int = Field(gt=0, le=2**63 - 1, description="Ledger units of the player's currency")
    currency: str = Field(min_length=3, max_length=8)
    instrument_id: str = Field(max_length=40, description="One of GET /payments/instruments")


class TransitionOut(ViewModel):
    from_status: str | None
    to_status: str
    cause: str
    actor: str
    at: datetime


class PaymentOut(ViewModel):
    id: str
    kind: str
    client_id: str
    method: str
    instrument_id: str
    instrument: str
    currency: str
    amount: int = Field(description="Ledger units")
    amount_minor: int = Field(description="ISO 4217 minor units, as the PSP sees it")
    status: str
    reason: str | None
    redirect_url: str | None = Field(description="Card payments: where 3-D Secure continues")
    partial: bool = Field(description="Cut to what the deposit limit leaves (GLI-19 §2.5.6)")
    created_at: datetime
    updated_at: datetime
    transitions: list[TransitionOut]


class PaymentStaffOut(PaymentOut):
    player_id: str
    psp: str | None
    psp_reference: str | None
    approvals_needed: int
    approvals: int
    risk: dict[str, Any] | None


class InstrumentOut(ViewModel):
    id: str
    method: str
    display: str
    holder_name: str
    verified: bool
    created_at: datetime


class MethodOut(BaseModel):
    method: str
    currencies: list[str]
    deposits: bool
    withdrawals: bool


class WebhookOut(BaseModel):
    event_id: str
    outcome: str


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=3, max_length=500)


class ReviewIn(DecisionIn):
    approve: bool


class MismatchOut(ViewModel):
    problem: str
    type: str
    payment_id: str | None
    psp_reference: str | None
    report_amount: int | None
    ledger_amount: int | None
    report_status: str | None
    ledger_status: str | None


class ReconciliationOut(ViewModel):
    id: str
    psp: str
    day: str
    report_rows: int
    ledger_rows: int
    matched: int
    mismatches: list[MismatchOut]
    at: datetime


class ReconcileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    psp: str
    date: str = Field(description="YYYY-MM-DD (UTC)")


class BreakerOut(ViewModel):
    psp: str
    state: str
    consecutive_failures: int
    calls_in_window: int
    failures_in_window: int
    opened_at: float | None
    times_opened: int


class PspHealthOut(BaseModel):
    psp: str
    kind: str
    enabled: bool
    breaker: BreakerOut
    attempts_last_hour: dict[str, int]

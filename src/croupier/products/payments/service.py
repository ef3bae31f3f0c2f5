"""Payments use cases that run inside one unit of work: creating deposits and withdrawals
(policy and risk first), moving a payment through its states, and the ledger movements that
states cause. Calls to PSPs happen outside transactions, in ``orchestration``.

Ledger movements (transfer ids derive from the payment id, so every one happens at most once):

- deposit captured: ``pay:{id}:capture`` debits the PSP's clearing account ``psp:{name}`` and
  credits the player's cash (code ``deposit``);
- deposit refunded or charged back: ``pay:{id}:{refund|chargeback}`` takes back what the
  player's cash holds, and ``...:receivable`` records the rest as owed by the player on their
  receivable account (never a negative cash balance);
- withdrawal requested: ``wd:{id}:hold``, a pending transfer from the player's cash to
  ``payouts-in-flight`` (code ``withdrawal``); paid: ``wd:{id}:post`` posts it and
  ``wd:{id}:settle`` moves it on to ``psp:{name}``, linked; failed or rejected:
  ``wd:{id}:void`` releases it; taken back by the player: the void has the code
  ``withdrawal_reversal`` (an RG marker of harm).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from croupier.core.players import PlayerView, get_player
from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    TransferKind,
    create_transfers,
    get_balance,
    platform_account,
    take_back,
)
from croupier.core.wallet import errors as ledger_errors
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.ids import is_valid_caller_id, new_id
from croupier.kernel.jurisdictions import jurisdiction
from croupier.kernel.money import MAX_AMOUNT, InexactConversion, Money, UnknownCurrency
from croupier.policy import compliance
from croupier.policy.compliance import aml
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.markers import WITHDRAWAL_REVERSAL_CODE, evaluate_markers
from croupier.policy.compliance.registers import Registers
from croupier.policy.risk import RiskDecision, RiskEngine, RiskOutcome, RiskRequest, assess
from croupier.policy.risk import record_outcome as record_risk_outcome
from croupier.products.payments import errors
from croupier.products.payments.config import PaymentsConfig
from croupier.products.payments.models import (
    Payment,
    PaymentAttempt,
    PaymentInstrument,
    PaymentKind,
    PaymentStatus,
    PaymentTransition,
    WithdrawalApproval,
)

log = structlog.get_logger("croupier.payments")

S = PaymentStatus

# The states a deposit or withdrawal may go to from each state. Anything else a PSP reports
# (a late "pending" after "captured", a duplicate) changes nothing: a final state never
# regresses. An expiry is only our own giving up, so a late capture still credits the player.
DEPOSIT_NEXT: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.CREATED: frozenset(
        {S.REVIEW, S.PENDING, S.AUTHORIZED, S.CAPTURED, S.DECLINED, S.FAILED, S.EXPIRED}
    ),
    S.REVIEW: frozenset({S.CREATED, S.DECLINED}),
    S.PENDING: frozenset({S.AUTHORIZED, S.CAPTURED, S.DECLINED, S.FAILED, S.EXPIRED}),
    S.AUTHORIZED: frozenset({S.CAPTURED, S.DECLINED, S.FAILED, S.EXPIRED}),
    S.EXPIRED: frozenset({S.CAPTURED}),
    S.CAPTURED: frozenset({S.REFUNDED, S.CHARGED_BACK}),
}
WITHDRAWAL_NEXT: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.CREATED: frozenset({S.AWAITING_APPROVAL, S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.AWAITING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.PENDING, S.PAID, S.FAILED, S.CANCELLED}),
    S.PENDING: frozenset({S.PAID, S.FAILED}),
}
# Deposits the janitor asks the PSP about; withdrawals it (re)sends or asks about.
OPEN_DEPOSIT = (S.CREATED, S.PENDING, S.AUTHORIZED)
OPEN_WITHDRAWAL = (S.APPROVED, S.PENDING)
PSP_STATUS = {
    "pending": S.PENDING,
    "authorized": S.AUTHORIZED,
    "captured": S.CAPTURED,
    "declined": S.DECLINED,
    "failed": S.FAILED,
    "refunded": S.REFUNDED,
    "charged_back": S.CHARGED_BACK,
    "paid": S.PAID,
}
PAYOUTS_IN_FLIGHT = "payouts-in-flight"


# -- views ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransitionView:
    from_status: str | None
    to_status: str
    cause: str
    actor: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentView:
    id: str
    kind: str
    player_id: str
    client_id: str
    method: str
    instrument_id: str
    instrument: str
    currency: str
    amount_minor: int
    amount: int
    status: str
    reason: str | None
    psp: str | None
    psp_reference: str | None
    redirect_url: str | None
    approvals_needed: int
    approvals: int
    risk: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    transitions: tuple[TransitionView, ...] = ()
    # A deposit cut to what the player's limit leaves (GLI-19 §2.5.6: the player is told).
    partial: bool = False


@dataclass(frozen=True, slots=True)
class InstrumentView:
    id: str
    method: str
    display: str
    holder_name: str
    verified: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InstrumentIn:
    """A card number, e-wallet id or IBAN as the player typed it."""

    method: str
    card_number: str | None = None
    wallet_id: str | None = None
    iban: str | None = None

    def normalized(self) -> tuple[str, str, dict[str, str]]:
        """(fingerprint, masked display, the PSP's instrument object), or
        ``payments.invalid_instrument``."""
        if self.method == "card":
            digits = re.sub(r"[ -]", "", self.card_number or "")
            if not re.fullmatch(r"\d{12,19}", digits) or not _luhn(digits):
                raise errors.InvalidInstrument("A card number is 12-19 digits with a valid check.")
            return _fp("card", digits), f"card ****{digits[-4:]}", {"card_number": digits}
        if self.method == "ewallet":
            wallet = (self.wallet_id or "").strip().lower()
            if not re.fullmatch(r"[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,}", wallet):
                raise errors.InvalidInstrument("An e-wallet id is an e-mail address.")
            user, _, domain = wallet.partition("@")
            return _fp("ewallet", wallet), f"{user[:2]}***@{domain}", {"wallet_id": wallet}
        if self.method == "bank_transfer":
            iban = re.sub(r"\s", "", self.iban or "").upper()
            if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban) or not _iban_ok(iban):
                raise errors.InvalidInstrument("An IBAN has a country, check digits and account.")
            return _fp("iban", iban), f"{iban[:4]}****{iban[-4:]}", {"iban": iban}
        raise errors.InvalidInstrument(f"Unknown method {self.method!r}.")


def _fp(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _name_key(name: str) -> str:
    """A holder's name compared without case, accents, punctuation or spacing."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if c.isalnum() or c.isspace())
    return " ".join(letters.casefold().split())


def _view(session: Session, p: Payment, *, history: bool = False) -> PaymentView:
    instrument = session.get(PaymentInstrument, p.instrument_id)
    approvals = 0
    if p.kind == PaymentKind.WITHDRAWAL:
        approvals = int(
            session.scalar(
                select(func.count())
                .select_from(WithdrawalApproval)
                .where(WithdrawalApproval.payment_id == p.id)
            )
            or 0
        )
    transitions: tuple[TransitionView, ...] = ()
    if history:
        transitions = tuple(
            TransitionView(t.from_status, t.to_status, t.cause, t.actor, t.at)
            for t in session.scalars(
                select(PaymentTransition)
                .where(PaymentTransition.payment_id == p.id)
                .order_by(PaymentTransition.id)
            )
        )
    return PaymentView(
        id=p.id,
        kind=p.kind,
        player_id=p.player_id,
        client_id=p.client_id,
        method=p.method,
        instrument_id=p.instrument_id,
        instrument=instrument.display if instrument else "",
        currency=p.currency,
        amount_minor=p.amount_minor,
        amount=p.amount,
        status=p.status,
        reason=p.reason,
        psp=p.psp,
        psp_reference=p.psp_reference,
        redirect_url=p.redirect_url,
        approvals_needed=p.approvals_needed,
        approvals=approvals,
        risk=json.loads(p.risk) if p.risk else None,
        created_at=p.created_at,
        updated_at=p.updated_at,
        transitions=transitions,
        partial=p.partial,
    )


def payment_view(session: Session, payment_id: str, *, player_id: str | None = None) -> PaymentView:
    """The payment with its history; a player sees only their own."""
    payment = session.get(Payment, payment_id)
    if payment is None or (player_id is not None and payment.player_id != player_id):
        raise errors.PaymentNotFound()
    return _view(session, payment, history=True)


def list_payments(
    session: Session,
    *,
    player_id: str | None = None,
    brand_id: str | None = None,
    kind: PaymentKind | None = None,
    status: PaymentStatus | None = None,
    psp: str | None = None,
    before: str | None = None,
    limit: int = 50,
) -> list[PaymentView]:
    """Payments newest first (ids sort by time), filtered; ``before``: a payment id to page."""
    stmt = select(Payment).order_by(Payment.id.desc()).limit(min(max(limit, 1), 500))
    if player_id is not None:
        stmt = stmt.where(Payment.player_id == player_id)
    if brand_id is not None:
        stmt = stmt.where(Payment.brand_id == brand_id)
    if kind is not None:
        stmt = stmt.where(Payment.kind == kind.value)
    if status is not None:
        stmt = stmt.where(Payment.status == status.value)
    if psp is not None:
        stmt = stmt.where(Payment.psp == psp)
    if before is not None:
        stmt = stmt.where(Payment.id < before)
    return [_view(session, p) for p in session.scalars(stmt)]


def list_instruments(session: Session, player_id: str) -> list[InstrumentView]:
    rows = session.scalars(
        select(PaymentInstrument)
        .where(PaymentInstrument.player_id == player_id)
        .order_by(PaymentInstrument.created_at)
    )
    return [
        InstrumentView(
            i.id, i.method, i.display, i.holder_name, i.verified_at is not None, i.created_at
        )
        for i in rows
    ]


# -- transitions and their ledger movements ------------------------------------------------


def _transition(
    session: Session,
    clock: Clock,
    payment: Payment,
    to: PaymentStatus,
    cause: str,
    actor: str,
) -> bool:
    """Move ``payment`` to ``to`` if its state machine allows it, with the ledger movement
    that state causes; False (and nothing changes) if it does not."""
    current = PaymentStatus(payment.status)
    if current is to:
        return False
    table = DEPOSIT_NEXT if payment.kind == PaymentKind.DEPOSIT else WITHDRAWAL_NEXT
    if to not in table.get(current, frozenset()):
        log.info(
            "payment.transition_ignored", payment=payment.id, current=current, to=to, cause=cause
        )
        return False
    now = clock.now()
    _ledger_for(session, clock, payment, to)
    session.add(
        PaymentTransition(
            payment_id=payment.id,
            from_status=current.value,
            to_status=to.value,
            cause=cause[:300],
            actor=actor[:80],
            at=now,
        )
    )
    payment.status = to.value
    payment.updated_at = now
    if to in (S.DECLINED, S.FAILED, S.REJECTED, S.EXPIRED, S.CANCELLED):
        payment.reason = cause[:200]
    if to not in (S.CREATED, S.APPROVED, S.PENDING, S.AUTHORIZED):
        payment.check_at = None  # final, or waiting for a person: nothing to ask a PSP
    if payment.risk is not None and to in (S.DECLINED, S.FAILED, S.CAPTURED, S.PAID):
        # Failed attempts feed the risk score's "recent failures" (the engine's store reads
        # them from the risk tables within its refresh interval).
        record_risk_outcome(session, clock, payment.id, succeeded=to in (S.CAPTURED, S.PAID))
    session.flush()
    return True


def _clearing(session: Session, clock: Clock, currency: str, name: str) -> str:
    return platform_account(
        session, clock, kind=AccountKind.PSP_CLEARING, currency_code=currency, name=name
    ).id


def _ledger_for(session: Session, clock: Clock, payment: Payment, to: PaymentStatus) -> None:
    player = get_player(session, payment.player_id, brand_scope=None)
    moves: list[NewTransfer] = []
    if payment.kind == PaymentKind.DEPOSIT:
        if to is S.CAPTURED:
            assert payment.psp is not None
            moves.append(
                NewTransfer(
                    id=f"pay:{payment.id}:capture",
                    debit_account_id=_clearing(
                        session, clock, payment.currency, f"psp:{payment.psp}"
                    ),
                    credit_account_id=player.cash_account_id,
                    amount=payment.amount,
                    currency=payment.currency,
                    code="deposit",
                    reference=payment.id,
                )
            )
        elif to in (S.REFUNDED, S.CHARGED_BACK):
            _reverse_deposit(session, clock, payment, player, to.value)
            return
    elif to is S.PAID:
        assert payment.psp is not None
        moves += [
            NewTransfer(
                id=f"wd:{payment.id}:post",
                kind=TransferKind.POST_PENDING,
                pending_id=f"wd:{payment.id}:hold",
                code="withdrawal",
                reference=payment.id,
                linked=True,
            ),
            NewTransfer(
                id=f"wd:{payment.id}:settle",
                debit_account_id=_clearing(session, clock, payment.currency, PAYOUTS_IN_FLIGHT),
                credit_account_id=_clearing(session, clock, payment.currency, f"psp:{payment.psp}"),
                amount=payment.amount,
                currency=payment.currency,
                code="withdrawal_settlement",
                reference=payment.id,
            ),
        ]
    elif to in (S.FAILED, S.REJECTED, S.CANCELLED):
        code = WITHDRAWAL_REVERSAL_CODE if to is S.CANCELLED else "withdrawal_void"
        moves.append(
            NewTransfer(
                id=f"wd:{payment.id}:void",
                kind=TransferKind.VOID_PENDING,
                pending_id=f"wd:{payment.id}:hold",
                code=code,
                reference=payment.id,
            )
        )
    if moves:
        for result in create_transfers(session, clock, moves):
            result.unwrap()


def _reverse_deposit(
    session: Session, clock: Clock, payment: Payment, player: PlayerView, what: str
) -> None:
    """Take a captured deposit back: from the player's cash as far as it goes, the rest as a
    receivable (the player owes it). Retried if a bet takes the cash in between."""
    assert payment.psp is not None
    try:
        take_back(
            session,
            clock,
            transfer_id=f"pay:{payment.id}:{what}",
            player_id=player.id,
            cash_account_id=player.cash_account_id,
            to_account_id=_clearing(session, clock, payment.currency, f"psp:{payment.psp}"),
            amount=payment.amount,
            currency=payment.currency,
            code=what,
            reference=payment.id,
        )
    except ledger_errors.InsufficientFunds as exc:
        raise errors.InvalidState("The player's balance kept changing; try again.") from exc


# -- deposits ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DepositRequest:
    client_id: str
    amount: int  # ledger units of the player's currency
    currency: str
    instrument: InstrumentIn
    holder_name: str | None = None
    device_id: str | None = None
    ip: str | None = None
    ip_country: str | None = None


@dataclass
class PolicyContext:
    """What the compliance checks need from the running process (registers, geolocation)."""

    registers: Registers | None = None
    geolocation: Geolocation | None = None
    risk_engine: RiskEngine | None = None


def _minor_units(amount: int, currency_code: str) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise errors.InvalidAmount()
    try:
        return Money(amount, currency_code).to_minor_units()
    except InexactConversion:
        raise errors.InvalidAmount(
            "The amount is not a whole number of the currency's minor units (cents)."
        ) from None
    except UnknownCurrency:
        raise errors.WrongCurrency() from None


def _check_id(client_id: str) -> None:
    if not is_valid_caller_id(client_id):
        raise errors.InvalidId()


def _existing(
    session: Session, player_id: str, client_id: str, kind: PaymentKind, same: dict[str, Any]
) -> Payment | None:
    payment = session.scalar(
        select(Payment).where(Payment.player_id == player_id, Payment.client_id == client_id)
    )
    if payment is None:
        return None
    mine = {k: getattr(payment, k) for k in same}
    if payment.kind != kind.value or mine != same:
        raise errors.IdConflict(f"The id {client_id!r} was used for another payment.")
    return payment


def _instrument(
    session: Session,
    clock: Clock,
    player: PlayerView,
    method: str,
    fingerprint: str,
    display: str,
    holder_name: str,
) -> PaymentInstrument:
    found = session.scalar(
        select(PaymentInstrument).where(
            PaymentInstrument.player_id == player.id,
            PaymentInstrument.method == method,
            PaymentInstrument.fingerprint == fingerprint,
        )
    )
    if found is not None:
        return found
    row = PaymentInstrument(
        id=new_id("pin"),
        player_id=player.id,
        method=method,
        fingerprint=fingerprint,
        display=display,
        holder_name=holder_name[:200],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def _risk(
    session: Session,
    clock: Clock,
    engine: RiskEngine | None,
    payment: Payment,
    fingerprint: str,
    device_id: str | None,
    ip_country: str | None,
) -> RiskDecision | None:
    if engine is None:
        return None
    decision = assess(
        session,
        clock,
        RiskRequest(
            attempt_id=payment.id,
            player_id=payment.player_id,
            kind=payment.kind,
            amount=payment.amount,
            currency=payment.currency,
            instrument_fingerprint=fingerprint,
            device_id=device_id,
            ip_country=ip_country,
        ),
        engine=engine,
    )
    payment.risk = json.dumps(decision.as_dict(), sort_keys=True)
    return decision


def create_deposit(
    session: Session,
    clock: Clock,
    config: PaymentsConfig,
    context: PolicyContext,
    player_id: str,
    request: DepositRequest,
) -> tuple[PaymentView, bool]:
    """Record a deposit the player asked for, after policy (``may_deposit``: exclusion, KYC,
    register, location, deposit limits) and risk; returns it and whether it is new. Nothing is
    recorded when policy refuses (the error says why); a risk decline is recorded, declined.
    Where the jurisdiction allows, a deposit over the limit is cut to what the limit leaves
    and says so (``partial``)."""
    _check_id(request.client_id)
    player = get_player(session, player_id, brand_scope=None)
    if request.currency != player.currency:
        raise errors.WrongCurrency(f"This account's currency is {player.currency}.")
    amount_minor = _minor_units(request.amount, request.currency)
    fingerprint, display, _ = request.instrument.normalized()
    existing = _existing(
        session,
        player_id,
        request.client_id,
        PaymentKind.DEPOSIT,
        {
            "amount_minor": amount_minor,
            "currency": request.currency,
            "method": request.instrument.method,
        },
    )
    if existing is not None:
        return _view(session, existing, history=True), False
    decision = compliance.may_deposit(
        session,
        clock,
        player_id,
        request.amount,
        registers=context.registers,
        geolocation=context.geolocation,
        ip=request.ip,
    )
    decision.raise_if_refused()
    amount = request.amount
    partial = bool(decision.partial and decision.amount is not None)
    if partial and decision.amount is not None:
        # Cut to whole minor units that fit the limit.
        step = Money.from_minor_units(1, request.currency).amount
        amount = decision.amount // step * step
        amount_minor = amount // step
        if amount_minor <= 0:
            raise errors.InvalidAmount("Nothing is left under the deposit limit.")
    if not route_exists(
        config,
        request.instrument.method,
        request.currency,
        request.ip_country or player.country,
        PaymentKind.DEPOSIT,
    ):
        raise errors.NoRoute(
            f"No provider takes {request.instrument.method} in {request.currency} here."
        )
    instrument = _instrument(
        session,
        clock,
        player,
        request.instrument.method,
        fingerprint,
        display,
        request.holder_name or player.legal_name,
    )
    now = clock.now()
    payment = Payment(
        id=new_id("pay"),
        kind=PaymentKind.DEPOSIT.value,
        player_id=player.id,
        brand_id=player.brand_id,
        client_id=request.client_id,
        method=request.instrument.method,
        instrument_id=instrument.id,
        currency=request.currency,
        amount_minor=amount_minor,
        amount=amount,
        status=S.CREATED.value,
        reason=None,
        partial=partial,
        country=(request.ip_country or player.country)[:2],
        approvals_needed=0,
        deadline_at=now + timedelta(seconds=config.deposits.deadline_seconds),
        checks=0,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.add(
        PaymentTransition(
            payment_id=payment.id,
            from_status=None,
            to_status=S.CREATED.value,
            cause="asked by the player" + (" (cut to the deposit limit)" if partial else ""),
            actor=f"player:{player.id}",
            at=now,
        )
    )
    session.flush()
    risk = _risk(
        session,
        clock,
        context.risk_engine,
        payment,
        fingerprint,
        request.device_id,
        request.ip_country,
    )
    if risk is not None and risk.outcome is RiskOutcome.DECLINE:
        _transition(session, clock, payment, S.DECLINED, "risk.declined", "risk")
    elif risk is not None and risk.outcome is RiskOutcome.REVIEW:
        _transition(session, clock, payment, S.REVIEW, "risk.review: held for a person", "risk")
    return _view(session, payment, history=True), True


def route_exists(
    config: PaymentsConfig, method: str, currency: str, country: str | None, kind: PaymentKind
) -> bool:
    return any(
        rule.method == method
        and (not rule.currencies or currency in rule.currencies)
        and (not rule.countries or (country or "") in rule.countries)
        and kind.value in rule.kinds
        for rule in config.route
    )


def review_deposit(
    session: Session, clock: Clock, payment_id: str, *, approve: bool, actor: str, note: str
) -> PaymentView:
    """A person's decision on a deposit the risk score held: on to the PSP, or declined."""
    check_reason(note)
    payment = locked_payment(session, payment_id)
    if payment.kind != PaymentKind.DEPOSIT or payment.status != S.REVIEW:
        raise errors.InvalidState("Only a deposit held for review can be reviewed.")
    before = payment.status
    if approve:
        payment.deadline_at = clock.now() + timedelta(seconds=60)
        _transition(session, clock, payment, S.CREATED, f"review approved: {note}", actor)
    else:
        _transition(session, clock, payment, S.DECLINED, f"review declined: {note}", actor)
    audit_payment(
        session,
        clock,
        payment,
        "payment.reviewed",
        actor=actor,
        before={"status": before},
        reason=note,
    )
    return _view(session, payment, history=True)


def audit_payment(
    session: Session,
    clock: Clock,
    payment: Payment,
    action: str,
    *,
    actor: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """An operator's decision on a payment, in the audit trail (GLI-19 §2.8.8)."""
    record_event(
        session,
        clock,
        actor=actor,
        action=action,
        subject_type="payment",
        subject_id=payment.id,
        before=before,
        after={"status": payment.status, **(after or {})},
        reason=reason,
    )


def check_reason(reason: str) -> None:
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 500:
        raise errors.ReasonRequired()


def locked_payment(session: Session, payment_id: str) -> Payment:
    payment = session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update())
    if payment is None:
        raise errors.PaymentNotFound()
    return payment


# -- what PSPs tell us ------------------------------------------------------------------------


def record_attempt(
    session: Session,
    clock: Clock,
    payment_id: str,
    psp: str,
    operation: str,
    outcome: str,
    detail: str = "",
    milliseconds: int = 0,
) -> None:
    session.add(
        PaymentAttempt(
            payment_id=payment_id,
            psp=psp,
            operation=operation,
            outcome=outcome,
            detail=detail[:300] or None,
            milliseconds=milliseconds,
            at=clock.now(),
        )
    )


def apply_psp_object(
    session: Session,
    clock: Clock,
    payment: Payment,
    psp: str,
    body: dict[str, Any],
    actor: str,
) -> bool:
    """Bring ``payment`` to the state the PSP's payment or payout object shows; True if it
    changed. The object must be this payment's (reference, amount and currency agree)."""
    if (
        body.get("reference") != payment.id
        or body.get("amount") != payment.amount_minor
        or body.get("currency") != payment.currency
    ):
        log.warning("payment.psp_object_mismatch", payment=payment.id, psp=psp)
        return False
    if payment.psp is None:
        payment.psp = psp
    if payment.psp != psp:
        log.warning("payment.other_psp", payment=payment.id, psp=psp, holder=payment.psp)
        return False
    if isinstance(body.get("id"), str):
        payment.psp_reference = body["id"][:100]
    if isinstance(body.get("redirect_url"), str):
        payment.redirect_url = body["redirect_url"][:500]
    status = PSP_STATUS.get(str(body.get("status")))
    if status is None:
        return False
    code = body.get("decline_code") or body.get("failure_code")
    cause = f"{psp}: {status.value}" + (f" ({code})" if code else "")
    current = PaymentStatus(payment.status)
    changed = False
    # A PSP may skip states we have not seen (captured straight from created): walk through.
    if payment.kind == PaymentKind.WITHDRAWAL and current is S.APPROVED and status is S.PAID:
        changed = _transition(session, clock, payment, S.PENDING, cause, actor)
    changed = _transition(session, clock, payment, status, cause, actor) or changed
    if changed and status is S.CAPTURED:
        _after_capture(session, clock, payment)
    return changed


def _after_capture(session: Session, clock: Clock, payment: Payment) -> None:
    instrument = session.get(PaymentInstrument, payment.instrument_id)
    if instrument is not None and instrument.verified_at is None:
        instrument.verified_at = clock.now()
    aml.evaluate_movement(
        session,
        clock,
        payment.player_id,
        aml.Movement(
            kind=aml.MovementKind.DEPOSIT,
            amount=payment.amount,
            transfer_id=f"pay:{payment.id}:capture",
            payment_account_name=instrument.holder_name if instrument else None,
            instrument_fingerprint=instrument.fingerprint if instrument else None,
        ),
    )
    evaluate_markers(session, clock, payment.player_id)


def mark(
    session: Session, clock: Clock, payment: Payment, to: PaymentStatus, cause: str, actor: str
) -> bool:
    """Move a payment by our own decision (failed: no PSP took it; expired)."""
    return _transition(session, clock, payment, to, cause, actor)


def schedule_check(payment: Payment, clock: Clock, first: float, most: float) -> None:
    """The janitor asks again later, backing off: ``first`` seconds, doubling to ``most``."""
    delay = min(first * (2 ** min(payment.checks, 20)), most)
    payment.check_at = clock.now() + timedelta(seconds=delay)


# -- withdrawals ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WithdrawalRequest:
    client_id: str
    amount: int  # ledger units
    currency: str
    instrument_id: str
    device_id: str | None = None
    ip: str | None = None
    ip_country: str | None = None


def create_withdrawal(
    session: Session,
    clock: Clock,
    config: PaymentsConfig,
    context: PolicyContext,
    player_id: str,
    request: WithdrawalRequest,
) -> tuple[PaymentView, bool]:
    """Hold the amount at once (a pending ledger transfer) and record the withdrawal after its
    checks: ``may_withdraw`` (open to self-excluded players, GLI-19 A.3.8; KYC level), payout
    only to an instrument in the player's name they deposited with (GLI-19 §2.5.6), AML rules
    and the risk score. Under the automatic threshold it is approved at once; above it one
    approver, above the higher one two different approvers (four eyes). A withdrawal above the
    balance is refused and nothing is held."""
    _check_id(request.client_id)
    player = get_player(session, player_id, brand_scope=None)
    if request.currency != player.currency:
        raise errors.WrongCurrency(f"This account's currency is {player.currency}.")
    amount_minor = _minor_units(request.amount, request.currency)
    existing = _existing(
        session,
        player_id,
        request.client_id,
        PaymentKind.WITHDRAWAL,
        {
            "amount_minor": amount_minor,
            "currency": request.currency,
            "instrument_id": request.instrument_id,
        },
    )
    if existing is not None:
        return _view(session, existing, history=True), False
    compliance.may_withdraw(session, clock, player_id, request.amount).raise_if_refused()
    instrument = session.get(PaymentInstrument, request.instrument_id)
    if (
        instrument is None
        or instrument.player_id != player.id
        or instrument.verified_at is None
        or _name_key(instrument.holder_name) != _name_key(player.legal_name)
    ):
        raise errors.InstrumentNotTheirs()
    if not route_exists(
        config, instrument.method, request.currency, player.country, PaymentKind.WITHDRAWAL
    ):
        raise errors.NoRoute(f"No provider pays out by {instrument.method} in {request.currency}.")
    now = clock.now()
    payment = Payment(
        id=new_id("pay"),
        kind=PaymentKind.WITHDRAWAL.value,
        player_id=player.id,
        brand_id=player.brand_id,
        client_id=request.client_id,
        method=instrument.method,
        instrument_id=instrument.id,
        currency=request.currency,
        amount_minor=amount_minor,
        amount=request.amount,
        status=S.CREATED.value,
        country=(request.ip_country or player.country)[:2],
        approvals_needed=config.withdrawals.approvals_needed(request.amount, request.currency),
        deadline_at=now,
        checks=0,
        created_at=now,
        updated_at=now,
    )
    session.add(payment)
    session.flush()
    hold = create_transfers(
        session,
        clock,
        [
            NewTransfer(
                id=f"wd:{payment.id}:hold",
                debit_account_id=player.cash_account_id,
                credit_account_id=_clearing(session, clock, request.currency, PAYOUTS_IN_FLIGHT),
                amount=request.amount,
                currency=request.currency,
                kind=TransferKind.PENDING,
                code="withdrawal",
                reference=payment.id,
            )
        ],
    )[0]
    if isinstance(hold.error, ledger_errors.InsufficientFunds):
        raise errors.InsufficientFunds(
            f"The balance available is {Money(get_balance(session, player.cash_account_id).available, player.currency)}."  # noqa: E501
        )
    hold.unwrap()
    session.add(
        PaymentTransition(
            payment_id=payment.id,
            from_status=None,
            to_status=S.CREATED.value,
            cause="asked by the player; amount held",
            actor=f"player:{player.id}",
            at=now,
        )
    )
    cases = aml.evaluate_movement(
        session,
        clock,
        player.id,
        aml.Movement(
            kind=aml.MovementKind.WITHDRAWAL,
            amount=request.amount,
            transfer_id=f"wd:{payment.id}:hold",
            payment_account_name=instrument.holder_name,
            instrument_fingerprint=instrument.fingerprint,
        ),
    )
    risk = _risk(
        session,
        clock,
        context.risk_engine,
        payment,
        instrument.fingerprint,
        request.device_id,
        request.ip_country,
    )
    reasons = []
    if cases:
        reasons.append("AML: " + ", ".join(str(c.details.get("rule")) for c in cases))
        payment.approvals_needed = max(payment.approvals_needed, 1)
    if risk is not None and risk.outcome is not RiskOutcome.APPROVE:
        reasons.append(f"risk.{risk.outcome.value}")
        # A risk decline does not keep a player's own money from them: two people look.
        payment.approvals_needed = (
            2 if risk.outcome is RiskOutcome.DECLINE else max(payment.approvals_needed, 1)
        )
    if payment.approvals_needed == 0:
        _transition(
            session,
            clock,
            payment,
            S.APPROVED,
            "approved: under the automatic approval threshold",
            "system",
        )
    else:
        why = "; ".join(reasons) or f"{payment.approvals_needed} approval(s) needed by amount"
        _transition(session, clock, payment, S.AWAITING_APPROVAL, why, "system")
    return _view(session, payment, history=True), True


def approve_withdrawal(
    session: Session, clock: Clock, payment_id: str, *, operator_id: str, note: str
) -> PaymentView:
    """An operator's approval; the withdrawal is approved when it has as many approvals from
    different operators as it needs (four eyes: two)."""
    check_reason(note)
    payment = locked_payment(session, payment_id)
    if payment.kind != PaymentKind.WITHDRAWAL or payment.status != S.AWAITING_APPROVAL:
        raise errors.InvalidState("Only a withdrawal awaiting approval can be approved.")
    mine = session.scalar(
        select(WithdrawalApproval).where(
            WithdrawalApproval.payment_id == payment.id,
            WithdrawalApproval.operator_id == operator_id,
        )
    )
    if mine is not None:
        raise errors.AlreadyApproved()
    session.add(
        WithdrawalApproval(
            payment_id=payment.id, operator_id=operator_id, note=note.strip()[:500], at=clock.now()
        )
    )
    session.flush()
    count = int(
        session.scalar(
            select(func.count())
            .select_from(WithdrawalApproval)
            .where(WithdrawalApproval.payment_id == payment.id)
        )
        or 0
    )
    actor = f"operator:{operator_id}"
    if count >= payment.approvals_needed:
        _transition(
            session,
            clock,
            payment,
            S.APPROVED,
            f"approved ({count} of {payment.approvals_needed}): {note}",
            actor,
        )
    audit_payment(
        session,
        clock,
        payment,
        "withdrawal.approved",
        actor=actor,
        after={"approvals": count, "needed": payment.approvals_needed},
        reason=note,
    )
    return _view(session, payment, history=True)


def reject_withdrawal(
    session: Session, clock: Clock, payment_id: str, *, operator_id: str, reason: str
) -> PaymentView:
    """An operator refuses the withdrawal before it is sent; the hold is released."""
    check_reason(reason)
    payment = locked_payment(session, payment_id)
    if payment.kind != PaymentKind.WITHDRAWAL or payment.status not in (
        S.AWAITING_APPROVAL,
        S.APPROVED,
    ):
        raise errors.InvalidState("Only a withdrawal not yet sent can be rejected.")
    actor = f"operator:{operator_id}"
    before = payment.status
    _transition(session, clock, payment, S.REJECTED, f"rejected: {reason}", actor)
    audit_payment(
        session,
        clock,
        payment,
        "withdrawal.rejected",
        actor=actor,
        before={"status": before},
        reason=reason,
    )
    return _view(session, payment, history=True)


def cancel_withdrawal(
    session: Session, clock: Clock, payment_id: str, player_id: str
) -> PaymentView:
    """The player takes a withdrawal back before it is sent, where the jurisdiction allows
    it (not in Great Britain, UKGC RTS 14B, nor in Sweden)."""
    payment = locked_payment(session, payment_id)
    if payment.player_id != player_id or payment.kind != PaymentKind.WITHDRAWAL:
        raise errors.PaymentNotFound()
    player = get_player(session, player_id, brand_scope=None)
    rules = jurisdiction(player.jurisdiction)
    if not rules.reverse_withdrawals_allowed:
        raise errors.ReverseWithdrawalForbidden(
            f"{rules.name} does not allow a withdrawal to be taken back."
        )
    if payment.status not in (S.CREATED, S.AWAITING_APPROVAL, S.APPROVED) or payment.psp:
        raise errors.InvalidState("The withdrawal is on its way and cannot be cancelled.")
    _transition(
        session, clock, payment, S.CANCELLED, "taken back by the player", f"player:{player_id}"
    )
    evaluate_markers(session, clock, player_id)
    return _view(session, payment, history=True)


def payout_instrument(session: Session, payment: Payment) -> PaymentInstrument:
    instrument = session.get(PaymentInstrument, payment.instrument_id)
    if instrument is None:
        raise errors.PaymentNotFound("The payment's instrument is gone.")
    return instrument


def check_refundable(session: Session, payment_id: str) -> Payment:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise errors.PaymentNotFound()
    if payment.kind != PaymentKind.DEPOSIT or payment.status != S.CAPTURED:
        raise errors.InvalidState("Only a captured deposit can be refunded.")
    return payment

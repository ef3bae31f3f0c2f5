"""Placing payments with PSPs: routing, the circuit breakers, failover, and the janitor.

Each step that talks to a PSP runs outside any database transaction, between short units of
work that record what was decided and what the PSP answered. The rules:

- Routes come from the configuration: the first rule that matches the method, currency,
  country and kind gives the PSPs in order of priority; equal priorities share by weight.
- A PSP whose breaker is open is skipped. A ``retryable`` failure (the PSP certainly did
  nothing) moves on to the next PSP, while the player's deadline lasts.
- An ``ambiguous`` failure (the PSP may have acted) never moves on: the payment waits for
  the janitor, which asks that PSP by our reference until the outcome is final.
- The same idempotency key is used for every call about a payment at one PSP, so asking twice
  never pays twice.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
from croupier.policy.risk import RiskEngine
from croupier.products.payments import errors, reconcile, service
from croupier.products.payments.breaker import CircuitBreaker
from croupier.products.payments.config import PaymentsConfig
from croupier.products.payments.models import Payment, PaymentKind, PaymentStatus
from croupier.products.payments.psp_client import Outcome, PspAnswer, PspClient

log = structlog.get_logger("croupier.payments")

S = PaymentStatus


@dataclass
class PaymentsRuntime:
    """What a process needs to place payments: configuration, one client and one breaker per
    PSP, the routing's random source, and the policy helpers."""

    config: PaymentsConfig
    clients: dict[str, PspClient]
    breakers: dict[str, CircuitBreaker]
    context: service.PolicyContext
    rng: random.Random = field(default_factory=random.Random)
    _rng_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls,
        config: PaymentsConfig,
        *,
        registers: Registers | None = None,
        geolocation: Geolocation | None = None,
        risk_engine: RiskEngine | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> PaymentsRuntime:
        enabled = [p for p in config.psp if p.enabled]
        return cls(
            config=config,
            clients={p.name: PspClient(p) for p in enabled},
            breakers={
                p.name: CircuitBreaker(p.name, config.breaker, monotonic=monotonic) for p in enabled
            },
            context=service.PolicyContext(
                registers=registers, geolocation=geolocation, risk_engine=risk_engine
            ),
        )

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def client(self, psp: str) -> PspClient:
        found = self.clients.get(psp)
        if found is None:
            raise errors.UnknownPsp(f"No PSP {psp!r} is configured.")
        return found

    def candidates(self, method: str, currency: str, country: str | None, kind: str) -> list[str]:
        """The PSPs to try, in order: the first matching route's, by priority, then a
        weighted shuffle within a priority; PSPs not configured or disabled are left out."""
        for rule in self.config.route:
            if (
                rule.method == method
                and (not rule.currencies or currency in rule.currencies)
                and (not rule.countries or (country or "") in rule.countries)
                and kind in rule.kinds
            ):
                ordered: list[str] = []
                for priority in sorted({t.priority for t in rule.psps}):
                    tier = [t for t in rule.psps if t.priority == priority]
                    with self._rng_lock:
                        # Weighted order without replacement (Efraimidis-Spirakis keys).
                        keyed = sorted(tier, key=lambda t: -(self.rng.random() ** (1 / t.weight)))
                    ordered += [t.psp for t in keyed if t.psp in self.clients]
                return ordered
        return []


def _payload(
    payment: Payment, instrument: dict[str, str], holder: str, return_url: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": payment.amount_minor,
        "currency": payment.currency,
        "method": payment.method,
        "instrument": instrument,
        "holder_name": holder,
        "country": payment.country or "",
        "reference": payment.id,
    }
    if return_url:
        body["return_url"] = return_url
    return body


def _key(payment_id: str, psp: str, operation: str = "create") -> str:
    return f"{payment_id}:{psp}:{operation}"


def _record_tried(
    session: Session,
    clock: Clock,
    payment_id: str,
    tried: list[tuple[str, str, PspAnswer | None]],
    operation: str,
) -> None:
    for psp, outcome, answer in tried:
        service.record_attempt(
            session,
            clock,
            payment_id,
            psp,
            operation,
            outcome,
            answer.detail if answer else "circuit open",
            answer.milliseconds if answer else 0,
        )


def _place(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    payment_id: str,
    instrument: dict[str, str],
    *,
    return_url: str | None = None,
) -> None:
    """Try the route's PSPs in turn for a created deposit or an approved withdrawal."""
    with db.read_only() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise errors.PaymentNotFound()
        session.expunge(payment)
        player = get_player(session, payment.player_id, brand_scope=None)
        holder = service.payout_instrument(session, payment).holder_name
    deposit = payment.kind == PaymentKind.DEPOSIT
    expected = S.CREATED if deposit else S.APPROVED
    if payment.status != expected or payment.psp is not None:
        return
    operation = "create" if deposit else "payout"
    body = _payload(payment, instrument, holder, return_url)
    tried: list[tuple[str, str, PspAnswer | None]] = []
    for psp in runtime.candidates(payment.method, payment.currency, payment.country, payment.kind):
        if deposit and clock.now() >= payment.deadline_at and tried:
            tried.append((psp, "skipped", PspAnswer(Outcome.RETRYABLE, detail="deadline passed")))
            break
        breaker = runtime.breakers[psp]
        if not breaker.allow():
            tried.append((psp, "skipped", None))
            continue
        client = runtime.clients[psp]
        answer = (client.create_payment if deposit else client.create_payout)(
            body, _key(payment.id, psp, operation)
        )
        if answer.outcome is Outcome.RETRYABLE:
            breaker.record_failure()
            tried.append((psp, "retryable", answer))
            continue
        if answer.outcome is Outcome.AMBIGUOUS:
            breaker.record_failure()
        else:
            breaker.record_success()
        tried.append((psp, answer.outcome.value, answer))
        _settle_answer(db, clock, runtime, payment.id, psp, answer, tried, operation)
        return
    with db.unit_of_work() as session:
        _record_tried(session, clock, payment.id, tried, operation)
        row = service.locked_payment(session, payment.id)
        summary = (
            "; ".join(
                f"{psp}: {answer.detail if answer else 'circuit open'}" for psp, _, answer in tried
            )
            or "no PSP is configured for this route"
        )
        if deposit:
            service.mark(
                session, clock, row, S.FAILED, f"no PSP could take it ({summary})", "orchestration"
            )
        else:
            # The player's money stays held: the janitor sends the payout again later.
            row.checks += 1
            service.schedule_check(
                row,
                clock,
                runtime.config.janitor.first_check_seconds,
                runtime.config.janitor.max_backoff_seconds,
            )
            log.warning("payout.not_placed", payment=payment.id, why=summary)
    log.info("payment.placed", payment=payment.id, player=player.id, placed=False)


def _settle_answer(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    payment_id: str,
    psp: str,
    answer: PspAnswer,
    tried: list[tuple[str, str, PspAnswer | None]],
    operation: str,
) -> None:
    with db.unit_of_work() as session:
        _record_tried(session, clock, payment_id, tried, operation)
        payment = service.locked_payment(session, payment_id)
        if answer.outcome is Outcome.AMBIGUOUS:
            payment.psp = psp
            service.mark(
                session,
                clock,
                payment,
                S.PENDING,
                f"{psp}: outcome unknown ({answer.detail}); the janitor asks again",
                "orchestration",
            )
            # Ask no sooner than the PSP could still be working on our call.
            client = runtime.clients[psp]
            payment.check_at = clock.now() + timedelta(
                seconds=max(
                    runtime.config.janitor.first_check_seconds, client.config.timeout_seconds * 2
                )
            )
            return
        if answer.outcome is Outcome.REJECTED:
            payment.psp = psp
            service.mark(
                session,
                clock,
                payment,
                S.FAILED,
                f"{psp} refused: {answer.detail}",
                "orchestration",
            )
            return
        assert answer.body is not None
        service.apply_psp_object(session, clock, payment, psp, answer.body, f"psp:{psp}")
        if PaymentStatus(payment.status) in (S.PENDING, S.AUTHORIZED):
            payment.checks = 0
            service.schedule_check(
                payment,
                clock,
                max(runtime.config.janitor.first_check_seconds, 5.0),
                runtime.config.janitor.max_backoff_seconds,
            )


def deposit(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    player_id: str,
    request: service.DepositRequest,
    *,
    return_url: str | None = None,
) -> service.PaymentView:
    """A player's deposit from start to the PSP's first answer: recorded after policy and
    risk, then placed with the first PSP of its route that takes it."""
    with db.unit_of_work() as session:
        view, new = service.create_deposit(
            session, clock, runtime.config, runtime.context, player_id, request
        )
    if new and view.status == S.CREATED:
        _, _, instrument = request.instrument.normalized()
        _place(db, clock, runtime, view.id, instrument, return_url=return_url)
    with db.read_only() as session:
        result = service.payment_view(session, view.id)
    return result


def withdraw(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    player_id: str,
    request: service.WithdrawalRequest,
) -> service.PaymentView:
    """A player's withdrawal: held and checked; sent at once when approved automatically."""
    with db.unit_of_work() as session:
        view, new = service.create_withdrawal(
            session, clock, runtime.config, runtime.context, player_id, request
        )
    if new and view.status == S.APPROVED:
        place_stored(db, clock, runtime, view.id)
    with db.read_only() as session:
        return service.payment_view(session, view.id)


def place_stored(db: Database, clock: Clock, runtime: PaymentsRuntime, payment_id: str) -> None:
    """Send an approved withdrawal, or a deposit a person approved after the risk score held
    it, to the first PSP of its route that takes it. A full card number or IBAN is never
    stored, so the PSP gets the instrument's token (its fingerprint)."""
    with db.read_only() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            raise errors.PaymentNotFound()
        token = {"instrument_token": service.payout_instrument(session, payment).fingerprint}
    _place(db, clock, runtime, payment_id, token)


def refund(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    payment_id: str,
    *,
    actor: str,
    reason: str,
) -> service.PaymentView:
    """Refund a captured deposit through its PSP; the player's cash gives it back (what it
    cannot give becomes a receivable)."""
    service.check_reason(reason)
    with db.read_only() as session:
        payment = service.check_refundable(session, payment_id)
        psp, reference, amount = payment.psp, payment.psp_reference, payment.amount_minor
    if psp is None or reference is None:
        raise errors.InvalidState("The deposit has no PSP reference to refund.")
    answer = runtime.client(psp).refund(reference, amount, _key(payment_id, psp, "refund"))
    with db.unit_of_work() as session:
        service.record_attempt(
            session,
            clock,
            payment_id,
            psp,
            "refund",
            answer.outcome.value,
            answer.detail,
            answer.milliseconds,
        )
        row = service.locked_payment(session, payment_id)
        if answer.ok and answer.body is not None:
            service.apply_psp_object(session, clock, row, psp, answer.body, actor)
            service.audit_payment(
                session, clock, row, "payment.refunded", actor=actor, reason=reason
            )
    if not answer.ok:
        raise errors.ReportUnavailable(f"{psp} did not refund: {answer.detail}")
    with db.read_only() as session:
        return service.payment_view(session, payment_id)


# -- the janitor ------------------------------------------------------------------------------


def janitor_pass(db: Database, clock: Clock, runtime: PaymentsRuntime, *, limit: int = 200) -> int:
    """Ask PSPs about payments whose outcome is unknown or still pending and are due; send
    approved payouts that no PSP took yet; expire deposits that never became final; place
    created deposits that a crashed process never placed. Returns how many it looked at."""
    now = clock.now()
    with db.read_only() as session:
        due = list(
            session.scalars(
                select(Payment.id)
                .where(
                    or_(
                        Payment.status.in_([S.PENDING.value, S.AUTHORIZED.value]),
                        Payment.status == S.APPROVED.value,
                        (Payment.status == S.CREATED.value)
                        & (Payment.kind == PaymentKind.DEPOSIT.value),
                    ),
                    or_(Payment.check_at <= now, Payment.check_at.is_(None)),
                )
                .order_by(Payment.check_at)
                .limit(limit)
            )
        )
    looked = 0
    for payment_id in due:
        try:
            looked += _janitor_one(db, clock, runtime, payment_id)
        except Exception:  # one payment must not stop the others
            log.exception("payments.janitor_failed", payment=payment_id)
    return looked


def _janitor_one(db: Database, clock: Clock, runtime: PaymentsRuntime, payment_id: str) -> int:
    with db.read_only() as session:
        payment = session.get(Payment, payment_id)
        if payment is None:
            return 0
        session.expunge(payment)
    now = clock.now()
    config = runtime.config
    deposit = payment.kind == PaymentKind.DEPOSIT
    status = PaymentStatus(payment.status)
    if status is S.APPROVED and payment.psp is None:
        if payment.check_at is None or payment.check_at <= now:
            place_stored(db, clock, runtime, payment_id)
            return 1
        return 0
    if status is S.CREATED:
        # Created but never placed (a process stopped in between): once its deadline passed,
        # ask every PSP of its route whether it has it; none has: it failed.
        if payment.psp is not None or now < payment.deadline_at + timedelta(seconds=30):
            return 0
        for psp in runtime.candidates(
            payment.method, payment.currency, payment.country, payment.kind
        ):
            answer = runtime.clients[psp].find_payment(payment.id)
            if answer.ok and answer.body is not None:
                with db.unit_of_work() as session:
                    row = service.locked_payment(session, payment_id)
                    service.apply_psp_object(session, clock, row, psp, answer.body, "janitor")
                return 1
            if not answer.ok:
                return 1  # cannot tell yet; next pass
        with db.unit_of_work() as session:
            row = service.locked_payment(session, payment_id)
            service.mark(session, clock, row, S.FAILED, "never placed with a PSP", "janitor")
        return 1
    if payment.psp is None or payment.psp not in runtime.clients:
        return 0
    client = runtime.clients[payment.psp]
    answer = client.find_payment(payment.id) if deposit else client.find_payout(payment.id)
    with db.unit_of_work() as session:
        row = service.locked_payment(session, payment_id)
        service.record_attempt(
            session,
            clock,
            payment_id,
            payment.psp,
            "query",
            answer.outcome.value,
            answer.detail,
            answer.milliseconds,
        )
        row.checks += 1
        if answer.ok and answer.body is None:
            # The PSP never got our call (we asked after it could have finished it).
            service.mark(
                session, clock, row, S.FAILED, f"{payment.psp} has no record of it", "janitor"
            )
            return 1
        if answer.ok and answer.body is not None:
            service.apply_psp_object(session, clock, row, payment.psp, answer.body, "janitor")
        if PaymentStatus(row.status) in (S.PENDING, S.AUTHORIZED):
            expire_at = row.created_at + timedelta(hours=config.deposits.expire_after_hours)
            if deposit and now >= expire_at:
                service.mark(session, clock, row, S.EXPIRED, "not final in time", "janitor")
            else:
                service.schedule_check(
                    row,
                    clock,
                    config.janitor.first_check_seconds,
                    config.janitor.max_backoff_seconds,
                )
    return 1


def janitor_loop(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    *,
    every_seconds: float,
    stop: threading.Event,
) -> None:
    """Run the janitor every ``every_seconds`` until ``stop`` is set (a serving process)."""
    while not stop.wait(every_seconds):
        try:
            janitor_pass(db, clock, runtime)
        except Exception:
            log.exception("payments.janitor_loop_failed")


# -- reconciliation ---------------------------------------------------------------------------


def reconcile_psp(
    db: Database, clock: Clock, runtime: PaymentsRuntime, psp: str, day: date, *, actor: str
) -> reconcile.RunView:
    """Fetch ``psp``'s settlement report for ``day`` and compare it with the ledger."""
    client = runtime.client(psp)
    answer, text = client.settlement_report(day.isoformat())
    if not answer.ok:
        raise errors.ReportUnavailable(f"{psp}: {answer.detail}")
    with db.read_only() as session:
        currencies = tuple(
            sorted(set(session.scalars(select(Payment.currency).where(Payment.psp == psp))))
        )
    with db.unit_of_work() as session:
        return reconcile.reconcile(
            session,
            clock,
            psp=psp,
            day=day,
            currency_codes=currencies,
            report_text=text,
            actor=actor,
        )


def reconcile_loop(
    db: Database,
    clock: Clock,
    runtime: PaymentsRuntime,
    *,
    every_seconds: float,
    stop: threading.Event,
) -> None:
    """The daily job: reconcile yesterday for every PSP, every ``every_seconds``."""
    while not stop.wait(every_seconds):
        yesterday = (clock.now() - timedelta(days=1)).date()
        for psp in list(runtime.clients):
            try:
                run = reconcile_psp(db, clock, runtime, psp, yesterday, actor="system:reconcile")
                log.info(
                    "payments.reconciled",
                    psp=psp,
                    day=str(yesterday),
                    mismatches=len(run.mismatches),
                )
            except Exception:
                log.exception("payments.reconcile_failed", psp=psp)

"""PSP webhooks: checked first, deduplicated, and safe in any order.

``Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "{t}.{raw body}")>`` is checked over
the exact bytes received, before the body is parsed; a timestamp more than five minutes away
from now is refused (a replayed old delivery). Each event id is handled once (a unique row);
the state it reports is applied through the payment's state machine, so a late ``pending``
after ``captured`` or a third copy of ``captured`` changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.products.payments import errors, service
from croupier.products.payments.models import Payment, WebhookEvent

log = structlog.get_logger("croupier.payments.webhooks")

TOLERANCE_SECONDS = 300  # PROTOCOLS.md §3: five minutes


@dataclass(frozen=True, slots=True)
class WebhookResult:
    event_id: str
    outcome: str  # applied | duplicate | ignored


def verify_signature(secret: str, header: str | None, body: bytes, now: float) -> None:
    """Refuse (``payments.webhook_refused``) a missing or wrong signature or a stale time."""
    if not header:
        raise errors.WebhookRefused("The Signature header is missing.")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts.get("t", [""])[0])
    except ValueError:
        raise errors.WebhookRefused("The signature has no valid timestamp.") from None
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    if not any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
        raise errors.WebhookRefused("The signature does not match.")
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise errors.WebhookRefused("The signature's timestamp is more than 5 minutes away.")


def handle_event(session: Session, clock: Clock, psp: str, body: bytes) -> WebhookResult:
    """Apply a verified event: once per event id; through the state machine."""
    try:
        event: Any = json.loads(body)
        event_id = str(event["id"])[:100]
        kind = str(event["type"])[:40]
        data = event["data"]
        if not isinstance(data, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise errors.WebhookRefused("The event is not valid JSON of the PSP protocol.") from None
    reference = data.get("reference")
    payment = (
        session.scalar(select(Payment).where(Payment.id == reference).with_for_update())
        if isinstance(reference, str)
        else None
    )
    row = WebhookEvent(
        psp=psp,
        event_id=event_id,
        type=kind,
        payment_id=payment.id if payment else None,
        outcome="ignored",
        received_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return WebhookResult(event_id, "duplicate")
    if payment is None:
        log.warning("payments.webhook_unknown_payment", psp=psp, event=event_id)
        return WebhookResult(event_id, "ignored")
    changed = service.apply_psp_object(session, clock, payment, psp, data, f"webhook:{psp}")
    row.outcome = "applied" if changed else "ignored"
    session.flush()
    return WebhookResult(event_id, row.outcome)

"""KYC: verification levels, checks sent to the vendor, signed results, re-verification.

Levels are ``none`` < ``age_verified`` < ``fully_verified``; each jurisdiction says which it
needs before a deposit and before a withdrawal (UK: age verified before any deposit, LCCP SR
3.2.11). A player asks for a check with the documents they provide; croupier sends it to the
vendor (synchronously: if the vendor cannot take it, nothing is recorded and the player is
told to try again), and the vendor's result arrives later at ``POST /webhooks/kyc``, signed
with HMAC-SHA256 over the body. Results apply once (a repeated delivery changes nothing). An
approval raises the player's level and activates a player who was waiting for it; a rejection
opens a ``kyc`` case. A new check is called for when due diligence is triggered (the AML
threshold) or the player's personal data change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from croupier.core.players import PlayerStatus, activate_player, get_player
from croupier.core.players.events import PlayerPersonalDataChanged
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.events import DeliveredEvent, OutboxDispatcher
from croupier.kernel.ids import new_id
from croupier.kernel.jurisdictions import KycLevel, jurisdiction
from croupier.policy.compliance import errors
from croupier.policy.compliance.cases import CaseKind, open_case
from croupier.policy.compliance.models import KycCheck, KycStatus

ACTOR = "system:kyc"
DOCUMENTS = frozenset({"passport", "id_card", "driving_licence", "proof_of_address", "selfie"})
_ORDER = {KycLevel.NONE: 0, KycLevel.AGE_VERIFIED: 1, KycLevel.FULLY_VERIFIED: 2}


@dataclass(frozen=True, slots=True)
class KycVendor:
    url: str | None
    api_key: str
    webhook_secret: str
    callback_url: str

    @classmethod
    def of(cls, settings: Settings) -> KycVendor:
        return cls(
            url=settings.kyc_vendor_url,
            api_key=settings.kyc_vendor_api_key,
            webhook_secret=settings.kyc_webhook_secret,
            callback_url=f"{settings.public_base_url.rstrip('/')}/webhooks/kyc",
        )


@dataclass(frozen=True, slots=True)
class KycView:
    level: KycLevel
    verified_at: datetime | None
    reverification_reason: str | None
    checks: tuple[dict[str, Any], ...]


_LEVEL_OF = select(KycStatus.level, KycStatus.reverification_reason).where(
    KycStatus.player_id == bindparam("player_id")
)


def level_of(session: Session, player_id: str) -> tuple[KycLevel, str | None] | None:
    """The player's recorded level and any re-verification reason; None without a record.
    (A plain row read: deposit decisions ask on every deposit.)"""
    row = session.connection().execute(_LEVEL_OF, {"player_id": player_id}).one_or_none()
    return None if row is None else (KycLevel(row[0]), row[1])


def meets(level: KycLevel, needed: KycLevel) -> bool:
    return _ORDER[level] >= _ORDER[needed]


def kyc_of(session: Session, player_id: str) -> KycView:
    row = session.get(KycStatus, player_id)
    checks = session.scalars(
        select(KycCheck).where(KycCheck.player_id == player_id).order_by(KycCheck.requested_at)
    ).all()
    return KycView(
        level=KycLevel(row.level) if row else KycLevel.NONE,
        verified_at=row.verified_at if row else None,
        reverification_reason=row.reverification_reason if row else None,
        checks=tuple(
            {
                "id": c.id,
                "level": c.level,
                "documents": json.loads(c.documents),
                "status": c.status,
                "reason": c.reason,
                "requested_at": c.requested_at,
                "completed_at": c.completed_at,
            }
            for c in checks
        ),
    )


def request_verification(
    session: Session,
    clock: Clock,
    vendor: KycVendor,
    player_id: str,
    *,
    level: KycLevel,
    documents: list[str],
) -> str:
    """Send a check to the vendor; returns the check's id. Refused without changes when the
    level or a document is unknown, or the vendor cannot take it."""
    if level is KycLevel.NONE or not documents or not set(documents) <= DOCUMENTS:
        raise errors.InvalidKycRequest(
            f"Ask for age_verified or fully_verified with documents among {sorted(DOCUMENTS)}.",
        )
    player = get_player(session, player_id, brand_scope=None)
    check_id = new_id("kyc")
    # The vendor is asked before anything is written, so no database lock is held during the
    # call. Its result may arrive before this commits: the vendor retries a delivery that
    # finds no check (404), as real vendors do.
    if vendor.url is None:
        raise errors.KycVendorUnavailable("No KYC vendor is configured (CROUPIER_KYC_VENDOR_URL).")
    try:
        response = httpx.post(
            f"{vendor.url.rstrip('/')}/v1/checks",
            json={
                "reference": check_id,
                "level": level.value,
                "legal_name": player.legal_name,
                "date_of_birth": player.date_of_birth.isoformat(),
                "documents": sorted(set(documents)),
                "callback_url": vendor.callback_url,
            },
            headers={"X-Api-Key": vendor.api_key},
            timeout=5,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise errors.KycVendorUnavailable(
            f"The verification service did not take the check ({type(exc).__name__})."
        ) from None
    check = KycCheck(
        id=check_id,
        player_id=player_id,
        level=level.value,
        documents=json.dumps(sorted(set(documents))),
        status="pending",
        requested_at=clock.now(),
    )
    session.add(check)
    session.flush()
    record_event(
        session,
        clock,
        actor=f"player:{player_id}",
        action="kyc.check_requested",
        subject_type="player",
        subject_id=player_id,
        after={"check_id": check.id, "level": level.value, "documents": sorted(set(documents))},
    )
    return check.id


def verify_signature(secret: str, body: bytes, signature: str) -> None:
    """Refuse a webhook whose ``X-Signature`` is not the HMAC-SHA256 of its body."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(expected, signature):
        raise errors.InvalidWebhookSignature()


def apply_result(session: Session, clock: Clock, body: bytes) -> bool:
    """Apply a verified vendor result once; True if it changed anything."""
    try:
        result = json.loads(body)
        reference, outcome = str(result["reference"]), str(result["result"])
    except (ValueError, KeyError, TypeError):
        raise errors.InvalidKycRequest("The result is not a KYC vendor result.") from None
    check = session.get(KycCheck, reference)
    if check is None:
        raise errors.UnknownKycCheck(f"No check {reference!r}.", reference=reference)
    if check.status != "pending":
        return False  # a repeated delivery
    now = clock.now()
    check.completed_at = now
    check.reason = result.get("reason")
    if outcome != "approved":
        check.status = "rejected"
        open_case(
            session,
            clock,
            player_id=check.player_id,
            kind=CaseKind.KYC,
            title=f"Verification rejected: {check.reason or 'no reason given'}",
            details={"check_id": check.id, "level": check.level, "reason": check.reason},
            actor=ACTOR,
        )
        return True
    check.status = "approved"
    level = KycLevel(check.level)
    row = session.get(KycStatus, check.player_id)
    before = None if row is None else {"level": row.level, "reverify": row.reverification_reason}
    if row is None:
        row = KycStatus(player_id=check.player_id, level=KycLevel.NONE.value, updated_at=now)
        session.add(row)
    if meets(level, KycLevel(row.level)):
        row.level = level.value
    row.verified_at = now
    row.reverification_reason = None
    row.updated_at = now
    record_event(
        session,
        clock,
        actor=ACTOR,
        action="kyc.verified",
        subject_type="player",
        subject_id=check.player_id,
        before=before,
        after={"level": row.level, "check_id": check.id},
    )
    player = get_player(session, check.player_id, brand_scope=None)
    needed = jurisdiction(player.jurisdiction).kyc_before_deposit
    if player.status is PlayerStatus.PENDING_VERIFICATION and meets(KycLevel(row.level), needed):
        activate_player(session, clock, player.id, actor=ACTOR, reason=f"verified: {row.level}")
    session.flush()
    return True


def require_reverification(session: Session, clock: Clock, player_id: str, reason: str) -> None:
    """Call for a new check (due diligence triggered, personal data changed)."""
    row = session.get(KycStatus, player_id)
    if row is None or row.reverification_reason == reason:
        return
    row.reverification_reason = reason
    row.updated_at = clock.now()
    record_event(
        session,
        clock,
        actor=ACTOR,
        action="kyc.reverification_required",
        subject_type="player",
        subject_id=player_id,
        after={"reason": reason},
    )


def subscribe_reverification(dispatcher: OutboxDispatcher, clock: Clock) -> None:
    """A change of personal data calls for a new check."""

    def on_changed(session: Session, event: DeliveredEvent) -> None:
        fields = ", ".join(event.payload.get("fields", []))
        require_reverification(
            session, clock, event.payload["player_id"], f"personal data changed ({fields})"
        )

    dispatcher.subscribe(
        PlayerPersonalDataChanged.type, "compliance.kyc_reverification", on_changed
    )

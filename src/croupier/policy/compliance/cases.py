"""Compliance cases: what staff must look at, with a state, an assignee, notes and an export.

Sanctions hits open cases today; AML alerts and responsible-gaming markers will too. Every
change is an audit event naming the operator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.core.players import get_player
from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.errors import InvalidRequest
from croupier.kernel.ids import new_id
from croupier.policy.compliance import errors
from croupier.policy.compliance.models import CaseNote, ComplianceCase


class CaseKind(StrEnum):
    SANCTIONS = "sanctions"
    AML = "aml"
    RG = "rg"
    KYC = "kyc"
    PEP = "pep"  # a politically exposed person: enhanced due diligence


class CaseState(StrEnum):
    OPEN = "open"
    INVESTIGATING = "investigating"
    ESCALATED = "escalated"  # e.g. a suspicious activity report is being prepared
    CLOSED_NO_ACTION = "closed_no_action"
    CLOSED_REPORTED = "closed_reported"  # reported to the authority


_CLOSED = frozenset({CaseState.CLOSED_NO_ACTION, CaseState.CLOSED_REPORTED})
_TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.OPEN: frozenset({CaseState.INVESTIGATING, CaseState.ESCALATED, *_CLOSED}),
    CaseState.INVESTIGATING: frozenset({CaseState.ESCALATED, *_CLOSED}),
    CaseState.ESCALATED: frozenset({CaseState.INVESTIGATING, *_CLOSED}),
    CaseState.CLOSED_NO_ACTION: frozenset(),
    CaseState.CLOSED_REPORTED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class NoteView:
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CaseView:
    id: str
    player_id: str
    kind: CaseKind
    state: CaseState
    title: str
    details: dict[str, Any]
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    notes: tuple[NoteView, ...]


def _view(session: Session, row: ComplianceCase) -> CaseView:
    notes = session.scalars(
        select(CaseNote).where(CaseNote.case_id == row.id).order_by(CaseNote.seq)
    ).all()
    return CaseView(
        id=row.id,
        player_id=row.player_id,
        kind=CaseKind(row.kind),
        state=CaseState(row.state),
        title=row.title,
        details=json.loads(row.details),
        assignee=row.assignee,
        created_at=row.created_at,
        updated_at=row.updated_at,
        notes=tuple(NoteView(n.author, n.text, n.created_at) for n in notes),
    )


def open_case(
    session: Session,
    clock: Clock,
    *,
    player_id: str,
    kind: CaseKind,
    title: str,
    details: dict[str, Any],
    actor: str,
) -> CaseView:
    """Open a case about a player."""
    now = clock.now()
    row = ComplianceCase(
        id=new_id("cas"),
        player_id=player_id,
        kind=kind.value,
        state=CaseState.OPEN.value,
        # The column holds 200 characters; the details keep everything.
        title=title if len(title) <= 200 else title[:197] + "...",
        details=json.dumps(details, sort_keys=True, default=str),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="compliance.case_opened",
        subject_type="player",
        subject_id=player_id,
        after={"case_id": row.id, "kind": kind.value, "title": title},
    )
    return _view(session, row)


def open_cases_of(session: Session, player_id: str, kind: CaseKind) -> list[CaseView]:
    rows = session.scalars(
        select(ComplianceCase).where(
            ComplianceCase.player_id == player_id,
            ComplianceCase.kind == kind.value,
            ComplianceCase.state.not_in([s.value for s in _CLOSED]),
        )
    ).all()
    return [_view(session, r) for r in rows]


def _case(session: Session, case_id: str, brand_scope: str | None) -> ComplianceCase:
    row = session.get(ComplianceCase, case_id)
    if (
        row is not None
        and brand_scope is not None
        and get_player(session, row.player_id, brand_scope=None).brand_id != brand_scope
    ):
        row = None
    if row is None:
        raise errors.CaseNotFound(f"No case {case_id!r}.", case_id=case_id)
    return row


def get_case(session: Session, case_id: str, *, brand_scope: str | None) -> CaseView:
    return _view(session, _case(session, case_id, brand_scope))


def list_cases(
    session: Session,
    *,
    brand_scope: str | None,
    state: CaseState | None = None,
    kind: CaseKind | None = None,
    limit: int = 50,
) -> list[CaseView]:
    """Cases newest first, filtered by state and kind, within the caller's brand."""
    stmt = select(ComplianceCase)
    if state is not None:
        stmt = stmt.where(ComplianceCase.state == state.value)
    if kind is not None:
        stmt = stmt.where(ComplianceCase.kind == kind.value)
    rows = session.scalars(stmt.order_by(ComplianceCase.created_at.desc()).limit(limit)).all()
    views = [_view(session, r) for r in rows]
    if brand_scope is None:
        return views
    return [
        v
        for v in views
        if get_player(session, v.player_id, brand_scope=None).brand_id == brand_scope
    ]


def change_case(
    session: Session,
    clock: Clock,
    case_id: str,
    *,
    state: CaseState | None,
    assignee: str | None,
    note: str | None,
    actor: str,
    brand_scope: str | None,
) -> CaseView:
    """Move a case to another state, assign it, and/or add a note; each change audited."""
    if state is None and assignee is None and not note:
        raise InvalidRequest("Give a state, an assignee or a note.")
    row = _case(session, case_id, brand_scope)
    current = CaseState(row.state)
    before = {"state": row.state, "assignee": row.assignee}
    if state is not None and state is not current:
        if state not in _TRANSITIONS[current]:
            raise errors.InvalidCaseTransition(
                f"A case cannot go from {current.value} to {state.value}.",
                from_state=current.value,
                to_state=state.value,
            )
        if state in _CLOSED and not note:
            raise InvalidRequest("Closing a case needs a note saying why.")
        row.state = state.value
    if assignee is not None:
        row.assignee = assignee
    now = clock.now()
    if note:
        session.add(CaseNote(case_id=row.id, author=actor, text=note, created_at=now))
    row.updated_at = now
    session.flush()
    record_event(
        session,
        clock,
        actor=actor,
        action="compliance.case_changed",
        subject_type="player",
        subject_id=row.player_id,
        before=before | {"case_id": row.id},
        after={"case_id": row.id, "state": row.state, "assignee": row.assignee, "note": note},
    )
    return _view(session, row)


def export_case(
    session: Session, clock: Clock, case_id: str, *, actor: str, brand_scope: str | None
) -> dict[str, Any]:
    """The case and the player's identity as one document, the basis of a suspicious
    activity report; the export itself is audited."""
    case = get_case(session, case_id, brand_scope=brand_scope)
    player = get_player(session, case.player_id, brand_scope=None)
    record_event(
        session,
        clock,
        actor=actor,
        action="compliance.case_exported",
        subject_type="player",
        subject_id=player.id,
        after={"case_id": case.id},
    )
    return {
        "case": {
            "id": case.id,
            "kind": case.kind.value,
            "state": case.state.value,
            "title": case.title,
            "details": case.details,
            "opened_at": case.created_at.isoformat(),
            "notes": [
                {"author": n.author, "text": n.text, "at": n.created_at.isoformat()}
                for n in case.notes
            ],
        },
        "subject": {
            "player_id": player.id,
            "legal_name": player.legal_name,
            "date_of_birth": player.date_of_birth.isoformat(),
            "address": f"{player.address_line}, {player.postcode} {player.city}, {player.country}",
            "jurisdiction": player.jurisdiction,
            "email": player.email,
        },
        "exported_at": clock.now().isoformat(),
        "exported_by": actor,
    }

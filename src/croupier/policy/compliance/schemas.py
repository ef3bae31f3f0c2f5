"""API shapes of compliance cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from croupier.policy.compliance.cases import CaseKind, CaseState, CaseView


class NoteOut(BaseModel):
    author: str
    text: str
    created_at: datetime


class CaseOut(BaseModel):
    id: str
    player_id: str
    kind: CaseKind
    state: CaseState
    title: str
    details: dict[str, Any]
    assignee: str | None
    created_at: datetime
    updated_at: datetime
    notes: list[NoteOut]

    @classmethod
    def of(cls, c: CaseView) -> CaseOut:
        return cls(
            id=c.id,
            player_id=c.player_id,
            kind=c.kind,
            state=c.state,
            title=c.title,
            details=c.details,
            assignee=c.assignee,
            created_at=c.created_at,
            updated_at=c.updated_at,
            notes=[NoteOut(author=n.author, text=n.text, created_at=n.created_at) for n in c.notes],
        )


class CaseChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: CaseState | None = None
    assignee: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None

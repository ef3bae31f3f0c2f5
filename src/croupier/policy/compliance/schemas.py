"""API shapes of compliance cases."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from croupier.kernel.web import ViewModel
from croupier.policy.compliance.cases import CaseKind, CaseState


class NoteOut(ViewModel):
    author: str
    text: str
    created_at: datetime


class CaseOut(ViewModel):
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


class CaseChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: CaseState | None = None
    assignee: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] | None = None

"""API shapes of staff login and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from croupier.backoffice.operators.service import ApiTokenView, OperatorView


class OperatorLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=8)] = (
        Field(description="TOTP code: mandatory for staff")
    )


class OperatorOut(BaseModel):
    id: str
    email: str
    role: str
    brand_id: str | None
    permissions: list[str]

    @classmethod
    def of(cls, o: OperatorView) -> OperatorOut:
        return cls(
            id=o.id,
            email=o.email,
            role=o.role.value,
            brand_id=o.brand_id,
            permissions=list(o.permissions),
        )


class OperatorLoginOut(BaseModel):
    token: str = Field(description="Bearer token for /api/v1/backoffice/...")
    expires_at: datetime
    previous_login_at: datetime | None
    operator: OperatorOut


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime | None
    revoked: bool

    @classmethod
    def of(cls, t: ApiTokenView) -> ApiTokenOut:
        return cls(
            id=t.id,
            name=t.name,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
            revoked=t.revoked,
        )


class NewApiTokenOut(ApiTokenOut):
    token: str = Field(description="Shown once: store it now")

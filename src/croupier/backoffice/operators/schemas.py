"""API shapes of staff login and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from croupier.kernel.web import ViewModel


class OperatorLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=8)] = (
        Field(description="TOTP code: mandatory for staff")
    )


class OperatorOut(ViewModel):
    id: str
    email: str
    role: str
    brand_id: str | None
    permissions: list[str]


class OperatorLoginOut(BaseModel):
    token: str = Field(description="Bearer token for /api/v1/backoffice/...")
    expires_at: datetime
    previous_login_at: datetime | None
    operator: OperatorOut


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenOut(ViewModel):
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime | None
    revoked: bool


class NewApiTokenOut(ApiTokenOut):
    token: str = Field(description="Shown once: store it now")

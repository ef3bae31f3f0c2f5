"""FastAPI glue shared by every module's routes: sessions, clock, settings, problem responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.db import Database
from croupier.kernel.errors import PROBLEM_CONTENT_TYPE, DomainError, Forbidden, InvalidRequest


class Problem(BaseModel):
    """An RFC 9457 problem document. ``code`` is stable: match on it, not on ``title``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:croupier:problem:ledger.account_not_found"])
    title: str
    status: int
    detail: str
    code: str = Field(examples=["ledger.account_not_found"])
    instance: str | None = None


def problem_responses(
    *errors: type[DomainError], validated: bool = True
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` listing the problem documents an endpoint may answer with.

    Each is served as ``application/problem+json`` only; ``validated`` adds the 422 that any
    endpoint with parameters or a body answers when the request does not match its schema.
    The ``Problem`` schema itself is registered by :func:`install_problem_schema`.
    """
    by_status: dict[int, list[type[DomainError]]] = {}
    listed: tuple[type[DomainError], ...] = (*errors, InvalidRequest) if validated else errors
    for error in listed:
        by_status.setdefault(error.status, []).append(error)
    return {
        status: {
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
            "description": "; ".join(f"`{e.code}`: {e.title}" for e in errs),
        }
        for status, errs in sorted(by_status.items())
    }


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"


def install_problem_schema(app: FastAPI) -> None:
    """Add the ``Problem`` schema to the app's OpenAPI components, where every
    :func:`problem_responses` entry points."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()  # FastAPI caches it; the schema is added to the cached document once
        schemas = spec.setdefault("components", {}).setdefault("schemas", {})
        if "Problem" not in schemas:
            schemas["Problem"] = Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _unit_of_work(request: Request) -> Iterator[Session]:
    with _database(request).unit_of_work() as session:
        yield session


def _read_only(request: Request) -> Iterator[Session]:
    with _database(request).read_only() as session:
        yield session


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(_unit_of_work)]
ReadSession = Annotated[Session, Depends(_read_only)]
AppClock = Annotated[Clock, Depends(_clock)]
AppSettings = Annotated[Settings, Depends(_settings)]


class OperatorApiDisabled(Forbidden):
    code = "backoffice.authentication_unavailable"
    title = (
        "Operator endpoints need authentication, which this release enables only in dev and test"
    )


def unauthenticated_operator_access(settings: AppSettings) -> None:
    """Gate for operator endpoints until operator authentication exists (players issue).

    Outside ``dev`` and ``test`` they answer 403 so that nothing is exposed unauthenticated.
    """
    if not settings.clock_is_adjustable:
        raise OperatorApiDisabled()

"""Helpers for player tests: brands, registration bodies, logins, and what a refusal left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select

from croupier.core.players import (
    DuplicatePersonPolicy,
    activate_player,
    create_brand,
    get_player,
)
from croupier.core.players.models import Player, PlayerSession
from croupier.core.wallet.models import LedgerAccount
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.errors import PROBLEM_CONTENT_TYPE
from croupier.kernel.jurisdictions import JURISDICTIONS
from croupier.kernel.models import AuditRecord
from tests.http_fixtures import make_client

PASSWORD = "correct horse battery staple"
ALL_JURISDICTIONS = sorted(JURISDICTIONS)


def make_brand(
    db: Database,
    clock: Clock,
    code: str = "luckystar",
    policy: DuplicatePersonPolicy = DuplicatePersonPolicy.REFUSE,
    currencies: tuple[str, ...] = ("EUR", "GBP", "USD"),
) -> str:
    with db.unit_of_work() as s:
        return create_brand(
            s,
            clock,
            code=code,
            name=code.title(),
            currencies=currencies,
            jurisdictions=ALL_JURISDICTIONS,
            duplicate_person_policy=policy,
            actor="test",
        ).id


def registration(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "brand": "luckystar",
        "email": "ada@example.com",
        "password": PASSWORD,
        "legal_name": "Ada Lovelace",
        "date_of_birth": "1990-12-10",
        "address_line": "12 St Anne Street",
        "city": "Floriana",
        "postcode": "FRN 9010",
        "country": "MT",
        "currency": "EUR",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def register(client, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/auth/register", json=registration(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def login(client, email: str = "ada@example.com", password: str = PASSWORD, **extra: Any):
    return client.post(
        "/api/v1/auth/login",
        json={
            "brand": extra.pop("brand", "luckystar"),
            "email": email,
            "password": password,
            **extra,
        },
    )


def logged_in(client, **kwargs: Any) -> dict[str, str]:
    """Authorization headers of a fresh login."""
    response = login(client, **kwargs)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def footprint(db: Database) -> tuple[int, int, int, int]:
    """Players, ledger accounts, sessions, audit records: equal footprints mean nothing changed."""
    with db.read_only() as s:
        return tuple(  # type: ignore[return-value]
            s.scalar(select(func.count()).select_from(t))
            for t in (Player, LedgerAccount, PlayerSession, AuditRecord)
        )


def assert_problem(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert (body["status"], body["code"]) == (status, code), body
    assert "Traceback" not in response.text
    return body


@contextmanager
def verified_player(db: Database, clock: Clock) -> Iterator[tuple[Any, Any]]:
    """A verified Maltese player of a new brand, logged in: ``(client, player view)``."""
    make_brand(db, clock)
    with make_client(db, clock) as c:
        registered = register(c)
        with db.unit_of_work() as s:
            activate_player(s, clock, registered["id"], actor="test", reason="verified")
            view = get_player(s, registered["id"], brand_scope=None)
        c.headers.update(logged_in(c))
        yield c, view

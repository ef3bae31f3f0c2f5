"""Helpers for HTTP tests: the app on a test database and clock, and operator credentials."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from croupier.app.main import create_app
from croupier.backoffice.operators import create_operator
from croupier.backoffice.operators.models import OperatorCredential
from croupier.kernel.clock import Clock
from croupier.kernel.config import Settings
from croupier.kernel.credentials import new_token, password_hasher
from croupier.kernel.db import Database
from croupier.kernel.ids import new_id

# argon2id at its cheapest: the same code path, a fraction of the time.
FAST_HASHING: dict[str, Any] = {"password_hash_time_cost": 1, "password_hash_memory_kib": 8192}


def test_settings(db: Database, **overrides: Any) -> Settings:
    return Settings(**{"env": "test", "database_url": db.url, **FAST_HASHING, **overrides})


def fast_hasher() -> PasswordHasher:
    return password_hasher(time_cost=1, memory_kib=8192)


def make_client(
    db: Database, clock: Clock | None = None, *, token: str | None = None, **overrides: Any
) -> TestClient:
    raise_server_exceptions = overrides.pop("raise_server_exceptions", True)
    app = create_app(settings=test_settings(db, **overrides), database=db, clock=clock)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(app, headers=headers, raise_server_exceptions=raise_server_exceptions)


def operator_token(
    db: Database, clock: Clock, role: str = "finance", *, brand_id: str | None = None
) -> str:
    """A new operator of ``role`` and an API token of theirs (as if created over the API)."""
    with db.unit_of_work() as s:
        created = create_operator(
            s,
            clock,
            fast_hasher(),
            email=f"{new_id('op').lower()}@staff.croupier.test",
            role_name=role,
            brand_id=brand_id,
            actor="test",
        )
        token, digest = new_token("cot")
        now = clock.now()
        s.add(
            OperatorCredential(
                id=new_id("tok"),
                operator_id=created.operator.id,
                kind="api_token",
                name="test",
                token_hash=digest,
                created_at=now,
                last_used_at=now,
            )
        )
    return token


class ServedApp:
    """The app served by uvicorn on 127.0.0.1 (for simulators that call back over HTTP)."""

    def __init__(
        self, db: Database, clock: Clock | None = None, *, ws: str = "auto", **overrides: Any
    ) -> None:
        import socket
        import threading

        import uvicorn

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(
            settings=test_settings(db, public_base_url=self.url, **overrides),
            database=db,
            clock=clock,
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws=ws,  # type: ignore[arg-type]
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def __enter__(self) -> ServedApp:
        import time

        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the app did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

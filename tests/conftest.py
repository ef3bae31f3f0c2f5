"""Test fixtures: real SQLite files and a real PostgreSQL database.

``CROUPIER_TEST_POSTGRES_URL`` points the suite at a PostgreSQL server; each pytest worker gets
its own database on it, created at start and dropped at the end. Without the variable the
PostgreSQL half is skipped, unless ``CROUPIER_TEST_REQUIRE_SERVICES=1`` (as in ``.ci/run``),
which turns a missing or unreachable service into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from croupier.app.tables import metadata
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database, normalize_database_url
from croupier.kernel.models import ensure_reference_data
from croupier.policy.compliance.cache import PolicyCache

POSTGRES_URL = os.environ.get("CROUPIER_TEST_POSTGRES_URL")
REQUIRE_SERVICES = os.environ.get("CROUPIER_TEST_REQUIRE_SERVICES") == "1"

BACKENDS = ["sqlite", "postgresql"]


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """Admin URL of the PostgreSQL server under test."""
    if not POSTGRES_URL:
        if REQUIRE_SERVICES:
            pytest.fail("CROUPIER_TEST_POSTGRES_URL is not set but services are required")
        pytest.skip("CROUPIER_TEST_POSTGRES_URL is not set")
    return POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database for this pytest worker, with the schema created."""
    admin = sa.create_engine(
        normalize_database_url(postgres_server_url),
        isolation_level="AUTOCOMMIT",
        poolclass=sa.pool.NullPool,
    )
    name = f"croupier_test_{_worker_suffix()}_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {postgres_server_url} is unreachable: {exc}")
    url = sa.engine.make_url(normalize_database_url(postgres_server_url)).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    engine = sa.create_engine(url_text, poolclass=sa.pool.NullPool)
    metadata.create_all(engine)
    engine.dispose()
    yield url_text
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate_all(db: Database) -> None:
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def make_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'croupier.db'}")
        metadata.create_all(db.engine)
    else:
        url = request.getfixturevalue("postgres_database_url")
        db = Database(url, pool_size=20)
        _truncate_all(db)
    with db.unit_of_work() as session:
        ensure_reference_data(session)
    # The suite runs with the policy cache on, as production does: a change the cache missed
    # would show as a wrong decision in the tests of that change.
    PolicyCache(db).attach().wait_ready(10)
    return db


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A clean database with the full schema, on SQLite and on PostgreSQL."""
    database = make_database(request.param, request, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    database = make_database("sqlite", request, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def postgresql_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A clean PostgreSQL database, for tests of what only PostgreSQL does."""
    database = make_database("postgresql", request, tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))

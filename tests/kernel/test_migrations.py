"""Migrations build, on a fresh database, exactly the schema and reference data the code expects.

Each backend gets one database per module: created empty, upgraded with
``croupier.kernel.migrations.upgrade`` (what ``croupier db upgrade`` runs), inspected read-only
by the tests, and dropped at the end.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from croupier.app.tables import metadata
from croupier.kernel import migrations
from croupier.kernel.audit import GENESIS_HASH
from croupier.kernel.db import normalize_database_url, null_pool_engine
from croupier.kernel.models import AuditChainHead, ClockOffset, CurrencyRow
from croupier.kernel.money import CURRENCIES, Currency
from croupier.policy.compliance.models import policy_change_triggers

BACKENDS = ["sqlite", "postgresql"]


def _fresh_postgres_database(server_url: str) -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(
        normalize_database_url(server_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"croupier_migrations_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(normalize_database_url(server_url)).set(database=name)
    return name, admin, url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def fresh_database_url(request, tmp_path_factory) -> Iterator[str]:
    """An empty database of the backend under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'croupier.db'}"
        return
    name, admin, url = _fresh_postgres_database(request.getfixturevalue("postgres_server_url"))
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def migrated_url(fresh_database_url) -> str:
    """The same database after ``croupier db upgrade``."""
    assert migrations.current_revision(fresh_database_url) is None
    migrations.upgrade(fresh_database_url)
    return fresh_database_url


@pytest.fixture(scope="module")
def migrated_engine(migrated_url) -> Iterator[sa.Engine]:
    engine = null_pool_engine(migrated_url)
    yield engine
    engine.dispose()


pytestmark = pytest.mark.parametrize("fresh_database_url", BACKENDS, indirect=True, scope="module")


def test_a_fresh_database_is_upgraded_to_the_head_revision(migrated_url):
    head = migrations.head_revision(migrated_url)
    assert head is not None
    assert migrations.current_revision(migrated_url) == head


def test_the_migrated_schema_has_no_difference_from_the_models(migrated_engine):
    with migrated_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_the_migrated_schema_has_every_check_constraint_of_the_models(migrated_engine):
    # Autogenerate does not compare CHECK constraints; they carry ledger invariants.
    inspector = sa.inspect(migrated_engine)
    for table in metadata.sorted_tables:
        expected = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        actual = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert actual == expected, table.name


def test_the_seeded_currencies_are_exactly_the_money_table(migrated_engine):
    with Session(migrated_engine) as s:
        seeded = {
            row.code: Currency(
                code=row.code,
                name=row.name,
                ledger_scale=row.ledger_scale,
                minor_units=row.minor_units,
                is_crypto=row.is_crypto,
            )
            for row in s.execute(sa.select(CurrencyRow)).scalars()
        }
    assert seeded == CURRENCIES


def test_the_audit_chain_starts_at_genesis_and_the_clock_at_zero_offset(migrated_engine):
    with Session(migrated_engine) as s:
        head = s.get(AuditChainHead, 1)
        assert (head.last_seq, head.last_hash) == (0, GENESIS_HASH)
        assert s.get(ClockOffset, 1).offset_seconds == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditChainHead)) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(ClockOffset)) == 1


def test_upgrading_an_up_to_date_database_changes_nothing(migrated_url, migrated_engine):
    with Session(migrated_engine) as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(CurrencyRow))
    migrations.upgrade(migrated_url)
    assert migrations.current_revision(migrated_url) == migrations.head_revision(migrated_url)
    with Session(migrated_engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CurrencyRow)) == before


def test_a_pending_transfer_can_be_resolved_only_once_in_the_migrated_schema(migrated_engine):
    # Autogenerate compares the index's columns, not its WHERE clause: check it is partial.
    [index] = [
        i
        for i in sa.inspect(migrated_engine).get_indexes("ledger_transfers")
        if i["name"] == "uq_ledger_transfers_pending_resolution"
    ]
    assert index["column_names"] == ["pending_id"]
    assert index["unique"]
    where = index["dialect_options"].get(f"{migrated_engine.dialect.name}_where")
    assert "pending_id IS NOT NULL" in str(where)


def test_the_house_account_table_keeps_room_for_hot_updates(migrated_engine):
    options = sa.inspect(migrated_engine).get_table_options("ledger_accounts")
    if migrated_engine.dialect.name != "postgresql":
        assert options == {}  # SQLite has no storage parameters
        return
    assert options["postgresql_with"] == {
        "fillfactor": "50",
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_cost_delay": "0",
    }


def _triggers(engine: sa.Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            )
        else:
            rows = conn.exec_driver_sql(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'"
            )
        return {(r[0], r[1]) for r in rows}


def test_the_migrated_schema_has_the_policy_change_triggers_of_the_models(migrated_engine):
    # Autogenerate does not see triggers; the policy cache depends on them.
    expected = {
        (m["table"], m["name"])
        for ddl in policy_change_triggers(migrated_engine.dialect.name)
        if (m := re.search(r"TRIGGER (?:IF NOT EXISTS )?(?P<name>\w+) .* ON (?P<table>\w+)", ddl))
    }
    assert {table for table, _name in expected} >= {
        "players",
        "rg_exclusions",
        "rg_limits",
        "rg_reality_check_settings",
        "kyc_status",
    }
    assert _triggers(migrated_engine) == expected

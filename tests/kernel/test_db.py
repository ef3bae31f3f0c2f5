"""The database layer: SQLite durability settings, UTC timestamps, URLs and the unit of work."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from croupier.core.wallet.models import LedgerAccount
from croupier.kernel.db import (
    after_commit,
    create_database_engine,
    insert_rows,
    normalize_database_url,
)
from croupier.kernel.models import OutboxEvent


def _outbox_event(event_id: str, occurred_at: datetime) -> OutboxEvent:
    return OutboxEvent(
        id=event_id, type="test.something", payload="{}", occurred_at=occurred_at, attempts=0
    )


def _write_outbox_events(db, *events: OutboxEvent) -> None:
    with db.unit_of_work() as s:
        s.add_all(events)
        s.flush()


def _outbox_count(db) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent))


# -- SQLite settings ------------------------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["engine", "read_engine"])
def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync(sqlite_db, engine_name):
    engine = getattr(sqlite_db, engine_name)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_an_account_in_an_unknown_currency_is_refused_by_the_foreign_key(db, clock):
    with pytest.raises(IntegrityError), db.unit_of_work() as s:
        s.add(
            LedgerAccount(
                id="acc_1",
                kind="house",
                currency="XXX",
                name="house",
                debits_must_not_exceed_credits=False,
                created_at=clock.now(),
            )
        )
    with db.read_only() as s:
        assert s.scalar(select(func.count()).select_from(LedgerAccount)) == 0


def test_an_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="Unsupported database 'mysql'"):
        create_database_engine("mysql://localhost/croupier")


# -- timestamps -----------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_and_nothing_is_written(db):
    naive = datetime(2026, 11, 1, 12, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(StatementError) as exc_info:
        _write_outbox_events(db, _outbox_event("evt_naive", naive))
    assert isinstance(exc_info.value.orig, ValueError)
    assert "naive datetimes are refused" in str(exc_info.value.orig)
    assert _outbox_count(db) == 0


def test_an_aware_datetime_reads_back_as_the_same_instant_in_utc(db):
    malta_summer = timezone(timedelta(hours=2))
    written = datetime(2026, 7, 1, 14, 30, 15, 123_456, tzinfo=malta_summer)
    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_aware", written))
    with db.read_only() as s:
        read = s.execute(select(OutboxEvent.occurred_at)).scalar_one()
    assert read == written
    assert read == datetime(2026, 7, 1, 12, 30, 15, 123_456, tzinfo=UTC)
    assert read.tzinfo is UTC


def test_a_null_timestamp_stays_null(db, clock):
    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_pending", clock.now()))
    with db.read_only() as s:
        assert s.execute(select(OutboxEvent.delivered_at)).scalar_one() is None


# -- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("postgres://u:p@db:5432/croupier", "postgresql+psycopg://u:p@db:5432/croupier"),
        ("postgresql://u:p@db:5432/croupier", "postgresql+psycopg://u:p@db:5432/croupier"),
        ("postgresql://postgres@127.0.0.1/x", "postgresql+psycopg://postgres@127.0.0.1/x"),
        ("postgresql+psycopg://u@db/croupier", "postgresql+psycopg://u@db/croupier"),
        ("sqlite:///./var/croupier.db", "sqlite:///./var/croupier.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_urls_are_normalized_to_our_drivers(url, normalized):
    assert normalize_database_url(url) == normalized


# -- the unit of work -----------------------------------------------------------------------


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_unit_of_work_that_raises_rolls_back_everything(db, clock, failure):
    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_kept", clock.now()))

    def write_then_fail():
        with db.unit_of_work() as s:
            s.add(_outbox_event("evt_lost_1", clock.now()))
            s.flush()
            s.add(_outbox_event("evt_lost_2", clock.now()))
            s.flush()
            raise failure

    with pytest.raises(failure):
        write_then_fail()

    with db.read_only() as s:
        assert list(s.execute(select(OutboxEvent.id)).scalars()) == ["evt_kept"]


def test_after_commit_callbacks_run_only_once_the_commit_succeeded(db, clock):
    seen: list[int] = []

    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_1", clock.now()))
        after_commit(s, lambda: seen.append(_outbox_count(db)))
        after_commit(s, lambda: seen.append(-1))
        s.flush()
        assert seen == []

    # The first callback saw the committed row from another connection; order is kept.
    assert seen == [1, -1]


def test_after_commit_callbacks_never_run_when_the_unit_of_work_rolls_back(db, clock):
    seen: list[str] = []

    def write_then_fail():
        with db.unit_of_work() as s:
            s.add(_outbox_event("evt_1", clock.now()))
            after_commit(s, lambda: seen.append("sent"))
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert seen == []
    assert _outbox_count(db) == 0


def test_a_commit_that_fails_runs_no_after_commit_callback(db, clock):
    seen: list[str] = []
    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_dup", clock.now()))

    def write_duplicate():
        with db.unit_of_work() as s:
            s.add(_outbox_event("evt_dup", clock.now()))  # the unique event id fails at commit
            after_commit(s, lambda: seen.append("sent"))

    with pytest.raises(IntegrityError):
        write_duplicate()
    assert seen == []
    assert _outbox_count(db) == 1


def test_after_commit_hooks_run_for_every_committed_unit_of_work_only(db, clock):
    committed: list[bool] = []
    db.add_after_commit_hook(lambda _session: committed.append(True))

    with db.unit_of_work():
        pass
    with pytest.raises(RuntimeError), db.unit_of_work():
        raise RuntimeError("refused")
    with db.unit_of_work() as s:
        s.add(_outbox_event("evt_1", clock.now()))

    assert committed == [True, True]


def test_a_read_only_session_never_commits(db, clock):
    # SQLite rolls the write back; PostgreSQL refuses it outright (read-only connections).
    with contextlib.suppress(DBAPIError), db.read_only() as s:
        s.add(_outbox_event("evt_ghost", clock.now()))
        s.flush()
    assert _outbox_count(db) == 0


def test_objects_stay_readable_after_their_unit_of_work_commits(db, clock):
    with db.unit_of_work() as s:
        event = _outbox_event("evt_1", clock.now())
        s.add(event)
    assert isinstance(event.seq, int)
    assert event.occurred_at == clock.now()


def _read_backend_pid(database) -> int:
    with database.read_only() as s:
        return int(s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(postgres_server_url, pid: int) -> None:
    admin = create_database_engine(postgres_server_url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
        conn.commit()
    admin.dispose()


def test_an_idle_read_connection_cut_by_the_server_is_replaced_unseen(
    postgres_database_url, postgres_server_url, monkeypatch
):
    # Read connections are pinged at checkout only after sitting idle; a dead one is
    # replaced before the caller's statement runs.
    from croupier.kernel import db as db_module

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    database = db_module.Database(postgres_database_url, pool_size=1)
    try:
        first = _read_backend_pid(database)
        _terminate(postgres_server_url, first)
        assert _read_backend_pid(database) != first
    finally:
        database.dispose()


def test_an_idle_write_connection_cut_by_the_server_is_replaced_unseen(
    postgres_database_url, postgres_server_url, monkeypatch
):
    # Units of work too: the ping at checkout is only skipped for a connection back from
    # work moments ago (a busy committer thread's), not for one that sat idle.
    from croupier.kernel import db as db_module

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    database = db_module.Database(postgres_database_url, pool_size=1)

    def backend() -> int:
        with database.unit_of_work() as s:
            return int(s.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    try:
        first = backend()
        _terminate(postgres_server_url, first)
        assert backend() != first
    finally:
        database.dispose()


def test_a_read_connection_back_from_work_moments_ago_is_not_pinged(
    postgres_database_url, postgres_server_url
):
    # The price of skipping the ping: a connection cut within seconds of its last use fails
    # the one read that next takes it (as a ping that raced the cut would), and the pool
    # then replaces it.
    from croupier.kernel.db import Database

    database = Database(postgres_database_url, pool_size=1)
    try:
        first = _read_backend_pid(database)
        _terminate(postgres_server_url, first)
        with pytest.raises(DBAPIError) as failure:
            _read_backend_pid(database)
        assert failure.value.connection_invalidated
        assert _read_backend_pid(database) != first
    finally:
        database.dispose()


# -- insert_rows ----------------------------------------------------------------------------


def _outbox_rows(*ids: str, at: datetime) -> list[dict[str, object]]:
    return [
        {"id": i, "type": "test.rows", "payload": "{}", "occurred_at": at, "delivered_at": None,
         "attempts": n, "last_error": None if n % 2 else f"error {n}"}
        for n, i in enumerate(ids)
    ]  # fmt: skip


def test_insert_rows_writes_every_row_with_its_values(db):
    """One statement of arrays on PostgreSQL, an executemany on SQLite: the same rows read
    back, a null a null and an instant the same instant, for any number of rows."""
    at = datetime(2026, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    table = OutboxEvent.__table__
    with db.unit_of_work() as s:
        insert_rows(s.connection(), table, _outbox_rows("a", "b", "c", at=at))
        insert_rows(s.connection(), table, _outbox_rows("d", at=at))
        insert_rows(s.connection(), table, [])
    with db.read_only() as s:
        rows = s.execute(
            select(OutboxEvent.id, OutboxEvent.occurred_at, OutboxEvent.delivered_at,
                   OutboxEvent.attempts, OutboxEvent.last_error).order_by(OutboxEvent.id)
        ).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("a", at, None, 0, "error 0"), ("b", at, None, 1, None), ("c", at, None, 2, "error 2"),
        ("d", at, None, 0, "error 0"),
    ]  # fmt: skip


def test_insert_rows_refused_by_a_constraint_raises_and_writes_nothing(db):
    at = datetime(2026, 5, 1, tzinfo=UTC)
    _write_outbox_events(db, _outbox_event("taken", at))
    with pytest.raises(IntegrityError), db.unit_of_work() as s:
        insert_rows(s.connection(), OutboxEvent.__table__, _outbox_rows("new", "taken", at=at))
    assert _outbox_count(db) == 1

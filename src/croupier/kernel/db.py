"""Database engine, declarative base and the unit of work.

One unit of work per request or job: services ``flush()``, only :meth:`Database.unit_of_work`
commits, and work that must wait for the commit (event delivery) runs after it.

SQLite (embedded mode) runs in WAL mode with ``synchronous=FULL``; every transaction starts with
``BEGIN IMMEDIATE`` so that there is one writer at a time and a read-then-write never fails
half-way with "database is locked". PostgreSQL runs at READ COMMITTED; services that must see a
row unchanged lock it with ``SELECT ... FOR UPDATE`` in a fixed order.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import (
    Connection,
    DateTime,
    MetaData,
    String,
    Table,
    any_,
    bindparam,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CompoundSelect, Select
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The declarative base of every table of croupier."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


AfterCommit = Callable[[], None]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always reads back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass a timezone-aware UTC time")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:  # noqa: ARG002
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalize_database_url(url: str) -> str:
    """Pick our drivers: psycopg 3 for PostgreSQL, the standard library for SQLite."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below start transactions, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front; readers use a deferred snapshot (WAL lets
        # them read while a writer writes).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_database_engine(url: str, *, pool_size: int = 10, read_only: bool = False) -> Engine:
    """An engine configured for croupier on SQLite or PostgreSQL."""
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
        _configure_sqlite(engine, immediate=not read_only)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if read_only:
            # Reads: the server refuses any write on these connections, and they run in
            # autocommit (at READ COMMITTED each statement takes its own snapshot inside a
            # transaction too, so this only saves the BEGIN and ROLLBACK round trips).
            engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                isolation_level="AUTOCOMMIT",
                connect_args={
                    "application_name": "croupier-read",
                    "options": "-c default_transaction_read_only=on",
                },
            )
            _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
            return engine
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"application_name": "croupier"},
        )
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
        return engine
    raise ValueError(
        f"Unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql."
    )


# A connection back from work less than this long ago is not pinged before its next use.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection at checkout only when it has been idle ``idle_seconds``.

    ``pool_pre_ping`` pings on every checkout: a round trip before each unit of work (a
    batch of wallet calls, a policy decision). A
    connection returned moments ago was alive then; one that sat idle may have been cut by a
    server restart or a proxy. A failed ping raises ``DisconnectionError``, and the pool
    replaces the connection and tries again (up to three times) before the caller sees it.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is not None and time.monotonic() - returned_at < idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            # Outside autocommit the ping opened a transaction: end it, so that the caller
            # finds the connection idle (it may set its isolation level, say).
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc


class Database:
    """An engine, its session factory and the unit of work."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalize_database_url(url)
        self.engine = create_database_engine(self.url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        # Copied into every session's ``info`` (a process-wide cache a module reads through
        # the session it is given, say); entries added later reach sessions made after.
        self.session_info: dict[str, Any] = {}
        self._sessions = sessionmaker(
            self.engine, expire_on_commit=False, autoflush=False, info=self.session_info
        )
        # Reads have their own pool: deferred transactions on SQLite; read-only autocommit
        # connections on PostgreSQL.
        self.read_engine = create_database_engine(self.url, pool_size=pool_size, read_only=True)
        self._read_sessions = sessionmaker(
            self.read_engine, autoflush=False, info=self.session_info
        )
        self._after_commit_hooks: list[Callable[[Session], None]] = []
        self._dispose_hooks: list[Callable[[], None]] = []

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def add_after_commit_hook(self, hook: Callable[[Session], None]) -> None:
        """Run ``hook(session)`` after every unit of work that committed (e.g. outbox delivery)."""
        self._after_commit_hooks.append(hook)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session whose work commits when the block ends, or rolls back if it raises.

        Callbacks registered with :func:`after_commit` run once the commit has succeeded.
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
        for callback in callbacks:
            callback()
        for hook in self._after_commit_hooks:
            hook(session)

    @contextmanager
    def read_only(self) -> Iterator[Session]:
        """A session for reads; it never commits."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read-only session that sees one consistent snapshot of the whole database for
        all its statements (REPEATABLE READ on PostgreSQL; SQLite's read transaction is one
        snapshot already): for checks that compare tables while writers go on."""
        if self.dialect != "postgresql":
            with self.read_only() as session:
                yield session
            return
        connection = self.engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
        session = Session(bind=connection, autoflush=False)
        try:
            yield session
        finally:
            session.rollback()
            session.close()
            connection.close()

    def on_dispose(self, hook: Callable[[], None]) -> None:
        """Run ``hook()`` when the database is disposed (to stop a thread that uses it)."""
        self._dispose_hooks.append(hook)

    def dispose(self) -> None:
        for hook in self._dispose_hooks:
            hook()
        self._dispose_hooks.clear()
        self.engine.dispose()
        self.read_engine.dispose()


def after_commit(session: Session, callback: AfterCommit) -> None:
    """Run ``callback`` after ``session``'s unit of work commits; never if it rolls back."""
    session.info.setdefault("after_commit", []).append(callback)


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """On PostgreSQL with the sync driver, the driver's pipeline: the writes made inside it
    are only queued, none waits for its answer until the block ends, where every one is
    checked (an error raises there, as SQLAlchemy's ``DBAPIError`` of its kind, and the unit
    of work rolls back; the statement the error names may be another of the block's). A read
    inside it waits for what was queued before it. Elsewhere (SQLite), nothing: each
    statement runs in turn."""
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        yield
        return
    try:
        with driver.pipeline():
            yield
    except psycopg.Error as exc:  # raised by the pipeline's own check at its end
        raise DBAPIError.instance(None, None, exc, psycopg.Error) from exc


def one_of(
    conn: Connection,
    column: ColumnElement[str] | InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    values: Iterable[str],
    *,
    name: str,
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(:name)`` with the values as one
    array: the statement's text is then the same for any number of values, so the server
    plans it once per connection rather than once per call (``name`` must be unique within
    the statement)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(name, sorted(values), type_=postgresql.ARRAY(String)))
    return column.in_(sorted(values))


_COMPILED: dict[Any, tuple[Compiled, str]] = {}
_TEXT_PARAMETER = re.compile(r"%\((\w+)\)s")
# A SELECT of any columns, or a UNION of them.
AnySelect = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


def read_together(conn: Connection, statements: Sequence[AnySelect]) -> list[list[Any]]:
    """The rows of several reads, as named tuples in each select's column order (each
    value by position or by the column's name or label). On PostgreSQL
    with the sync driver they are sent in one pipeline, one round trip for all (each costs
    a wake-up of the server and of this thread: milliseconds on a busy machine); elsewhere
    one after another. The statements must not use expanding ``IN`` parameters on
    PostgreSQL (:func:`one_of` does not), and their results are the driver's values: no
    SQLAlchemy type processing is applied. The first statement of a transaction sent this
    way carries its ``BEGIN`` along (one round trip less)."""
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        return [list(conn.execute(statement)) for statement in statements]
    cursors = []
    with driver.pipeline():
        for statement in statements:
            key = statement._generate_cache_key()
            found = _COMPILED.get(key.key) if key is not None else None
            if found is None:
                # Made for its cache key: a later statement of the same shape (a key of
                # equal ``key.key``) passes its own values through it.
                made = statement.compile(dialect=conn.dialect, cache_key=key)
                # Parameters in the binary format: the text format quotes every element of
                # an array parameter (the ids of a batch) in Python.
                found = (made, _TEXT_PARAMETER.sub(r"%(\1)b", made.string))
                if key is not None:
                    if len(_COMPILED) > 500:
                        _COMPILED.clear()
                    _COMPILED[key.key] = found
            compiled, sql = found
            params = compiled.construct_params(
                extracted_parameters=key.bindparams if key is not None else None,
                escape_names=False,
            )
            cursor = driver.cursor(row_factory=namedtuple_row)
            cursor.execute(sql, params)
            cursors.append(cursor)
    return [cursor.fetchall() for cursor in cursors]


_ARRAY_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings with the same keys, columns of ``table``), nothing read
    back. On PostgreSQL with the sync driver one statement whose values go as one binary
    array per column (``INSERT … SELECT * FROM unnest(…)``): its text is the same for any
    number of rows, so the server plans it once per connection, and the driver sends one
    message where an executemany sends one per row (inside a pipeline, each costs this
    thread work). The values are the driver's: no SQLAlchemy type processing is applied.
    Elsewhere (SQLite) an executemany."""
    if not rows:
        return
    if not isinstance(conn.connection.driver_connection, psycopg.Connection):
        conn.execute(insert(table), list(rows))
        return
    names = tuple(rows[0])
    key = (table.name, names)
    sql = _ARRAY_INSERTS.get(key)
    if sql is None:
        quote = conn.dialect.identifier_preparer.quote
        casts = ", ".join(f"%b::{table.c[n].type.compile(dialect=conn.dialect)}[]" for n in names)
        columns = ", ".join(quote(n) for n in names)
        sql = _ARRAY_INSERTS[key] = (
            f"INSERT INTO {quote(table.name)} ({columns}) SELECT * FROM unnest({casts})"
        )
    run_on_driver(conn, sql, [[row[n] for row in rows] for n in names])


def run_on_driver(conn: Connection, sql: str, params: Sequence[Any]) -> bool:
    """Run ``sql`` (psycopg placeholders; ``%b`` for arrays) straight through the driver,
    nothing read back, and answer True; False, running nothing, where the connection is not
    PostgreSQL's sync driver (the caller then runs its portable form). Inside a pipeline the
    statement is only queued. An error raised here (outside a pipeline) is SQLAlchemy's
    ``DBAPIError`` of its kind, as ``conn.execute`` would raise."""
    driver = conn.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        return False
    try:
        with driver.cursor() as cursor:
            cursor.execute(sql, params)
    except psycopg.Error as exc:
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc
    return True


def null_pool_engine(url: str) -> Engine:
    """A pool-less engine for one-shot administrative work (migrations, CLI checks)."""
    return create_engine(normalize_database_url(url), poolclass=NullPool)

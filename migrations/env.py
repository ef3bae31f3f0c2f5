"""Alembic environment. Migrations run with lock and statement timeouts on PostgreSQL so that
a migration waiting on a busy table fails fast instead of queueing every request behind it."""

from __future__ import annotations

from alembic import context

from croupier.app.tables import metadata
from croupier.kernel.db import create_database_engine

config = context.config


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_database_engine(url, pool_size=1)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET lock_timeout = '5s'")
            connection.exec_driver_sql("SET statement_timeout = '10min'")
            # The SETs autobegan a transaction; end it, or alembic would take it for the
            # caller's and never commit the migrations. Session settings outlive the commit.
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

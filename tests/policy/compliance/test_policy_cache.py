"""The policy cache: decisions read no database for a cached player, and every change to a
player's policy rows, whoever writes it, reaches the cache before a decision can use the
old rows (SQLite), or as soon as its notification arrives (PostgreSQL, another process)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.jurisdictions import LimitKind, LimitPeriod, Product
from croupier.policy.compliance import cache as cache_module
from croupier.policy.compliance import may_bet, may_deposit
from croupier.policy.compliance.cache import POLICY_CACHE, PolicyCache
from croupier.policy.compliance.models import POLICY_CHANGES_KEPT
from croupier.policy.rg.service import self_exclude, set_limit
from tests.policy.policy_fixtures import UNIT, move, player_in


def _cache(db: Database) -> PolicyCache:
    cache = db.session_info[POLICY_CACHE]
    assert isinstance(cache, PolicyCache)
    assert cache.active
    return cache


def _bet(db: Database, clock: Clock, player_id: str) -> str:
    with db.read_only() as s:
        return may_bet(s, clock, player_id, Product.SLOTS, UNIT).code or "allowed"


def _until(condition, seconds: float = 5.0) -> float:
    """Wait for ``condition()``; the seconds it took."""
    started = time.perf_counter()
    while not condition():
        assert time.perf_counter() - started < seconds, "the condition never held"
        time.sleep(0.001)
    return time.perf_counter() - started


def _outside(db: Database, sql: str, **params: object) -> None:
    """A write by another process: plain SQL on a connection of its own, no ORM session."""
    engine = sa.create_engine(db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)
    engine.dispose()


def _drain(db: Database, cache: PolicyCache) -> None:
    """PostgreSQL: wait until the cache has heard every change committed so far (one
    listening connection gets notifications in commit order: a marker sent now comes last)."""
    if not db.is_postgresql:
        return
    marker = f"ply_marker_{time.monotonic_ns()}"
    _outside(db, "SELECT pg_notify('croupier_policy', :m)", m=marker)
    _until(lambda: cache.last_heard == marker)


def test_a_cached_player_is_decided_without_a_statement(db, clock):
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    _drain(db, cache)  # the registration's own notifications
    statements: list[str] = []
    sa.event.listen(db.read_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    assert _bet(db, clock, player.id) == "allowed"
    read_on_miss = len(statements)
    assert _bet(db, clock, player.id) == "allowed"
    with db.read_only() as s:
        assert may_deposit(s, clock, player.id, 10 * UNIT).allowed

    assert read_on_miss >= 1
    assert len(statements) == read_on_miss  # the second bet and the deposit read nothing
    assert (cache.misses, cache.hits) == (1, 2)


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("UPDATE players SET status = 'suspended' WHERE id = :p", "compliance.account_not_active"),
        (
            "INSERT INTO rg_exclusions (id, player_id, kind, starts_at, ends_at) "
            "VALUES ('exc_outside', :p, 'timeout', :now, :later)",
            "rg.timed_out",
        ),
        (
            "INSERT INTO rg_limits (id, player_id, kind, period, amount, anchor_at, updated_at,"
            " set_by) VALUES ('lim_outside', :p, 'wager', '24h', 1, :now, :now, 'player')",
            "rg.wager_limit_exceeded",
        ),
    ],
    ids=["suspended", "timed-out", "wager-limit"],
)
def test_a_change_written_outside_this_process_reaches_the_cache(db, clock, sql, code):
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    assert _bet(db, clock, player.id) == "allowed"  # now cached

    now = clock.now()
    _outside(db, sql, p=player.id, now=now, later=now + timedelta(days=1))

    if db.is_postgresql:  # evicted when the notification arrives
        _until(lambda: player.id not in cache._entries)
    assert _bet(db, clock, player.id) == code


class _DeafCache(PolicyCache):
    """A cache that hears of no change from the database (no LISTEN, no log): only this
    process's own commits can evict from it."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _listen(self) -> None:
        with self._lock:
            self._set_active(True)
        self._stop.wait()


@pytest.fixture
def deaf(db):
    db.session_info.pop(POLICY_CACHE).close()
    cache = _DeafCache(db).attach()
    assert cache.wait_ready(5)
    return cache


def test_a_commit_of_this_process_evicts_its_players_before_it_returns(db, clock, deaf):
    player = player_in(db, clock, "MT")
    assert _bet(db, clock, player.id) == "allowed"
    assert player.id in deaf._entries

    with db.unit_of_work() as s:
        self_exclude(s, clock, player.id, months=6, actor="player")

    assert player.id not in deaf._entries
    assert _bet(db, clock, player.id) == "rg.self_excluded"


def test_a_decision_in_the_transaction_that_changed_the_player_sees_the_change(db, clock):
    player = player_in(db, clock, "MT")
    move(db, clock, player, "deposit", 50 * UNIT)
    assert _bet(db, clock, player.id) == "allowed"

    with db.unit_of_work() as s:
        set_limit(s, clock, player.id, LimitKind.WAGER, LimitPeriod.DAY, UNIT // 2, actor="p")
        assert may_bet(s, clock, player.id, Product.SLOTS, UNIT).code == "rg.wager_limit_exceeded"
        s.rollback()

    assert _bet(db, clock, player.id) == "allowed"  # the limit was never committed


def test_a_read_that_raced_a_change_is_used_once_and_not_kept(db, clock, monkeypatch):
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    real_load = cache_module.load_entry

    def load_while_something_changes(session, player_id):
        entry = real_load(session, player_id)
        cache.evict(["ply_someone_else"])  # a change committed while this read ran
        return entry

    monkeypatch.setattr(cache_module, "load_entry", load_while_something_changes)
    assert _bet(db, clock, player.id) == "allowed"
    assert player.id not in cache._entries


def test_sqlite_a_read_from_a_snapshot_older_than_a_change_is_not_kept(sqlite_db, clock):
    db = sqlite_db
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    with db.read_only() as s:
        s.connection().exec_driver_sql("SELECT 1 FROM players").all()  # the snapshot starts
        _outside(db, "UPDATE players SET status = 'suspended' WHERE id = :p", p=player.id)
        # The cache sees the change in its log; this session still reads its older snapshot:
        # right for this session's decision, stale for any later one.
        assert may_bet(s, clock, player.id, Product.SLOTS, UNIT).allowed
    assert player.id not in cache._entries
    assert _bet(db, clock, player.id) == "compliance.account_not_active"


def test_the_cache_keeps_the_players_used_most_recently(db, clock):
    db.session_info.pop(POLICY_CACHE).close()
    cache = PolicyCache(db, max_players=2).attach()
    assert cache.wait_ready(5)
    first, second, third = (player_in(db, clock, "MT") for _ in range(3))
    _drain(db, cache)
    for player in (first, second, first, third):
        _bet(db, clock, player.id)
    assert list(cache._entries) == [first.id, third.id]


def test_sqlite_a_cache_further_behind_than_the_change_log_starts_afresh(sqlite_db, clock):
    db = sqlite_db
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    _bet(db, clock, player.id)
    assert len(cache) == 1
    _outside(db, "INSERT INTO policy_changes (player_id) VALUES ('ply_other')")
    cache._last_seq -= POLICY_CHANGES_KEPT + 1  # as if the log had been pruned past it

    with db.read_only() as s:
        cache._catch_up()
        assert len(cache) == 0
        assert may_bet(s, clock, player.id, Product.SLOTS, UNIT).allowed
    assert len(cache) == 1


def test_sqlite_keeps_only_the_last_changes_in_its_log(sqlite_db, clock):
    player = player_in(sqlite_db, clock, "MT")
    engine = sa.create_engine(sqlite_db.url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for _ in range(POLICY_CHANGES_KEPT + 50):
            conn.execute(
                sa.text("INSERT INTO policy_changes (player_id) VALUES (:p)"), {"p": player.id}
            )
        count, low, high = conn.execute(
            sa.text("SELECT count(*), min(seq), max(seq) FROM policy_changes")
        ).one()
    engine.dispose()
    assert count == POLICY_CHANGES_KEPT
    assert high - low == POLICY_CHANGES_KEPT - 1


def test_postgresql_a_lost_listen_connection_empties_and_bypasses_the_cache(postgresql_db, clock):
    db = postgresql_db
    player = player_in(db, clock, "MT")
    cache = _cache(db)
    _drain(db, cache)
    assert _bet(db, clock, player.id) == "allowed"
    assert len(cache) == 1

    with db.engine.begin() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name ="
            " 'croupier-policy-cache' AND datname = current_database()"
        )
    _until(lambda: not cache.active)
    assert len(cache) == 0
    # While it is not listening, every decision reads the database and nothing is kept.
    _outside(db, "UPDATE players SET status = 'suspended' WHERE id = :p", p=player.id)
    assert _bet(db, clock, player.id) == "compliance.account_not_active"
    assert len(cache) == 0

    assert cache.wait_ready(10)  # listening again
    assert _bet(db, clock, player.id) == "compliance.account_not_active"
    assert len(cache) == 1

"""A process's cache of players' policy rows, so the decision before a bet reads no database.

``may_bet`` and ``may_deposit`` run before every bet and deposit. What they read of a player
(the player row, open time-outs and self-exclusions, limits, the reality-check setting, the
KYC level) changes rarely; what changes with every bet (the usage of a limit) is still read
from the ledger. :class:`PolicyCache` keeps those rows per player, and keeps them current:

- **Every change is reported by the database itself.** Triggers on the five tables
  (``compliance.models.policy_change_triggers``) notify the ``croupier_policy`` channel on
  PostgreSQL and append to the ``policy_changes`` log on SQLite, whoever wrote: this process,
  another serving process, a CLI command or an operator's SQL.
- **PostgreSQL:** a thread ``LISTEN``s and evicts each player named. Until it listens, and
  whenever its connection is lost, the cache is emptied and bypassed (every decision reads
  the database) until it listens again: a change is never missed, only a cache lost.
- **SQLite:** every lookup first reads the log's last sequence number (a read of one
  in-memory page on a connection of the cache's own) and evicts the players changed since.
- **This process's own commits** evict their players as the commit returns, before any other
  decision can read the cache (a session's flushes name the players whose rows changed).
- **A read that raced a change is not kept:** a generation counter moves on every eviction,
  and a row read before it moved is used once but not stored. On SQLite a read whose
  transaction began before a change the cache has seen (its snapshot is older) is not kept
  either.
- **Within a transaction that changed a player's rows**, decisions for that player read the
  database, so they see the uncommitted change as before.

So on SQLite a decision always sees every committed change; on PostgreSQL, a change
committed by *another process* is seen once its notification arrives (well under a
millisecond on one host; the operations guide has the figure). Bounded by ``max_players``,
least recently used out first.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from croupier.core.players.models import Player
from croupier.kernel.db import Database
from croupier.kernel.jurisdictions import KycLevel
from croupier.policy.compliance import kyc
from croupier.policy.compliance.models import POLICY_CHANGES_KEPT, POLICY_CHANNEL, KycStatus
from croupier.policy.rg import service as rg
from croupier.policy.rg.models import RgExclusion, RgLimit, RgRealityCheckSetting

log = structlog.get_logger(__name__)

# The key of the cache in ``Session.info`` (``Database.session_info``).
POLICY_CACHE = "croupier.policy_cache"
# The players whose policy rows a session flushed and has not committed yet.
_CHANGED = "croupier.policy_changed"
_WATCHED = (Player, RgExclusion, RgLimit, RgRealityCheckSetting, KycStatus)
_LIVE: weakref.WeakSet[PolicyCache] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    """What decisions read of one player, as stored."""

    rows: rg.PolicyRows
    kyc: tuple[KycLevel, str | None] | None  # level and re-verification reason; None: no record


def load_entry(session: Session, player_id: str) -> PolicyEntry:
    """Read a player's entry from the database (two statements)."""
    return PolicyEntry(rg.read_policy_rows(session, player_id), kyc.level_of(session, player_id))


def cache_of(session: Session) -> PolicyCache | None:
    cache = session.info.get(POLICY_CACHE)
    return cache if isinstance(cache, PolicyCache) else None


class PolicyCache:
    """Players' policy rows kept in process; see the module's docstring for how they stay
    current. ``attach`` makes every session of ``database`` use it; ``close`` detaches."""

    def __init__(self, database: Database, *, max_players: int = 100_000) -> None:
        if max_players < 1:
            raise ValueError("max_players must be at least 1")
        self._database = database
        self._max = max_players
        self._entries: OrderedDict[str, PolicyEntry] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._active = False
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._log: sqlite3.Connection | None = None
        self._last_seq = 0
        self.last_heard: str | None = None  # PostgreSQL: the last player id notified
        self.hits = 0
        self.misses = 0
        url = make_url(database.url)
        if database.is_postgresql:
            self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._thread = threading.Thread(
                target=self._listen, name="policy-cache-listen", daemon=True
            )
            self._thread.start()
        elif url.database and url.database != ":memory:":
            self._log = sqlite3.connect(
                url.database, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._last_seq = self._log_head()
            self._set_active(True)
        # An in-memory SQLite database has no second connection to watch it from: the cache
        # stays inactive and every decision reads the database.

    # -- attachment ---------------------------------------------------------------------

    def attach(self) -> PolicyCache:
        self._database.session_info[POLICY_CACHE] = self
        self._database.on_dispose(self.close)
        _LIVE.add(self)
        return self

    def close(self) -> None:
        """Detach and stop listening (idempotent)."""
        if self._database.session_info.get(POLICY_CACHE) is self:
            del self._database.session_info[POLICY_CACHE]
        _LIVE.discard(self)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self._set_active(False)
            if self._log is not None:
                self._log.close()
                self._log = None

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the cache is in use (PostgreSQL: listening); False if it is not."""
        return self._ready.wait(timeout)

    @property
    def active(self) -> bool:
        return self._active

    def __len__(self) -> int:
        return len(self._entries)

    # -- lookups ------------------------------------------------------------------------

    def entry(self, session: Session, player_id: str) -> PolicyEntry:
        """The player's entry: from the cache when it is current, else read and kept."""
        if self._log is not None:
            self._catch_up()
        changed = session.info.get(_CHANGED)
        if not self._active or (changed is not None and player_id in changed):
            return load_entry(session, player_id)
        found = self._entries.get(player_id)
        if found is not None:
            self.hits += 1
            # Evicted by another thread just now? The read stays valid for this decision.
            with contextlib.suppress(KeyError):
                self._entries.move_to_end(player_id)
            return found
        self.misses += 1
        generation, seen = self._generation, self._last_seq
        loaded = load_entry(session, player_id)
        if self._log is not None and _log_head_in(session) < seen:
            # SQLite: the session reads a snapshot older than changes the cache has already
            # evicted for (its read transaction began before them): right for this decision,
            # stale for the next.
            return loaded
        with self._lock:
            if self._active and generation == self._generation:
                self._entries[player_id] = loaded
                if len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return loaded

    # -- invalidation -------------------------------------------------------------------

    def evict(self, player_ids: Iterable[str]) -> None:
        with self._lock:
            self._generation += 1
            for player_id in player_ids:
                self._entries.pop(player_id, None)

    def _set_active(self, active: bool) -> None:
        """Empty the cache and turn it on or off (call with the lock held or alone)."""
        self._generation += 1
        self._entries.clear()
        self._active = active
        if active:
            self._ready.set()
        else:
            self._ready.clear()

    def _log_head(self) -> int:
        assert self._log is not None
        row = self._log.execute(_LOG_HEAD).fetchone()
        return int(row[0] or 0)

    def _catch_up(self) -> None:
        """SQLite: evict the players changed since the last lookup, by the trigger log."""
        with self._lock:
            if self._log is None:
                return
            head = self._log_head()
            if head == self._last_seq:
                return
            if head < self._last_seq or self._last_seq < head - POLICY_CHANGES_KEPT:
                # The log was pruned past what this cache saw (or rewound): start afresh.
                self._set_active(True)
            else:
                self._generation += 1
                for (player_id,) in self._log.execute(
                    "SELECT player_id FROM policy_changes WHERE seq > ? AND seq <= ?",
                    (self._last_seq, head),
                ):
                    self._entries.pop(player_id, None)
            self._last_seq = head

    def _listen(self) -> None:
        """PostgreSQL: evict each player the ``croupier_policy`` channel names."""
        import psycopg

        backoff = 0.1
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._dsn, autocommit=True, application_name="croupier-policy-cache"
                ) as conn:
                    conn.execute(f"LISTEN {POLICY_CHANNEL}")
                    with self._lock:
                        self._set_active(True)
                    log.info("policy_cache.listening")
                    backoff = 0.1
                    while not self._stop.is_set():
                        # Each as it arrives: the generator ends only after a quiet 0.5 s.
                        for note in conn.notifies(timeout=0.5):
                            self.evict((note.payload,))
                            self.last_heard = note.payload
            except Exception as exc:
                log.warning("policy_cache.listen_lost", error=type(exc).__name__)
            with self._lock:
                self._set_active(False)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, 5.0)


def _log_head_in(session: Session) -> int:
    """The change log's last number as the session's own snapshot sees it."""
    return int(session.connection().exec_driver_sql(_LOG_HEAD).scalar() or 0)


_LOG_HEAD = "SELECT max(seq) FROM policy_changes"


# -- this process's own commits -----------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _note_changed_players(session: Session, _context: Any) -> None:
    if not _LIVE:
        return
    changed: set[str] | None = None
    for objects in (session.new, session.dirty, session.deleted):
        for obj in objects:
            if isinstance(obj, _WATCHED):
                player_id = obj.id if isinstance(obj, Player) else obj.player_id
                if changed is None:
                    changed = session.info.setdefault(_CHANGED, set())
                changed.add(player_id)


@event.listens_for(Session, "after_commit")
def _evict_committed(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        for cache in list(_LIVE):
            cache.evict(changed)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction: nothing was kept
        session.info.pop(_CHANGED, None)


__all__ = ["POLICY_CACHE", "PolicyCache", "PolicyEntry", "cache_of", "load_entry"]

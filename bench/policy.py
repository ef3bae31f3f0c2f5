"""Policy decisions per second: ``may_bet`` and ``may_deposit`` in process, on realistic data.

Seeds N players of one brand across the rule base's jurisdictions, each with a cash account
and a history of deposits, bets and wins spread over the past year; one player in ten has
deposit, loss and wager limits, one in fifty is on a break, one in a hundred is
self-excluded. Then W threads ask ``may_bet`` (slots, 80 %) and ``may_deposit`` for players
chosen uniformly among the ``--online`` ones (0: all), each decision in its own read session,
for S seconds: first without the policy cache, then with it, after one untimed decision per
online player (their first of a session, which fills it). On PostgreSQL it then times how
long a change committed on another connection takes to reach the cache. One JSON line: the
cached figures at the top level, both runs and their ratio, the propagation times, and the
memory the cache took.

    python bench/policy.py --database-url sqlite:///var/policy.db --players 100000 \
        --history 24 --seconds 10 --workers 1

The benchmark resets the database it is given: point it at a database of its own. With
``--reuse`` it decides on the data an earlier run seeded (to compare two versions of the code
on the same data in one go).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.pool import NullPool

from croupier.app.logging import configure_logging
from croupier.app.tables import metadata
from croupier.core.players.models import Brand, Player
from croupier.core.wallet.models import LedgerAccount, LedgerTransfer
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.kernel.jurisdictions import JURISDICTIONS, Product
from croupier.kernel.models import ensure_reference_data
from croupier.policy.compliance import may_bet, may_deposit
from croupier.policy.compliance.cache import PolicyCache
from croupier.policy.rg.models import RgExclusion, RgLimit

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
UNIT = 1_000_000
# Jurisdictions whose currency the demo brand keeps in EUR, so every player is in EUR.
PLACES = ["MT", "DE", "NL", "IE", "ES", "IT", "FR", "CW"]


def seed(db: Database, players: int, history: int, rng: random.Random) -> list[str]:
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)
    with db.unit_of_work() as s:
        ensure_reference_data(s)
    brand_id = "brd_bench"
    house, sandbox = "acc_house", "acc_sandbox"
    ids = [f"ply_{i:08d}" for i in range(players)]
    with db.engine.begin() as conn:
        conn.execute(
            insert(Brand),
            [
                {
                    "id": brand_id,
                    "code": "bench",
                    "name": "Bench",
                    "currencies": '["EUR"]',
                    "jurisdictions": json.dumps(sorted(JURISDICTIONS)),
                    "duplicate_person_policy": "flag",
                    "settings": "{}",
                    "created_at": NOW,
                }
            ],
        )
        accounts = [
            {"id": house, "kind": "house", "currency": "EUR", "owner_id": None, "name": "house",
             "debits_must_not_exceed_credits": False},
            {"id": sandbox, "kind": "sandbox_funding", "currency": "EUR", "owner_id": None,
             "name": "sandbox", "debits_must_not_exceed_credits": False},
        ] + [
            {"id": f"acc_{p}", "kind": "player_cash", "currency": "EUR", "owner_id": p,
             "name": None, "debits_must_not_exceed_credits": True}
            for p in ids
        ]  # fmt: skip
        for a in accounts:
            a.update(debits_pending=0, debits_posted=0, credits_pending=0, credits_posted=0,
                     created_at=NOW - timedelta(days=400))  # fmt: skip
        conn.execute(insert(LedgerAccount), accounts)
        conn.execute(
            insert(Player),
            [
                {
                    "id": p,
                    "brand_id": brand_id,
                    "email": f"{p}@bench.test",
                    "password_hash": "x",
                    "legal_name": f"Bench {p}",
                    "date_of_birth": date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    "address_line": "1 Bench Street",
                    "city": "Bench",
                    "postcode": f"B{i}",
                    "country": PLACES[i % len(PLACES)],
                    "region": None,
                    "jurisdiction": PLACES[i % len(PLACES)],
                    "currency": "EUR",
                    "status": "active",
                    "person_key": f"{i:064d}",
                    "flags": "[]",
                    "cash_account_id": f"acc_{p}",
                    "created_at": NOW - timedelta(days=400),
                    "updated_at": NOW - timedelta(days=400),
                }
                for i, p in enumerate(ids)
            ],
        )
        seq = 0
        batch: list[dict[str, Any]] = []
        for p in ids:
            for _ in range(history):
                seq += 1
                code = rng.choice(("deposit", "bet", "bet", "win"))
                when = NOW - timedelta(seconds=rng.randrange(365 * 86400))
                debit, credit = (
                    (f"acc_{p}", house) if code == "bet" else
                    (sandbox if code == "deposit" else house, f"acc_{p}")
                )  # fmt: skip
                batch.append(
                    {"id": f"h{seq}", "kind": "single", "debit_account_id": debit,
                     "credit_account_id": credit, "amount": rng.randrange(1, 50) * UNIT,
                     "currency": "EUR", "pending_id": None, "timeout_seconds": 0, "code": code,
                     "reference": "", "created_at": when}
                )  # fmt: skip
                if len(batch) >= 20_000:
                    conn.execute(insert(LedgerTransfer), batch)
                    batch.clear()
        if batch:
            conn.execute(insert(LedgerTransfer), batch)
        limits, exclusions = [], []
        for i, p in enumerate(ids):
            if i % 10 == 0:
                for kind, period in (("deposit", "24h"), ("loss", "7d"), ("wager", "1m")):
                    limits.append(
                        {"id": f"lim_{p}_{kind}", "player_id": p, "kind": kind, "period": period,
                         "amount": 500 * UNIT, "anchor_at": NOW - timedelta(days=100),
                         "pending_amount": None, "pending_requested_at": None,
                         "pending_effective_at": None, "updated_at": NOW}
                    )  # fmt: skip
            if i % 50 == 1:
                exclusions.append(
                    {"id": f"exc_{p}", "player_id": p, "kind": "timeout", "starts_at": NOW,
                     "ends_at": NOW + timedelta(days=2), "end_requested_at": None,
                     "ended_at": None}
                )  # fmt: skip
            if i % 100 == 3:
                exclusions.append(
                    {"id": f"exs_{p}", "player_id": p, "kind": "self_exclusion",
                     "starts_at": NOW - timedelta(days=10), "ends_at": NOW + timedelta(days=170),
                     "end_requested_at": None, "ended_at": None}
                )  # fmt: skip
        if limits:
            conn.execute(insert(RgLimit), limits)
        if exclusions:
            conn.execute(insert(RgExclusion), exclusions)
    if db.is_postgresql:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return ids


def _decide(
    db: Database, ids: list[str], seconds: float, workers: int, clock: ManualClock
) -> dict[str, Any]:
    """W threads decide for uniformly chosen players of ``ids`` for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(workers)]
    outcomes: list[dict[str, int]] = [{} for _ in range(workers)]
    errors = [0] * workers
    deadline = time.perf_counter() + seconds

    def worker(w: int) -> None:
        local = random.Random(w)
        while time.perf_counter() < deadline:
            player = local.choice(ids)
            t0 = time.perf_counter()
            try:
                with db.read_only() as s:
                    if local.random() < 0.8:
                        decision = may_bet(s, clock, player, Product.SLOTS, UNIT)
                    else:
                        decision = may_deposit(s, clock, player, 20 * UNIT)
            except Exception:  # counted, and the run goes on
                errors[w] += 1
                continue
            latencies[w].append(time.perf_counter() - t0)
            key = decision.code or "allowed"
            outcomes[w][key] = outcomes[w].get(key, 0) + 1

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    flat = sorted(x for lat in latencies for x in lat)
    n = len(flat)
    merged: dict[str, int] = {}
    for o in outcomes:
        for k, v in o.items():
            merged[k] = merged.get(k, 0) + v
    return {
        "decisions": n,
        "decisions_per_second": round(n / elapsed, 1),
        "p50_ms": round(flat[n // 2] * 1000, 3) if n else 0,
        "p99_ms": round(flat[min(n - 1, int(n * 0.99))] * 1000, 3) if n else 0,
        "errors": sum(errors),
        "outcomes": merged,
    }


def _warm(db: Database, ids: list[str], clock: ManualClock) -> float:
    """One decision per online player (their first bet of the session), untimed."""
    started = time.perf_counter()
    for i, player in enumerate(ids):
        with db.read_only() as s:
            may_bet(s, clock, player, Product.SLOTS, UNIT)
        if i and i % 20_000 == 0:
            print(f"  warmed {i} players ...", file=sys.stderr)
    return time.perf_counter() - started


def _invalidation_ms(db: Database, cache: PolicyCache, ids: list[str], samples: int) -> list[float]:
    """PostgreSQL: from the commit of a change to a cached player (on a connection of its own,
    as another process would) to its eviction from this process's cache."""
    clock = ManualClock(NOW)
    other = create_engine(db.url, poolclass=NullPool)
    took: list[float] = []
    with other.connect() as conn:
        for player in random.Random(3).sample(ids, samples):
            with db.read_only() as s:
                may_bet(s, clock, player, Product.SLOTS, UNIT)
            if player not in cache._entries:
                continue
            conn.execute(
                text("UPDATE players SET updated_at = updated_at WHERE id = :p"), {"p": player}
            )
            t0 = time.perf_counter()
            conn.commit()
            while player in cache._entries:
                time.sleep(0.00005)
            took.append((time.perf_counter() - t0) * 1000)
    other.dispose()
    return sorted(took)


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=24, help="transfers per player, past year")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--online",
        type=int,
        default=10_000,
        help="players playing during the run (decisions choose among them; 0: all players)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data an earlier run seeded (same --players)"
    )
    args = parser.parse_args()
    configure_logging("WARNING", json=False)  # stdout carries the one JSON line

    rng = random.Random(7)
    db = Database(args.database_url, pool_size=args.workers + 2)
    started = time.perf_counter()
    if args.reuse:
        ids = [f"ply_{i:08d}" for i in range(args.players)]
    else:
        print(f"seeding {args.players} players x {args.history} transfers ...", file=sys.stderr)
        ids = seed(db, args.players, args.history, rng)
    seeded_s = time.perf_counter() - started
    online = rng.sample(ids, args.online) if 0 < args.online < len(ids) else ids
    clock = ManualClock(NOW)

    print(f"without the policy cache, {args.workers} workers, {args.seconds}s ...", file=sys.stderr)
    uncached = _decide(db, online, args.seconds, args.workers, clock)
    cache = PolicyCache(db, max_players=max(len(online), 1)).attach()
    if not cache.wait_ready(10):
        raise SystemExit("the policy cache did not start listening")
    print(f"warming the cache with {len(online)} online players ...", file=sys.stderr)
    rss_before = _rss_mb()
    warm_s = _warm(db, online, clock)
    cache_mb = _rss_mb() - rss_before
    print(f"with the policy cache, {args.workers} workers, {args.seconds}s ...", file=sys.stderr)
    cached = _decide(db, online, args.seconds, args.workers, clock)
    cached.update(hits=cache.hits, misses=cache.misses, cached_players=len(cache))
    invalidation = _invalidation_ms(db, cache, online, 200) if db.is_postgresql else []
    cache.close()
    print(
        json.dumps(
            {
                "benchmark": "policy",
                "database": db.dialect,
                **{k: cached[k] for k in ("decisions_per_second", "p50_ms", "p99_ms", "errors")},
                "cached": cached,
                "uncached": uncached,
                "ratio": round(
                    cached["decisions_per_second"] / max(uncached["decisions_per_second"], 1), 2
                ),
                "invalidation_ms": {
                    "samples": len(invalidation),
                    "p50": round(invalidation[len(invalidation) // 2], 3),
                    "p99": round(
                        invalidation[min(len(invalidation) - 1, int(len(invalidation) * 0.99))], 3
                    ),
                    "max": round(invalidation[-1], 3),
                }
                if invalidation
                else None,
                "warm_seconds": round(warm_s, 1),
                "cache_rss_mb": round(cache_mb, 1),
                "players": args.players,
                "online": len(online),
                "history_per_player": args.history,
                "workers": args.workers,
                "seed_seconds": round(seeded_s, 1),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            sort_keys=True,
        )
    )
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

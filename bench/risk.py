"""Risk decisions per second: the decision path in process, and ``assess`` with its writes.

1. The decision path. Builds the history of N players (default 100,000) directly in the
   engine's feature store, as the catch-up reads would fill it: per player, account facts
   (opened 1 to 1,000 days ago, one of eight countries), 1 to 40 earlier attempts over the
   past 90 days (their totals), one or two devices (one player in twenty shares one with
   another player) and one or two cards (one in fifty shares); then ``--warm-attempts``
   (100,000) scored attempts spread over the last hour, so that the windows hold something.
   Then it times ``RiskEngine.score(request, now, record=True)`` (features, the shipped
   model's trees with attribution, rules, the decision, counting the attempt) on a stream of
   requests for
   uniformly chosen players: 85 % deposits, 3 % on a new device, 5 % from abroad, the clock
   advancing 1/8,000 s per request. Baselines, measured in the same run on the same stream:
   a loop that only looks the player up in two dicts (``dict_lookup``), and the model's trees
   alone (``model_only``).
2. ``assess`` with its database writes, on an SQLite file (or ``--database-url``) with
   ``--db-players`` players: each unit of work assesses ``--batch`` requests and commits.

    python bench/risk.py [--players 100000] [--requests 200000] [--db-requests 20000]

Prints one JSON line; progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from croupier.app.tables import metadata
from croupier.core.players.models import Brand, Player
from croupier.core.wallet.models import LedgerAccount
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.kernel.models import ensure_reference_data
from croupier.policy.risk import RiskEngine, RiskRequest, assess
from croupier.policy.risk.features import DAY, FeatureStore, PlayerFacts

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
UNIT = 1_000_000
COUNTRIES = ["GB", "DE", "SE", "MT", "IE", "NL", "ES", "FR"]
RATE = 8_000.0


def build_history(engine: RiskEngine, players: int, rng: random.Random) -> list[str]:
    store = engine.store
    assert store is not None
    now = NOW.timestamp()
    ids = [f"ply_{i:08d}" for i in range(players)]
    seq = 0
    for i, p in enumerate(ids):
        store.set_facts(p, PlayerFacts(now - rng.uniform(1, 1000) * DAY, COUNTRIES[i % 8]))
        typical = rng.lognormvariate(3.4, 0.9)
        for _ in range(rng.randint(1, 40)):
            seq += 1
            store.observe_attempt(
                f"h{seq}",
                p,
                is_withdrawal=rng.random() < 0.15,
                amount=typical * rng.lognormvariate(0, 0.4),
                at=now - rng.uniform(2 * 3600, 90 * DAY),
                declined=False,
            )
        store.observe_device(f"dev_{i}", p, now - rng.uniform(1, 300) * DAY)
        if rng.random() < 0.05:
            store.observe_device(f"dev_{rng.randrange(players)}", p, now - 10 * DAY)
        store.observe_instrument(f"card_{i}", p, now - rng.uniform(1, 300) * DAY)
        if rng.random() < 0.02:
            store.observe_instrument(f"card_{rng.randrange(players)}", p, now - 10 * DAY)
    return ids


def request_stream(ids: list[str], n: int, rng: random.Random, prefix: str) -> list[RiskRequest]:
    stream = []
    for k in range(n):
        i = rng.randrange(len(ids))
        withdrawal = rng.random() < 0.15
        stream.append(
            RiskRequest(
                attempt_id=f"{prefix}{k}",
                player_id=ids[i],
                kind="withdrawal" if withdrawal else "deposit",
                amount=rng.randint(5, 500) * UNIT,
                currency="EUR",
                instrument_fingerprint=f"card_{i}",
                device_id=f"dev_new_{k}" if rng.random() < 0.03 else f"dev_{i}",
                ip_country=rng.choice(["US", "NG"]) if rng.random() < 0.05 else COUNTRIES[i % 8],
            )
        )
    return stream


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def time_decisions(engine: RiskEngine, stream: list[RiskRequest], start: float) -> dict[str, float]:
    latencies = []
    outcomes: dict[str, int] = {}
    clock = time.perf_counter
    score = engine.score
    began = clock()
    for k, r in enumerate(stream):
        t0 = clock()
        decision = score(r, start + k / RATE, record=True).decision
        latencies.append(clock() - t0)
        outcomes[decision.outcome.value] = outcomes.get(decision.outcome.value, 0) + 1
    elapsed = clock() - began
    latencies.sort()
    return {
        "decisions_per_second": round(len(stream) / elapsed),
        "p50_ms": round(percentile(latencies, 0.5) * 1e3, 4),
        "p99_ms": round(percentile(latencies, 0.99) * 1e3, 4),
        "max_ms": round(latencies[-1] * 1e3, 3),
        "outcomes": outcomes,  # type: ignore[dict-item]
    }


def time_baselines(engine: RiskEngine, stream: list[RiskRequest]) -> dict[str, float]:
    store = engine.store
    assert store is not None
    players, facts = store.players, store.facts
    began = time.perf_counter()
    for r in stream:
        (players.get(r.player_id), facts.get(r.player_id), r.amount / 1e6)
    lookup = len(stream) / (time.perf_counter() - began)
    x = [0.0] * 21
    rows = []
    for r in stream[:20_000]:
        x = engine.features(r, NOW.timestamp() + 3600)
        rows.append(list(x.values()))
    explain = engine.model.explain
    began = time.perf_counter()
    for row in rows:
        explain(row)
    model = len(rows) / (time.perf_counter() - began)
    return {"dict_lookup_per_second": round(lookup), "model_only_per_second": round(model)}


def seed_database(db: Database, players: int) -> list[str]:
    metadata.create_all(db.engine)
    with db.unit_of_work() as s:
        ensure_reference_data(s)
    ids = [f"ply_{i:08d}" for i in range(players)]
    old = NOW - timedelta(days=400)
    with db.engine.begin() as conn:
        conn.execute(
            insert(Brand),
            [{"id": "brd_bench", "code": "bench", "name": "Bench", "currencies": '["EUR"]',
              "jurisdictions": '["MT"]', "duplicate_person_policy": "flag", "settings": "{}",
              "created_at": old}],
        )  # fmt: skip
        conn.execute(
            insert(LedgerAccount),
            [{"id": f"acc_{p}", "kind": "player_cash", "currency": "EUR", "owner_id": p,
              "name": None, "debits_must_not_exceed_credits": True, "debits_pending": 0,
              "debits_posted": 0, "credits_pending": 0, "credits_posted": 0, "created_at": old}
             for p in ids],
        )  # fmt: skip
        conn.execute(
            insert(Player),
            [{"id": p, "brand_id": "brd_bench", "email": f"{p}@bench.test", "password_hash": "x",
              "legal_name": f"Bench {p}", "date_of_birth": date(1980, 1, 1),
              "address_line": "1 Bench Street", "city": "Bench", "postcode": f"B{i}",
              "country": "MT", "region": None, "jurisdiction": "MT", "currency": "EUR",
              "status": "active", "person_key": f"{i:064d}", "flags": "[]",
              "cash_account_id": f"acc_{p}", "created_at": old, "updated_at": old}
             for i, p in enumerate(ids)],
        )  # fmt: skip
    return ids


def time_assess(url: str, players: int, n: int, batch: int, rng: random.Random) -> dict[str, float]:
    db = Database(url, pool_size=2)
    try:
        ids = seed_database(db, players)
        engine = RiskEngine.load(None)
        clock = ManualClock(NOW)
        stream = request_stream(ids, n, rng, "pay_")
        # the first decision of each player reads its facts and older history: warm them
        with db.unit_of_work() as s:
            for p in ids:
                engine.prepare(s, clock, RiskRequest("warm", p, "deposit", UNIT, "EUR"))
        latencies = []
        began = time.perf_counter()
        for start in range(0, n, batch):
            t0 = time.perf_counter()
            with db.unit_of_work() as s:
                for r in stream[start : start + batch]:
                    clock.advance(timedelta(seconds=1 / RATE))
                    assess(s, clock, r, engine=engine)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - began
        latencies.sort()
        return {
            "assess_per_second": round(n / elapsed),
            "assess_batch": batch,
            "assess_unit_of_work_p50_ms": round(percentile(latencies, 0.5) * 1e3, 3),
            "assess_unit_of_work_p99_ms": round(percentile(latencies, 0.99) * 1e3, 3),
        }
    finally:
        db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--warm-attempts", type=int, default=100_000,
                        help="attempts recorded over the last hour before timing")  # fmt: skip
    parser.add_argument("--db-requests", type=int, default=20_000)
    parser.add_argument("--db-players", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=100, help="assess calls per unit of work")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    rng = random.Random(7)

    engine = RiskEngine.load(None)
    engine = RiskEngine(engine.model, engine.thresholds, store=FeatureStore())
    print(f"building the history of {args.players} players ...", file=sys.stderr)
    t0 = time.perf_counter()
    ids = build_history(engine, args.players, rng)
    # Fill the last hour's windows (about one attempt per player).
    warm = args.warm_attempts
    start = NOW.timestamp() - 3600
    for k, r in enumerate(request_stream(ids, warm, rng, "w")):
        engine.score(r, start + k * 3600 / max(1, warm), record=True)
    built_s = time.perf_counter() - t0
    stream = request_stream(ids, args.requests, rng, "r")
    print(f"built in {built_s:.1f}s; timing {len(stream)} decisions ...", file=sys.stderr)
    result: dict[str, object] = {"benchmark": "risk", "players": args.players}
    result.update(time_decisions(engine, stream, NOW.timestamp()))
    result.update(time_baselines(engine, stream))
    result["model_version"] = engine.version
    result["trees"] = engine.model.trees
    if args.db_requests:
        url = args.database_url
        tmp = None
        if url is None:
            tmp = tempfile.TemporaryDirectory()
            url = f"sqlite:///{Path(tmp.name) / 'risk.db'}"
        print(f"assess with writes on {url.split('://')[0]} ...", file=sys.stderr)
        result.update(time_assess(url, args.db_players, args.db_requests, args.batch, rng))
        result["assess_database"] = url.split(":")[0]
        if tmp is not None:
            tmp.cleanup()
    result["history_build_seconds"] = round(built_s, 1)
    result["python"] = platform.python_version()
    result["cpus"] = os.cpu_count()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

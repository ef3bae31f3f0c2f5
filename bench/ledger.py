"""Ledger throughput: W concurrent workers make bets against one hot house account.

Each transfer debits a uniformly chosen pre-funded player account and credits the one house
account of the currency, amount one unit, unique id, submitted one at a time by each worker
through the ledger's public service API (the group committer). Prints one JSON line.

    python bench/ledger.py --database-url postgresql://postgres@127.0.0.1/croupier_bench \
        --seconds 20 --players 10000 --workers 8

``--driver async`` runs the same ledger code under asyncio (SQLAlchemy's async engine on
psycopg, workers as tasks, the committer as a task) to compare with the default threads on
psycopg. ``--mode direct`` skips group commit: each worker commits its own transaction, which
shows what batching buys. The benchmark resets the ledger tables of the database it is given:
point it at a database of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from sqlalchemy import text

from croupier.app.tables import metadata
from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.models import AccountKind, LedgerAccount
from croupier.core.wallet.service import (
    NewTransfer,
    TransferResult,
    create_transfers,
    open_account,
    platform_account,
    verify_ledger,
)
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.kernel.models import ensure_reference_data

FUNDS = 10**12


def reset_and_seed(db: Database, players: int) -> tuple[list[str], str]:
    clock = SystemClock()
    ledger_tables = [
        metadata.tables[name]
        for name in ("ledger_pending_transfers", "ledger_transfers", "ledger_accounts")
    ]
    metadata.drop_all(db.engine, tables=ledger_tables)
    metadata.create_all(db.engine)
    with db.unit_of_work() as s:
        ensure_reference_data(s)
        house = platform_account(
            s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="house"
        ).id
        funding = platform_account(
            s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="sandbox"
        ).id
        ids = [
            open_account(
                s, clock, kind=AccountKind.PLAYER_CASH, currency_code="EUR", owner_id=f"ply_{i}"
            ).id
            for i in range(players)
        ]
        results = create_transfers(
            s,
            clock,
            [
                NewTransfer(
                    id=f"fund-{a}", debit_account_id=funding, credit_account_id=a, amount=FUNDS
                )
                for a in ids
            ],
        )
        assert all(r.ok for r in results)
    if db.is_postgresql:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE ledger_accounts"))
            conn.execute(text("VACUUM ANALYZE ledger_transfers"))
    return ids, house


def summarize(
    latencies: list[float], errors: int, elapsed: float, extra: dict[str, Any]
) -> dict[str, Any]:
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return round(latencies[min(n - 1, int(p * n))] * 1000, 3) if n else 0.0

    return {
        "benchmark": "ledger",
        "transfers": n,
        "transfers_per_second": round(n / elapsed, 1),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 3) if n else 0.0,
        "errors": errors,
        "seconds": round(elapsed, 2),
        **extra,
    }


def run_threads(
    db: Database, args: argparse.Namespace, players: Sequence[str], house: str
) -> dict[str, Any]:
    clock = SystemClock()
    committer = (
        GroupCommitter(db, clock, max_batch=args.max_batch) if args.mode == "group" else None
    )
    deadline = time.perf_counter() + args.seconds
    per_worker: list[list[float]] = [[] for _ in range(args.workers)]
    errors = [0] * args.workers
    run = f"{os.getpid()}-{int(time.time())}"

    def submit(t: NewTransfer) -> TransferResult:
        if committer is not None:
            return committer.submit_one(t)
        with db.unit_of_work() as s:
            return create_transfers(s, clock, [t])[0]

    def pipelined_worker(w: int) -> None:
        # Keeps args.in_flight transfers outstanding, like a server process serving many
        # concurrent requests.
        assert committer is not None
        rng = random.Random(w)
        lat = per_worker[w]
        window: deque[tuple[float, Future[list[TransferResult]]]] = deque()
        i = 0
        while True:
            while len(window) < args.in_flight and time.perf_counter() < deadline:
                t = NewTransfer(
                    id=f"bet-{run}-{w}-{i}",
                    debit_account_id=rng.choice(players),
                    credit_account_id=house,
                    amount=1,
                )
                i += 1
                window.append((time.perf_counter(), committer.submit_async([t])))
            if not window:
                return
            started, fut = window.popleft()
            try:
                ok = fut.result()[0].ok
            except Exception:
                ok = False
            if ok:
                lat.append(time.perf_counter() - started)
            else:
                errors[w] += 1

    def worker(w: int) -> None:
        if args.in_flight > 1:
            pipelined_worker(w)
            return
        rng = random.Random(w)
        lat = per_worker[w]
        i = 0
        while time.perf_counter() < deadline:
            t = NewTransfer(
                id=f"bet-{run}-{w}-{i}",
                debit_account_id=rng.choice(players),
                credit_account_id=house,
                amount=1,
            )
            i += 1
            started = time.perf_counter()
            try:
                ok = submit(t).ok
            except Exception:
                ok = False
            if ok:
                lat.append(time.perf_counter() - started)
            else:
                errors[w] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(args.workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    extra: dict[str, Any] = {}
    if committer is not None:
        committer.close()
        extra["mean_batch"] = round(committer.transfers / max(1, committer.batches), 2)
    return summarize([x for lat in per_worker for x in lat], sum(errors), elapsed, extra)


def run_async(args: argparse.Namespace, players: Sequence[str], house: str) -> dict[str, Any]:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    url = args.database_url.replace("postgresql://", "postgresql+psycopg_async://", 1)
    clock = SystemClock()

    async def main() -> dict[str, Any]:
        engine = create_async_engine(url, pool_size=2)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        queue: asyncio.Queue[tuple[NewTransfer, asyncio.Future[TransferResult]]] = asyncio.Queue()
        deadline = time.perf_counter() + args.seconds
        latencies: list[float] = []
        errors = 0
        stop = asyncio.Event()
        batches = 0

        async def committer() -> None:
            while not (stop.is_set() and queue.empty()):
                try:
                    first = await asyncio.wait_for(queue.get(), 0.1)
                except TimeoutError:
                    continue
                nonlocal batches
                batches += 1
                items = [first]
                while len(items) < args.max_batch and not queue.empty():
                    items.append(queue.get_nowait())
                async with sessions() as session, session.begin():
                    flat = [t for t, _ in items]
                    results = await session.run_sync(
                        lambda s: create_transfers(s, clock, flat)  # noqa: B023
                    )
                for (_, fut), res in zip(items, results, strict=True):
                    fut.set_result(res)

        async def submit(t: NewTransfer) -> TransferResult:
            if args.mode == "direct":
                async with sessions() as session, session.begin():
                    return (await session.run_sync(lambda s: create_transfers(s, clock, [t])))[0]
            fut: asyncio.Future[TransferResult] = asyncio.get_running_loop().create_future()
            await queue.put((t, fut))
            return await fut

        async def worker(w: int) -> None:
            nonlocal errors
            rng = random.Random(w)
            i = 0
            while time.perf_counter() < deadline:
                t = NewTransfer(
                    id=f"abet-{os.getpid()}-{w}-{i}",
                    debit_account_id=rng.choice(players),
                    credit_account_id=house,
                    amount=1,
                )
                i += 1
                started = time.perf_counter()
                try:
                    ok = (await submit(t)).ok
                except Exception:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        task = asyncio.create_task(committer()) if args.mode == "group" else None
        started = time.perf_counter()
        # --in-flight K: each worker is K concurrent tasks (a process serving K requests).
        await asyncio.gather(*(worker(w) for w in range(args.workers * args.in_flight)))
        elapsed = time.perf_counter() - started
        stop.set()
        if task is not None:
            await task
        await engine.dispose()
        extra = {"mean_batch": round(len(latencies) / max(1, batches), 2)} if task else {}
        return summarize(latencies, errors, elapsed, extra)

    return asyncio.run(main())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--driver", choices=["sync", "async"], default="sync")
    parser.add_argument("--mode", choices=["group", "direct"], default="group")
    parser.add_argument("--max-batch", type=int, default=2000)
    parser.add_argument(
        "--in-flight",
        type=int,
        default=1,
        help="transfers each worker keeps outstanding (group mode, sync driver)",
    )
    parser.add_argument("--no-verify", action="store_true", help="skip ledger verify at the end")
    args = parser.parse_args(argv)
    if args.driver == "async" and not args.database_url.startswith("postgresql"):
        parser.error("--driver async is measured on PostgreSQL only")
    if args.in_flight > 1 and args.mode != "group":
        parser.error("--in-flight applies to group mode")

    db = Database(args.database_url, pool_size=args.workers + 2)
    print(f"seeding {args.players} funded players ...", file=sys.stderr)
    players, house = reset_and_seed(db, args.players)
    print(
        f"running {args.workers} workers for {args.seconds}s ({args.driver}, {args.mode}) ...",
        file=sys.stderr,
    )
    result = (
        run_threads(db, args, players, house)
        if args.driver == "sync"
        else run_async(args, players, house)
    )
    result.update(
        database=db.dialect,
        driver=args.driver,
        mode=args.mode,
        workers=args.workers,
        players=args.players,
        in_flight=args.in_flight,
        python=platform.python_version(),
        cpus=os.cpu_count(),
    )
    if not args.no_verify:
        with db.read_only() as s:
            result["ledger_verified"] = not verify_ledger(s)
            result["house_credits"] = s.get(LedgerAccount, house).credits_posted  # type: ignore[union-attr]
    db.dispose()
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

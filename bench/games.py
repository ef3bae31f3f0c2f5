"""In-house games: provably fair outcomes per second per title, and whole rounds per second.

Part 1, in process, no database: for each title, one thread plays rounds of its default
configuration from a fixed seed pair, nonce after nonce (the HMAC stream, the title's
mapping and its settlement), for S seconds, and reports outcomes per second. The issue's
target: at least 100,000 provably fair outcomes per second per core for single-draw games.

Part 2, through the platform: P players with funds play dice rounds (``rgs.play_round``:
policy decision, seed pair lock and nonce, stake and win through the ledger, the round row)
from W threads for S seconds, on the database given, and reports rounds per second with p50
and p99 latency.

    python bench/games.py --database-url sqlite:///var/games.db --seconds 5
    python bench/games.py --database-url postgresql://postgres@127.0.0.1/croupier_games --workers 4

Prints one JSON line. Part 2 resets the database it is given: point it at one of its own.
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
from datetime import UTC, date, datetime

from croupier.app.tables import metadata
from croupier.core.players import Registration, activate_player
from croupier.core.players.service import create_brand, register_player
from croupier.core.wallet import AccountKind, NewTransfer, create_transfers, platform_account
from croupier.kernel.clock import ManualClock
from croupier.kernel.credentials import password_hasher
from croupier.kernel.crypto import Keyring
from croupier.kernel.db import Database
from croupier.kernel.models import ensure_reference_data
from croupier.products.rgs import service
from croupier.products.rgs.fair import NumberStream
from croupier.products.rgs.games.catalogue import TITLES, is_multi_step
from croupier.products.rgs.simulate import simulation_seeds

UNIT = 1_000_000


def outcomes_per_second(seconds: float) -> dict[str, float]:
    """Single-draw titles: whole rounds (draw and settlement). Multi-step titles: the opening
    step (the deal, the base spin), whose later moves replay the same stream."""
    rates = {}
    stream_of = NumberStream.of_checked
    for code, title in TITLES.items():
        server_seed, client_seed = simulation_seeds(code)
        key = server_seed.encode("ascii")
        if is_multi_step(title):
            params = title.check({} if code != "mines" else {"mines": 3})
            replay = title.replay

            def one(nonce: int, replay=replay, params=params, key=key, seed=client_seed) -> None:
                replay(stream_of(key, seed, nonce), params, ())
        else:
            params = title.configurations()[len(title.configurations()) // 2]
            play = title.play

            def one(nonce: int, play=play, params=params, key=key, seed=client_seed) -> None:
                play(stream_of(key, seed, nonce), params)

        one(0)  # tables a title builds once per process (video poker's best holds) are not timed
        nonce, deadline = 0, time.perf_counter() + seconds
        started = time.perf_counter()
        while True:
            for _ in range(200):
                one(nonce)
                nonce += 1
            if time.perf_counter() >= deadline:
                break
        rates[code] = round(nonce / (time.perf_counter() - started), 1)
    return rates


def seed_players(db: Database, clock: ManualClock, players: int) -> list[str]:
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)
    hasher = password_hasher(time_cost=1, memory_kib=8192)
    ids = []
    with db.unit_of_work() as s:
        ensure_reference_data(s)
        create_brand(
            s, clock, code="bench", name="Bench", currencies=["EUR"], jurisdictions=["MT"],
            actor="bench",
        )  # fmt: skip
    for i in range(players):
        with db.unit_of_work() as s:
            player = register_player(
                s, clock, hasher,
                Registration(
                    brand_code="bench", email=f"p{i}@bench.test",
                    password="correct horse battery staple",  # noqa: S106 - bench players
                    legal_name=f"Bench Player{i}",
                    date_of_birth=date(1980, 1, 1), address_line="1 Bench Street",
                    city="Valletta", postcode=f"VLT {i}", country="MT", region=None,
                    currency="EUR",
                ),
            )  # fmt: skip
            activate_player(s, clock, player.id, actor="bench", reason="bench")
            funding = platform_account(
                s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="bench"
            )
            create_transfers(
                s, clock,
                [NewTransfer(id=f"fund-{player.id}", debit_account_id=funding.id,
                             credit_account_id=player.cash_account_id, amount=100_000 * UNIT,
                             code="deposit")],
            )[0].unwrap()  # fmt: skip
            ids.append(player.id)
    return ids


def rounds_per_second(url: str, players: int, workers: int, seconds: float) -> dict[str, object]:
    db = Database(url, pool_size=workers + 2)
    clock = ManualClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    keyring = Keyring.parse("bench:" + "A" * 43 + "=")
    ids = seed_players(db, clock, players)
    latencies: list[list[float]] = [[] for _ in range(workers)]
    errors = [0] * workers
    kinds: dict[str, int] = {}
    deadline = time.perf_counter() + seconds

    def worker(w: int) -> None:
        # Each worker plays its own players: one player's rounds are serialised by the
        # seed pair's lock anyway, as they are for a real player.
        mine = ids[w::workers]
        rng, n = random.Random(w), 0
        while time.perf_counter() < deadline:
            player = mine[n % len(mine)]
            n += 1
            t0 = time.perf_counter()
            try:
                with db.unit_of_work() as s:
                    service.play_round(
                        s, clock, keyring, player,
                        service.RoundRequest(
                            "dice", f"w{w}-{n}", UNIT,
                            {"target": rng.choice((2500, 5000, 7500)), "direction": "under"},
                        ),
                    )  # fmt: skip
            except Exception as exc:  # counted, and the run goes on
                errors[w] += 1
                kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
                continue
            latencies[w].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for lat in latencies for x in lat)
    n = len(flat)
    db.dispose()
    return {
        "database": db.dialect,
        "rounds": n,
        "rounds_per_second": round(n / elapsed, 1),
        "p50_ms": round(flat[n // 2] * 1000, 3) if n else 0,
        "p99_ms": round(flat[min(n - 1, int(n * 0.99))] * 1000, 3) if n else 0,
        "errors": sum(errors),
        "error_kinds": kinds,
        "players": players,
        "workers": workers,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--outcome-seconds", type=float, default=1.0, help="per title")
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(f"outcomes: {len(TITLES)} titles x {args.outcome_seconds}s ...", file=sys.stderr)
    outcomes = outcomes_per_second(args.outcome_seconds)
    print(f"rounds: {args.players} players, {args.workers} workers ...", file=sys.stderr)
    rounds = rounds_per_second(args.database_url, args.players, args.workers, args.seconds)
    print(
        json.dumps(
            {
                "benchmark": "games",
                "outcomes_per_second": outcomes,
                "min_single_draw_outcomes_per_second": min(
                    rate for code, rate in outcomes.items() if not is_multi_step(TITLES[code])
                ),
                "rounds": rounds,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            },
            sort_keys=True,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The sportsbook's targets (issue 8): bet placement over HTTP, bulk settlement, and live odds
over WebSocket, each against a baseline measured in the same run.

1. ``placement``: ``POST /api/v1/sportsbook/bets`` by P players already logged in (session
   tokens made beforehand, as a login makes them), over C keep-alive connections from a
   separate process; first closed-loop for S seconds (the most it does), then paced at
   ``--rate`` bets/s for S seconds, spread evenly (connection i sends i/C of an interval
   after connection 0: arrivals do not come C at a time), the latency measured from each
   request's scheduled time, so a stall is not hidden. Baseline: an unauthenticated no-op
   ``POST /bench/noop`` on the same server, closed-loop. A player sends at most 55 slips in
   the run (the rate limit is 60 a minute).
2. ``settlement``: N open single bets on one market seeded straight into the tables (their
   stake holds through the ledger, as placing makes them), then ``settle_market`` times one
   result, commit included. Baseline: the ledger writing the N stake holds (``create_transfers``
   in batches of 5,000), which the seeding times.
3. ``odds``: W WebSocket subscribers to one event in separate client processes (asyncio,
   raw sockets: a client only notes the arrival time of each frame); the driver makes K price
   changes through ``POST /bench/odds``, which commits a ``catalogue.set_prices`` and answers
   the commit's time; latency is arrival minus commit, per subscriber and change. Baseline:
   the same with one subscriber.

    python bench/sportsbook.py --database-url postgresql://postgres@127.0.0.1/bench_sportsbook

Prints one JSON line; progress goes to stderr. It resets the database it is given.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from starlette.requests import Request
from starlette.responses import JSONResponse

UNIT = 1_000_000
HERE = Path(__file__).resolve().parent


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000, 2)


# -- the server ---------------------------------------------------------------------------------


def make_app() -> Any:
    """croupier's application with two bench routes (uvicorn's factory)."""
    from croupier.app.main import create_app
    from croupier.products.rgs.games.catalogue import warm_par_sheets

    # The server computes the games' PAR sheets in a background thread at start (~20 s of
    # CPU); done here first, so that it does not share the measured phases' CPU.
    warm_par_sheets()
    app = create_app()
    app.add_api_route("/bench/noop", _noop, methods=["POST"], include_in_schema=False)
    app.add_api_route("/bench/odds", _odds, methods=["POST"], include_in_schema=False)
    return app


async def _noop(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({})


def _odds(request: Request, market_id: str, price: str) -> JSONResponse:
    """Commit a new price for selection "1"; answer the time right after the commit (an
    after-commit callback registered before the catalogue's, so it runs first)."""
    from croupier.kernel.db import Database, after_commit
    from croupier.products.sportsbook import catalogue

    db: Database = request.app.state.database
    committed: list[float] = []
    with db.unit_of_work() as s:
        after_commit(s, lambda: committed.append(time.time()))
        catalogue.set_prices(s, request.app.state.clock, market_id, {"1": price})
    return JSONResponse({"committed_at": committed[0]})


def serve(port: int, workers: int = 1) -> None:
    import uvicorn

    from croupier.app.logging import configure_logging
    from croupier.kernel.config import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    uvicorn.run(
        "sportsbook:make_app", app_dir=str(HERE), factory=True, host="127.0.0.1", port=port,
        log_config=None, access_log=False, backlog=16384,
        # The bench's raw clients do not answer protocol pings: none are sent.
        ws_ping_interval=None, ws=os.environ.get("BENCH_WS", "auto"), workers=workers,
    )  # fmt: skip


def start_server(url: str, workers: int = 1) -> tuple[int, subprocess.Popen[bytes]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(
        os.environ,
        CROUPIER_DATABASE_URL=url,
        CROUPIER_LOG_LEVEL="warning",
        CROUPIER_LIVE_ODDS_CONNECTIONS_PER_IP="1000000",
        CROUPIER_DATABASE_POOL_SIZE="40",
    )
    env.setdefault("CROUPIER_ENV", "dev")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        [sys.executable, __file__, "--database-url", url, "--serve", str(port),
         "--server-processes", str(workers)],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return port, server
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


# -- seeding ------------------------------------------------------------------------------------


def seed_book(url: str, players: int, events: int) -> tuple[list[str], list[str], list[Any]]:
    """Fresh schema, P active funded players in Malta with a session token each, and E
    fixtures with an open 1X2 market. Answers (player ids, tokens, market views)."""
    from croupier.app.tables import metadata
    from croupier.core.players.models import Brand, Player, PlayerSession
    from croupier.core.wallet import AccountKind, NewTransfer, create_transfers, platform_account
    from croupier.core.wallet.models import LedgerAccount
    from croupier.kernel.clock import SystemClock
    from croupier.kernel.credentials import new_token
    from croupier.kernel.db import Database
    from croupier.kernel.models import ensure_reference_data
    from croupier.products.sportsbook import catalogue
    from croupier.products.sportsbook.models import Sport

    db = Database(url)
    clock = SystemClock()
    metadata.drop_all(db.engine)
    metadata.create_all(db.engine)
    with db.unit_of_work() as s:
        ensure_reference_data(s)
    then = datetime.now(UTC) - timedelta(days=400)
    now = datetime.now(UTC)
    ids = [f"ply_{i:08d}" for i in range(players)]
    tokens = [new_token("cps") for _ in ids]
    with db.engine.begin() as conn:
        conn.execute(
            insert(Brand),
            [{"id": "brd_bench", "code": "bench", "name": "Bench", "currencies": '["EUR"]',
              "jurisdictions": '["MT"]', "duplicate_person_policy": "flag", "settings": "{}",
              "created_at": then}],
        )  # fmt: skip
        conn.execute(
            insert(LedgerAccount),
            [{"id": f"acc_{p}", "kind": "player_cash", "currency": "EUR", "owner_id": p,
              "name": None, "debits_must_not_exceed_credits": True, "debits_pending": 0,
              "debits_posted": 0, "credits_pending": 0, "credits_posted": 0, "created_at": then}
             for p in ids],
        )  # fmt: skip
        conn.execute(
            insert(Player),
            [{"id": p, "brand_id": "brd_bench", "email": f"{p}@bench.test", "password_hash": "x",
              "legal_name": f"Bench {p}", "date_of_birth": date(1970 + i % 30, 1 + i % 12, 1),
              "address_line": "1 Bench Street", "city": "Bench", "postcode": f"B{i}",
              "country": "MT", "region": None, "jurisdiction": "MT", "currency": "EUR",
              "status": "active", "person_key": f"{i:064d}", "flags": "[]",
              "cash_account_id": f"acc_{p}", "created_at": then, "updated_at": then}
             for i, p in enumerate(ids)],
        )  # fmt: skip
        conn.execute(
            insert(PlayerSession),
            [{"id": f"ses_{p}", "token_hash": digest, "player_id": p, "created_at": now,
              "last_seen_at": now, "expires_at": now + timedelta(days=1), "ip": "127.0.0.1",
              "user_agent": "bench"}
             for p, (_token, digest) in zip(ids, tokens, strict=True)],
        )  # fmt: skip
    with db.unit_of_work() as s:
        funding = platform_account(
            s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="bench"
        )
        for result in create_transfers(
            s, clock,
            [NewTransfer(id=f"fund-{p}", debit_account_id=funding.id,
                         credit_account_id=f"acc_{p}", amount=100_000 * UNIT, code="deposit")
             for p in ids],
        ):  # fmt: skip
            result.unwrap()
    markets = []
    with db.unit_of_work() as s:
        competition = catalogue.create_competition(s, clock, sport=Sport.FOOTBALL, name="Bench")
        for n in range(events):
            event = catalogue.create_event(
                s, clock, competition_id=competition, competitors=[f"Home {n}", f"Away {n}"],
                starts_at=clock.now() + timedelta(days=2),
            )  # fmt: skip
            market = catalogue.create_market(
                s, clock, event_id=event.id, kind="1x2", params={},
                prices={"1": "2.5", "X": "3.2", "2": "2.9"}, liability_limit=10**15,
            )  # fmt: skip
            markets.append(market)
    db.dispose()
    return ids, [token for token, _ in tokens], markets


# -- 1. placement -------------------------------------------------------------------------------


def _post(path: str, body: bytes, token: str | None) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if token is not None:
        head.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    port: int,
    requests: list[bytes],
    deadline: float,
    interval: float | None,
    latencies: list[float],
    statuses: dict[str, int],
    start: float | None = None,
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    start = time.perf_counter() if start is None else start
    try:
        for n, raw in enumerate(requests):
            due = start + n * interval if interval else time.perf_counter()
            if due >= deadline or time.perf_counter() >= deadline:
                break
            if interval:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
            writer.write(raw)
            status, body = await _read_response(reader)
            latencies.append(time.perf_counter() - due)
            done += 1
            if status not in (200, 201):
                code = json.loads(body).get("code", "?") if body else "?"
                key = f"{status}:{code}"
                statuses[key] = statuses.get(key, 0) + 1
    finally:
        writer.close()
    return done


def _phase(
    port: int, streams: list[list[bytes]], seconds: float, rate: float | None = None
) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    interval = len(streams) / rate if rate else None

    async def run() -> int:
        now = time.perf_counter()
        deadline = now + seconds
        # Paced: connection i sends at start + i·interval/n, + interval, ...: the requests
        # arrive evenly spread at the rate, as players' bets do, not all n at once.
        n = len(streams)
        starts: list[float | None] = [
            now + 0.05 + i * interval / n if interval else None for i in range(n)
        ]
        counts = await asyncio.gather(
            *(
                _connection(port, s, deadline, interval, latencies, statuses, at)
                for s, at in zip(streams, starts, strict=True)
            )
        )
        return sum(counts)

    started = time.perf_counter()
    done = asyncio.run(run())
    elapsed = time.perf_counter() - started
    return {
        "requests": done,
        "per_second": round(done / elapsed, 1),
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": percentile(latencies, 1.0),
        "not_ok": statuses,
    }


def bench_placement(args: argparse.Namespace) -> dict[str, Any]:
    log(f"placement: seeding {args.players} players ...")
    _ids, tokens, markets = seed_book(args.database_url, args.players, 20)
    per_player = 55  # under the 60-a-minute limit for the whole run
    slips: list[list[bytes]] = [[] for _ in range(args.connections)]
    for k in range(per_player):
        for p, token in enumerate(tokens):
            market = markets[(p + k) % len(markets)]
            selection = market.selections[k % 3]
            body = json.dumps(
                {"id": f"b{p}-{k}", "kind": "single", "selections": [selection.id],
                 "stake_per_line": UNIT, "prices": {selection.id: selection.odds},
                 "odds_policy": "any"},
                separators=(",", ":"),
            ).encode()  # fmt: skip
            slips[p % args.connections].append(_post("/api/v1/sportsbook/bets", body, token))
    total = sum(len(s) for s in slips)
    closed_share = 0.5  # the closed-loop phase may use half; the paced one the rest
    closed = [s[: int(len(s) * closed_share)] for s in slips]
    paced = [s[int(len(s) * closed_share) :] for s in slips]
    noop = [[_post("/bench/noop", b'{"n":1}', None)] * 200_000 for _ in range(args.connections)]
    port, server = start_server(args.database_url, args.server_processes)
    time.sleep(2 if args.server_processes > 1 else 0)  # healthz answered from one of them
    try:
        log(f"placement: no-op for {args.seconds}s ...")
        baseline = _phase(port, noop, args.seconds)
        log(f"placement: bets closed-loop for {args.seconds}s ({total} slips prepared) ...")
        most = _phase(port, closed, args.seconds)
        log(f"placement: bets at {args.rate}/s for {args.seconds}s ...")
        at_rate = _phase(port, paced, args.seconds, rate=args.rate)
    finally:
        stop_server(server)
    return {
        "noop": baseline,
        "bets_closed_loop": most,
        "bets_at_rate": at_rate,
        "target_rate": args.rate,
        "ratio_to_noop": round(most["per_second"] / baseline["per_second"], 3),
        "players": args.players,
        "connections": args.connections,
        "server_processes": args.server_processes,
        "target_met": at_rate["per_second"] >= 0.98 * args.rate
        and (at_rate["p99_ms"] or 1e9) <= 25
        and not at_rate["not_ok"],
    }


# -- 2. settlement ------------------------------------------------------------------------------


def bench_settlement(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from croupier.core.wallet import NewTransfer, TransferKind, create_transfers
    from croupier.kernel.clock import SystemClock
    from croupier.kernel.db import Database
    from croupier.products.sportsbook import exposure, settlement
    from croupier.products.sportsbook.betting import _house
    from croupier.products.sportsbook.models import Bet, BetLeg, BetStatus, SelectionExposure

    n = args.bets
    players = max(1, n // 100)
    log(f"settlement: seeding {players} players ...")
    ids, _tokens, markets = seed_book(args.database_url, players, 1)
    market = markets[0]
    db = Database(args.database_url)
    clock = SystemClock()
    placed = datetime.now(UTC)
    bets = [(f"bet_{i:09d}", ids[i % players], market.selections[i % 3]) for i in range(n)]
    log(f"settlement: seeding {n} bets and their stake holds ...")
    with db.engine.begin() as conn:
        for chunk in range(0, n, 20_000):
            part = bets[chunk : chunk + 20_000]
            conn.execute(
                insert(Bet),
                [{"id": b, "player_id": p, "client_id": b, "kind": "single", "currency": "EUR",
                  "stake": UNIT, "lines": 1, "odds_policy": "none",
                  "status": BetStatus.ACCEPTED.value, "placed_at": placed,
                  "potential_return": int(UNIT * float(sel.odds)), "settlement_version": 0}
                 for b, p, sel in part],
            )  # fmt: skip
            conn.execute(
                insert(BetLeg),
                [{"bet_id": b, "selection_id": sel.id, "odds": sel.odds} for b, _p, sel in part],
            )
        # What placing them would have kept: each selection's open stakes and liability.
        held: dict[str, list[int]] = {}
        for _b, _p, sel in bets:
            row = held.setdefault(sel.id, [0, 0])
            row[0] += UNIT
            row[1] += int(UNIT * float(sel.odds)) - UNIT
        conn.execute(
            insert(SelectionExposure),
            [{"selection_id": sid, "open_stakes": st, "open_liability": li}
             for sid, (st, li) in held.items()],
        )  # fmt: skip
    holds_started = time.perf_counter()
    for chunk in range(0, n, 5_000):
        with db.unit_of_work() as s:
            house = _house(s, clock, "EUR")
            for result in create_transfers(
                s, clock,
                [NewTransfer(id=f"sb:{b}:stake", debit_account_id=f"acc_{p}",
                             credit_account_id=house, amount=UNIT, currency="EUR",
                             kind=TransferKind.PENDING, code="bet", reference=b)
                 for b, p, _sel in bets[chunk : chunk + 5_000]],
            ):  # fmt: skip
                result.unwrap()
    holds_seconds = time.perf_counter() - holds_started
    log(f"settlement: ledger baseline {holds_seconds:.1f}s; settling {n} bets ...")
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    with db.unit_of_work() as s:
        report = settlement.settle_market(
            s, clock, market.id, {"home": 2, "away": 1}, actor="bench", reason="bench"
        )
    seconds = time.perf_counter() - started
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(40)
        if os.environ.get("BENCH_PROFILE_CALLERS"):
            stats.print_callers(os.environ["BENCH_PROFILE_CALLERS"])
    with db.read_only() as s:
        left = s.scalar(select(func.count()).select_from(Bet).where(Bet.status == "accepted"))
        drift = len(exposure.drift(s))
    db.dispose()
    return {
        "bets": n,
        "players": players,
        "settle_seconds": round(seconds, 2),
        "bets_per_second": round(n / seconds, 1),
        "bets_settled": report.bets_settled,
        "paid": report.paid,
        "left_open": left,
        "exposure_drift": drift,
        "ledger_baseline_seconds": round(holds_seconds, 2),
        "ratio_to_ledger_baseline": round(seconds / holds_seconds, 3),
        "target_met": seconds < 10 and report.bets_settled == n,
    }


# -- 3. odds over WebSocket ---------------------------------------------------------------------


class _Subscriber(asyncio.Protocol):
    """A raw WebSocket client: the upgrade, one subscribe frame, then only arrival times."""

    def __init__(self, event_id: str, ready: asyncio.Future[None]) -> None:
        self.event_id = event_id
        self.ready = ready
        self.upgraded = False
        self.snapshot = False
        self.arrivals: list[float] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.upgraded:
            if b"\r\n\r\n" in data:
                self.upgraded = True
                assert self.transport is not None
                self.transport.write(_client_frame(json.dumps({"subscribe": [self.event_id]})))
            return
        if not self.snapshot:
            self.snapshot = True
            if not self.ready.done():
                self.ready.set_result(None)
            return
        # Frames may arrive together when the server runs late: one arrival per change.
        self.arrivals.extend([now] * data.count(b'"type":"odds"'))


def _client_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def _client_process(port: int, event_id: str, count: int, pipe: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def run() -> list[list[float]]:
        loop = asyncio.get_running_loop()
        subscribers = []
        for start in range(0, count, 200):  # connect in waves: the server's backlog
            waves = []
            for _ in range(start, min(count, start + 200)):
                ready: asyncio.Future[None] = loop.create_future()
                _t, sub = await loop.create_connection(
                    lambda r=ready: _Subscriber(event_id, r), "127.0.0.1", port
                )
                subscribers.append(sub)
                waves.append(ready)
            await asyncio.wait_for(asyncio.gather(*waves), 60)
        pipe.send("ready")
        await loop.run_in_executor(None, pipe.recv)  # the driver is done (loop keeps running)
        for sub in subscribers:
            assert sub.transport is not None
            sub.transport.close()
        return [sub.arrivals for sub in subscribers]

    pipe.send(asyncio.run(run()))


_PRICES = itertools.count(301)  # 3.01, 3.02, ...: the seeded prices are below 3.01


def _odds_round(
    port: int, event_id: str, market_id: str, subscribers: int, processes: int, changes: int
) -> dict[str, Any]:
    args_spacing = 4.0  # seconds between changes: more than a fan-out takes, so none queue
    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    for i in range(processes):
        mine = subscribers // processes + (1 if i < subscribers % processes else 0)
        parent, child = context.Pipe()
        worker = context.Process(target=_client_process, args=(port, event_id, mine, child))
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    for pipe in pipes:
        if pipe.recv() != "ready":
            raise SystemExit("a client process failed")
    committed = []
    for _ in range(changes):
        # A price never offered before in this run: a price that did not move sends nothing,
        # and every later arrival would be matched to the wrong change.
        price = f"{next(_PRICES) / 100:.2f}"
        with urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{port}/bench/odds?market_id={market_id}&price={price}",
                method="POST",
            ),
            timeout=30,
        ) as response:
            committed.append(json.loads(response.read())["committed_at"])
        time.sleep(args_spacing)
    latencies: list[float] = []
    missing = 0
    for pipe in pipes:
        pipe.send("done")
    for pipe, worker in zip(pipes, workers, strict=True):
        for arrivals in pipe.recv():
            missing += max(0, changes - len(arrivals))
            latencies.extend(a - c for a, c in zip(arrivals, committed, strict=False))
        worker.join(timeout=30)
    return {
        "subscribers": subscribers,
        "changes": changes,
        "deliveries": len(latencies),
        "missing": missing,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": percentile(latencies, 1.0),
    }


def bench_odds(args: argparse.Namespace) -> dict[str, Any]:
    log("odds: seeding ...")
    _ids, _tokens, markets = seed_book(args.database_url, 1, 1)
    market = markets[0]
    if args.server_processes > 1 and not os.environ.get("CROUPIER_NATS_URL"):
        raise SystemExit("--server-processes > 1 needs CROUPIER_NATS_URL (the fan-out across them)")
    port, server = start_server(args.database_url, args.server_processes)
    time.sleep(2 if args.server_processes > 1 else 0)  # healthz answered from one of them
    try:
        log("odds: baseline, one subscriber ...")
        baseline = _odds_round(port, market.event_id, market.id, 1, 1, args.changes)
        log(f"odds: {args.subscribers} subscribers in {args.client_processes} processes ...")
        many = _odds_round(
            port, market.event_id, market.id, args.subscribers, args.client_processes,
            args.changes,
        )  # fmt: skip
    finally:
        stop_server(server)
    return {
        "one_subscriber": baseline,
        "many": many,
        "ratio_p99_to_one": round((many["p99_ms"] or 0) / (baseline["p99_ms"] or 1), 1),
        "nats": bool(os.environ.get("CROUPIER_NATS_URL")),
        "server_processes": args.server_processes,
        "target_met": (many["p99_ms"] or 1e9) <= 100 and many["missing"] == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--part", choices=["placement", "settlement", "odds", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--bets", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--profile", action="store_true", help="settlement: cProfile it")
    parser.add_argument(
        "--server-processes", type=int, default=1,
        help="uvicorn worker processes (odds: more than one needs CROUPIER_NATS_URL)",
    )  # fmt: skip
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: the server
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.server_processes)
        return 0
    out: dict[str, Any] = {"benchmark": "sportsbook", "database": args.database_url.split(":")[0]}
    if args.part in ("placement", "all"):
        out["placement"] = bench_placement(args)
    if args.part in ("settlement", "all"):
        out["settlement"] = bench_settlement(args)
    if args.part in ("odds", "all"):
        out["odds"] = bench_odds(args)
    out |= {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())

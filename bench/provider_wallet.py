"""The seamless wallet under load: signed Caleta bets and wins over HTTP, against an unsigned
no-op endpoint on the same server stack in the same run.

Setup (not timed): a fresh schema on the database given, P funded players, a Caleta provider
with an RSA-2048 key, a game, and a game session token per player. Every request body of the
timed phase is built and signed before it starts (signing is the game server's cost; verifying
stays on our side of the clock).

The server is ``croupier``'s application under uvicorn, as ``croupier serve`` runs it, with
one extra route, ``POST /bench/noop``, that reads the body and answers ``{}``. The client is a
separate process speaking plain HTTP/1.1 over C keep-alive connections (asyncio, pre-built
request bytes), so that it costs the shared CPUs as little as possible.

Phase 1: the no-op endpoint for S seconds. Phase 2: rounds of one bet and one win (a third of
them pay) for S seconds, each connection playing its own players, so that one player's calls
come one after another as from a real game server. Reports requests/s, bets/s, p50 and p99 of
each phase, the statuses other than RS_OK, and the ratio of the wallet's requests/s to the
no-op's.

    python bench/provider_wallet.py --database-url sqlite:///var/bench_wallet.db
    python bench/provider_wallet.py --database-url postgresql://postgres@127.0.0.1/bench_wallet

Prints one JSON line. It resets the database it is given: point it at one of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

UNIT = 1_000_000
HERE = Path(__file__).resolve().parent


# -- the server ---------------------------------------------------------------------------------


def make_app() -> Any:
    """croupier's application with one unsigned no-op route (uvicorn's factory)."""
    from croupier.app.main import create_app
    from croupier.products.rgs.games.catalogue import warm_par_sheets

    # The server computes the games' PAR sheets in a background thread at start (~20 s of
    # CPU); done here first, so that it does not share the measured phases' CPU.
    warm_par_sheets()
    app = create_app()
    app.add_api_route("/bench/noop", _noop, methods=["POST"], include_in_schema=False)
    return app


async def _noop(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({})


def serve(port: int, workers: int) -> None:
    import uvicorn

    from croupier.app.logging import configure_logging
    from croupier.kernel.config import get_settings

    settings = get_settings()
    configure_logging(settings.log_level, json=settings.log_json)

    uvicorn.run(
        "provider_wallet:make_app",
        app_dir=str(HERE),
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
    )


# -- setup --------------------------------------------------------------------------------------


def seed(url: str, players: int, history: int) -> tuple[list[tuple[str, str]], Any]:
    """Fresh schema and funded players (as bench/games.py makes them), a Caleta provider and
    game, ``history`` closed rounds of the past (a bet and a win each, as rows: a wallet in
    service is never empty, and the database's planner chooses by what its tables hold) and
    fresh statistics; answers (player, token) pairs and the provider's private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from games import seed_players

    from croupier.kernel.clock import ManualClock, SystemClock
    from croupier.kernel.db import Database
    from croupier.products.aggregation import service, sessions

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    db = Database(url)
    ids = seed_players(db, ManualClock(datetime(2026, 11, 1, 12, 0, tzinfo=UTC)), players)
    clock = SystemClock()  # the server's: the tokens must be live now
    with db.unit_of_work() as s:
        service.add_provider(
            s, clock, name="benchgames", protocol="caleta", public_key_pem=pem, actor="bench"
        )
        service.add_game(
            s, clock, provider="benchgames", code="bench-slot", name="Bench Slot",
            category="slots", rtp="96", actor="bench",
        )  # fmt: skip
        pairs = [
            (player_id, sessions.open_sandbox_session(
                s, clock, player_id=player_id, provider="benchgames",
                game_code="bench-slot", actor="bench",
            ).token)
            for player_id in ids
        ]  # fmt: skip
    _history(db, pairs, history)
    db.dispose()
    return pairs, key


def _history(db: Any, pairs: list[tuple[str, str]], rounds: int) -> None:
    """Past rounds of the bench's players, written straight into the wallet's tables (their
    money is not in the ledger: only the wallet's own rows are wanted), then ANALYZE."""
    from sqlalchemy import insert, select, text

    from croupier.products.aggregation.models import (
        GameSession,
        ProviderGame,
        ProviderRound,
        ProviderTransaction,
    )

    then = datetime(2026, 10, 1, tzinfo=UTC)
    with db.unit_of_work() as s:
        game = s.scalar(select(ProviderGame))
        session_of = {
            row.player_id: row.id
            for row in s.execute(select(GameSession.player_id, GameSession.id))
        }
        for start in range(0, rounds, 5000):
            round_rows, tx_rows = [], []
            for n in range(start, min(rounds, start + 5000)):
                player_id = pairs[n % len(pairs)][0]
                round_id, name = f"prd_hist{n:010d}", f"H-{n}"
                round_rows.append(
                    {"id": round_id, "provider_id": game.provider_id, "round": name,
                     "player_id": player_id, "game_id": game.id, "currency": "EUR",
                     "status": "closed", "staked": 100, "won": 0, "opened_at": then,
                     "closed_at": then, "closed_by": "provider"}
                )  # fmt: skip
                for kind, amount, ref in (("bet", 100, None), ("win", 0, f"hb-{n}")):
                    tx_rows.append(
                        {"id": f"ptx_h{kind}{n:010d}", "provider_id": game.provider_id,
                         "transaction_uuid": f"h{kind[0]}-{n}", "kind": kind,
                         "player_id": player_id, "round_id": round_id, "round": name,
                         "game_id": game.id, "session_id": session_of[player_id],
                         "amount": amount, "is_free": False, "reference_uuid": ref,
                         "transfer_id": None, "rolled_back": False, "created_at": then}
                    )  # fmt: skip
            s.execute(insert(ProviderRound), round_rows)
            s.execute(insert(ProviderTransaction), tx_rows)
    with db.engine.connect() as raw:
        raw.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def _request(path: str, body: bytes, signature: str | None) -> bytes:
    head = [
        f"POST {path} HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
    ]
    if signature is not None:
        head.append(f"X-Auth-Signature: {signature}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def build_rounds(
    pairs: list[tuple[str, str]], key: Any, rounds_per_player: int, rng: random.Random
) -> list[list[tuple[bytes, bytes]]]:
    """Per player, the signed (bet, win) request pairs of its rounds."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def signed(path: str, fields: dict[str, Any]) -> bytes:
        body = json.dumps(fields, separators=(",", ":")).encode()
        signature = base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256()))
        return _request(path, body, signature.decode())

    out = []
    for _player, token in pairs:
        rounds = []
        for _ in range(rounds_per_player):
            round_id, bet_id = f"R-{uuid.uuid4().hex}", uuid.uuid4().hex
            common = {
                "token": token, "supplier_user": "bench", "round": round_id,
                "game_code": "bench-slot", "currency": "EUR", "is_free": False,
            }  # fmt: skip
            bet = signed(
                "/providers/benchgames/wallet/bet",
                common | {"request_uuid": uuid.uuid4().hex, "transaction_uuid": bet_id,
                          "round_closed": False, "amount": 100_000},
            )  # fmt: skip
            pays = rng.random() < 1 / 3
            win = signed(
                "/providers/benchgames/wallet/win",
                common | {"request_uuid": uuid.uuid4().hex, "transaction_uuid": uuid.uuid4().hex,
                          "reference_transaction_uuid": bet_id, "round_closed": True,
                          "amount": 288_000 if pays else 0},
            )  # fmt: skip
            rounds.append((bet, win))
        out.append(rounds)
    return out


# -- the client ---------------------------------------------------------------------------------


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
    latencies: list[float],
    outcomes: dict[str, int],
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        for raw in requests:
            if time.perf_counter() >= deadline:
                break
            t0 = time.perf_counter()
            writer.write(raw)
            status, body = await _read_response(reader)
            latencies.append(time.perf_counter() - t0)
            done += 1
            if status != 200:
                outcomes[f"http_{status}"] = outcomes.get(f"http_{status}", 0) + 1
                continue
            if b'"RS_OK"' not in body and body != b"{}":
                said = json.loads(body).get("status", "?")
                outcomes[said] = outcomes.get(said, 0) + 1
    finally:
        writer.close()
    return done


def _phase(port: int, streams: list[list[bytes]], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    async def run() -> int:
        deadline = time.perf_counter() + seconds
        counts = await asyncio.gather(
            *(_connection(port, s, deadline, latencies, outcomes) for s in streams)
        )
        return sum(counts)

    started = time.perf_counter()
    done = asyncio.run(run())
    elapsed = time.perf_counter() - started
    flat = sorted(latencies)
    n = len(flat)
    return {
        "requests": done,
        "requests_per_second": round(done / elapsed, 1),
        "p50_ms": round(flat[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(flat[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
        "not_ok": outcomes,
    }


def _wait_until_up(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--history", type=int, default=100_000, help="past rounds in the tables before the run"
    )
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # internal: the server
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.workers)
        return 0

    print(f"seeding {args.players} players and {args.history} past rounds ...", file=sys.stderr)
    pairs, key = seed(args.database_url, args.players, args.history)
    rng = random.Random(7)
    # Enough rounds that no connection runs out before the deadline at 5,000 requests/s.
    per_player = max(20, int(5000 * args.seconds / 2 / len(pairs)) + 1)
    print(f"signing {per_player * len(pairs) * 2} requests ...", file=sys.stderr)
    rounds = build_rounds(pairs, key, per_player, rng)
    streams: list[list[bytes]] = [[] for _ in range(args.connections)]
    for i, player_rounds in enumerate(rounds):
        streams[i % args.connections].extend(raw for pair in player_rounds for raw in pair)
    # Interleave each connection's players round by round.
    for c in range(args.connections):
        mine = [rounds[i] for i in range(c, len(rounds), args.connections)]
        streams[c] = [raw for k in range(per_player) for pr in mine for raw in pr[k]]
    noop = [[_request("/bench/noop", b'{"n":1}', None)] * 200_000 for _ in range(args.connections)]

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ, CROUPIER_DATABASE_URL=args.database_url, CROUPIER_LOG_LEVEL="warning")
    env.setdefault("CROUPIER_ENV", "dev")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        [sys.executable, __file__, "--database-url", args.database_url,
         "--serve", str(port), "--workers", str(args.workers)],
        env=env,
    )  # fmt: skip
    try:
        _wait_until_up(port, server)
        print(f"no-op for {args.seconds}s ...", file=sys.stderr)
        baseline = _phase(port, noop, args.seconds)
        print(f"bets and wins for {args.seconds}s ...", file=sys.stderr)
        wallet = _phase(port, streams, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = wallet["requests_per_second"] / baseline["requests_per_second"]
    print(
        json.dumps(
            {
                "benchmark": "provider_wallet",
                "database": args.database_url.split(":", 1)[0],
                "wallet": wallet,
                "bets_per_second": round(wallet["requests_per_second"] / 2, 1),
                "noop": baseline,
                "ratio_to_noop": round(ratio, 3),
                "players": args.players,
                "history_rounds": args.history,
                "connections": args.connections,
                "server_workers": args.workers,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())

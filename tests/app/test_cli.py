"""The real ``croupier`` command, run in a subprocess against an SQLite file.

Each command starts a Python process (about a second), so the tests share one migrated
database file, copied for each test, and check several things per invocation.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from croupier.core.wallet.models import AccountKind
from croupier.core.wallet.service import NewTransfer, create_transfers, open_account
from croupier.kernel.audit import record_event
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database

# The installed console script, as operators run it; the module where it is not installed.
_SCRIPT = Path(sys.executable).with_name("croupier")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "croupier.app.cli"]


class Croupier:
    """Runs ``croupier`` with its configuration pointing at one SQLite file."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.url = f"sqlite:///{database}"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
        env.update(
            CROUPIER_DATABASE_URL=self.url,
            CROUPIER_ENV="test",
            COLUMNS="200",
            NO_COLOR="1",
            TERM="dumb",
        )
        env.update(overrides)
        return env

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return self.start(*args, **env)()

    def start(self, *args: str, **env: str) -> Callable[[], subprocess.CompletedProcess[str]]:
        """Start a command; call the result to wait for it (to run commands side by side)."""
        process = subprocess.Popen(
            [*COMMAND, *args],
            env=self.env(**env),
            cwd=self.database.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def finish() -> subprocess.CompletedProcess[str]:
            try:
                stdout, stderr = process.communicate(timeout=60)
            finally:
                process.kill()
            return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)

        return finish

    def copy(self, name: str) -> Croupier:
        """The same database in another file, to run a second command on it side by side."""
        return Croupier(_copy_database(self.database, self.database.with_name(name)))

    def json(self, *args: str, **env: str) -> dict:
        done = self(*args, "--json", **env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def query(self, sql: str, *params: object) -> list[tuple]:
        with closing(sqlite3.connect(self.database)) as conn:
            return conn.execute(sql, params).fetchall()

    def execute(self, sql: str, *params: object) -> None:
        """Raw SQL behind croupier's back, as someone with access to the file could."""
        with closing(sqlite3.connect(self.database)) as conn, conn:
            conn.execute(sql, params)


def _copy_database(source: Path, target: Path) -> Path:
    # SQLite's backup API: a consistent copy even if a WAL file is still around.
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file that ``croupier db upgrade`` brought to the newest revision."""
    database = tmp_path_factory.mktemp("migrated") / "croupier.db"
    done = Croupier(database)("db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "database at revision" in done.stderr
    return database


@pytest.fixture
def croupier(migrated: Path, tmp_path: Path) -> Croupier:
    return Croupier(_copy_database(migrated, tmp_path / "croupier.db"))


def _offset_seconds(croupier: Croupier) -> int:
    [(offset,)] = croupier.query("SELECT offset_seconds FROM clock_offset")
    return offset


def _audited_clock_changes(croupier: Croupier) -> int:
    [(count,)] = croupier.query(
        "SELECT count(*) FROM audit_log WHERE action = 'clock.offset_changed'"
    )
    return count


def test_help_lists_every_command_group():
    done = subprocess.run(
        [*COMMAND, "--help"],
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    listed = {line.strip(" │").split(" ", 1)[0] for line in done.stdout.splitlines()}
    assert {"serve", "db", "ledger", "audit", "clock", "demo"} <= listed


def test_db_upgrade_brings_the_database_to_the_head_revision(croupier):
    revisions = croupier.json("db", "current")

    assert revisions["head"]
    assert revisions["current"] == revisions["head"]


def test_demo_load_twice_changes_nothing_the_second_time(croupier):
    first = croupier.json("demo", "load")
    [(accounts_after_first,)] = croupier.query("SELECT count(*) FROM ledger_accounts")
    second = croupier.json("demo", "load")
    [(accounts_after_second,)] = croupier.query("SELECT count(*) FROM ledger_accounts")

    assert first == second
    assert {"house:EUR", "sandbox_funding:EUR", "promotions:EUR"} <= set(first)
    assert {"brand:demo", "operator:admin", "player:demo"} <= set(first)
    platform_accounts = [
        k for k in first if k.split(":")[0] in {"house", "sandbox_funding", "promotions"}
    ]
    # The platform accounts and the demo player's cash account, once.
    assert accounts_after_first == accounts_after_second == len(platform_accounts) + 1
    [(players,)] = croupier.query("SELECT count(*) FROM players")
    assert players == 1


def test_demo_load_in_production_creates_no_logins(croupier):
    loaded = croupier.json("demo", "load", CROUPIER_ENV="production")

    assert "brand:demo" in loaded
    assert "operator:admin" not in loaded
    [(operators,)] = croupier.query("SELECT count(*) FROM operators")
    assert operators == 0


def test_operator_create_prints_the_credentials_once_and_stores_them_hashed(croupier):
    created = croupier.json("operator", "create", "--email", "ops@example.com", "--role", "finance")

    assert created["role"] == "finance"
    assert len(created["totp_secret"]) == 32
    assert created["otpauth_uri"].startswith("otpauth://totp/")
    [(stored,)] = croupier.query("SELECT password_hash FROM operators")
    assert created["password"] not in stored
    again = croupier("operator", "create", "--email", "OPS@example.com", "--role", "finance")
    assert again.returncode == 2
    assert "operators.exists" in again.stderr
    unknown = croupier("operator", "create", "--email", "x@example.com", "--role", "croupier")
    assert "operators.unknown_role" in unknown.stderr


def test_dev_player_creates_an_active_funded_player(croupier):
    croupier.json("demo", "load")

    made = croupier.json("dev", "player", "--currency", "EUR", "--balance", "100.00")

    assert made["player_id"].startswith("ply_")
    assert made["status"] == "active"
    assert made["balance"] == 100_000_000
    [(funded,)] = croupier.query(
        "SELECT credits_posted FROM ledger_accounts WHERE id = ?", made["cash_account_id"]
    )
    assert funded == 100_000_000
    assert croupier("ledger", "verify").returncode == 0


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        (["--balance", "1.0000001"], {}, "money.inexact_conversion"),
        (["--balance", "lots"], {}, "money.invalid"),
        (["--currency", "XYZ"], {}, "money.unknown_currency"),
        (["--brand", "nosuch"], {}, "players.brand_not_found"),
        ([], {"CROUPIER_ENV": "production"}, "sandbox.unavailable"),
    ],
)
def test_dev_player_refuses_bad_input_and_production_and_creates_nothing(croupier, args, env, code):
    croupier.json("demo", "load")
    [(before,)] = croupier.query("SELECT count(*) FROM players")

    done = croupier("dev", "player", *args, **env)

    assert done.returncode == 2
    assert code in done.stderr
    [(after,)] = croupier.query("SELECT count(*) FROM players")
    assert after == before


def test_ledger_verify_passes_on_a_clean_ledger_and_lists_a_corrupted_balance(croupier):
    database = Database(croupier.url, pool_size=1)
    clock = SystemClock()
    try:
        with database.unit_of_work() as s:
            player = open_account(
                s, clock, kind=AccountKind.PLAYER_CASH, currency_code="EUR", owner_id="ply_cli"
            )
            funding = open_account(
                s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="sandbox"
            )
            create_transfers(
                s,
                clock,
                [
                    NewTransfer(
                        id="fund-1",
                        debit_account_id=funding.id,
                        credit_account_id=player.id,
                        amount=20_000_000,
                    )
                ],
            )[0].unwrap()
    finally:
        database.dispose()

    # Someone edits a balance behind the ledger's back (in a copy, checked side by side).
    corrupted = croupier.copy("corrupted.db")
    corrupted.execute(
        "UPDATE ledger_accounts SET credits_posted = credits_posted + 1000000 WHERE id = ?",
        player.id,
    )
    verify_clean = croupier.start("ledger", "verify", "--json")
    verify_corrupted = corrupted.start("ledger", "verify")
    clean, broken = verify_clean(), verify_corrupted()

    assert clean.returncode == 0, clean.stderr
    report = json.loads(clean.stdout)
    assert report["ok"] is True
    assert report["violations"] == []
    assert (report["accounts"], report["transfers"]) == (2, 1)

    assert broken.returncode == 1
    assert "ledger BROKEN" in broken.stdout
    [violation] = [
        line for line in broken.stdout.splitlines() if "balances_match_transfers" in line
    ]
    assert player.id in violation
    assert "Traceback" not in broken.stderr


def test_audit_verify_passes_on_an_intact_chain_and_fails_after_tampering(croupier):
    database = Database(croupier.url, pool_size=1)
    try:
        for limit in (100, 50):
            with database.unit_of_work() as s:
                record_event(
                    s,
                    SystemClock(),
                    actor="operator:opr_1",
                    action="rg.deposit_limit_changed",
                    subject_type="player",
                    subject_id="ply_1",
                    after={"daily": limit},
                )
    finally:
        database.dispose()

    tampered_copy = croupier.copy("tampered.db")
    tampered_copy.execute("UPDATE audit_log SET after = ? WHERE seq = 1", '{"daily":1000000}')
    verify_intact = croupier.start("audit", "verify", "--json")
    verify_tampered = tampered_copy.start("audit", "verify")
    intact, tampered = verify_intact(), verify_tampered()

    assert intact.returncode == 0, intact.stderr
    assert json.loads(intact.stdout) == {"ok": True, "records": 2, "violations": []}
    assert tampered.returncode == 1
    assert "record 1: content does not match its hash" in tampered.stdout
    assert "Traceback" not in tampered.stderr


def test_clock_advance_show_and_reset(croupier):
    advanced = croupier.json("clock", "advance", "25h")
    assert advanced["offset_seconds"] == 90_000

    shown = croupier.json("clock", "show")
    assert shown["offset_seconds"] == 90_000
    assert shown["adjustable"] is True

    reset = croupier.json("clock", "reset")
    assert reset["offset_seconds"] == 0
    assert _offset_seconds(croupier) == 0
    # GLI-19 §2.8.8: each change of the master clock is in the audit trail.
    assert _audited_clock_changes(croupier) == 2


def test_clock_advance_refuses_a_malformed_duration_and_leaves_the_clock(croupier):
    done = croupier("clock", "advance", "5x")

    assert done.returncode == 2
    assert "clock.invalid_duration" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert _offset_seconds(croupier) == 0
    assert _audited_clock_changes(croupier) == 0


def test_clock_cannot_be_moved_in_production(croupier):
    croupier.execute("UPDATE clock_offset SET offset_seconds = 3600")

    done = croupier("clock", "advance", "1h", CROUPIER_ENV="production")

    assert done.returncode == 2
    assert "clock.not_adjustable" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert _offset_seconds(croupier) == 3600
    assert _audited_clock_changes(croupier) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_checks_and_logs_json_with_request_ids(croupier, tmp_path):
    port = _free_port()
    request_id = f"cli-test-{uuid.uuid4().hex}"
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(port)],
            env=croupier.env(),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            response = None
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    response = httpx.get(
                        f"http://127.0.0.1:{port}/healthz",
                        headers={"X-Request-ID": request_id},
                        timeout=2,
                    )
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()

    log = log_path.read_text()
    assert response is not None, f"croupier serve did not answer within 15 s:\n{log}"
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["X-Request-ID"] == request_id

    banner, *lines = log.splitlines()
    assert banner.startswith(f"croupier serving on http://127.0.0.1:{port}")
    events = [json.loads(line) for line in lines]  # every log line is one JSON object
    assert all(isinstance(e, dict) and e["event"] and e["level"] for e in events)
    requests = [e for e in events if e["event"] == "http.request"]
    assert requests
    assert all(e["request_id"] for e in requests)
    assert [(e["path"], e["status"]) for e in requests if e["request_id"] == request_id] == [
        ("/healthz", 200)
    ]


def test_jurisdictions_list_and_show_print_the_rule_base_with_sources(croupier):
    listed = croupier.json("jurisdictions", "list")
    gb = croupier.json("jurisdictions", "show", "GB")
    text = croupier("jurisdictions", "show", "gb")
    unknown = croupier("jurisdictions", "show", "XX")

    assert {"GB", "MT", "SE", "US-NJ", "CA-ON"} <= {j["code"] for j in listed["jurisdictions"]}
    assert gb["minimum_age"] == 18
    assert gb["sources"]["slot_max_stake"]
    assert text.returncode == 0
    assert "slot_max_stake" in text.stdout
    assert unknown.returncode == 2
    assert "jurisdiction.not_found" in unknown.stderr


def test_sanctions_load_status_and_screen(croupier):
    un = Path(__file__).parents[1] / "policy" / "compliance" / "data" / "un_consolidated.xml"
    loaded = croupier.json("sanctions", "load", str(un), "--format", "un-xml", "--name", "un")
    status = croupier.json("sanctions", "status")
    hit = croupier.json("sanctions", "screen", "Ivan Petrovich Sidorenco")
    miss = croupier.json("sanctions", "screen", "John Smith")
    bad = croupier("sanctions", "load", str(un), "--format", "ofac-csv", "--name", "un")

    assert loaded == {"entries": 5, "list": "un", "players_with_hits": 0}
    assert status["lists"][0]["entries"] == 5
    assert hit["hits"][0]["reference"] == "QDi.901"
    assert miss["hits"] == []
    assert bad.returncode == 2
    assert "compliance.invalid_sanctions_list" in bad.stderr
    assert croupier.json("sanctions", "status")["lists"][0]["entries"] == 5

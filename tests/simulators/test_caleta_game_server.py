"""The Caleta game-server simulator: signing, the retry rules of the spec's "Handling errors"
against a scripted wallet that fails on cue (a real HTTP server), reproducible rounds; then
hundreds of rounds against a real ``croupier serve``, killed with SIGKILL and restarted in the
middle of a run, after which every round's money is exactly what the journal says (SQLite and
PostgreSQL)."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from sqlalchemy import select
from typer.testing import CliRunner

from croupier.app.cli import app
from croupier.core.wallet import get_balance, verify_ledger
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.kernel.money import currency
from croupier.products.aggregation.models import ProviderRound, ProviderTransaction
from croupier.simulators.caleta_game_server import (
    GameServer,
    GameServerConfig,
    Journal,
    paytable_rtp,
    plan_round,
    sign,
)
from tests.policy.policy_fixtures import player_in
from tests.products.aggregation.keys import rsa_private_key
from tests.products.aggregation.wallet_fixtures import (
    EUR,
    GAME,
    PROVIDER,
    add_caleta_provider,
    fund,
    new_token,
)
from tests.simulators.scripted_wallet import RunningWallet, ScriptedWallet

START = 100 * 100_000  # 100.00 in protocol units
HANG = 0.3  # seconds the scripted wallet keeps a client waiting; more than the timeout below


def private_pem() -> bytes:
    return rsa_private_key().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def game_config(url: str, tokens: list[str], **overrides: Any) -> GameServerConfig:
    settings: dict[str, Any] = {
        "wallet_url": url,
        "provider": "acme",
        "private_key_pem": private_pem(),
        "tokens": tokens,
        "game_code": "sweet-7",
        "rounds": 1,
        "seed": 1,
        "second_bet_chance": 0.0,
        "balance_chance": 0.0,
        "timeout": 0.1,
        "first_backoff": 0.01,
        "max_backoff": 0.05,
    }
    settings.update(overrides)
    return GameServerConfig(**settings)


@pytest.fixture
def wallet() -> Iterator[RunningWallet]:
    scripted = ScriptedWallet(
        rsa_private_key().public_key(), {"t1": START, "t2": START, "t3": START}, HANG
    )
    with RunningWallet(scripted) as running:
        yield running


def play(wallet: RunningWallet, tokens: tuple[str, ...] = ("t1",), **overrides: Any) -> Journal:
    return GameServer(game_config(wallet.url, list(tokens), **overrides)).run()


def only_round(journal: Journal) -> dict[str, Any]:
    [played] = journal.to_dict()["rounds"]
    return played


def kinds(played: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["verb"], t["outcome"]) for t in played["transactions"]]


# -- signing --------------------------------------------------------------------------------------


def test_the_signature_is_rsa_sha256_over_the_exact_bytes_and_verifies_with_the_public_key():
    body = b'{"token":"t1","request_uuid":"r1","game_code":"sweet-7"}'
    signature = base64.b64decode(sign(rsa_private_key(), body), validate=True)
    public = rsa_private_key().public_key()
    public.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(InvalidSignature):
        public.verify(signature, body + b" ", padding.PKCS1v15(), hashes.SHA256())


def test_every_request_of_a_run_is_signed_over_the_bytes_the_wallet_received(wallet):
    journal = play(wallet, ("t1", "t2"), rounds=20, concurrency=2, balance_chance=0.5)
    assert journal.ok
    assert len(wallet.wallet.requests) == journal.requests > 40
    assert all(r.signed for r in wallet.wallet.requests)


# -- bets ------------------------------------------------------------------------------------------


def test_a_bet_is_retried_with_the_same_transaction_and_a_fresh_request_uuid(wallet):
    wallet.wallet.script["bet"] = ["502", "RS_ERROR_UNKNOWN"]
    played = only_round(play(wallet))
    bets = wallet.wallet.of("bet")
    assert len(bets) == 3
    assert len({b.body["request_uuid"] for b in bets}) == 3
    same = [{k: v for k, v in b.body.items() if k != "request_uuid"} for b in bets]
    assert same[0] == same[1] == same[2]
    assert played["transactions"][0]["attempts"] == 3
    assert played["transactions"][0]["failures"] == {"HTTP 502": 1, "RS_ERROR_UNKNOWN": 1}
    assert kinds(played) == [("bet", "accepted"), ("win", "paid")]
    assert wallet.wallet.balances["t1"] == START - played["staked"] + played["won"]


def test_a_bet_without_an_answer_after_three_attempts_is_rolled_back_and_its_money_returns(wallet):
    # The first attempt debits but its answer is lost; then a timeout and a body that is not
    # JSON. The rollback itself meets a 502 and a dropped connection before it succeeds.
    wallet.wallet.script["bet"] = ["lost", "hang", "garbage"]
    wallet.wallet.script["rollback"] = ["502", "drop"]
    journal = play(wallet)
    played = only_round(journal)

    assert len(wallet.wallet.of("bet")) == 3
    assert kinds(played) == [("bet", "rolled_back"), ("rollback", "done")]
    bet, rollback = played["transactions"]
    assert rollback["reference_transaction_uuid"] == bet["transaction_uuid"]
    assert rollback["transaction_uuid"] != bet["transaction_uuid"]
    assert rollback["round_closed"] is True  # nothing follows it in the round
    assert rollback["attempts"] == 3
    sent = [r.body for r in wallet.wallet.of("rollback")]
    assert {b["transaction_uuid"] for b in sent} == {rollback["transaction_uuid"]}
    assert sent[0]["user"] == "user-t1"
    assert "amount" not in sent[0]
    assert not wallet.wallet.of("win")
    assert (played["staked"], played["won"], played["rolled_back"]) == (0, 0, bet["amount"])
    assert wallet.wallet.balances["t1"] == START
    assert journal.ok


def test_a_bet_the_wallet_never_saw_is_rolled_back_too_and_arriving_late_moves_nothing(wallet):
    wallet.wallet.script["bet"] = ["hang", "hang", "502"]
    played = only_round(play(wallet))
    assert kinds(played) == [("bet", "rolled_back"), ("rollback", "done")]
    assert wallet.wallet.balances["t1"] == START
    [bet] = wallet.wallet.of("bet")[:1]
    assert bet.body["transaction_uuid"] in wallet.wallet.rolled_back


@pytest.mark.parametrize(
    "status",
    [
        "RS_ERROR_NOT_ENOUGH_MONEY",
        "RS_ERROR_BET_LIMIT_EXCEEDED",
        "RS_ERROR_USER_DISABLED",
        "RS_ERROR_INVALID_SIGNATURE",
        "RS_ERROR_DUPLICATE_TRANSACTION",
    ],
)
def test_a_bet_refused_with_a_known_error_is_discarded_without_retry_or_rollback(wallet, status):
    wallet.wallet.script["bet"] = [status]
    journal = play(wallet)
    played = only_round(journal)
    assert kinds(played) == [("bet", "discarded")]
    assert played["transactions"][0]["status"] == status
    assert [r.verb for r in wallet.wallet.requests] == ["balance", "bet", "balance"]
    assert wallet.wallet.balances["t1"] == START
    assert journal.ok  # a discarded bet is a settled round


def test_a_bet_status_the_spec_does_not_list_leaves_the_outcome_unknown_so_it_is_rolled_back(
    wallet,
):
    wallet.wallet.script["bet"] = ["RS_ERROR_TOKEN_EXPIRED"]
    played = only_round(play(wallet))
    assert len(wallet.wallet.of("bet")) == 1
    assert kinds(played) == [("bet", "rolled_back"), ("rollback", "done")]


def test_a_second_bet_that_fails_rolls_back_alone_and_the_first_is_still_paid(wallet):
    wallet.wallet.script["bet"] = [None, "502", "502", "502"]
    played = only_round(play(wallet, second_bet_chance=1.0))
    assert kinds(played) == [
        ("bet", "accepted"),
        ("bet", "rolled_back"),
        ("rollback", "done"),
        ("win", "paid"),
    ]
    rollback, win = played["transactions"][2:]
    assert (rollback["round_closed"], win["round_closed"]) == (False, True)
    assert win["reference_transaction_uuid"] == played["transactions"][0]["transaction_uuid"]
    assert wallet.wallet.balances["t1"] == START - played["staked"] + played["won"]


# -- wins and rollbacks ---------------------------------------------------------------------------


def test_a_win_is_retried_through_every_fault_until_it_succeeds_and_is_paid_once(wallet):
    wallet.wallet.script["win"] = ["hang", "502", "garbage", "lost", "RS_ERROR_TIMEOUT", "drop"]
    journal = play(wallet, seed=2)  # seed 2's round 0 pays something
    played = only_round(journal)
    win = played["transactions"][1]
    assert win["amount"] > 0
    assert (win["outcome"], win["attempts"]) == ("paid", 7)
    assert {r.body["transaction_uuid"] for r in wallet.wallet.of("win")} == {
        win["transaction_uuid"]
    }
    assert wallet.wallet.balances["t1"] == START - played["staked"] + played["won"]
    assert journal.ok


@pytest.mark.parametrize(
    "status",
    ["RS_ERROR_TRANSACTION_ROLLED_BACK", "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"],
)
def test_a_win_answered_with_a_stop_status_is_not_retried_and_the_round_is_not_settled(
    wallet, status
):
    wallet.wallet.script["win"] = [status]
    journal = play(wallet)
    played = only_round(journal)
    assert kinds(played) == [("bet", "accepted"), ("win", "refused")]
    assert len(wallet.wallet.of("win")) == 1
    assert (played["settled"], played["won"]) == (False, 0)
    assert not journal.ok
    assert journal.summary()["refused"] == 1


def test_a_win_not_paid_before_the_deadline_is_unresolved(wallet):
    wallet.wallet.script["win"] = ["502"] * 1000
    journal = play(wallet, give_up_after=0.3)
    played = only_round(journal)
    assert kinds(played) == [("bet", "accepted"), ("win", "unresolved")]
    assert played["transactions"][1]["attempts"] > 3
    assert not journal.ok
    assert journal.summary()["unresolved"] == 1


def test_a_run_stopped_while_a_win_is_retried_journals_it_unresolved(wallet):
    wallet.wallet.script["win"] = ["502"] * 10_000  # and no deadline: retried for ever
    server = GameServer(game_config(wallet.url, ["t1"], rounds=5))
    threading.Timer(0.3, server.stop).start()
    journal = server.run()
    assert journal.interrupted
    assert kinds(only_round(journal)) == [("bet", "accepted"), ("win", "unresolved")]
    assert not journal.ok


def test_a_rollback_refused_with_a_stop_status_is_not_retried(wallet):
    wallet.wallet.script["bet"] = ["502", "502", "502"]
    wallet.wallet.script["rollback"] = ["RS_ERROR_TRANSACTION_DOES_NOT_EXIST"]
    journal = play(wallet)
    assert kinds(only_round(journal)) == [("bet", "rolled_back"), ("rollback", "refused")]
    assert len(wallet.wallet.of("rollback")) == 1
    assert not journal.ok


def test_a_token_the_wallet_does_not_know_plays_nothing(wallet):
    journal = play(wallet, ("t1", "nobody"), rounds=4)
    assert [p.refused for p in journal.tokens] == [None, "RS_ERROR_INVALID_TOKEN"]
    assert len(journal.rounds) == 2
    assert not journal.ok


# -- many rounds ----------------------------------------------------------------------------------


def test_many_rounds_through_random_faults_leave_every_balance_as_the_journal_says(wallet):
    wallet.wallet.chaos = random.Random(5)
    wallet.wallet.hang_seconds = 0.15
    journal = play(
        wallet, ("t1", "t2", "t3"), rounds=150, concurrency=3, seed=9, second_bet_chance=0.2
    )
    assert journal.ok, journal.summary()
    totals = journal.totals()
    assert totals["bets_rolled_back"] > 0
    assert totals["retries"] > 0
    for check in journal.user_checks():
        token = check["user"].removeprefix("user-")
        assert wallet.wallet.balances[token] == check["closing_balance"]
        assert check["closing_balance"] == START - check["staked"] + check["won"]
    for played in journal.to_dict()["rounds"]:
        for sent in played["transactions"]:
            tx = sent["transaction_uuid"]
            if (sent["verb"], sent["outcome"]) in {("bet", "accepted"), ("win", "paid")}:
                assert tx in wallet.wallet.transactions
                assert tx not in wallet.wallet.rolled_back
            if sent["outcome"] == "rolled_back":
                assert tx in wallet.wallet.rolled_back


def test_the_same_seed_plays_the_same_stakes_and_outcomes_whatever_the_run(wallet):
    config = game_config(wallet.url, ["t1", "t2"], seed=42, second_bet_chance=0.3)
    first = [plan_round(config, "run-a", i) for i in range(200)]
    again = [plan_round(config, "run-b", i) for i in range(200)]
    other = [plan_round(game_config(wallet.url, ["t1"], seed=43), "run-a", i) for i in range(200)]
    amounts = [[(b.amount, b.win_amount) for b in p.bets] for p in first]
    assert amounts == [[(b.amount, b.win_amount) for b in p.bets] for p in again]
    assert amounts != [[(b.amount, b.win_amount) for b in p.bets] for p in other]
    assert {p.bets[0].transaction_uuid for p in first}.isdisjoint(
        p.bets[0].transaction_uuid for p in again
    )
    assert paytable_rtp() == Decimal("0.96")


# -- the command --------------------------------------------------------------------------------


def test_croupier_simulate_game_server_prints_a_json_summary_and_writes_the_journal(
    wallet, tmp_path
):
    key = tmp_path / "acme.pem"
    key.write_bytes(private_pem())
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("t1\n\nt2\n")
    journal_path = tmp_path / "journal.json"
    wallet.wallet.script["bet"] = ["502"]
    done = CliRunner().invoke(
        app,
        [
            "simulate", "game-server", "--url", wallet.url, "--provider", "acme",
            "--key", str(key), "--game", "sweet-7", "--tokens-file", str(tokens),
            "--token", "t3", "--rounds", "30", "--concurrency", "3", "--seed", "7",
            "--stakes", "0.10,1", "--timeout", "0.5", "--journal", str(journal_path),
            "--json",
        ],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["ok"] is True
    assert summary["rounds"] == 30
    assert summary["tokens"] == 3
    assert summary["retries"] == 1
    written = json.loads(journal_path.read_text())
    assert written["totals"]["staked"] == summary["staked"]
    stakes = {
        t["amount"] for r in written["rounds"] for t in r["transactions"] if t["verb"] == "bet"
    }
    assert stakes == {10_000, 100_000}
    assert [r["index"] for r in written["rounds"]] == list(range(30))


def test_croupier_simulate_game_server_refuses_a_key_that_is_not_a_private_key(tmp_path):
    key = tmp_path / "public.pem"
    key.write_bytes(b"-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    done = CliRunner().invoke(
        app,
        ["simulate", "game-server", "--provider", "acme", "--key", str(key), "--game", "g",
         "--token", "t1"],
    )  # fmt: skip
    assert done.exit_code == 2
    assert "error:" in done.output


# -- against croupier serve ------------------------------------------------------------------------

# The installed console script, as operators run it; the module where it is not installed.
_SCRIPT = Path(sys.executable).with_name("croupier")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "croupier.app.cli"]
FUNDS = 100 * EUR
# Ledger units of one protocol unit (EUR: 6 decimals in the ledger, 5 in Caleta).
PER_UNIT = 10 ** (currency("EUR").ledger_scale - 5)


class Served:
    """``croupier serve`` in a subprocess on one port: killed with SIGKILL, started again."""

    def __init__(self, database_url: str, log: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CROUPIER_")}
        self.env.update(
            CROUPIER_DATABASE_URL=database_url,
            CROUPIER_ENV="test",
            CROUPIER_LOG_LEVEL="WARNING",
            CROUPIER_RGS_INTERRUPTED_CHECK_SECONDS="0",
        )
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [*COMMAND, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError(f"croupier serve did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # SIGKILL: no shutdown, requests in flight are cut
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def croupier(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*COMMAND, *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )


@dataclass
class Table:
    """Players funded with FUNDS, each with a session at acme's sweet-7, on a database that a
    ``croupier serve`` subprocess serves."""

    db: Database
    served: Served
    tokens: list[str]
    cash_accounts: dict[str, str]  # by player id

    def config(self, rounds: int, **overrides: Any) -> GameServerConfig:
        settings: dict[str, Any] = {
            "wallet_url": self.served.url,
            "provider": PROVIDER,
            "private_key_pem": private_pem(),
            "tokens": self.tokens,
            "game_code": GAME,
            "rounds": rounds,
            "concurrency": len(self.tokens),
            "seed": 11,
            "second_bet_chance": 0.2,
            "max_backoff": 0.25,
            "give_up_after": 60.0,  # a broken wallet fails the test instead of hanging it
        }
        settings.update(overrides)
        return GameServerConfig(**settings)


@pytest.fixture
def table(db, tmp_path) -> Iterator[Table]:
    clock = SystemClock()  # the served app runs on the wall clock
    add_caleta_provider(db, clock)
    tokens, accounts = [], {}
    for _ in range(3):
        player = player_in(db, clock, "MT")
        fund(db, clock, player.cash_account_id, FUNDS)
        accounts[player.id] = player.cash_account_id
        tokens.append(new_token(db, clock, player.id))
    served = Served(db.url, tmp_path / "serve.log")
    served.start()
    try:
        yield Table(db, served, tokens, accounts)
    finally:
        served.stop()


def assert_every_round_exact(table: Table, journal: Journal) -> None:
    """The ledger and the wallet's tables say what the journal says, round by round."""
    unsettled = [r.to_dict() for r in journal.rounds if not r.settled][:5]
    log = table.served.log.read_text()[-3000:]
    assert journal.ok, (journal.summary(), journal.user_checks(), unsettled, log)
    with table.db.read_only() as s:
        assert verify_ledger(s) == []
        for check in journal.user_checks():
            available = get_balance(s, table.cash_accounts[check["user"]]).available
            assert available == FUNDS + PER_UNIT * (check["won"] - check["staked"]), check
            assert available == PER_UNIT * check["closing_balance"]
        rows = {t.transaction_uuid: t for t in s.scalars(select(ProviderTransaction))}
        rounds = {r.round: r for r in s.scalars(select(ProviderRound))}
        sent_uuids = set()
        for played in journal.to_dict()["rounds"]:
            sent_uuids |= {t["transaction_uuid"] for t in played["transactions"]}
            staked, won = _assert_round_rows(played, rows)
            provider_round = rounds.get(played["round"])
            if staked:
                assert provider_round is not None, played
                assert (provider_round.staked, provider_round.won) == (staked, won), played
                assert provider_round.status == "closed", played
            assert (staked, won) == (PER_UNIT * played["staked"], PER_UNIT * played["won"])
        assert set(rows) <= sent_uuids  # the wallet holds nothing the game server did not send


def _assert_round_rows(
    played: dict[str, Any], rows: dict[str, ProviderTransaction]
) -> tuple[int, int]:
    """Each transaction of a journalled round against its row; the round's stakes and wins."""
    staked = won = 0
    for sent in played["transactions"]:
        row = rows.get(sent["transaction_uuid"])
        match sent["verb"], sent["outcome"]:
            case ("bet", "accepted") | ("win", "paid"):
                assert row is not None, sent
                assert (row.kind, row.rolled_back) == (sent["verb"], False), sent
                assert row.amount == PER_UNIT * sent["amount"], sent
                staked += row.amount if row.kind == "bet" else 0
                won += row.amount if row.kind == "win" else 0
            case ("bet", "discarded"):
                assert row is None, sent
            case ("bet", "rolled_back"):
                # Debited and given back, or never debited at all: nothing net either way.
                assert row is None or row.rolled_back, sent
            case ("rollback", "done"):
                bet = rows.get(sent["reference_transaction_uuid"])
                assert row is not None, sent
                assert row.reference_uuid == sent["reference_transaction_uuid"]
                assert row.amount == (bet.amount if bet is not None else 0), sent
            case other:
                raise AssertionError(f"unexpected {other}: {sent}")
    return staked, won


def test_hundreds_of_rounds_against_croupier_serve_leave_every_round_exact(table):
    journal = GameServer(table.config(rounds=300)).run()
    assert journal.totals()["bets_accepted"] > 300
    assert_every_round_exact(table, journal)


def test_the_wallet_killed_and_restarted_mid_run_still_leaves_every_round_exact(table):
    server = GameServer(table.config(rounds=120))
    result: list[Journal] = []
    playing = threading.Thread(target=lambda: result.append(server.run()))
    playing.start()
    try:
        deadline = time.monotonic() + 60
        while server.progress(0).rounds_done < 40:
            assert time.monotonic() < deadline, "the run did not get going"
            time.sleep(0.01)
        table.served.kill()
        time.sleep(1.0)
        table.served.start()
    except BaseException:
        server.stop()
        raise
    finally:
        playing.join(timeout=120)
    [journal] = result
    assert journal.totals()["retries"] > 0  # the game server saw the wallet go
    assert_every_round_exact(table, journal)
    done = table.served.croupier("ledger", "verify", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True

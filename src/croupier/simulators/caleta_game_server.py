"""A Caleta game server, simulated: a real HTTP client that plays rounds against the operator's
seamless wallet as Caleta's servers do (specs/caleta-wallet-1.5.openapi.yaml, PROTOCOLS.md §2).

Every body is signed (``X-Auth-Signature``: base64 of RSA-SHA256, PKCS#1 v1.5, over the exact
bytes sent) and carries a fresh ``request_uuid`` (the spec's "id of an action that is generated
for each our call"); a retry repeats the transaction's ``transaction_uuid`` and every other
field, and is signed again. The retry rules are the spec's "Handling errors":

- A bet is sent up to three times, each with a 1 s timeout, while there is no answer (a network
  error, a timeout, an HTTP status other than 200, a body that is not a JSON object with a
  status) or the answer is ``RS_ERROR_UNKNOWN`` / ``RS_ERROR_TIMEOUT``. ``RS_OK`` accepts it; a
  known error (:data:`BET_KNOWN_ERRORS`) discards it, nothing to undo; anything else leaves its
  outcome unknown, so it is treated as rolled back: a ``rollback`` naming it is sent.
- Wins and rollbacks are sent until ``RS_OK`` or a status after which the spec stops
  (:data:`WIN_STOP`, :data:`ROLLBACK_STOP`), backing off up to a second between attempts; for
  ever, or until ``give_up_after`` seconds (then the transaction is journalled ``unresolved``).

Each token is one player at one game: its rounds are played one after another (a game server
plays one round of a session at a time), and tokens are played side by side up to
``concurrency``. A round is an optional ``balance``, one bet (sometimes a second), then a win
for each accepted bet (amount 0 for a loss), the last transaction sent with
``round_closed=true``. Stakes and outcomes come from a random generator seeded by the run's
seed and the round's index, so a run is reproducible whatever the threads do; the paytable
(:data:`PAYTABLE`) returns 96%. Transaction ids are UUIDv5 of the run id, so a run's journal
names every transaction it sent.

The journal records what the game server believes happened, round by round: bets accepted,
discarded or rolled back, wins paid, the balances the wallet reported, and the totals. Amounts
are in the protocol's units, 1/100000 of the currency.

    croupier simulate game-server --url http://127.0.0.1:8000 --provider acme \\
        --key acme-private.pem --tokens-file tokens.txt --game sweet-7 --rounds 1000 \\
        --concurrency 4 --seed 7 --journal journal.json --json
"""

from __future__ import annotations

import base64
import json
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SIGNATURE_HEADER: Final = "X-Auth-Signature"
UNITS: Final = 100_000  # protocol units of one unit of the currency (3.56 EUR = 356000)
OK: Final = "RS_OK"

STATUSES: Final = frozenset(
    {
        "RS_OK",
        "RS_ERROR_UNKNOWN",
        "RS_ERROR_TIMEOUT",
        "RS_ERROR_INVALID_TOKEN",
        "RS_ERROR_INVALID_GAME",
        "RS_ERROR_WRONG_CURRENCY",
        "RS_ERROR_NOT_ENOUGH_MONEY",
        "RS_ERROR_USER_DISABLED",
        "RS_ERROR_INVALID_SIGNATURE",
        "RS_ERROR_TOKEN_EXPIRED",
        "RS_ERROR_WRONG_SYNTAX",
        "RS_ERROR_WRONG_TYPES",
        "RS_ERROR_DUPLICATE_TRANSACTION",
        "RS_ERROR_TRANSACTION_DOES_NOT_EXIST",
        "RS_ERROR_TRANSACTION_ROLLED_BACK",
        "RS_ERROR_BET_LIMIT_EXCEEDED",
    }
)
# "Handling errors" of the spec, as it lists them.
RETRIED: Final = frozenset({"RS_ERROR_UNKNOWN", "RS_ERROR_TIMEOUT"})
BET_KNOWN_ERRORS: Final = frozenset(
    {
        "RS_ERROR_INVALID_TOKEN",
        "RS_ERROR_INVALID_GAME",
        "RS_ERROR_WRONG_CURRENCY",
        "RS_ERROR_NOT_ENOUGH_MONEY",
        "RS_ERROR_USER_DISABLED",
        "RS_ERROR_INVALID_SIGNATURE",
        "RS_ERROR_WRONG_SYNTAX",
        "RS_ERROR_WRONG_TYPES",
        "RS_ERROR_DUPLICATE_TRANSACTION",
        "RS_ERROR_BET_LIMIT_EXCEEDED",
    }
)
WIN_STOP: Final = frozenset(
    {
        "RS_ERROR_INVALID_TOKEN",
        "RS_ERROR_INVALID_GAME",
        "RS_ERROR_USER_DISABLED",
        "RS_ERROR_WRONG_CURRENCY",
        "RS_ERROR_DUPLICATE_TRANSACTION",
        "RS_ERROR_TRANSACTION_DOES_NOT_EXIST",
        "RS_ERROR_TRANSACTION_ROLLED_BACK",
    }
)
ROLLBACK_STOP: Final = frozenset(
    {
        "RS_ERROR_INVALID_TOKEN",
        "RS_ERROR_INVALID_GAME",
        "RS_ERROR_WRONG_CURRENCY",
        "RS_ERROR_USER_DISABLED",
        "RS_ERROR_INVALID_SIGNATURE",
        "RS_ERROR_DUPLICATE_TRANSACTION",
        "RS_ERROR_TRANSACTION_DOES_NOT_EXIST",
        "RS_ERROR_TRANSACTION_ROLLED_BACK",
    }
)

# (payout in tenths of the stake, weight out of 1000): 50x, 10x, 5x, 2x, 1x, 0.5x, nothing.
# RTP = (500*2 + 100*10 + 50*30 + 20*120 + 10*170 + 5*400) / (10 * 1000) = 96%.
PAYTABLE: Final = ((500, 2), (100, 10), (50, 30), (20, 120), (10, 170), (5, 400), (0, 268))
DEFAULT_STAKES: Final = (10_000, 20_000, 50_000, 100_000, 200_000, 500_000)  # 0.10 to 5.00
_IDS: Final = uuid.UUID("6d1e3c2a-5b7f-4e0a-9c1d-2f8b4a6e0c35")  # namespace of the run's ids


def paytable_rtp() -> Decimal:
    """The paytable's return to player, exactly."""
    total = sum(weight for _, weight in PAYTABLE)
    paid = sum(tenths * weight for tenths, weight in PAYTABLE)
    return Decimal(paid) / Decimal(10 * total)


def parse_amount(text: str) -> int:
    """A decimal amount of the currency ("0.10") in protocol units, exactly, or ValueError."""
    try:
        value = Decimal(text.strip()) * UNITS
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    if value <= 0 or value != value.to_integral_value():
        raise ValueError(f"not a positive amount in 1/{UNITS} of the currency: {text!r}")
    return int(value)


# -- signing and sending ------------------------------------------------------------------------


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the game server signs with an RSA private key")
    return key


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    """``X-Auth-Signature``: base64 of RSA-SHA256 (PKCS#1 v1.5) over the exact body bytes."""
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


@dataclass(frozen=True, slots=True)
class Reply:
    """The wallet's answer to one request; ``status`` None when there was none that counts
    (``failure`` says why: a timeout, a refused connection, HTTP 502, a body that is not JSON)."""

    status: str | None
    balance: int | None = None
    user: str | None = None
    failure: str | None = None

    @property
    def unknown(self) -> bool:
        """No outcome can be relied on: nothing came back, or the wallet itself does not know."""
        return self.status is None or self.status in RETRIED


def _reply(response: httpx.Response) -> Reply:
    if response.status_code != 200:
        return Reply(None, failure=f"HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:  # not JSON, or not UTF-8
        return Reply(None, failure="not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("status"), str):
        return Reply(None, failure="no status")
    balance = data.get("balance")
    user = data.get("user")
    return Reply(
        data["status"],
        balance=balance if isinstance(balance, int) and not isinstance(balance, bool) else None,
        user=user if isinstance(user, str) else None,
    )


class WalletClient:
    """Signed requests to one provider's wallet endpoints, one attempt per call."""

    def __init__(
        self, base_url: str, provider: str, key: rsa.RSAPrivateKey, *, timeout: float
    ) -> None:
        self._prefix = f"{base_url.rstrip('/')}/providers/{provider}/wallet/"
        self._key = key
        self._http = httpx.Client(timeout=timeout)

    def send(self, verb: str, fields: dict[str, Any]) -> Reply:
        body = json.dumps(
            {**fields, "request_uuid": str(uuid.uuid4())}, separators=(",", ":")
        ).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self._key, body)}
        try:
            response = self._http.post(self._prefix + verb, content=body, headers=headers)
        except httpx.TimeoutException:
            return Reply(None, failure="timeout")
        except httpx.HTTPError as exc:
            return Reply(None, failure=type(exc).__name__)
        return _reply(response)

    def close(self) -> None:
        self._http.close()


# -- configuration and the plan -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GameServerConfig:
    """What to play, where, and how patiently."""

    wallet_url: str  # the operator's base URL; requests go to {url}/providers/{provider}/wallet/
    provider: str
    private_key_pem: bytes = field(repr=False)
    tokens: Sequence[str] = field(repr=False)
    game_code: str
    currency: str = "EUR"
    rounds: int = 100
    concurrency: int = 1
    seed: int = 0
    run_id: str | None = None  # prefix of round ids and seed of transaction ids (random)
    stakes: Sequence[int] = DEFAULT_STAKES
    second_bet_chance: float = 0.1
    balance_chance: float = 0.1
    timeout: float = 1.0  # of each attempt
    bet_attempts: int = 3
    first_backoff: float = 0.05
    max_backoff: float = 1.0
    give_up_after: float | None = None  # per win or rollback; None: retry for ever

    def __post_init__(self) -> None:
        if not self.tokens:
            raise ValueError("at least one token is needed")
        if self.rounds < 0 or self.concurrency < 1 or self.bet_attempts < 1:
            raise ValueError("rounds >= 0, concurrency >= 1 and bet_attempts >= 1")
        if not self.stakes or any(s <= 0 for s in self.stakes):
            raise ValueError("stakes must be positive amounts")


@dataclass(frozen=True, slots=True)
class PlannedBet:
    transaction_uuid: str
    amount: int
    win_uuid: str
    win_amount: int
    rollback_uuid: str


@dataclass(frozen=True, slots=True)
class RoundPlan:
    index: int
    round: str
    token_index: int  # the token's place in the configuration
    check_balance: bool
    bets: tuple[PlannedBet, ...]


def plan_round(config: GameServerConfig, run_id: str, index: int) -> RoundPlan:
    """The round ``index`` of a run: drawn from (seed, index) alone, so a run with the same
    seed plays the same stakes and outcomes whatever the order the threads play them in."""
    rng = random.Random(f"{config.seed}/{index}")  # noqa: S311 (a simulation, reproducible)
    check_balance = rng.random() < config.balance_chance
    count = 2 if rng.random() < config.second_bet_chance else 1
    tenths = [t for t, _ in PAYTABLE]
    weights = [w for _, w in PAYTABLE]
    bets = []
    for n in range(count):
        stake = rng.choice(list(config.stakes))
        [payout] = rng.choices(tenths, weights)
        name = f"{run_id}/{index}/{n}"
        bets.append(
            PlannedBet(
                transaction_uuid=str(uuid.uuid5(_IDS, f"{name}/bet")),
                amount=stake,
                win_uuid=str(uuid.uuid5(_IDS, f"{name}/win")),
                win_amount=stake * payout // 10,
                rollback_uuid=str(uuid.uuid5(_IDS, f"{name}/rollback")),
            )
        )
    return RoundPlan(
        index=index,
        round=f"CG-{run_id}-{index:06d}",
        token_index=index % len(config.tokens),
        check_balance=check_balance,
        bets=tuple(bets),
    )


# -- the journal --------------------------------------------------------------------------------


@dataclass(slots=True)
class Sent:
    """One transaction as the game server saw it: every attempt, and the answer it kept.

    ``outcome``: a bet ``accepted``, ``discarded`` (a known error) or ``rolled_back`` (outcome
    unknown: a rollback follows it); a win ``paid``; a rollback ``done``; a win or rollback
    ``refused`` (a stop status) or ``unresolved`` (given up, or the run was interrupted).
    """

    verb: str
    transaction_uuid: str
    amount: int | None
    reference_transaction_uuid: str | None
    round_closed: bool
    outcome: str = "pending"
    status: str | None = None
    attempts: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "transaction_uuid": self.transaction_uuid,
            "amount": self.amount,
            "reference_transaction_uuid": self.reference_transaction_uuid,
            "round_closed": self.round_closed,
            "outcome": self.outcome,
            "status": self.status,
            "attempts": self.attempts,
            "failures": dict(sorted(self.failures.items())),
        }


@dataclass(slots=True)
class RoundRecord:
    index: int
    round: str
    token_index: int
    user: str | None
    transactions: list[Sent] = field(default_factory=list)
    balance_seen: int | None = None  # the last balance the wallet reported in the round

    def total(self, verb: str, outcome: str) -> int:
        return sum(
            t.amount or 0 for t in self.transactions if t.verb == verb and t.outcome == outcome
        )

    @property
    def staked(self) -> int:
        return self.total("bet", "accepted")

    @property
    def won(self) -> int:
        return self.total("win", "paid")

    @property
    def rolled_back(self) -> int:
        """Stakes whose outcome was unknown and that were rolled back (they net to nothing)."""
        undone = {
            t.reference_transaction_uuid
            for t in self.transactions
            if t.verb == "rollback" and t.outcome == "done"
        }
        return sum(
            t.amount or 0
            for t in self.transactions
            if t.verb == "bet" and t.transaction_uuid in undone
        )

    @property
    def settled(self) -> bool:
        """Every transaction got a final answer, and none was refused."""
        return all(t.outcome not in {"pending", "refused", "unresolved"} for t in self.transactions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "round": self.round,
            "token_index": self.token_index,
            "user": self.user,
            "staked": self.staked,
            "won": self.won,
            "rolled_back": self.rolled_back,
            "net": self.won - self.staked,
            "settled": self.settled,
            "balance_seen": self.balance_seen,
            "transactions": [t.to_dict() for t in self.transactions],
        }


@dataclass(slots=True)
class TokenRecord:
    """One token: the balances the wallet reported when the game opened and at the end."""

    token_index: int
    user: str | None = None
    opening_balance: int | None = None
    closing_balance: int | None = None
    refused: str | None = None  # why the game did not open


@dataclass(slots=True)
class Journal:
    run_id: str
    config: GameServerConfig
    tokens: list[TokenRecord]
    rounds: list[RoundRecord] = field(default_factory=list)
    started_at: float = 0.0
    elapsed: float = 0.0
    requests: int = 0  # every HTTP request sent, balances included
    interrupted: bool = False

    def totals(self) -> dict[str, Any]:
        sent = [t for r in self.rounds for t in r.transactions]
        outcomes = Counter(f"{t.verb}_{t.outcome}" for t in sent)
        staked = sum(r.staked for r in self.rounds)
        won = sum(r.won for r in self.rounds)
        attempts = sum(t.attempts for t in sent)
        return {
            "rounds": len(self.rounds),
            "rounds_settled": sum(r.settled for r in self.rounds),
            "bets_accepted": outcomes["bet_accepted"],
            "bets_discarded": outcomes["bet_discarded"],
            "bets_rolled_back": outcomes["bet_rolled_back"],
            "wins_paid": outcomes["win_paid"],
            "rollbacks_done": outcomes["rollback_done"],
            "refused": outcomes["win_refused"] + outcomes["rollback_refused"],
            "unresolved": outcomes["win_unresolved"] + outcomes["rollback_unresolved"],
            "staked": staked,
            "won": won,
            "rolled_back": sum(r.rolled_back for r in self.rounds),
            "net": won - staked,
            "requests": self.requests,
            "retries": attempts - len(sent),
            "statuses": {
                verb: dict(
                    sorted(Counter(t.status or "no answer" for t in sent if t.verb == verb).items())
                )
                for verb in ("bet", "win", "rollback")
            },
        }

    def user_checks(self) -> list[dict[str, Any]]:
        """Per user: does the closing balance equal the opening one, minus the stakes accepted,
        plus the wins paid? (Only if nothing else moved the user's money during the run.)"""
        by_user: dict[str, dict[str, Any]] = {}
        for p in self.tokens:
            if p.user is None or p.opening_balance is None:
                continue
            row = by_user.setdefault(
                p.user, {"user": p.user, "opening_balance": p.opening_balance, "tokens": []}
            )
            row["tokens"].append(p.token_index)
            row["closing_balance"] = p.closing_balance
        for r in self.rounds:
            if r.user in by_user:
                row = by_user[r.user]
                row["staked"] = row.get("staked", 0) + r.staked
                row["won"] = row.get("won", 0) + r.won
        for row in by_user.values():
            row.setdefault("staked", 0)
            row.setdefault("won", 0)
            row["expected_balance"] = row["opening_balance"] - row["staked"] + row["won"]
            row["consistent"] = row["closing_balance"] == row["expected_balance"]
        return list(by_user.values())

    @property
    def ok(self) -> bool:
        """Every round settled, every game opened, and the wallet's balances agree."""
        return (
            not self.interrupted
            and all(p.refused is None for p in self.tokens)
            and all(r.settled for r in self.rounds)
            and all(c["consistent"] for c in self.user_checks())
        )

    def summary(self) -> dict[str, Any]:
        totals = self.totals()
        del totals["statuses"]
        return {
            "run_id": self.run_id,
            "ok": self.ok,
            "rounds_requested": self.config.rounds,
            **totals,
            "tokens": len(self.tokens),
            "tokens_refused": sum(p.refused is not None for p in self.tokens),
            "balances_agree": all(c["consistent"] for c in self.user_checks()),
            "interrupted": self.interrupted,
            "elapsed_seconds": round(self.elapsed, 3),
            "rounds_per_second": round(len(self.rounds) / self.elapsed, 1) if self.elapsed else 0,
        }

    def to_dict(self) -> dict[str, Any]:
        c = self.config
        return {
            "run_id": self.run_id,
            "wallet_url": c.wallet_url,
            "provider": c.provider,
            "game_code": c.game_code,
            "currency": c.currency,
            "amount_units": f"1/{UNITS} of the currency",
            "seed": c.seed,
            "rounds_requested": c.rounds,
            "concurrency": min(c.concurrency, len(c.tokens)),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
            "elapsed_seconds": round(self.elapsed, 3),
            "interrupted": self.interrupted,
            "ok": self.ok,
            "totals": self.totals(),
            "tokens": [
                {
                    "token_index": p.token_index,
                    "user": p.user,
                    "opening_balance": p.opening_balance,
                    "closing_balance": p.closing_balance,
                    "refused": p.refused,
                }
                for p in self.tokens
            ],
            "users": self.user_checks(),
            "rounds": [r.to_dict() for r in sorted(self.rounds, key=lambda r: r.index)],
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")


@dataclass(frozen=True, slots=True)
class Progress:
    rounds_done: int
    rounds_total: int
    requests: int
    retries: int
    bets_rolled_back: int
    waiting: int  # wins and rollbacks being retried right now
    elapsed: float


# -- playing ------------------------------------------------------------------------------------


class GameServer:
    """Plays the configured rounds; :meth:`run` returns the journal. Thread-safe :meth:`stop`
    ends the run early (transactions still being retried are journalled ``unresolved``)."""

    def __init__(
        self,
        config: GameServerConfig,
        *,
        on_progress: Callable[[Progress], None] | None = None,
        progress_every: float = 5.0,
    ) -> None:
        self.config = config
        self.run_id = config.run_id or uuid.uuid4().hex[:12]
        self._key = load_private_key(config.private_key_pem)
        self._on_progress = on_progress
        self._progress_every = progress_every
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._jitter = random.Random()  # noqa: S311 (backoff jitter, not an outcome)
        self._rounds_done = 0
        self._requests = 0
        self._retries = 0
        self._rolled_back = 0
        self._waiting = 0
        self.journal = Journal(
            run_id=self.run_id,
            config=config,
            tokens=[TokenRecord(token_index=n) for n in range(len(config.tokens))],
        )

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> Journal:
        config = self.config
        lanes: queue.SimpleQueue[tuple[int, list[RoundPlan]]] = queue.SimpleQueue()
        plans = [plan_round(config, self.run_id, i) for i in range(config.rounds)]
        for index in range(len(config.tokens)):
            lanes.put((index, [p for p in plans if p.token_index == index]))
        started = time.monotonic()
        self.journal.started_at = time.time()
        workers = [
            threading.Thread(target=self._worker, args=(lanes,), name=f"game-server-{n}")
            for n in range(min(config.concurrency, len(config.tokens)))
        ]
        for worker in workers:
            worker.start()
        last_report = started
        try:
            while alive := [w for w in workers if w.is_alive()]:
                alive[0].join(timeout=0.1)
                now = time.monotonic()
                if self._on_progress is not None and now - last_report >= self._progress_every:
                    last_report = now
                    self._on_progress(self.progress(now - started))
        except KeyboardInterrupt:
            self.journal.interrupted = True
            self.stop()
            for worker in workers:
                worker.join()
        if self._stopping.is_set():
            self.journal.interrupted = True
        self.journal.elapsed = time.monotonic() - started
        self.journal.requests = self._requests
        return self.journal

    def progress(self, elapsed: float) -> Progress:
        with self._lock:
            return Progress(
                rounds_done=self._rounds_done,
                rounds_total=self.config.rounds,
                requests=self._requests,
                retries=self._retries,
                bets_rolled_back=self._rolled_back,
                waiting=self._waiting,
                elapsed=elapsed,
            )

    def _worker(self, lanes: queue.SimpleQueue[tuple[int, list[RoundPlan]]]) -> None:
        while not self._stopping.is_set():
            try:
                index, plans = lanes.get_nowait()
            except queue.Empty:
                return
            client = WalletClient(
                self.config.wallet_url, self.config.provider, self._key, timeout=self.config.timeout
            )
            try:
                self._play_lane(client, self.journal.tokens[index], plans)
            finally:
                client.close()

    def _play_lane(self, client: WalletClient, record: TokenRecord, plans: list[RoundPlan]) -> None:
        token = self.config.tokens[record.token_index]
        # The game opens: Caleta asks for the balance first (spec, "Request consistency").
        opening = self._ask_balance(client, token, record.token_index, persist=False)
        if opening.status != OK:
            record.refused = opening.status or opening.failure
            return
        record.user = opening.user
        record.opening_balance = opening.balance
        for plan in plans:
            if self._stopping.is_set():
                break
            self._play_round(client, token, record.user, plan)
        closing = self._ask_balance(client, token, record.token_index, persist=True)
        if closing.status == OK:
            record.closing_balance = closing.balance

    def _ask_balance(
        self, client: WalletClient, token: str, token_index: int, *, persist: bool
    ) -> Reply:
        fields = {
            "token": token,
            "supplier_user": f"sim-{token_index}",
            "game_code": self.config.game_code,
        }
        if persist:
            answered = STATUSES - RETRIED - {OK}
            return self._until_final(client, "balance", fields, None, stop=answered, done="ok")[0]
        return self._while_unknown(client, "balance", fields, None)

    def _play_round(
        self, client: WalletClient, token: str, user: str | None, plan: RoundPlan
    ) -> None:
        record = RoundRecord(
            index=plan.index, round=plan.round, token_index=plan.token_index, user=user
        )
        common = {
            "token": token,
            "supplier_user": f"sim-{plan.token_index}",
            "round": plan.round,
            "game_code": self.config.game_code,
            "is_free": False,
        }
        if plan.check_balance:
            self._note(record, self._ask_balance(client, token, plan.token_index, persist=False))
        accepted: list[PlannedBet] = []
        for bet in plan.bets:
            sent = self._place_bet(client, record, bet, common)
            if sent.outcome == "accepted":
                accepted.append(bet)
                continue
            if sent.outcome == "rolled_back":
                self._roll_back(client, record, bet, common, user, closes=not accepted)
            break  # a bet that did not stand ends the round's betting
        for n, bet in enumerate(accepted):
            self._pay(client, record, bet, common, closes=n == len(accepted) - 1)
        with self._lock:
            self.journal.rounds.append(record)
            self._rounds_done += 1

    def _place_bet(
        self, client: WalletClient, record: RoundRecord, bet: PlannedBet, common: dict[str, Any]
    ) -> Sent:
        sent = Sent("bet", bet.transaction_uuid, bet.amount, None, round_closed=False)
        record.transactions.append(sent)
        fields = {
            **common,
            "transaction_uuid": bet.transaction_uuid,
            "round_closed": False,
            "currency": self.config.currency,
            "amount": bet.amount,
        }
        reply = self._while_unknown(client, "bet", fields, sent)
        sent.status = reply.status
        self._note(record, reply)
        if reply.status == OK:
            sent.outcome = "accepted"
        elif reply.status in BET_KNOWN_ERRORS:
            sent.outcome = "discarded"
        else:  # no answer, an unknown error, or a status the spec does not list for bets
            sent.outcome = "rolled_back"
            with self._lock:
                self._rolled_back += 1
        return sent

    def _roll_back(
        self,
        client: WalletClient,
        record: RoundRecord,
        bet: PlannedBet,
        common: dict[str, Any],
        user: str | None,
        *,
        closes: bool,
    ) -> None:
        sent = Sent("rollback", bet.rollback_uuid, None, bet.transaction_uuid, round_closed=closes)
        fields = {key: value for key, value in common.items() if key != "supplier_user"} | {
            "transaction_uuid": bet.rollback_uuid,
            "reference_transaction_uuid": bet.transaction_uuid,
            "round_closed": closes,
        }
        if user is not None:
            fields["user"] = user
        self._settle(client, record, sent, fields, stop=ROLLBACK_STOP, done="done")

    def _pay(
        self,
        client: WalletClient,
        record: RoundRecord,
        bet: PlannedBet,
        common: dict[str, Any],
        *,
        closes: bool,
    ) -> None:
        sent = Sent("win", bet.win_uuid, bet.win_amount, bet.transaction_uuid, round_closed=closes)
        fields = {
            **common,
            "transaction_uuid": bet.win_uuid,
            "reference_transaction_uuid": bet.transaction_uuid,
            "round_closed": closes,
            "currency": self.config.currency,
            "amount": bet.win_amount,
        }
        self._settle(client, record, sent, fields, stop=WIN_STOP, done="paid")

    def _settle(
        self,
        client: WalletClient,
        record: RoundRecord,
        sent: Sent,
        fields: dict[str, Any],
        *,
        stop: frozenset[str],
        done: str,
    ) -> None:
        record.transactions.append(sent)
        reply, sent.outcome = self._until_final(
            client, sent.verb, fields, sent, stop=stop, done=done
        )
        sent.status = reply.status
        self._note(record, reply)

    def _while_unknown(
        self, client: WalletClient, verb: str, fields: dict[str, Any], sent: Sent | None
    ) -> Reply:
        """Up to ``bet_attempts`` attempts while the outcome is unknown (the spec's bet rule)."""
        reply = Reply(None)
        for _ in range(self.config.bet_attempts):
            reply = self._attempt(client, verb, fields, sent)
            if not reply.unknown:
                break
        return reply

    def _until_final(
        self,
        client: WalletClient,
        verb: str,
        fields: dict[str, Any],
        sent: Sent | None,
        *,
        stop: frozenset[str],
        done: str,
    ) -> tuple[Reply, str]:
        """Send until ``RS_OK`` (outcome ``done``) or a stop status (``refused``), backing off;
        ``unresolved`` after ``give_up_after`` seconds or when the run is stopped."""
        delay = self.config.first_backoff
        give_up = self.config.give_up_after
        deadline = None if give_up is None else time.monotonic() + give_up
        waiting = False
        try:
            while True:
                reply = self._attempt(client, verb, fields, sent)
                if reply.status == OK:
                    return reply, done
                if reply.status in stop:
                    return reply, "refused"
                if self._stopping.is_set() or (
                    deadline is not None and time.monotonic() >= deadline
                ):
                    return reply, "unresolved"
                if not waiting:
                    waiting = True
                    with self._lock:
                        self._waiting += 1
                self._stopping.wait(delay * self._jitter.uniform(0.5, 1.0))
                delay = min(delay * 2, self.config.max_backoff)
        finally:
            if waiting:
                with self._lock:
                    self._waiting -= 1

    def _attempt(
        self, client: WalletClient, verb: str, fields: dict[str, Any], sent: Sent | None
    ) -> Reply:
        reply = client.send(verb, fields)
        with self._lock:
            self._requests += 1
            if sent is not None and sent.attempts:
                self._retries += 1
        if sent is not None:
            sent.attempts += 1
            if reply.unknown:
                sent.failures[reply.failure or reply.status or "unknown"] += 1
        return reply

    @staticmethod
    def _note(record: RoundRecord, reply: Reply) -> None:
        if reply.balance is not None:
            record.balance_seen = reply.balance

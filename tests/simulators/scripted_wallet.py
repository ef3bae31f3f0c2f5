"""A Caleta wallet in memory behind a real HTTP server, with the faults a real one has, on cue.

It keeps the rules of PROTOCOLS.md §2 that decide money (a transaction at most once, a win
needs its standing bet, a rollback of an unseen transaction is remembered) and nothing else, so
that the game-server simulator's retry rules can be tested over a socket without the platform.
Faults are scripted per verb, one for each successive request of that verb, or drawn at random:

- ``hang``: nothing is done, the answer comes after the client has given up;
- ``lost``: the request takes effect, the answer comes after the client has given up;
- ``drop``: the request takes effect, the connection closes without an answer;
- ``502``: nothing is done, HTTP 502;
- ``garbage``: the request takes effect, the answer is not JSON;
- ``RS_ERROR_...``: nothing is done, that status is the answer.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NO_EFFECT = {"hang", "502"}
RANDOM_FAULTS = ("hang", "lost", "drop", "502", "garbage", "RS_ERROR_UNKNOWN")


@dataclass
class Request:
    verb: str
    body: dict[str, Any]
    signed: bool
    fault: str | None


@dataclass
class ScriptedWallet:
    public_key: rsa.RSAPublicKey
    balances: dict[str, int]  # by token, in protocol units
    hang_seconds: float = 0.5
    # Faults of each verb's successive requests (None: none for that one).
    script: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    # Otherwise a fault of RANDOM_FAULTS on this share of bets, wins and rollbacks.
    chaos: random.Random | None = None
    chaos_rate: float = 0.4
    requests: list[Request] = field(default_factory=list)
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rolled_back: set[str] = field(default_factory=set)  # transactions undone, seen or not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, verb: str) -> str | None:
        if self.script[verb]:
            return self.script[verb].pop(0)
        if verb != "balance" and self.chaos is not None and self.chaos.random() < self.chaos_rate:
            return self.chaos.choice(RANDOM_FAULTS)
        return None

    def of(self, verb: str) -> list[Request]:
        return [r for r in self.requests if r.verb == verb]

    def answer(self, verb: str, body: dict[str, Any]) -> dict[str, Any]:
        """The wallet's effect and answer (the caller holds the lock)."""
        token = body["token"]
        if token not in self.balances:
            return {"status": "RS_ERROR_INVALID_TOKEN", "request_uuid": body["request_uuid"]}
        status = "RS_OK" if verb == "balance" else self._move(verb, token, body)
        return {
            "status": status,
            "request_uuid": body["request_uuid"],
            "user": f"user-{token}",
            "currency": "EUR",
            "balance": self.balances[token],
        }

    def _move(self, verb: str, token: str, body: dict[str, Any]) -> str:
        tx = body["transaction_uuid"]
        if tx in self.transactions:
            return "RS_OK"  # a replay
        reference = body.get("reference_transaction_uuid")
        if verb == "bet":
            if tx in self.rolled_back:
                return "RS_ERROR_TRANSACTION_ROLLED_BACK"
            if body["amount"] > self.balances[token]:
                return "RS_ERROR_NOT_ENOUGH_MONEY"
            self.balances[token] -= body["amount"]
        elif verb == "win":
            if reference in self.rolled_back:
                return "RS_ERROR_TRANSACTION_ROLLED_BACK"
            if reference not in self.transactions:
                return "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
            self.balances[token] += body["amount"]
        else:  # rollback
            target = self.transactions.get(reference)
            if target is not None and reference not in self.rolled_back:
                sign = 1 if target["verb"] == "bet" else -1
                self.balances[token] += sign * target["amount"]
            self.rolled_back.add(reference)
        self.transactions[tx] = {"verb": verb, **body}
        return "RS_OK"


def _verified(key: rsa.RSAPublicKey, body: bytes, signature: str | None) -> bool:
    try:
        key.verify(
            base64.b64decode(signature or "", validate=True),
            body,
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _handler(wallet: ScriptedWallet) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body are two writes: without this, Nagle and delayed ACKs add 40 ms.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            verb = self.path.rsplit("/", 1)[-1]
            body = json.loads(raw)
            signed = _verified(wallet.public_key, raw, self.headers.get("X-Auth-Signature"))
            with wallet.lock:
                fault = wallet.fault(verb)
                wallet.requests.append(Request(verb, body, signed, fault))
                if not signed:
                    answer = {"status": "RS_ERROR_INVALID_SIGNATURE", "request_uuid": None}
                elif fault is None or (fault not in NO_EFFECT and not fault.startswith("RS_")):
                    answer = wallet.answer(verb, body)
                else:
                    answer = {"status": fault, "request_uuid": body["request_uuid"]}
            if fault in {"hang", "lost"}:
                time.sleep(wallet.hang_seconds)
            if fault == "drop":
                self.close_connection = True
                return
            if fault == "502":
                self._send(502, b"<html>Bad Gateway</html>")
            elif fault == "garbage":
                self._send(200, b"<html>Service Unavailable</html>")
            else:
                self._send(200, json.dumps(answer).encode())

        def _send(self, status: int, payload: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:  # the client gave up (a timeout)
                self.close_connection = True

    return Handler


class RunningWallet:
    """The scripted wallet serving on 127.0.0.1 in a background thread."""

    def __init__(self, wallet: ScriptedWallet) -> None:
        self.wallet = wallet
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(wallet))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RunningWallet:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

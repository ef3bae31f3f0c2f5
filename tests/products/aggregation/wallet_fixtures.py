"""A Caleta provider, a funded verified player and a game session: the world the seamless
wallet tests play in, and a signed client for it."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import func, select

from croupier.core.wallet import (
    AccountKind,
    NewTransfer,
    create_transfers,
    get_balance,
    platform_account,
    verify_ledger,
)
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.products.aggregation import service, sessions
from croupier.products.aggregation.models import ProviderRound, ProviderTransaction
from tests.core.players.player_fixtures import verified_player
from tests.products.aggregation.keys import public_pem_of, rsa_private_key

PROVIDER = "acme"
GAME = "sweet-7"
EUR = 1_000_000  # ledger units of one euro
UNIT = 100_000  # Caleta units of one euro


def sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def fund(
    db: Database, clock: Clock, cash_account_id: str, amount: int, currency: str = "EUR"
) -> None:
    with db.unit_of_work() as s:
        sandbox = platform_account(
            s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code=currency, name="sandbox"
        )
        create_transfers(
            s,
            clock,
            [
                NewTransfer(
                    id=f"fund:{uuid.uuid4()}",
                    debit_account_id=sandbox.id,
                    credit_account_id=cash_account_id,
                    amount=amount,
                    currency=currency,
                )
            ],
        )[0].unwrap()


def add_caleta_provider(
    db: Database,
    clock: Clock,
    *,
    name: str = PROVIDER,
    games: tuple[str, ...] = (GAME,),
    add: bool = True,
    protocol: str = "caleta",
    **game: Any,
) -> None:
    with db.unit_of_work() as s:
        if add:
            service.add_provider(
                s,
                clock,
                name=name,
                protocol=protocol,
                public_key_pem=public_pem_of(rsa_private_key()),
                actor="test",
            )
        for code in games:
            service.add_game(
                s,
                clock,
                provider=name,
                code=code,
                name=code.title(),
                category="slots",
                actor="test",
                **game,
            )


def new_token(
    db: Database, clock: Clock, player_id: str, *, provider: str = PROVIDER, game: str = GAME
) -> str:
    with db.unit_of_work() as s:
        return sessions.open_sandbox_session(
            s, clock, player_id=player_id, provider=provider, game_code=game, actor="test"
        ).token


@dataclass
class World:
    db: Database
    clock: Clock
    client: Any
    player: Any
    token: str
    provider: str = PROVIDER
    game: str = GAME
    key: rsa.RSAPrivateKey = field(default_factory=rsa_private_key)

    def post(self, verb: str, body: bytes, signature: str | None) -> Any:
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Auth-Signature"] = signature
        return self.client.post(
            f"/providers/{self.provider}/wallet/{verb}", content=body, headers=headers
        )

    def call(self, verb: str, **fields: Any) -> dict[str, Any]:
        """A signed request of ``verb``; ``None`` values are left out of the body."""
        body = json.dumps({k: v for k, v in fields.items() if v is not None}).encode()
        response = self.post(verb, body, sign(self.key, body))
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def _movement(self, amount: int, tx: str, round_id: str, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token": self.token,
            "request_uuid": str(uuid.uuid4()),
            "transaction_uuid": tx,
            "supplier_user": "acme-user-1",
            "round": round_id,
            "round_closed": False,
            "is_free": False,
            "game_code": self.game,
            "game_id": 10,
            "currency": "EUR",
            "amount": amount,
        }
        body.update(extra)
        return body

    def bet(
        self, amount: int, tx: str | None = None, round_id: str = "R-1", **extra: Any
    ) -> dict[str, Any]:
        return self.call(
            "bet", **self._movement(amount, tx or str(uuid.uuid4()), round_id, **extra)
        )

    def win(
        self, amount: int, bet_tx: str, tx: str | None = None, round_id: str = "R-1", **extra: Any
    ) -> dict[str, Any]:
        body = self._movement(amount, tx or str(uuid.uuid4()), round_id, **extra)
        body["reference_transaction_uuid"] = bet_tx
        return self.call("win", **body)

    def rollback(
        self, reference: str, tx: str | None = None, round_id: str = "R-1", **extra: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token": self.token,
            "request_uuid": str(uuid.uuid4()),
            "transaction_uuid": tx or str(uuid.uuid4()),
            "reference_transaction_uuid": reference,
            "round": round_id,
            "round_closed": False,
            "game_code": self.game,
        }
        body.update(extra)
        return self.call("rollback", **body)

    def balance(self) -> int:
        """The player's available cash, in ledger units."""
        with self.db.read_only() as s:
            return get_balance(s, self.player.cash_account_id).available

    def footprint(self) -> tuple[int, int, int]:
        """Provider transactions, rounds and ledger transfers: equal means nothing moved."""
        with self.db.read_only() as s:
            return tuple(  # type: ignore[return-value]
                s.scalar(select(func.count()).select_from(t))
                for t in (ProviderTransaction, ProviderRound, LedgerTransfer)
            )

    def assert_ledger_holds(self) -> None:
        with self.db.read_only() as s:
            assert verify_ledger(s) == []


@contextmanager
def caleta_world(db: Database, clock: Clock, *, funds: int = 100 * EUR) -> Iterator[World]:
    """A Maltese EUR player with ``funds`` in cash, a session at provider acme's sweet-7."""
    with verified_player(db, clock) as (client, player):
        add_caleta_provider(db, clock)
        fund(db, clock, player.cash_account_id, funds)
        world = World(db, clock, client, player, new_token(db, clock, player.id))
        yield world
        world.assert_ledger_holds()

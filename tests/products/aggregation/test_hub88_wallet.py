"""The Hub88 wallet: the second protocol on the same round and transaction core. Its paths,
header and statuses differ; the money moves exactly as Caleta's does. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from croupier.kernel.jurisdictions.rules import LimitKind, LimitPeriod
from croupier.policy.rg.service import set_limit
from tests.core.players.player_fixtures import assert_problem, verified_player
from tests.products.aggregation.wallet_fixtures import (
    EUR,
    UNIT,
    World,
    add_caleta_provider,
    fund,
    new_token,
    sign,
)

PROVIDER = "hubgames"


class Hub88(World):
    """The same world, spoken in Hub88: ``/user/balance``, ``/transaction/{verb}``,
    ``X-Hub88-Signature``, and ``user`` in every body."""

    def path(self, verb: str) -> str:
        prefix = "user" if verb == "balance" else "transaction"
        return f"/providers/{self.provider}/{prefix}/{verb}"

    def send(self, verb: str, body: bytes, headers: dict[str, str]) -> Any:
        return self.client.post(self.path(verb), content=body, headers=headers)

    def call(self, verb: str, **fields: Any) -> dict[str, Any]:
        fields.setdefault("user", self.player.id)
        body = json.dumps({k: v for k, v in fields.items() if v is not None}).encode()
        headers = {"X-Hub88-Signature": sign(self.key, body), "Content-Type": "application/json"}
        response = self.send(verb, body, headers)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture
def hub(db, clock):
    with verified_player(db, clock) as (client, player):
        add_caleta_provider(db, clock, name=PROVIDER, protocol="hub88")
        fund(db, clock, player.cash_account_id, 100 * EUR)
        token = new_token(db, clock, player.id, provider=PROVIDER)
        world = Hub88(db, clock, client, player, token, provider=PROVIDER)
        yield world
        world.assert_ledger_holds()


def test_balance_bet_win_and_rollback_move_money_as_in_caleta(hub):
    answer = hub.call("balance", token=hub.token, request_uuid="r-1", game_code="sweet-7")
    assert answer == {
        "status": "RS_OK",
        "request_uuid": "r-1",
        "user": hub.player.id,
        "currency": "EUR",
        "balance": 100 * UNIT,
    }
    assert hub.bet(250000, tx="b-1")["status"] == "RS_OK"
    assert hub.bet(250000, tx="b-1")["status"] == "RS_OK"  # replay
    assert hub.win(UNIT, "b-1", tx="w-1", round_closed=True)["status"] == "RS_OK"
    assert hub.balance() == 100 * EUR - 2_500_000 + EUR
    assert hub.bet(UNIT, tx="b-2", round_id="R-2")["status"] == "RS_OK"
    assert hub.rollback("b-2", round_id="R-2")["status"] == "RS_OK"
    assert hub.balance() == 100 * EUR - 2_500_000 + EUR


def test_the_signature_is_the_hub88_header_over_the_exact_bytes(hub):
    body = json.dumps(hub._movement(UNIT, "b-1", "R-1") | {"user": hub.player.id}).encode()
    before = hub.footprint()
    for headers in (
        {"X-Auth-Signature": sign(hub.key, body)},  # Caleta's header is not Hub88's
        {"X-Hub88-Signature": sign(hub.key, body + b" ")},
        {},
    ):
        answer = hub.send("bet", body, headers).json()
        assert answer["status"] == "RS_ERROR_INVALID_SIGNATURE"
    assert hub.footprint() == before


def test_the_user_is_required_and_must_be_the_tokens_player(hub):
    before = hub.footprint()
    body = hub._movement(UNIT, "b-1", "R-1")
    assert hub.call("bet", **body, user=None)["status"] == "RS_ERROR_WRONG_TYPES"
    assert hub.call("bet", **body, user="someone-else")["status"] == "RS_ERROR_INVALID_TOKEN"
    assert hub.footprint() == before


def test_statuses_hub88_lacks_are_said_with_the_nearest_it_has(hub):
    # A rolled-back bet: Hub88 has no RS_ERROR_TRANSACTION_ROLLED_BACK.
    assert hub.rollback("late", tx="rb-1")["status"] == "RS_OK"
    before = hub.footprint()[1:]
    assert hub.bet(UNIT, tx="late")["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert hub.footprint()[1:] == before
    # A limit: Hub88 has no RS_ERROR_BET_LIMIT_EXCEEDED.
    with hub.db.unit_of_work() as s:
        set_limit(s, hub.clock, hub.player.id, LimitKind.WAGER, LimitPeriod.DAY, EUR, actor="t")
    assert hub.bet(2 * UNIT, tx="b-big")["status"] == "RS_ERROR_USER_DISABLED"
    assert hub.balance() == 100 * EUR


def test_a_provider_answers_only_in_its_own_protocol(hub):
    body = json.dumps({"token": hub.token, "request_uuid": str(uuid.uuid4())}).encode()
    response = hub.client.post(
        f"/providers/{PROVIDER}/wallet/balance",
        content=body,
        headers={"X-Auth-Signature": sign(hub.key, body)},
    )
    assert_problem(response, 404, "aggregation.provider_not_found")
    add_caleta_provider(hub.db, hub.clock, name="calgames")
    response = hub.client.post("/providers/calgames/user/balance", content=body)
    assert_problem(response, 404, "aggregation.provider_not_found")

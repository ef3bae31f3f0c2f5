"""Conformance of the Caleta 1.5 seamless wallet: every status of the spec, every rule of
PROTOCOLS.md §2, over HTTP, on SQLite and PostgreSQL. Each refusal is shown to move nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from croupier.core.players import activate_player, change_status
from croupier.core.players.models import PlayerStatus
from croupier.core.wallet import AccountKind, get_balance, platform_account
from croupier.kernel.jurisdictions.rules import LimitKind, LimitPeriod
from croupier.policy.rg.service import self_exclude, set_limit
from croupier.products.aggregation.models import ProviderGame, ProviderRound, ProviderTransaction
from croupier.products.aggregation.wallet import free_bets_account_name, house_account_name
from tests.core.players.player_fixtures import assert_problem, register
from tests.products.aggregation.keys import rsa_private_key
from tests.products.aggregation.wallet_fixtures import (
    EUR,
    UNIT,
    add_caleta_provider,
    caleta_world,
    new_token,
    sign,
)


@pytest.fixture
def world(db, clock):
    with caleta_world(db, clock) as w:
        yield w


def _account(world, kind: AccountKind, name: str) -> int:
    with world.db.unit_of_work() as s:
        account = platform_account(s, world.clock, kind=kind, currency_code="EUR", name=name)
        return get_balance(s, account.id).posted


# -- signature, syntax, types ---------------------------------------------------------------


def test_the_signature_is_checked_over_the_exact_bytes_before_anything_else(world):
    body = json.dumps({"token": world.token, "request_uuid": "r1", "game_code": "sweet-7"})
    good = sign(world.key, body.encode())
    assert world.post("balance", body.encode(), good).json()["status"] == "RS_OK"
    before = world.footprint()
    cases = [
        (body.encode(), None),  # no header
        (body.encode(), "not base64!"),
        (body.encode() + b" ", good),  # one byte more than was signed
        (body.replace("r1", "r2").encode(), good),
        (b"{not json", sign(rsa_private_key(3072), b"{not json")),  # another key
    ]
    for raw, signature in cases:
        response = world.post("balance", raw, signature)
        assert response.status_code == 200
        echoed = "r2" if b"r2" in raw else "r1" if b"r1" in raw else None
        assert response.json() == {"status": "RS_ERROR_INVALID_SIGNATURE", "request_uuid": echoed}
    # A bet with a bad signature moves nothing.
    bet = json.dumps(world._movement(UNIT, "tx-sig", "R-sig")).encode()
    answer = world.post("bet", bet, sign(rsa_private_key(3072), bet)).json()
    assert answer["status"] == "RS_ERROR_INVALID_SIGNATURE"
    assert world.footprint() == before
    assert world.balance() == 100 * EUR


def test_a_body_that_is_not_a_json_object_is_wrong_syntax(world):
    before = world.footprint()
    for raw in (b"{", b"[1, 2]", b"\xff\xfe", b""):
        answer = world.post("bet", raw, sign(world.key, raw)).json()
        assert answer["status"] == "RS_ERROR_WRONG_SYNTAX", raw
    assert world.footprint() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "100000"),
        ("amount", 1.5),
        ("amount", -100000),
        ("amount", True),
        ("is_free", "false"),
        ("round_closed", None),
        ("transaction_uuid", 17),
        ("transaction_uuid", "x" * 101),
        ("game_id", "10"),
        ("token", None),
    ],
)
def test_a_field_of_the_wrong_type_is_wrong_types_and_moves_nothing(world, field, value):
    before = world.footprint()
    body = world._movement(UNIT, "tx-types", "R-types")
    body[field] = value
    answer = world.call("bet", **body)
    assert answer["status"] == "RS_ERROR_WRONG_TYPES"
    assert answer["request_uuid"] == body["request_uuid"]
    assert world.footprint() == before
    assert world.balance() == 100 * EUR


def test_unknown_provider_is_a_problem_document_not_a_protocol_answer(world):
    response = world.client.post("/providers/nobody/wallet/balance", content=b"{}")
    assert_problem(response, 404, "aggregation.provider_not_found")
    assert world.client.post("/providers/acme/wallet/deposit", content=b"{}").status_code == 422


# -- tokens, balance, check -----------------------------------------------------------------


def test_balance_answers_in_hundred_thousandths(world):
    answer = world.call("balance", token=world.token, request_uuid="r-1", game_code="sweet-7")
    assert answer == {
        "status": "RS_OK",
        "request_uuid": "r-1",
        "user": world.player.id,
        "currency": "EUR",
        "balance": 100 * UNIT,
    }


def test_an_unknown_token_or_game_is_refused(world):
    answer = world.call("balance", token="nope", request_uuid="r", game_code="sweet-7")
    assert answer == {"status": "RS_ERROR_INVALID_TOKEN", "request_uuid": "r"}
    answer = world.call("balance", token=world.token, request_uuid="r", game_code="unknown")
    assert answer["status"] == "RS_ERROR_INVALID_GAME"
    before = world.footprint()
    assert world.bet(UNIT, token="nope")["status"] == "RS_ERROR_INVALID_TOKEN"
    assert world.bet(UNIT, game_code="unknown")["status"] == "RS_ERROR_INVALID_GAME"
    assert world.footprint() == before


def test_a_token_of_another_provider_is_invalid_here(world):
    add_caleta_provider(world.db, world.clock, name="other", games=("sweet-7",))
    other = new_token(world.db, world.clock, world.player.id, provider="other")
    assert world.bet(UNIT, token=other)["status"] == "RS_ERROR_INVALID_TOKEN"


def test_check_issues_a_fresh_token_and_the_old_one_takes_no_more_bets(world):
    placed = world.bet(UNIT, tx="b-1")
    assert placed["status"] == "RS_OK"
    answer = world.call("check", token=world.token)
    assert answer["status"] == "RS_OK"
    fresh = answer["token"]
    assert fresh != world.token
    old = world.token
    before = world.footprint()
    assert world.bet(UNIT, tx="b-2")["status"] == "RS_ERROR_TOKEN_EXPIRED"
    assert world.footprint() == before
    # The old token still settles its round: wins and rollbacks are accepted.
    assert world.win(2 * UNIT, "b-1")["status"] == "RS_OK"
    world.token = fresh
    assert world.bet(UNIT, tx="b-3", round_id="R-2")["status"] == "RS_OK"
    assert world.call("check", token="nope")["status"] == "RS_ERROR_INVALID_TOKEN"
    assert old != fresh


def test_an_expired_token_takes_no_bets_but_settles_its_round(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    world.clock.advance(timedelta(hours=9))
    before = world.footprint()
    assert world.bet(UNIT, tx="b-2")["status"] == "RS_ERROR_INVALID_TOKEN"
    assert world.footprint() == before
    assert world.win(3 * UNIT, "b-1", round_closed=True)["status"] == "RS_OK"
    assert world.balance() == 102 * EUR


# -- bets -----------------------------------------------------------------------------------


def test_a_bet_debits_exactly_and_a_replay_does_not_debit_again(world):
    answer = world.bet(356000, tx="b-1")  # 3.56 EUR
    assert answer["status"] == "RS_OK"
    assert answer["balance"] == 100 * UNIT - 356000
    assert world.balance() == 100 * EUR - 3_560_000
    again = world.bet(356000, tx="b-1")
    assert again["status"] == "RS_OK"
    assert again["balance"] == 100 * UNIT - 356000
    assert world.balance() == 100 * EUR - 3_560_000
    with world.db.read_only() as s:
        assert len(s.scalars(select(ProviderTransaction)).all()) == 1


def test_a_repeat_that_differs_is_a_duplicate(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    before = world.footprint()
    assert world.bet(UNIT, tx="b-1", round_id="R-9")["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert world.bet(2 * UNIT, tx="b-1")["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    # A win may not reuse a bet's id either.
    assert world.win(UNIT, "b-1", tx="b-1")["status"] == "RS_ERROR_DUPLICATE_TRANSACTION"
    assert world.footprint() == before
    assert world.balance() == 99 * EUR


def test_not_enough_money_moves_nothing(world):
    before = world.footprint()
    answer = world.bet(100 * UNIT + 1, tx="b-1")
    assert answer["status"] == "RS_ERROR_NOT_ENOUGH_MONEY"
    assert answer["balance"] == 100 * UNIT
    assert world.footprint() == before
    assert world.bet(100 * UNIT, tx="b-2")["status"] == "RS_OK"
    assert world.balance() == 0


def test_a_currency_other_than_the_players_is_wrong_currency(world):
    before = world.footprint()
    assert world.bet(UNIT, currency="USD")["status"] == "RS_ERROR_WRONG_CURRENCY"
    assert world.bet(UNIT, currency="XYZ")["status"] == "RS_ERROR_WRONG_CURRENCY"
    assert world.footprint() == before


def test_several_bets_per_round_and_the_round_closes(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    assert world.bet(2 * UNIT, tx="b-2")["status"] == "RS_OK"
    assert world.win(5 * UNIT, "b-2", tx="w-1", round_closed=True)["status"] == "RS_OK"
    with world.db.read_only() as s:
        row = s.scalars(select(ProviderRound)).one()
        assert (row.status, row.closed_by, row.staked, row.won) == (
            "closed",
            "provider",
            3 * EUR,
            5 * EUR,
        )
    assert world.balance() == 102 * EUR
    # A bet into a closed round is refused (RS_ERROR_UNKNOWN: the provider rolls it back).
    before = world.footprint()
    assert world.bet(UNIT, tx="b-3")["status"] == "RS_ERROR_UNKNOWN"
    assert world.footprint() == before


def test_a_free_bet_is_funded_from_promotions_not_the_players_cash(world):
    assert world.bet(2 * UNIT, tx="f-1", is_free=True)["status"] == "RS_OK"
    assert world.balance() == 100 * EUR
    assert _account(world, AccountKind.PROMOTIONS, free_bets_account_name("acme")) == -2 * EUR
    assert _account(world, AccountKind.HOUSE, house_account_name("acme")) == 2 * EUR
    assert world.win(7 * UNIT, "f-1", is_free=True, round_closed=True)["status"] == "RS_OK"
    assert world.balance() == 107 * EUR
    # Rolling the free bet back returns the stake to promotions, not to the player.
    assert world.bet(UNIT, tx="f-2", round_id="R-2", is_free=True)["status"] == "RS_OK"
    assert world.rollback("f-2", round_id="R-2")["status"] == "RS_OK"
    assert _account(world, AccountKind.PROMOTIONS, free_bets_account_name("acme")) == -2 * EUR
    assert world.balance() == 107 * EUR


# -- wins -----------------------------------------------------------------------------------


def test_a_win_pays_once_and_must_name_a_bet_that_stands(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    assert world.win(250000, "b-1", tx="w-1")["status"] == "RS_OK"
    assert world.win(250000, "b-1", tx="w-1")["status"] == "RS_OK"  # replay
    assert world.balance() == 100 * EUR - EUR + 2_500_000
    before = world.footprint()
    assert world.win(UNIT, "nope")["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    # The bet is in round R-1, not R-2.
    answer = world.win(UNIT, "b-1", round_id="R-2")
    assert answer["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert world.footprint() == before


def test_a_win_of_a_rolled_back_bet_is_refused(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    assert world.rollback("b-1")["status"] == "RS_OK"
    before = world.footprint()
    assert world.win(5 * UNIT, "b-1")["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    assert world.footprint() == before
    assert world.balance() == 100 * EUR


def test_a_win_of_zero_records_the_loss_and_moves_nothing(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    transfers = world.footprint()[2]
    assert world.win(0, "b-1", round_closed=True)["status"] == "RS_OK"
    assert world.footprint()[2] == transfers
    assert world.balance() == 99 * EUR


# -- rollbacks ------------------------------------------------------------------------------


def test_a_rollback_returns_the_stake_once(world):
    assert world.bet(3 * UNIT, tx="b-1")["status"] == "RS_OK"
    assert world.rollback("b-1", tx="rb-1")["status"] == "RS_OK"
    assert world.rollback("b-1", tx="rb-1")["status"] == "RS_OK"  # replay
    assert world.rollback("b-1", tx="rb-2")["status"] == "RS_OK"  # already rolled back
    assert world.balance() == 100 * EUR
    with world.db.read_only() as s:
        row = s.scalars(select(ProviderRound)).one()
        assert row.staked == 0


def test_a_rollback_of_an_unknown_transaction_is_ok_and_a_late_bet_never_debits(world):
    answer = world.rollback("late-bet", tx="rb-1")
    assert answer["status"] == "RS_OK"
    assert answer["balance"] == 100 * UNIT
    before = world.footprint()[1:]
    late = world.bet(UNIT, tx="late-bet")
    assert late["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"
    assert world.footprint()[1:] == before
    assert world.balance() == 100 * EUR
    # Nor can a win be paid on it.
    assert world.win(UNIT, "late-bet")["status"] == "RS_ERROR_TRANSACTION_ROLLED_BACK"


def test_a_rollback_of_a_win_takes_it_back(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    assert world.win(4 * UNIT, "b-1", tx="w-1")["status"] == "RS_OK"
    assert world.rollback("w-1")["status"] == "RS_OK"
    assert world.balance() == 99 * EUR
    with world.db.read_only() as s:
        row = s.scalars(select(ProviderRound)).one()
        assert (row.staked, row.won) == (EUR, 0)


def test_a_rollback_of_another_players_transaction_does_not_exist_for_this_one(world, db, clock):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    other = register(world.client, email="bob@example.com", legal_name="Bob Smith")
    with db.unit_of_work() as s:
        activate_player(s, clock, other["id"], actor="test", reason="verified")
    token = new_token(db, clock, other["id"])
    before = world.footprint()
    answer = world.rollback("b-1", token=token)
    assert answer["status"] == "RS_ERROR_TRANSACTION_DOES_NOT_EXIST"
    assert world.footprint() == before


# -- policy on every bet --------------------------------------------------------------------


def test_a_self_excluded_player_is_disabled_but_their_open_round_settles(world):
    assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
    with world.db.unit_of_work() as s:
        self_exclude(s, world.clock, world.player.id, months=6, actor=world.player.id)
    before = world.footprint()
    assert world.bet(UNIT, tx="b-2")["status"] == "RS_ERROR_USER_DISABLED"
    assert world.bet(UNIT, tx="f-1", is_free=True, round_id="R-2")["status"] == (
        "RS_ERROR_USER_DISABLED"
    )
    assert world.footprint() == before
    assert world.win(2 * UNIT, "b-1", round_closed=True)["status"] == "RS_OK"
    assert world.balance() == 101 * EUR


@pytest.mark.parametrize("status", [PlayerStatus.SUSPENDED, PlayerStatus.CLOSED])
def test_a_suspended_or_closed_player_is_disabled(world, status):
    with world.db.unit_of_work() as s:
        change_status(
            s, world.clock, world.player.id, status, reason="test", actor="test", brand_scope=None
        )
    before = world.footprint()
    assert world.bet(UNIT)["status"] == "RS_ERROR_USER_DISABLED"
    assert world.footprint() == before


def test_a_stake_over_a_limit_is_bet_limit_exceeded(world):
    with world.db.unit_of_work() as s:
        set_limit(
            s, world.clock, world.player.id, LimitKind.WAGER, LimitPeriod.DAY, 5 * EUR, actor="t"
        )
    assert world.bet(4 * UNIT, tx="b-1")["status"] == "RS_OK"
    before = world.footprint()
    assert world.bet(2 * UNIT, tx="b-2")["status"] == "RS_ERROR_BET_LIMIT_EXCEEDED"
    assert world.footprint() == before
    assert world.balance() == 96 * EUR


def test_a_game_not_offered_in_the_players_jurisdiction_is_invalid(world):
    add_caleta_provider(world.db, world.clock, name="gbonly", games=("open-slot",))
    add_caleta_provider(
        world.db, world.clock, name="gbonly", games=("uk-slot",), jurisdictions=["GB"], add=False
    )
    world.provider = "gbonly"
    world.token = new_token(
        world.db, world.clock, world.player.id, provider="gbonly", game="open-slot"
    )
    before = world.footprint()
    assert world.bet(UNIT, game_code="uk-slot")["status"] == "RS_ERROR_INVALID_GAME"
    assert world.footprint() == before
    assert world.bet(UNIT, game_code="open-slot")["status"] == "RS_OK"


def test_a_blocked_country_is_an_invalid_game_for_a_new_round(db, clock):
    with caleta_world(db, clock) as world:
        assert world.bet(UNIT, tx="b-1")["status"] == "RS_OK"
        with db.unit_of_work() as s:
            row = s.scalars(
                select(ProviderTransaction).where(ProviderTransaction.transaction_uuid == "b-1")
            ).one()
            game = s.get(ProviderGame, row.game_id)
            assert game is not None
            game.blocked_countries = json.dumps(["MT"])
        before = world.footprint()
        assert world.bet(UNIT, tx="b-2", round_id="R-2")["status"] == "RS_ERROR_INVALID_GAME"
        assert world.footprint() == before
        # The open round goes on: another bet and its win.
        assert world.bet(UNIT, tx="b-3")["status"] == "RS_OK"
        assert world.win(UNIT, "b-3", round_closed=True)["status"] == "RS_OK"


def test_every_status_of_the_spec_is_walked():
    """Keeps this suite honest: each status of the spec appears in a test above."""
    source = Path(__file__).read_text(encoding="utf-8")
    statuses = [
        "RS_OK",
        "RS_ERROR_UNKNOWN",
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
    ]
    for status in statuses:
        assert source.count(f'"{status}"') >= 2, status

"""Operator endpoints of the ledger: accounts, balances, statements and transfers over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from croupier.core.wallet.models import AccountKind, TransferKind
from croupier.core.wallet.service import NewTransfer, create_transfers, open_account
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.errors import PROBLEM_CONTENT_TYPE
from tests.core.wallet.ledger_fixtures import house, open_player, snapshot
from tests.http_fixtures import make_client, operator_token

LEDGER = "/api/v1/backoffice/ledger"
EUR = 1_000_000  # ledger units of one euro: fiat keeps 6 decimals


@pytest.fixture
def client(db: Database, clock: Clock) -> Iterator[TestClient]:
    """The app, called by a finance operator (ledger reads need finance or auditor)."""
    token = operator_token(db, clock, "finance")
    with capture_logs(), make_client(db, clock, token=token) as c:
        yield c


def _transfer(db: Database, clock: Clock, *transfers: NewTransfer) -> None:
    with db.unit_of_work() as s:
        for result in create_transfers(s, clock, list(transfers)):
            result.unwrap()


def _open(
    db: Database, clock: Clock, kind: AccountKind, currency: str, owner: str | None = None
) -> str:
    with db.unit_of_work() as s:
        return open_account(s, clock, kind=kind, currency_code=currency, owner_id=owner).id


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"urn:croupier:problem:{code}"
    return body


@pytest.fixture
def played(db: Database, clock: Clock) -> dict[str, str]:
    """A player funded with 50 EUR who bet 3.56, won 10, had 5 held and released, 2 still held."""
    player = open_player(db, clock, funds=50 * EUR)
    house_id = house(db, clock)
    _transfer(
        db,
        clock,
        NewTransfer(
            id="bet-1",
            debit_account_id=player,
            credit_account_id=house_id,
            amount=3_560_000,
            code="bet",
            reference="round-1",
        ),
    )
    _transfer(
        db,
        clock,
        NewTransfer(
            id="win-1", debit_account_id=house_id, credit_account_id=player, amount=10 * EUR
        ),
    )
    _transfer(
        db,
        clock,
        NewTransfer(
            id="hold-1",
            debit_account_id=player,
            credit_account_id=house_id,
            amount=5 * EUR,
            kind=TransferKind.PENDING,
        ),
    )
    _transfer(
        db, clock, NewTransfer(id="void-1", kind=TransferKind.VOID_PENDING, pending_id="hold-1")
    )
    _transfer(
        db,
        clock,
        NewTransfer(
            id="hold-2",
            debit_account_id=player,
            credit_account_id=house_id,
            amount=2 * EUR,
            kind=TransferKind.PENDING,
        ),
    )
    return {"player": player, "house": house_id}


# -- accounts and balances -------------------------------------------------------------------


def test_an_account_shows_its_running_sums_and_a_nested_balance(client, played, clock):
    response = client.get(f"{LEDGER}/accounts/{played['player']}")

    assert response.status_code == 200
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("balance", "created_at")} == {
        "id": played["player"],
        "kind": "player_cash",
        "currency": "EUR",
        "owner_id": "ply_test",
        "name": None,
        "debits_must_not_exceed_credits": True,
        "debits_posted": 3_560_000,
        "credits_posted": 60 * EUR,
        "debits_pending": 2 * EUR,
        "credits_pending": 0,
    }
    assert datetime.fromisoformat(body["created_at"]) == clock.now()
    assert body["balance"] == {
        "account_id": played["player"],
        "currency": "EUR",
        "scale": 6,
        "posted": 56_440_000,  # 50 - 3.56 + 10 EUR
        "pending_debits": 2 * EUR,
        "pending_credits": 0,
        "available": 54_440_000,  # the 2 EUR still held are not available
    }


def test_the_house_account_may_go_negative_and_shows_incoming_pending_credits(client, played):
    body = client.get(f"{LEDGER}/accounts/{played['house']}").json()

    assert body["kind"] == "house"
    assert body["owner_id"] is None
    assert body["name"] == "house"
    assert body["debits_must_not_exceed_credits"] is False
    assert body["balance"]["posted"] == -6_440_000  # took 3.56, paid 10
    assert body["balance"]["pending_credits"] == 2 * EUR
    assert body["balance"]["pending_debits"] == 0
    assert body["balance"]["available"] == -6_440_000


def test_the_balance_endpoint_agrees_with_the_account(client, played):
    for account_id in played.values():
        balance = client.get(f"{LEDGER}/accounts/{account_id}/balance")
        account = client.get(f"{LEDGER}/accounts/{account_id}")

        assert balance.status_code == 200
        assert balance.json() == account.json()["balance"]


def test_accounts_are_filtered_by_owner_kind_and_currency(client, db, clock):
    alice_eur = _open(db, clock, AccountKind.PLAYER_CASH, "EUR", "ply_alice")
    alice_bonus = _open(db, clock, AccountKind.PLAYER_BONUS, "EUR", "ply_alice")
    alice_usd = _open(db, clock, AccountKind.PLAYER_CASH, "USD", "ply_alice")
    bob_eur = _open(db, clock, AccountKind.PLAYER_CASH, "EUR", "ply_bob")
    house_eur = house(db, clock, "EUR")
    house_usd = house(db, clock, "USD")

    def ids(query: str) -> set[str]:
        response = client.get(f"{LEDGER}/accounts?{query}")
        assert response.status_code == 200, response.text
        assert response.json()["next_after"] is None
        return {a["id"] for a in response.json()["accounts"]}

    assert ids("") == {alice_eur, alice_bonus, alice_usd, bob_eur, house_eur, house_usd}
    assert ids("owner_id=ply_alice") == {alice_eur, alice_bonus, alice_usd}
    assert ids("owner_id=ply_alice&currency=EUR") == {alice_eur, alice_bonus}
    assert ids("owner_id=ply_alice&kind=player_bonus") == {alice_bonus}
    assert ids("kind=player_cash&currency=EUR") == {alice_eur, bob_eur}
    assert ids("kind=house") == {house_eur, house_usd}
    assert ids("currency=USD") == {alice_usd, house_usd}
    assert ids("owner_id=ply_nobody") == set()
    assert ids("currency=GBP") == set()


def test_accounts_page_with_after_until_exhausted(client, db, clock):
    opened = {_open(db, clock, AccountKind.PLAYER_CASH, "EUR", f"ply_{n}") for n in range(7)}
    house(db, clock)  # not a player account: filtered out below

    pages: list[list[str]] = []
    after: str | None = None
    while True:
        query = "kind=player_cash&limit=3" + (f"&after={after}" if after else "")
        body = client.get(f"{LEDGER}/accounts?{query}").json()
        pages.append([a["id"] for a in body["accounts"]])
        after = body["next_after"]
        if after is None:
            break
        assert after == pages[-1][-1]
        assert len(pages) < 10, "pagination does not end"

    assert [len(p) for p in pages] == [3, 3, 1]
    listed = [account_id for page in pages for account_id in page]
    assert listed == sorted(opened)
    everything = client.get(f"{LEDGER}/accounts?kind=player_cash&limit=500").json()
    assert [a["id"] for a in everything["accounts"]] == listed


# -- statements ------------------------------------------------------------------------------


def test_the_statement_is_newest_first_with_signed_changes(client, played):
    response = client.get(f"{LEDGER}/accounts/{played['player']}/statement")

    assert response.status_code == 200
    body = response.json()
    assert body["account"] == client.get(f"{LEDGER}/accounts/{played['player']}").json()
    assert body["next_before"] is None
    lines = body["lines"]
    assert [(line["transfer"]["id"], line["change"]) for line in lines] == [
        ("hold-2", -2 * EUR),  # a pending debit reserves money
        ("void-1", 0),  # the void releases it: nothing was posted
        ("hold-1", -5 * EUR),
        ("win-1", 10 * EUR),  # credit: positive
        ("bet-1", -3_560_000),  # debit: negative
        (f"fund-{played['player']}", 50 * EUR),
    ]
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs)
    void = lines[1]["transfer"]
    assert (void["kind"], void["pending_id"], void["amount"]) == ("void_pending", "hold-1", 5 * EUR)


def test_the_house_statement_mirrors_the_player_changes(client, played):
    body = client.get(f"{LEDGER}/accounts/{played['house']}/statement").json()

    assert [(line["transfer"]["id"], line["change"]) for line in body["lines"]] == [
        ("hold-2", 2 * EUR),
        ("void-1", 0),
        ("hold-1", 5 * EUR),
        ("win-1", -10 * EUR),
        ("bet-1", 3_560_000),
    ]


def test_the_statement_pages_with_before_until_exhausted_without_repeats_or_gaps(client, db, clock):
    player = open_player(db, clock, funds=100 * EUR)
    house_id = house(db, clock)
    for n in range(12):
        _transfer(
            db,
            clock,
            NewTransfer(
                id=f"bet-{n}", debit_account_id=player, credit_account_id=house_id, amount=EUR
            ),
        )
    expected = {f"fund-{player}", *(f"bet-{n}" for n in range(12))}

    pages: list[list[dict]] = []
    before: int | None = None
    while True:
        query = "limit=5" + (f"&before={before}" if before else "")
        response = client.get(f"{LEDGER}/accounts/{player}/statement?{query}")
        assert response.status_code == 200, response.text
        pages.append(response.json()["lines"])
        before = response.json()["next_before"]
        if before is None:
            break
        assert before == pages[-1][-1]["seq"]
        assert len(pages) < 10, "pagination does not end"

    assert [len(p) for p in pages] == [5, 5, 3]
    lines = [line for page in pages for line in page]
    seqs = [line["seq"] for line in lines]
    assert seqs == sorted(seqs, reverse=True)
    assert len(set(seqs)) == len(seqs) == len(expected)
    assert {line["transfer"]["id"] for line in lines} == expected
    whole = client.get(f"{LEDGER}/accounts/{player}/statement?limit=500").json()["lines"]
    assert whole == lines
    assert sum(line["change"] for line in lines) == 88 * EUR


def test_a_statement_of_an_account_without_transfers_is_empty(client, db, clock):
    player = open_player(db, clock)

    body = client.get(f"{LEDGER}/accounts/{player}/statement").json()

    assert body["lines"] == []
    assert body["next_before"] is None
    assert body["account"]["balance"]["posted"] == 0


# -- transfers -------------------------------------------------------------------------------


def test_a_transfer_is_shown_by_its_id(client, played, clock):
    response = client.get(f"{LEDGER}/transfers/bet-1")

    assert response.status_code == 200
    body = response.json()
    created_at = body.pop("created_at")
    assert body == {
        "id": "bet-1",
        "kind": "single",
        "debit_account_id": played["player"],
        "credit_account_id": played["house"],
        "amount": 3_560_000,
        "currency": "EUR",
        "pending_id": None,
        "timeout_seconds": 0,
        "code": "bet",
        "reference": "round-1",
    }
    assert datetime.fromisoformat(created_at) == clock.now()


def test_a_transfer_whose_id_contains_a_slash_is_shown_by_its_id(client, db, clock):
    player = open_player(db, clock, funds=10 * EUR)
    house_id = house(db, clock)
    _transfer(
        db,
        clock,
        NewTransfer(
            id="psp/stripe/ch_3N", debit_account_id=player, credit_account_id=house_id, amount=EUR
        ),
    )

    response = client.get(f"{LEDGER}/transfers/psp%2Fstripe%2Fch_3N")

    assert response.status_code == 200, response.text
    assert response.json()["id"] == "psp/stripe/ch_3N"


# -- lookups that find nothing ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/balance", "/statement"])
def test_an_unknown_account_is_a_404_problem(client, played, db, suffix):
    before = snapshot(db)

    response = client.get(f"{LEDGER}/accounts/acc_00000000000000000000000000{suffix}")

    body = _assert_problem(response, 404, "ledger.account_not_found")
    assert body["account_id"] == "acc_00000000000000000000000000"
    assert snapshot(db) == before


def test_an_unknown_transfer_is_a_404_problem(client, played, db):
    before = snapshot(db)

    response = client.get(f"{LEDGER}/transfers/bet-404")

    body = _assert_problem(response, 404, "ledger.transfer_not_found")
    assert body["transfer_id"] == "bet-404"
    assert snapshot(db) == before

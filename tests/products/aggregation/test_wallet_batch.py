"""The seamless wallet's set-wise batch (``wallet.process``): many calls in one unit of work
answer as the same calls one after another would, and a batch's statements do not grow with
its number of players."""

from __future__ import annotations

import uuid

from sqlalchemy import event, func, select

from croupier.core.wallet import get_balance, verify_ledger
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database, one_of, read_together
from croupier.products.aggregation import wallet
from croupier.products.aggregation.models import ProviderRound, ProviderTransaction
from croupier.products.aggregation.wallet import Kind, Movement, Rollback, Status, WalletCall
from tests.policy.policy_fixtures import player_in
from tests.products.aggregation.wallet_fixtures import (
    EUR,
    GAME,
    PROVIDER,
    add_caleta_provider,
    fund,
    new_token,
)


def _players(db: Database, clock: ManualClock, n: int) -> list[tuple[str, str, str]]:
    """``n`` funded Maltese players with a session each: (player id, cash account, token)."""
    out = []
    for _ in range(n):
        player = player_in(db, clock, "MT")
        fund(db, clock, player.cash_account_id, 100 * EUR)
        out.append((player.id, player.cash_account_id, new_token(db, clock, player.id)))
    return out


def _bet(token: str, tx: str, round_id: str, amount: int = EUR) -> Movement:
    return Movement(token, tx, round_id, GAME, amount, "EUR", False, False)


def _win(token: str, tx: str, round_id: str, bet_tx: str, amount: int) -> Movement:
    return Movement(token, tx, round_id, GAME, amount, "EUR", False, True, reference_uuid=bet_tx)


def _run(db: Database, clock: ManualClock, calls: list[tuple[Kind, Movement | Rollback]]):
    with db.unit_of_work() as s:
        provider = wallet.provider_by_name(s, PROVIDER)
        assert provider is not None
        return wallet.process(s, clock, [WalletCall(provider, k, r) for k, r in calls])


def test_one_players_calls_in_one_batch_answer_as_one_after_another(db, clock) -> None:
    """A bet, its win, a retry of the bet, a rollback of a bet never seen and that bet
    arriving late, all of one player in one batch: each call sees the earlier ones."""
    add_caleta_provider(db, clock)
    [(_, cash, token)] = _players(db, clock, 1)
    bet, late = uuid.uuid4().hex, uuid.uuid4().hex
    answers = _run(
        db,
        clock,
        [
            (Kind.BET, _bet(token, bet, "R1", 2 * EUR)),
            (Kind.WIN, _win(token, uuid.uuid4().hex, "R1", bet, 5 * EUR)),
            (Kind.BET, _bet(token, bet, "R1", 2 * EUR)),  # the provider's retry
            (Kind.ROLLBACK, Rollback(token, uuid.uuid4().hex, late, "R2", GAME, False)),
            (Kind.BET, _bet(token, late, "R2")),
        ],
    )
    assert [a.status for a in answers] == [
        Status.OK,
        Status.OK,
        Status.OK,
        Status.OK,
        Status.TRANSACTION_ROLLED_BACK,
    ]
    assert [a.balance for a in answers] == [98 * EUR, 103 * EUR, 103 * EUR, 103 * EUR, 103 * EUR]
    assert answers[2].reason == "replay"
    with db.read_only() as s:
        assert get_balance(s, cash).available == 103 * EUR
        assert s.scalar(select(func.count()).select_from(ProviderTransaction)) == 3
        assert verify_ledger(s) == []


def test_calls_of_different_players_sharing_a_transaction_id_are_decided_in_order(
    db, clock
) -> None:
    """Two players' bets with the same transaction id in one batch: the first stands, the
    second is a duplicate, as when they come one after the other; nothing of it moved."""
    add_caleta_provider(db, clock)
    (_, ada_cash, ada), (_, bob_cash, bob) = _players(db, clock, 2)
    tx = uuid.uuid4().hex
    answers = _run(db, clock, [(Kind.BET, _bet(ada, tx, "RA")), (Kind.BET, _bet(bob, tx, "RB"))])
    assert [a.status for a in answers] == [Status.OK, Status.DUPLICATE_TRANSACTION]
    assert answers[1].balance == 100 * EUR
    with db.read_only() as s:
        assert get_balance(s, ada_cash).available == 99 * EUR
        assert get_balance(s, bob_cash).available == 100 * EUR
        assert s.scalar(select(func.count()).select_from(ProviderRound)) == 1


def test_a_refused_call_of_a_batch_moves_nothing_and_the_others_go_on(db, clock) -> None:
    """A bet beyond the player's cash, a win of a bet that does not exist and a bad token,
    among good calls of other players: each refusal leaves no row and no money."""
    add_caleta_provider(db, clock)
    (_, ada_cash, ada), (_, bob_cash, bob), (_, _, cy) = _players(db, clock, 3)
    answers = _run(
        db,
        clock,
        [
            (Kind.BET, _bet(ada, uuid.uuid4().hex, "RA", 101 * EUR)),
            (Kind.BET, _bet(bob, uuid.uuid4().hex, "RB")),
            (Kind.WIN, _win(cy, uuid.uuid4().hex, "RC", uuid.uuid4().hex, EUR)),
            (Kind.BET, _bet("no-such-token", uuid.uuid4().hex, "RD")),
        ],
    )
    assert [a.status for a in answers] == [
        Status.NOT_ENOUGH_MONEY,
        Status.OK,
        Status.TRANSACTION_DOES_NOT_EXIST,
        Status.INVALID_TOKEN,
    ]
    assert answers[0].balance == 100 * EUR
    with db.read_only() as s:
        assert get_balance(s, ada_cash).available == 100 * EUR
        assert get_balance(s, bob_cash).available == 99 * EUR
        assert s.scalar(select(func.count()).select_from(ProviderTransaction)) == 1
        assert verify_ledger(s) == []


def test_a_batch_reads_and_writes_set_wise(db, clock) -> None:
    """The statements of a batch do not grow with its number of players (one call each),
    once the players are in the process's policy cache (as after their first bet)."""
    add_caleta_provider(db, clock)
    players = _players(db, clock, 12)
    _run(db, clock, [(Kind.BET, _bet(t, uuid.uuid4().hex, f"first-{p}")) for p, _, t in players])

    def count(batch: list[tuple[Kind, Movement | Rollback]]) -> int:
        statements: list[str] = []

        def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            answers = _run(db, clock, batch)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        assert all(a.status is Status.OK for a in answers)
        return len(statements)

    two = count([(Kind.BET, _bet(t, uuid.uuid4().hex, f"two-{p}")) for p, _, t in players[:2]])
    ten = count([(Kind.BET, _bet(t, uuid.uuid4().hex, f"ten-{p}")) for p, _, t in players[2:]])
    assert ten == two


def test_reads_together_answer_each_statement_with_its_own_values(db, clock) -> None:
    """The compiled form of a statement is kept by its shape; a second call of the same
    shape with other values answers its own rows (by position and by name)."""
    from croupier.core.players.models import Player

    add_caleta_provider(db, clock)
    ids = [p for p, _, _ in _players(db, clock, 3)]
    with db.unit_of_work() as s:
        conn = s.connection()
        for wanted in (ids[:1], ids[1:], []):
            one, everything = read_together(
                conn,
                [
                    select(Player.id).where(one_of(conn, Player.id, wanted, name="wanted")),
                    select(func.count()).select_from(Player),
                ],
            )
            assert sorted(row.id for row in one) == sorted(wanted)
            assert [row[0] for row in one] == [row.id for row in one]
            assert everything[0][0] == len(ids)

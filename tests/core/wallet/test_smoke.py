from croupier.core.wallet.service import NewTransfer, create_transfers
from tests.core.wallet.ledger_fixtures import account, assert_ledger_verifies, house, open_player


def test_a_bet_moves_money_from_player_to_house(db, clock):
    player = open_player(db, clock, funds=1000)
    h = house(db, clock)
    with db.unit_of_work() as s:
        [r] = create_transfers(
            s,
            clock,
            [NewTransfer(id="bet-1", debit_account_id=player, credit_account_id=h, amount=300)],
        )
    assert r.ok
    assert not r.replayed
    assert account(db, player).balance.available == 700
    assert account(db, h).balance.posted == 300
    assert_ledger_verifies(db)

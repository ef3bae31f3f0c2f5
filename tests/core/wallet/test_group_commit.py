"""The group committer survives a lost database connection without moving money twice."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.service import NewTransfer
from tests.core.wallet.ledger_fixtures import account, assert_ledger_verifies, house, open_player

EUR = 1_000_000


def _terminate_other_backends(db) -> int:
    with db.engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
        conn.commit()
    return int(killed)


def test_a_batch_whose_connection_was_killed_is_retried_on_a_new_one(postgresql_db, clock):
    player = open_player(postgresql_db, clock, funds=10 * EUR)
    house_id = house(postgresql_db, clock)
    committer = GroupCommitter(postgresql_db, clock)
    try:
        bet = NewTransfer(
            id="bet-1", debit_account_id=player, credit_account_id=house_id, amount=EUR
        )
        assert committer.submit_one(bet).ok
        assert _terminate_other_backends(postgresql_db) >= 1  # the committer's kept connection

        second = NewTransfer(
            id="bet-2", debit_account_id=player, credit_account_id=house_id, amount=EUR
        )
        assert committer.submit_one(second).ok
        assert committer.retries == 1
        # Replaying both after the reconnect moves nothing more.
        assert committer.submit_one(bet).replayed
        assert committer.submit_one(second).replayed
    finally:
        committer.close()

    assert account(postgresql_db, house_id).credits_posted == 2 * EUR
    assert_ledger_verifies(postgresql_db)


def test_a_refused_batch_shape_raises_before_anything_is_queued(db, clock):
    player = open_player(db, clock, funds=10 * EUR)
    house_id = house(db, clock)
    committer = GroupCommitter(db, clock)
    try:
        open_chain = NewTransfer(
            id="bet-1", debit_account_id=player, credit_account_id=house_id, amount=EUR, linked=True
        )
        with pytest.raises(Exception, match="linked") as exc_info:
            committer.submit([open_chain])
        assert exc_info.value.code == "ledger.linked_chain_open"
    finally:
        committer.close()
    assert account(db, house_id).credits_posted == 0

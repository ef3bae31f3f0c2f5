"""Many threads spend from one player account at once, each also paying the one house account.

The player holds exactly enough for half of the attempts. Whatever the interleaving, exactly
half succeed, the rest are refused with ``ledger.insufficient_funds``, the player ends at zero,
the house holds what was spent, and every ledger invariant holds. Each attempt runs in its own
unit of work (row locks in sorted order) or through the group committer (many callers in one
transaction); both on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.service import NewTransfer, TransferResult, create_transfers
from tests.core.wallet.ledger_fixtures import account, assert_ledger_verifies, house, open_player

pytestmark = pytest.mark.slow

THREADS = 50
STAKE = 2_000_000  # 2 EUR


@pytest.mark.parametrize("path", ["unit_of_work", "group_commit"])
def test_fifty_threads_spending_half_the_balance_each_exactly_half_succeed(db, clock, path):
    player = open_player(db, clock, funds=STAKE * THREADS // 2)
    house_id = house(db, clock)
    committer = GroupCommitter(db, clock) if path == "group_commit" else None
    start = threading.Barrier(THREADS)
    outcomes: list[TransferResult | BaseException] = []
    lock = threading.Lock()

    def spend(n: int) -> None:
        bet = NewTransfer(
            id=f"bet-{n}", debit_account_id=player, credit_account_id=house_id, amount=STAKE
        )
        start.wait()
        try:
            if committer is not None:
                result = committer.submit_one(bet)
            else:
                with db.unit_of_work() as s:
                    [result] = create_transfers(s, clock, [bet])
        except BaseException as exc:  # recorded, so that the assertion below names it
            result = exc  # type: ignore[assignment]
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if committer is not None:
        committer.close()

    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    codes = Counter("ok" if o.ok else o.error.code for o in outcomes)  # type: ignore[union-attr]
    assert codes == {"ok": THREADS // 2, "ledger.insufficient_funds": THREADS // 2}
    spent = account(db, player)
    assert spent.debits_posted == spent.credits_posted  # exactly zero left
    assert account(db, house_id).credits_posted == STAKE * THREADS // 2
    assert_ledger_verifies(db)

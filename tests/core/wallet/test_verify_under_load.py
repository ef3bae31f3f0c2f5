"""`ledger verify` reads one snapshot, so it holds while transfers keep committing."""

from __future__ import annotations

import threading

from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.service import NewTransfer, verify_ledger
from tests.core.wallet.ledger_fixtures import house, open_player


def test_verify_finds_nothing_wrong_while_transfers_commit(db, clock):
    players = [open_player(db, clock, funds=10**9) for _ in range(20)]
    house_id = house(db, clock)
    committer = GroupCommitter(db, clock)
    stop = threading.Event()

    def bet() -> None:
        n = 0
        while not stop.is_set():
            committer.submit(
                [
                    NewTransfer(
                        id=f"load-{threading.get_ident()}-{n}-{i}",
                        debit_account_id=p,
                        credit_account_id=house_id,
                        amount=1,
                    )
                    for i, p in enumerate(players)
                ]
            )
            n += 1

    workers = [threading.Thread(target=bet) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        results = []
        for _ in range(15):
            with db.snapshot() as s:
                results.append(verify_ledger(s))
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        committer.close()

    assert all(r == [] for r in results), [r for r in results if r][:1]

"""Child process of the crash test: posts linked pairs of transfers until it is killed.

    python tests/core/wallet/crash_child.py DATABASE_URL ROUND PLAYER HOUSE

Each pair is a stake and a fee, linked so that they commit together or not at all. After the
ledger reports a pair committed, the child prints the pair's number and flushes, so the parent
knows exactly which pairs were acknowledged before the SIGKILL.
"""

from __future__ import annotations

import sys

from croupier.core.wallet.group_commit import GroupCommitter
from croupier.core.wallet.service import NewTransfer
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database


def main() -> None:
    url, round_, player, house = sys.argv[1:5]
    db = Database(url)
    committer = GroupCommitter(db, SystemClock())
    n = 0
    while True:
        stake = NewTransfer(
            id=f"crash-{round_}-{n}-stake",
            debit_account_id=player,
            credit_account_id=house,
            amount=3,
            linked=True,
        )
        fee = NewTransfer(
            id=f"crash-{round_}-{n}-fee", debit_account_id=player, credit_account_id=house, amount=1
        )
        results = committer.submit([stake, fee])
        assert all(r.ok for r in results), results
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
        n += 1


if __name__ == "__main__":
    main()

"""The Hub88 operator wallet: ``/user/balance`` and ``/transaction/{bet,win,rollback}``,
signed in ``X-Hub88-Signature``, with the operator's ``user`` in every body.

The second protocol on the same round and transaction core: only the names differ. Hub88 has
no status for a rolled-back transaction or a limit, so those are said with the nearest it
has: a win of a rolled-back bet, and a bet arriving after its own rollback, are
``RS_ERROR_TRANSACTION_DOES_NOT_EXIST`` (there is no such bet to settle or to take); a stake
over a limit is ``RS_ERROR_USER_DISABLED`` (Hub88: the user "can't place any new bets").
"""

from __future__ import annotations

from typing import Final

from croupier.products.aggregation.protocol import Dialect
from croupier.products.aggregation.wallet import Status

HUB88: Final = Dialect(
    name="hub88",
    signature_header="X-Hub88-Signature",
    renamed={
        Status.TRANSACTION_ROLLED_BACK: Status.TRANSACTION_DOES_NOT_EXIST,
        Status.BET_LIMIT_EXCEEDED: Status.USER_DISABLED,
    },
    user_required=True,
)

"""Background work of crash: settle the rounds that have crashed and that nobody has read since.

Settlement is lazy (any read of a round or a bet after its crash settles it); this job settles
the rest, so wins are credited even when nobody comes back. Each round is settled in its own
unit of work; several processes may run it at once (bets are locked, and wins move under ids
derived from the bet). It runs from ``croupier crash settle`` (cron) or any job runner.
"""

from __future__ import annotations

from croupier.kernel.clock import Clock
from croupier.kernel.crypto import Keyring
from croupier.kernel.db import Database
from croupier.products.rgs.crash.service import ended_open_rounds, settle_round


def settle_crash_rounds(database: Database, clock: Clock, keyring: Keyring) -> list[int]:
    """Settle every crashed round not yet settled; the numbers of those settled here."""
    with database.read_only() as session:
        numbers = ended_open_rounds(session, clock, keyring)
    settled = []
    for number in numbers:
        with database.unit_of_work() as session:
            if settle_round(session, clock, keyring, number):
                settled.append(number)
    return settled

"""A process that is killed with SIGKILL in the middle of posting loses nothing it acknowledged.

A child process posts linked pairs of transfers in a loop and prints each pair it was told is
committed; the test kills it at a random moment, several times. After every kill: every pair
the child reported is in the ledger, no pair is half-written (both transfers or neither), and
``ledger verify`` holds. On SQLite (WAL, ``synchronous=FULL``) and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from croupier.core.wallet.models import LedgerTransfer
from tests.core.wallet.ledger_fixtures import account, assert_ledger_verifies, house, open_player

pytestmark = pytest.mark.slow

ROUNDS = 4
CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[3]


def _run_and_kill(
    url: str, round_: int, player: str, house_id: str, rng: random.Random
) -> set[int]:
    """Start the child, let it post for a random while, SIGKILL it; the pairs it acknowledged."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), url, str(round_), player, house_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    acknowledged: set[int] = set()
    first = threading.Event()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged.add(int(line))
            first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not first.wait(timeout=60):
        child.kill()
        pytest.fail(f"the child never committed: {child.communicate()[1]}")
    time.sleep(rng.uniform(0.05, 0.6))
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    reader.join(timeout=30)
    assert child.returncode == -signal.SIGKILL
    return acknowledged


def test_transfers_acknowledged_before_a_sigkill_survive_and_none_is_half_written(db, clock):
    player = open_player(db, clock, funds=10**12)
    house_id = house(db, clock)
    rng = random.Random()
    url = db.engine.url.render_as_string(hide_password=False)
    total_acknowledged = 0

    for round_ in range(ROUNDS):
        acknowledged = _run_and_kill(url, round_, player, house_id, rng)
        total_acknowledged += len(acknowledged)
        with db.read_only() as s:
            ids = set(
                s.scalars(
                    select(LedgerTransfer.id).where(LedgerTransfer.id.like(f"crash-{round_}-%"))
                )
            )
        stakes = {int(i.split("-")[2]) for i in ids if i.endswith("-stake")}
        fees = {int(i.split("-")[2]) for i in ids if i.endswith("-fee")}
        assert stakes == fees, "a linked pair was half-written"
        assert acknowledged <= stakes, f"acknowledged pairs lost: {sorted(acknowledged - stakes)}"
        # At most the batch in flight at the kill committed without being reported.
        assert stakes == set(range(len(stakes)))
        assert_ledger_verifies(db)

    assert total_acknowledged > 0
    with db.read_only() as s:
        pairs = len(
            list(s.scalars(select(LedgerTransfer.id).where(LedgerTransfer.id.like("crash-%-fee"))))
        )
    assert account(db, house_id).credits_posted == 4 * pairs  # a stake of 3 and a fee of 1

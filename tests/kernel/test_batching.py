"""Group commit of whole units of work: shared transactions, each unit on its own."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.kernel.batching import UnitOfWorkBatcher


@pytest.fixture
def table(db):
    with db.unit_of_work() as s:
        s.execute(text("DROP TABLE IF EXISTS batch_test"))
        s.execute(text("CREATE TABLE batch_test (id INTEGER PRIMARY KEY, note VARCHAR(20))"))
    yield db
    with db.unit_of_work() as s:
        s.execute(text("DROP TABLE batch_test"))


def _ids(db) -> list[int]:
    with db.read_only() as s:
        return sorted(r[0] for r in s.execute(text("SELECT id FROM batch_test")))


def _insert(n: int):
    def work(session: Session) -> int:
        session.execute(text("INSERT INTO batch_test (id, note) VALUES (:n, 'x')"), {"n": n})
        return n

    return work


def test_queued_units_share_transactions_and_each_gets_its_result(table):
    batcher = UnitOfWorkBatcher(table, "test")
    gate = threading.Event()
    # The first unit holds the committer until the rest are queued: they then go together.
    first = batcher.submit(lambda _s: gate.wait(10) and 0)
    futures = [batcher.submit(_insert(n)) for n in range(1, 21)]
    gate.set()
    assert first.result(10) == 0
    assert [f.result(10) for f in futures] == list(range(1, 21))
    batcher.close()
    assert batcher.batches <= 2  # 21 units, one or two commits
    assert _ids(table) == list(range(1, 21))


def test_a_unit_that_raises_is_rolled_back_alone(table):
    batcher = UnitOfWorkBatcher(table, "test")
    gate = threading.Event()
    batcher.submit(lambda _s: gate.wait(10))

    def half_then_fail(session: Session) -> None:
        _insert(100)(session)
        raise ValueError("refused half-way")

    before = batcher.submit(_insert(1))
    failing = batcher.submit(half_then_fail)
    after = batcher.submit(_insert(2))
    gate.set()
    assert (before.result(10), after.result(10)) == (1, 2)
    with pytest.raises(ValueError, match="half-way"):
        failing.result(10)
    batcher.close()
    assert _ids(table) == [1, 2]  # nothing of the failed unit, the others committed


def test_a_unit_hitting_a_database_error_is_tried_again_on_its_own(table):
    batcher = UnitOfWorkBatcher(table, "test")
    batcher.submit(_insert(7)).result(10)
    gate = threading.Event()
    batcher.submit(lambda _s: gate.wait(10))
    duplicate = batcher.submit(_insert(7))
    fine = batcher.submit(_insert(8))
    gate.set()
    assert fine.result(10) == 8
    with pytest.raises(IntegrityError):
        duplicate.result(10)
    batcher.close()
    assert _ids(table) == [7, 8]


def test_close_finishes_what_is_queued_and_refuses_more(table):
    batcher = UnitOfWorkBatcher(table, "test")
    futures = [batcher.submit(_insert(n)) for n in range(1, 6)]
    batcher.close()
    assert [f.result(10) for f in futures] == [1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(_insert(9)).result(1)

"""Group commit of whole units of work: shared transactions, each unit on its own."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from croupier.kernel.batching import BulkBatcher, UnitOfWorkBatcher


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


# Both ways of running a batch: a savepoint per unit, or none and a careful rerun when a unit
# raises. What callers see must not differ.
SAVEPOINTS = pytest.mark.parametrize("savepoints", [True, False], ids=["savepoints", "optimistic"])


@SAVEPOINTS
def test_queued_units_share_transactions_and_each_gets_its_result(table, savepoints):
    batcher = UnitOfWorkBatcher(table, "test", savepoints=savepoints)
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


@SAVEPOINTS
def test_a_unit_that_raises_is_rolled_back_alone(table, savepoints):
    batcher = UnitOfWorkBatcher(table, "test", savepoints=savepoints)
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


@SAVEPOINTS
def test_a_unit_hitting_a_database_error_is_tried_again_on_its_own(table, savepoints):
    batcher = UnitOfWorkBatcher(table, "test", savepoints=savepoints)
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


def test_without_savepoints_a_batch_that_succeeds_sets_none(table):
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(table.engine, "before_cursor_execute", note)
    try:
        batcher = UnitOfWorkBatcher(table, "test", savepoints=False)
        gate = threading.Event()
        batcher.submit(lambda _s: gate.wait(10))
        futures = [batcher.submit(_insert(n)) for n in range(1, 6)]
        gate.set()
        assert [f.result(10) for f in futures] == [1, 2, 3, 4, 5]
        batcher.close()
    finally:
        event.remove(table.engine, "before_cursor_execute", note)
    assert "SAVEPOINT" not in statements
    assert statements.count("INSERT") == 5
    assert _ids(table) == [1, 2, 3, 4, 5]


def test_close_finishes_what_is_queued_and_refuses_more(table):
    batcher = UnitOfWorkBatcher(table, "test")
    futures = [batcher.submit(_insert(n)) for n in range(1, 6)]
    batcher.close()
    assert [f.result(10) for f in futures] == [1, 2, 3, 4, 5]
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(_insert(9)).result(1)


# -- BulkBatcher: the handler gets the whole batch ------------------------------------------


def _insert_all(batches: list[list[int]], started: threading.Event, gate: threading.Event):
    """A set-wise handler: one INSERT for the batch's rows. 0 holds the committer until the
    gate opens (so that what is queued meanwhile goes in one batch) and answers "held"; a
    negative odd item is answered a refusal (a value); a negative even one raises after the
    batch's insert."""

    def handle(session: Session, items: list[int]) -> list[int | str]:
        batches.append(list(items))
        if 0 in items:
            started.set()
            gate.wait(10)
        rows = [{"n": n} for n in items if n > 0]
        if rows:
            session.execute(text("INSERT INTO batch_test (id, note) VALUES (:n, 'x')"), rows)
        if any(n < 0 and n % 2 == 0 for n in items):
            raise ValueError("a bad item")
        return [n if n > 0 else "held" if n == 0 else "refused" for n in items]

    return handle


def test_a_bulk_batch_reaches_the_handler_whole_and_answers_in_order(table):
    batches: list[list[int]] = []
    started, gate = threading.Event(), threading.Event()
    batcher = BulkBatcher(table, "test", _insert_all(batches, started, gate))
    held = batcher.submit(0)
    assert started.wait(10)
    futures = [batcher.submit(n) for n in (1, -1, 2, 3)]
    gate.set()
    assert held.result(10) == "held"
    assert [f.result(10) for f in futures] == [1, "refused", 2, 3]
    batcher.close()
    assert batches == [[0], [1, -1, 2, 3]]
    assert batcher.batches == 2
    assert _ids(table) == [1, 2, 3]


def test_a_bulk_batch_whose_handler_raises_runs_item_by_item(table):
    batches: list[list[int]] = []
    started, gate = threading.Event(), threading.Event()
    batcher = BulkBatcher(table, "test", _insert_all(batches, started, gate))
    batcher.submit(0)
    assert started.wait(10)
    futures = [batcher.submit(n) for n in (1, -2, 3)]
    gate.set()
    assert futures[0].result(10) == 1
    assert futures[2].result(10) == 3
    with pytest.raises(ValueError, match="bad item"):
        futures[1].result(10)
    batcher.close()
    assert batches == [[0], [1, -2, 3], [1], [-2], [3]]  # together first, then one by one
    assert _ids(table) == [1, 3]  # nothing of the failed try, each good item once


def test_a_bulk_handler_answering_too_few_results_fails_and_writes_nothing(table):
    def handle(session: Session, items: list[int]) -> list[int]:
        _insert(items[0])(session)
        return items[:-1]

    batcher = BulkBatcher(table, "test", handle)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        batcher.submit(5).result(10)
    batcher.close()
    assert _ids(table) == []
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(6).result(1)


def test_awaiting_callers_get_their_answers_from_one_wake_up_of_their_loop(table):
    import asyncio

    batches: list[list[int]] = []
    started, gate = threading.Event(), threading.Event()
    batcher = BulkBatcher(table, "test", _insert_all(batches, started, gate))
    calls: list[object] = []

    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        original = loop.call_soon_threadsafe

        def counted(callback, *args):  # type: ignore[no-untyped-def]
            calls.append(callback)
            return original(callback, *args)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        held = asyncio.ensure_future(batcher.put(0))
        while not started.is_set():
            await asyncio.sleep(0.001)
        rest = [asyncio.ensure_future(batcher.put(n)) for n in (1, -1, 2, 3)]
        await asyncio.sleep(0.01)  # queued behind the held batch
        gate.set()
        return await asyncio.gather(held, *rest, return_exceptions=True)

    answers = asyncio.run(main())
    batcher.close()
    assert answers == ["held", 1, "refused", 2, 3]
    assert batches == [[0], [1, -1, 2, 3]]
    assert len(calls) == 2  # one call into the loop per batch, not one per answer
    assert _ids(table) == [1, 2, 3]

"""The ledger's semantics: transfers, two-phase transfers, linked chains, idempotency.

Every refusal is checked for its own stable code and for having moved nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event

from croupier.core.wallet.errors import InsufficientFunds
from croupier.core.wallet.models import AccountKind, TransferKind
from croupier.core.wallet.service import (
    LockedAhead,
    NewTransfer,
    TransferResult,
    create_transfers,
    expire_pending_transfers,
    get_balance,
    get_statement,
    lock_ahead,
    open_account,
    platform_account,
    platform_account_id,
    share_platform_accounts,
    sum_posted,
    sums_posted,
    transfer,
)
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database, read_together
from croupier.kernel.money import MAX_AMOUNT
from tests.core.wallet.ledger_fixtures import (
    account,
    assert_ledger_verifies,
    house,
    open_player,
    snapshot,
)


def submit(db: Database, clock: ManualClock, *transfers: NewTransfer) -> list[TransferResult]:
    with db.unit_of_work() as s:
        return create_transfers(s, clock, list(transfers))


def bet(
    tid: str, player: str, house_id: str, amount: int | None = 100, **kw: object
) -> NewTransfer:
    return NewTransfer(
        id=tid, debit_account_id=player, credit_account_id=house_id, amount=amount, **kw
    )  # type: ignore[arg-type]


def assert_refused_and_nothing_moved(
    db: Database, clock: ManualClock, code: str, *transfers: NewTransfer
) -> None:
    before = snapshot(db)
    results = submit(db, clock, *transfers)
    assert results[-1].error is not None, results
    assert results[-1].error.code == code
    assert snapshot(db) == before
    assert_ledger_verifies(db)


@pytest.fixture
def eur(db: Database, clock: ManualClock) -> tuple[str, str]:
    return open_player(db, clock, funds=1_000), house(db, clock)


# -- the happy paths -----------------------------------------------------------------------


def test_replay_with_same_fields_returns_the_first_result_and_moves_nothing_more(db, clock, eur):
    player, h = eur
    [first] = submit(db, clock, bet("bet-1", player, h))
    before = snapshot(db)
    clock.advance(timedelta(minutes=5))
    [again] = submit(db, clock, bet("bet-1", player, h))
    assert again.ok
    assert again.replayed
    assert again.transfer == first.transfer
    assert snapshot(db) == before


def test_pending_then_partial_post_releases_the_rest(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    assert account(db, player).balance.available == 600
    assert account(db, player).balance.posted == 1000
    [post] = submit(
        db,
        clock,
        NewTransfer(id="settle", kind=TransferKind.POST_PENDING, pending_id="hold", amount=150),
    )
    assert post.ok
    assert post.transfer is not None
    assert post.transfer.amount == 150
    bal = account(db, player).balance
    assert (bal.posted, bal.pending_debits, bal.available) == (850, 0, 850)
    assert account(db, h).balance.posted == 150
    assert_ledger_verifies(db)


def test_void_releases_the_whole_pending_amount(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    [void] = submit(
        db, clock, NewTransfer(id="undo", kind=TransferKind.VOID_PENDING, pending_id="hold")
    )
    assert void.ok
    assert account(db, player).balance.available == 1000
    assert account(db, h).balance.pending_credits == 0
    assert_ledger_verifies(db)


def test_pending_transfer_times_out_and_expiry_releases_it_once(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING, timeout_seconds=60))
    with db.unit_of_work() as s:
        assert expire_pending_transfers(s, clock) == 0  # not yet
    clock.advance(timedelta(seconds=61))
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_expired",
        NewTransfer(id="late-post", kind=TransferKind.POST_PENDING, pending_id="hold"),
    )
    with db.unit_of_work() as s:
        assert expire_pending_transfers(s, clock) == 1
    with db.unit_of_work() as s:
        assert expire_pending_transfers(s, clock) == 0
    assert account(db, player).balance.available == 1000
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_expired",
        NewTransfer(id="void-after-expiry", kind=TransferKind.VOID_PENDING, pending_id="hold"),
    )


def test_linked_chain_commits_whole(db, clock, eur):
    player, h = eur
    with db.unit_of_work() as s:
        tax = platform_account(s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="tax").id
    results = submit(
        db, clock, bet("stake", player, h, 100, linked=True), bet("duty", player, tax, 5)
    )
    assert all(r.ok for r in results)
    assert account(db, player).balance.posted == 895
    assert_ledger_verifies(db)


def test_a_large_batch_streamed_in_pieces_makes_exactly_its_good_transfers(
    db, clock, eur, monkeypatch
):
    # On PostgreSQL a batch's inserts go to the server every _STREAM_ROWS transfers while the
    # rest is applied; two per piece here, with refusals and a failed chain in between.
    from croupier.core.wallet import service

    monkeypatch.setattr(service, "_STREAM_ROWS", 2)
    player, h = eur
    batch = [
        bet("s-1", player, h, 100),
        bet("s-2", player, h, 100, kind=TransferKind.PENDING),
        bet("s-3", player, h, 100, linked=True),
        bet("s-4", player, h, 10_000),  # insufficient funds: s-3 fails with it
        bet("s-5", player, h, 0),  # refused by its shape
        NewTransfer(id="s-6", kind=TransferKind.POST_PENDING, pending_id="s-2"),
        bet("s-7", player, h, 100),
        bet("s-8", player, h, 100),
        bet("s-1", player, h, 100),  # the batch's own first transfer again: a replay
    ]
    results = submit(db, clock, *batch)
    assert [r.ok for r in results] == [True, True, False, False, False, True, True, True, True]
    assert results[2].error.code == "ledger.linked_transfer_failed"
    assert results[3].error.code == "ledger.insufficient_funds"
    assert results[-1].replayed
    bal = account(db, player).balance
    assert (bal.posted, bal.pending_debits) == (600, 0)  # 1000 - s-1, s-6, s-7, s-8
    assert statement_ids(db, player)[:5] == ["s-8", "s-7", "s-6", "s-2", "s-1"]  # then funding
    assert_ledger_verifies(db)


def statement_ids(db: Database, account_id: str) -> list[str]:
    with db.read_only() as s:
        return [line.transfer.id for line in get_statement(s, account_id, limit=50)]


def test_the_balances_a_batch_reports_are_what_a_read_answers_after_it(db, clock, eur):
    player, h = eur
    with db.unit_of_work() as s:
        reported: dict = {}
        results = create_transfers(
            s,
            clock,
            [
                bet("r-1", player, h, 100),
                bet("r-2", player, h, 200, kind=TransferKind.PENDING),
                bet("r-3", player, h, 5_000),  # refused: the balances are still reported
            ],
            balances=reported,
        )
        read = {a: get_balance(s, a) for a in (player, h)}
    assert [r.ok for r in results] == [True, True, False]
    assert reported == read
    assert (reported[player].posted, reported[player].available) == (900, 700)


def test_platform_account_id_never_remembers_an_account_a_savepoint_took_back(db, clock):
    spec = {"kind": AccountKind.HOUSE, "currency_code": "EUR", "name": "sb-test"}
    with db.unit_of_work() as s:
        savepoint = s.begin_nested()
        platform_account_id(s, clock, **spec)  # opened here...
        savepoint.rollback()  # ...and taken back with the savepoint
        first = platform_account_id(s, clock, **spec)  # opened again, for good
        again = platform_account_id(s, clock, **spec)
    with db.read_only() as s:
        assert platform_account(s, clock, **spec).id == first == again


def test_shared_platform_accounts_are_read_once_they_are_committed(db, clock):
    """With ``share_platform_accounts``, a unit of work finds an account another one read
    and committed without a statement; one read in a unit of work that rolled back, or
    opened in one, is not shared."""
    spec = {"kind": AccountKind.HOUSE, "currency_code": "EUR", "name": "shared"}
    share_platform_accounts(db)

    def statements_to_find() -> tuple[str, int]:
        seen: list[str] = []

        def note(*_args: object) -> None:
            seen.append("statement")

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            with db.unit_of_work() as s:
                found = platform_account_id(s, clock, **spec)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        return found, len(seen)

    with db.unit_of_work() as s:  # opened here: not shared
        opened = platform_account_id(s, clock, **spec)

    def read_then_fail() -> None:
        with db.unit_of_work() as s:
            assert platform_account_id(s, clock, **spec) == opened
            raise RuntimeError

    with pytest.raises(RuntimeError):  # read, then rolled back
        read_then_fail()
    found, statements = statements_to_find()  # read and committed: shared from now on
    assert (found, statements > 0) == (opened, True)
    assert statements_to_find() == (opened, 0)
    with db.read_only() as s:
        assert platform_account(s, clock, **spec).id == opened


def _ledger_statements(db: Database) -> tuple[list[str], Callable[[], None]]:
    """The statements the engine runs from now on (SQLAlchemy's and the ledger's own SQL
    sent through the driver are both seen on SQLite; on PostgreSQL only SQLAlchemy's)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", note)


def test_accounts_locked_ahead_serve_one_batch_then_it_locks_again(db, clock, eur):
    """create_transfers(locked=...) takes the accounts and transfers read with the caller's
    own statements (lock_ahead) instead of reading them; a second batch, or one the lock
    does not cover, locks and reads as usual, and sees what the first one wrote."""
    player, h = eur
    [replayed] = submit(db, clock, bet("old", player, h, 10))
    with db.unit_of_work() as s:
        conn = s.connection()
        ids = ["old", "new-1"]
        accounts, transfers = read_together(conn, lock_ahead(conn, [player, h], ids))
        locked = LockedAhead(frozenset([player, h]), frozenset(ids), accounts, transfers)
        seen, stop = _ledger_statements(db)
        try:
            first = create_transfers(
                s, clock, [bet("old", player, h, 10), bet("new-1", player, h, 900)], locked=locked
            )
            locks_taken = [
                q for q in seen if "ledger_accounts.id" in q or "ledger_transfers.id" in q
            ]
            again = create_transfers(s, clock, [bet("new-2", player, h, 100)], locked=locked)
            outside = create_transfers(
                s, clock, [bet("new-3", player, h, 1)], locked=LockedAhead(
                    frozenset([player]), frozenset(["new-3"]), accounts, []
                ),
            )  # fmt: skip
        finally:
            stop()
    assert locked.used
    assert locks_taken == []  # nothing read again for the first batch
    assert first[0].replayed
    assert first[0].transfer == replayed.transfer
    assert first[1].ok
    # The second batch read the balance the first wrote: 1,000 - 10 - 900 leaves 90.
    assert isinstance(again[0].error, InsufficientFunds)
    assert outside[0].ok  # the house was not locked ahead: read as usual
    assert get_balance_of(db, player).posted == 1_000 - 10 - 900 - 1
    assert_ledger_verifies(db)


def test_statement_lists_an_accounts_transfers_newest_first(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("b1", player, h, 10), bet("b2", player, h, 20))
    submit(
        db, clock, NewTransfer(id="win", debit_account_id=h, credit_account_id=player, amount=50)
    )
    with db.read_only() as s:
        lines = get_statement(s, player, limit=10)
    assert [line.transfer.id for line in lines] == ["win", "b2", "b1", f"fund-{player}"]
    assert [line.change for line in lines] == [50, -20, -10, 1000]


def test_transfer_raises_the_reason_for_a_single_refusal(db, clock, eur):
    player, h = eur
    with db.unit_of_work() as s:
        from croupier.core.wallet.errors import InsufficientFunds

        with pytest.raises(InsufficientFunds):
            transfer(s, clock, bet("too-much", player, h, 10_000))


# -- bad input: each refused with its own code, nothing moved ------------------------------


@pytest.mark.parametrize("amount", [0, -1, -(10**6)])
def test_zero_or_negative_amount_is_refused(db, clock, eur, amount):
    player, h = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.amount_must_be_positive", bet("bad", player, h, amount)
    )


@pytest.mark.parametrize("amount", [2**63, 2**64, 10**30])
def test_amount_beyond_two_to_the_63_is_refused(db, clock, eur, amount):
    player, h = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.amount_too_large", bet("big", player, h, amount)
    )


@pytest.mark.parametrize("amount", [1.5, "100", True])
def test_amount_that_is_not_an_integer_is_refused(db, clock, eur, amount):
    player, h = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.invalid_transfer_fields", bet("float", player, h, amount)
    )


def test_unknown_account_is_refused(db, clock, eur):
    player, _ = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.account_not_found", bet("ghost", player, "acc_DOES_NOT_EXIST")
    )


def test_mixed_currencies_are_refused(db, clock, eur):
    player, _ = eur
    usd_house = house(db, clock, "USD")
    assert_refused_and_nothing_moved(
        db, clock, "ledger.currency_mismatch", bet("mix", player, usd_house)
    )
    _, h = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.currency_mismatch", bet("mix2", player, h, currency="USD")
    )


def test_same_debit_and_credit_account_is_refused(db, clock, eur):
    player, _ = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.accounts_must_differ", bet("self", player, player)
    )


def test_player_cannot_go_below_zero(db, clock, eur):
    player, h = eur
    assert_refused_and_nothing_moved(
        db, clock, "ledger.insufficient_funds", bet("all+1", player, h, 1001)
    )
    # funds reserved by a pending transfer are not available either
    submit(db, clock, bet("hold", player, h, 900, kind=TransferKind.PENDING))
    assert_refused_and_nothing_moved(
        db, clock, "ledger.insufficient_funds", bet("over", player, h, 101)
    )


def test_house_account_may_go_negative(db, clock, eur):
    player, h = eur
    [win] = submit(
        db, clock, NewTransfer(id="win", debit_account_id=h, credit_account_id=player, amount=5)
    )
    assert win.ok
    assert account(db, h).balance.posted == -5


@pytest.mark.parametrize(
    "tid", ["", " ", "x" * 129, "sys:expire:x", "has space", "ünïcode", None, 7]
)
def test_invalid_transfer_id_is_refused(db, clock, eur, tid):
    player, h = eur
    assert_refused_and_nothing_moved(db, clock, "ledger.invalid_transfer_id", bet(tid, player, h))


def test_replay_with_different_fields_is_a_conflict(db, clock, eur):
    player, h = eur
    original = bet("bet-1", player, h, 100)
    submit(db, clock, original)
    for changed in (
        replace(original, amount=101),
        replace(original, reference="other round"),
        replace(original, credit_account_id=open_player(db, clock)),
        replace(original, kind=TransferKind.PENDING),
    ):
        assert_refused_and_nothing_moved(db, clock, "ledger.transfer_id_conflict", changed)


def test_post_larger_than_its_pending_transfer_is_refused(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.post_exceeds_pending_amount",
        NewTransfer(id="post", kind=TransferKind.POST_PENDING, pending_id="hold", amount=401),
    )


def test_second_post_of_the_same_pending_transfer_is_refused(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    submit(db, clock, NewTransfer(id="post-1", kind=TransferKind.POST_PENDING, pending_id="hold"))
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_already_posted",
        NewTransfer(id="post-2", kind=TransferKind.POST_PENDING, pending_id="hold"),
    )
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_already_posted",
        NewTransfer(id="void-after-post", kind=TransferKind.VOID_PENDING, pending_id="hold"),
    )


def test_post_after_void_is_refused(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    submit(db, clock, NewTransfer(id="void", kind=TransferKind.VOID_PENDING, pending_id="hold"))
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_already_voided",
        NewTransfer(id="post", kind=TransferKind.POST_PENDING, pending_id="hold"),
    )


def test_post_and_void_in_one_batch_resolve_the_pending_transfer_once(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    results = submit(
        db,
        clock,
        NewTransfer(id="post", kind=TransferKind.POST_PENDING, pending_id="hold"),
        NewTransfer(id="void", kind=TransferKind.VOID_PENDING, pending_id="hold"),
    )
    assert results[0].ok
    assert results[1].error is not None
    assert results[1].error.code == "ledger.pending_transfer_already_posted"
    assert_ledger_verifies(db)


def test_resolving_an_unknown_or_non_pending_transfer_is_refused(db, clock, eur):
    player, h = eur
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_not_found",
        NewTransfer(id="post", kind=TransferKind.POST_PENDING, pending_id="nope"),
    )
    submit(db, clock, bet("plain", player, h, 10))
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.not_a_pending_transfer",
        NewTransfer(id="post", kind=TransferKind.POST_PENDING, pending_id="plain"),
    )


def test_post_naming_other_accounts_than_its_pending_transfer_is_refused(db, clock, eur):
    player, h = eur
    submit(db, clock, bet("hold", player, h, 400, kind=TransferKind.PENDING))
    other = open_player(db, clock)
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.pending_transfer_mismatch",
        NewTransfer(
            id="post", kind=TransferKind.POST_PENDING, pending_id="hold", credit_account_id=other
        ),
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kind": TransferKind.POST_PENDING}, "ledger.invalid_transfer_fields"),  # no pending_id
        (
            {"kind": TransferKind.VOID_PENDING, "pending_id": "x", "amount": 5},
            "ledger.invalid_transfer_fields",
        ),
        (
            {"kind": TransferKind.EXPIRE_PENDING, "pending_id": "x"},
            "ledger.invalid_transfer_fields",
        ),
        ({"timeout_seconds": 30}, "ledger.invalid_transfer_fields"),  # timeout on a single
        ({"kind": TransferKind.PENDING, "timeout_seconds": -1}, "ledger.invalid_transfer_fields"),
        ({"pending_id": "x"}, "ledger.invalid_transfer_fields"),
        ({"code": "c" * 41}, "ledger.invalid_transfer_fields"),
        ({"reference": "r" * 201}, "ledger.invalid_transfer_fields"),
    ],
)
def test_fields_that_do_not_fit_the_kind_are_refused(db, clock, eur, fields, code):
    player, h = eur
    assert_refused_and_nothing_moved(db, clock, code, replace(bet("odd", player, h), **fields))


def test_account_sums_that_would_overflow_are_refused(db, clock):
    with db.unit_of_work() as s:
        rich = open_account(s, clock, kind=AccountKind.PLAYER_CASH, currency_code="EUR").id
        src = platform_account(
            s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="a"
        ).id
        src2 = platform_account(
            s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name="b"
        ).id
    [ok] = submit(
        db,
        clock,
        NewTransfer(id="max", debit_account_id=src, credit_account_id=rich, amount=MAX_AMOUNT),
    )
    assert ok.ok
    assert_refused_and_nothing_moved(
        db,
        clock,
        "ledger.overflow",
        NewTransfer(id="one-more", debit_account_id=src2, credit_account_id=rich, amount=1),
    )


def test_a_failing_transfer_fails_its_whole_linked_chain_and_nothing_moves(db, clock, eur):
    player, h = eur
    before = snapshot(db)
    results = submit(
        db,
        clock,
        bet("stake", player, h, 100, linked=True),
        bet("side-bet", player, h, 5_000, linked=True),  # more than the player has
        bet("fee", player, h, 1),
    )
    assert [r.error.code for r in results if r.error] == [
        "ledger.linked_transfer_failed",
        "ledger.insufficient_funds",
        "ledger.linked_transfer_failed",
    ]
    assert snapshot(db) == before


def test_linked_chain_left_open_at_the_end_of_the_batch_is_refused(db, clock, eur):
    player, h = eur
    before = snapshot(db)
    results = submit(
        db, clock, bet("a", player, h, 1, linked=True), bet("b", player, h, 1, linked=True)
    )
    assert [r.error.code for r in results if r.error] == [
        "ledger.linked_transfer_failed",
        "ledger.linked_chain_open",
    ]
    assert snapshot(db) == before


def test_refused_transfer_does_not_stop_the_rest_of_an_unlinked_batch(db, clock, eur):
    player, h = eur
    results = submit(
        db, clock, bet("ok-1", player, h, 10), bet("bad", player, h, 0), bet("ok-2", player, h, 10)
    )
    assert [r.ok for r in results] == [True, False, True]
    assert account(db, player).balance.posted == 980
    assert_ledger_verifies(db)


def test_unknown_currency_account_cannot_be_opened(db, clock):
    from croupier.kernel.money import UnknownCurrency

    with pytest.raises(UnknownCurrency), db.unit_of_work() as s:
        open_account(s, clock, kind=AccountKind.PLAYER_CASH, currency_code="XXX")


def test_a_currency_whose_total_exceeds_64_bits_still_verifies(db, clock):
    # Each account stays within 2^63, but all debits of the currency together do not: the
    # check must add them up without overflowing (SQLite's SUM stops at 64 bits).
    with db.unit_of_work() as s:
        pairs = [
            (
                platform_account(
                    s, clock, kind=AccountKind.SANDBOX_FUNDING, currency_code="EUR", name=f"f{n}"
                ).id,
                open_account(s, clock, kind=AccountKind.PLAYER_CASH, currency_code="EUR").id,
            )
            for n in range(2)
        ]
    for n, (funding, player) in enumerate(pairs):
        [result] = submit(
            db,
            clock,
            NewTransfer(
                id=f"max-{n}", debit_account_id=funding, credit_account_id=player, amount=MAX_AMOUNT
            ),
        )
        assert result.ok
    assert_ledger_verifies(db)


def test_a_platform_account_opened_by_two_units_of_work_at_once_is_one_account(db, clock):
    # The second unit of work waits on the first's insert, fails its own, and goes on with
    # the account the first opened, its other work intact (a bench found the unit of work
    # left unusable: the failed row stayed in the session).
    import threading

    from croupier.core.wallet.service import get_account

    found: list[str] = []
    failures: list[BaseException] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait()
        try:
            with db.unit_of_work() as s:
                other = open_account(s, clock, kind=AccountKind.PLAYER_CASH, currency_code="EUR")
                account = platform_account(
                    s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="raced"
                )
                found.append(account.id)
                found.append(get_account(s, other.id).id)
        except BaseException as exc:  # reported below
            failures.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    with db.unit_of_work() as s:
        mine = platform_account(s, clock, kind=AccountKind.HOUSE, currency_code="EUR", name="raced")
        first_in.set()
        thread.join(timeout=0.5)  # the second waits on our uncommitted row (or the lock)
    thread.join(timeout=30)
    assert failures == []
    assert found[0] == mine.id
    assert_ledger_verifies(db)


def test_several_sums_in_one_statement_equal_each_sum_alone(db, clock):
    player = open_player(db, clock, funds=0)
    other = house(db, clock)
    start = clock.now()
    moves = [
        ("credit", "deposit", 700),
        ("debit", "bet", 50),
        ("credit", "win", 30),
        ("debit", "bet", 20),
        ("debit", "withdrawal", 100),
        ("credit", "deposit", 5),
    ]
    with db.unit_of_work() as s:
        for i, (side, code, amount) in enumerate(moves):
            clock.advance(timedelta(hours=6))
            debit, credit = (other, player) if side == "credit" else (player, other)
            create_transfers(s, clock, [NewTransfer(f"sum-{i}", debit, credit, amount, code=code)])[
                0
            ].unwrap()
    windows = [
        ("credit", ("deposit",), start),
        ("debit", ("bet",), start + timedelta(hours=7)),
        ("credit", ("win", "deposit"), start + timedelta(hours=13)),
        ("debit", ("bet", "withdrawal"), start),
        ("debit", (), start),
    ]
    until = clock.now() + timedelta(microseconds=1)
    with db.read_only() as s:
        together = sums_posted(s, player, windows, until=until)
        alone = [
            sum_posted(s, player, side=side, codes=codes, since=since, until=until)
            for side, codes, since in windows
        ]
        assert sums_posted(s, player, [], until=until) == []
    assert together == alone == [705, 70, 35, 170, 0]


def get_balance_of(db: Database, account_id: str):  # type: ignore[no-untyped-def]
    with db.read_only() as s:
        return get_balance(s, account_id)

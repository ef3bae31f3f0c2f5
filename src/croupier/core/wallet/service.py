"""The wallet ledger: accounts, transfers, two-phase transfers, linked chains, verification.

Semantics follow TigerBeetle. :func:`create_transfers` takes a batch and returns one result per
transfer, in order; it never raises for a refused transfer. It works in four steps, all inside
the caller's transaction:

1. read the pending transfers that the batch resolves (transfer rows never change, so no lock);
2. lock every account the batch touches, in sorted id order (``SELECT ... FOR UPDATE`` on
   PostgreSQL; SQLite already has one writer);
3. read the transfers that already exist with the batch's ids, and the pending states;
4. apply the batch in memory, one linked chain at a time, then write the new transfers in one
   statement and each touched account once.

Step 4 is why throughput does not collapse on a hot account (every bet pays the same house
account): a batch of N bets updates the house row once, not N times. The group committer in
:mod:`croupier.core.wallet.group_commit` builds such batches from many concurrent callers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import Any, cast

import psycopg
from psycopg import pq
from sqlalchemy import (
    ColumnElement,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.util import await_only

from croupier.core.wallet import errors
from croupier.core.wallet.models import (
    KINDS_THAT_CANNOT_GO_NEGATIVE,
    RESOLVING_KINDS,
    AccountKind,
    LedgerAccount,
    LedgerPendingTransfer,
    LedgerTransfer,
    PendingStatus,
    TransferKind,
)
from croupier.kernel.clock import Clock
from croupier.kernel.db import AnySelect, Database, after_commit, insert_rows, one_of
from croupier.kernel.ids import SYSTEM_ID_PREFIX, is_valid_caller_id, new_id
from croupier.kernel.money import MAX_AMOUNT, Money, currency

MAX_TIMEOUT_SECONDS = 2**31 - 1
_IN_CHUNK = 500

_accounts = cast(Table, LedgerAccount.__table__)
_transfers = cast(Table, LedgerTransfer.__table__)
_pending = cast(Table, LedgerPendingTransfer.__table__)
# The order in which transfer rows are written and read by the driver-level fast paths.
_TRANSFER_COLUMNS = (
    "id",
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "pending_id",
    "timeout_seconds",
    "code",
    "reference",
    "created_at",
)


# -- values ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewTransfer:
    """A transfer to make. ``id`` is chosen by the caller and makes retries safe.

    For ``POST_PENDING`` and ``VOID_PENDING`` the accounts and currency may be left out (they
    are the pending transfer's), and ``amount=None`` posts the full pending amount.
    ``linked=True`` links this transfer with the next one of the batch: a chain commits whole
    or not at all.
    """

    id: str
    debit_account_id: str | None = None
    credit_account_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    kind: TransferKind = TransferKind.SINGLE
    pending_id: str | None = None
    timeout_seconds: int = 0
    code: str = ""
    reference: str = ""
    linked: bool = False


@dataclass(frozen=True, slots=True)
class Transfer:
    """A committed transfer; never changes."""

    id: str
    kind: TransferKind
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    pending_id: str | None
    timeout_seconds: int
    code: str
    reference: str
    created_at: datetime

    @property
    def money(self) -> Money:
        return Money(self.amount, self.currency)


@dataclass(frozen=True, slots=True)
class TransferResult:
    """The outcome of one transfer of a batch: made, replayed (made before), or refused."""

    transfer_id: str
    transfer: Transfer | None = None
    error: errors.LedgerError | None = None
    replayed: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> Transfer:
        """The transfer, or raise the reason it was refused."""
        if self.error is not None:
            raise self.error
        assert self.transfer is not None
        return self.transfer


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    kind: AccountKind
    currency: str
    owner_id: str | None
    name: str | None
    debits_must_not_exceed_credits: bool
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    created_at: datetime

    @property
    def balance(self) -> Balance:
        return Balance.of(self)


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's balance: credits minus debits (what the platform owes the holder).

    ``available`` leaves out money reserved by pending debits; incoming pending credits are not
    available until posted.
    """

    account_id: str
    currency: str
    posted: int
    pending_debits: int
    pending_credits: int
    available: int

    @classmethod
    def of(cls, account: Account | _AccountState) -> Balance:
        posted = account.credits_posted - account.debits_posted
        return cls(
            account_id=account.id,
            currency=account.currency,
            posted=posted,
            pending_debits=account.debits_pending,
            pending_credits=account.credits_pending,
            available=posted - account.debits_pending,
        )


# -- accounts --------------------------------------------------------------------------------


def _account_from_row(row: Any) -> Account:
    return Account(
        id=row.id,
        kind=AccountKind(row.kind),
        currency=row.currency,
        owner_id=row.owner_id,
        name=row.name,
        debits_must_not_exceed_credits=row.debits_must_not_exceed_credits,
        debits_pending=row.debits_pending,
        debits_posted=row.debits_posted,
        credits_pending=row.credits_pending,
        credits_posted=row.credits_posted,
        created_at=row.created_at,
    )


def open_account(
    session: Session,
    clock: Clock,
    *,
    kind: AccountKind,
    currency_code: str,
    owner_id: str | None = None,
    name: str | None = None,
) -> Account:
    """Open a ledger account. Player accounts (cash, bonus) can never go below zero."""
    currency(currency_code)  # raises money.unknown_currency
    row = LedgerAccount(
        id=new_id("acc"),
        kind=kind.value,
        currency=currency_code,
        owner_id=owner_id,
        name=name,
        debits_must_not_exceed_credits=kind in KINDS_THAT_CANNOT_GO_NEGATIVE,
        debits_pending=0,
        debits_posted=0,
        credits_pending=0,
        credits_posted=0,
        created_at=clock.now(),
    )
    try:
        # Added inside the savepoint: if another process opened the same account first, the
        # savepoint's rollback takes this row out of the session too, and the caller's unit
        # of work goes on (begin_nested flushes what was pending before it, outside).
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise errors.AccountExists(
            f"A {kind.value} account named {name!r} in {currency_code} exists."
        ) from None
    return _account_from_row(row)


def find_platform_account(
    session: Session, *, kind: AccountKind, currency_code: str, name: str
) -> Account | None:
    """The platform account with this kind, currency and name, if it has been opened."""
    existing = session.execute(
        select(_accounts).where(
            _accounts.c.kind == kind.value,
            _accounts.c.currency == currency_code,
            _accounts.c.name == name,
        )
    ).one_or_none()
    return None if existing is None else _account_from_row(existing)


def platform_account(
    session: Session, clock: Clock, *, kind: AccountKind, currency_code: str, name: str
) -> Account:
    """The platform account with this kind, currency and name, opened on first use."""
    existing = find_platform_account(session, kind=kind, currency_code=currency_code, name=name)
    if existing is not None:
        return existing
    try:
        return open_account(session, clock, kind=kind, currency_code=currency_code, name=name)
    except errors.AccountExists:
        # Opened concurrently by another process.
        row = session.execute(
            select(_accounts).where(
                _accounts.c.kind == kind.value,
                _accounts.c.currency == currency_code,
                _accounts.c.name == name,
            )
        ).one()
        return _account_from_row(row)


_PLATFORM_ACCOUNT_IDS = "ledger.platform_account_ids"
_OPENED_PLATFORM_ACCOUNTS = "ledger.opened_platform_accounts"  # by this unit of work
# The platform accounts whose opening has committed, shared by every session of a Database
# (``Database.session_info``): an account is never deleted and never changes its id.
_COMMITTED_PLATFORM_ACCOUNTS = "ledger.committed_platform_accounts"


def platform_account_id(
    session: Session, clock: Clock, *, kind: AccountKind, currency_code: str, name: str
) -> str:
    """:func:`platform_account`'s id, read once per process: once a unit of work that read it
    has committed, every session of the same ``Database`` finds it without a read (every
    batch of bets needs the house account). Until then it is read once per unit of work. One
    opened by this unit of work is remembered by neither, and read again at each call, since
    the savepoint of the call that opened it may still roll it back."""
    known: dict[tuple[str, str, str], str] = session.info.setdefault(_PLATFORM_ACCOUNT_IDS, {})
    opened: set[tuple[str, str, str]] = session.info.setdefault(_OPENED_PLATFORM_ACCOUNTS, set())
    committed: dict[tuple[str, str, str], str] | None = session.info.get(
        _COMMITTED_PLATFORM_ACCOUNTS
    )
    key = (kind.value, currency_code, name)
    account_id = known.get(key) or (committed.get(key) if committed is not None else None)
    if account_id is None:
        existing = find_platform_account(session, kind=kind, currency_code=currency_code, name=name)
        if existing is None:
            opened.add(key)
            return platform_account(
                session, clock, kind=kind, currency_code=currency_code, name=name
            ).id
        if key in opened:  # this unit of work's: a savepoint may still take it back
            return existing.id
        account_id = known[key] = existing.id
        if committed is not None:  # what this unit of work read, once it has committed
            after_commit(session, partial(committed.__setitem__, key, account_id))
    return account_id


def share_platform_accounts(database: Database) -> None:
    """Let every session of ``database`` find committed platform accounts' ids without a
    read (:func:`platform_account_id`)."""
    database.session_info.setdefault(_COMMITTED_PLATFORM_ACCOUNTS, {})


def get_account(session: Session, account_id: str) -> Account:
    """The account with this id, or ``ledger.account_not_found``."""
    row = session.execute(select(_accounts).where(_accounts.c.id == account_id)).one_or_none()
    if row is None:
        raise errors.AccountNotFound(f"No ledger account {account_id!r}.", account_id=account_id)
    return _account_from_row(row)


def get_balance(session: Session, account_id: str) -> Balance:
    """The account's balance, read from its running sums in O(1)."""
    return get_account(session, account_id).balance


def available_of(account_id: ColumnElement[str] | InstrumentedAttribute[str]) -> ScalarSelect[int]:
    """The available balance (:attr:`Balance.available`) of the account that ``account_id``
    names, as a scalar subquery: read together with another statement's rows (a batch of
    wallet calls reads its players' cash with their sessions)."""
    a = _accounts.c
    return (
        select(a.credits_posted - a.debits_posted - a.debits_pending)
        .where(a.id == account_id)
        .scalar_subquery()
    )


def list_accounts(
    session: Session,
    *,
    owner_id: str | None = None,
    kind: AccountKind | None = None,
    currency_code: str | None = None,
    after_id: str | None = None,
    limit: int = 50,
) -> list[Account]:
    """Accounts filtered by owner, kind and currency, in id order, ``limit`` after ``after_id``."""
    stmt = select(_accounts).order_by(_accounts.c.id).limit(limit)
    if owner_id is not None:
        stmt = stmt.where(_accounts.c.owner_id == owner_id)
    if kind is not None:
        stmt = stmt.where(_accounts.c.kind == kind.value)
    if currency_code is not None:
        stmt = stmt.where(_accounts.c.currency == currency_code)
    if after_id is not None:
        stmt = stmt.where(_accounts.c.id > after_id)
    return [_account_from_row(r) for r in session.execute(stmt)]


@dataclass(frozen=True, slots=True)
class StatementLine:
    seq: int
    transfer: Transfer
    # Signed effect on this account's posted balance (credits positive), or on its pending
    # sums for pending transfers.
    change: int


def get_statement(
    session: Session, account_id: str, *, before_seq: int | None = None, limit: int = 50
) -> list[StatementLine]:
    """The account's transfers, newest first; pass the last line's ``seq`` to get the next page."""
    get_account(session, account_id)
    stmt = (
        select(_transfers)
        .where(
            or_(
                _transfers.c.debit_account_id == account_id,
                _transfers.c.credit_account_id == account_id,
            )
        )
        .order_by(_transfers.c.seq.desc())
        .limit(limit)
    )
    if before_seq is not None:
        stmt = stmt.where(_transfers.c.seq < before_seq)
    lines = []
    for row in session.execute(stmt):
        transfer = _transfer_from_row(row)
        sign = 1 if transfer.credit_account_id == account_id else -1
        if transfer.kind in (TransferKind.VOID_PENDING, TransferKind.EXPIRE_PENDING):
            change = 0
        else:
            change = sign * transfer.amount
        lines.append(StatementLine(seq=row.seq, transfer=transfer, change=change))
    return lines


def sum_posted(
    session: Session,
    account_id: str,
    *,
    side: str,
    codes: Sequence[str],
    since: datetime,
    until: datetime | None = None,
) -> int:
    """The posted amount an account was debited (``side="debit"``) or credited
    (``"credit"``) by transfers with one of ``codes`` in [``since``, ``until``): the usage
    that responsible-gaming limits measure (deposits, bets, wins)."""
    stmt = _sum_posted_statement(side, tuple(codes))
    return int(
        session.execute(
            stmt,
            {
                "account_id": account_id,
                "since": since,
                "until": until or datetime.max.replace(tzinfo=UTC),
            },
        ).scalar_one()
    )


def sums_posted(
    session: Session,
    account_id: str,
    windows: Sequence[tuple[str, tuple[str, ...], datetime]],
    *,
    until: datetime,
) -> list[int]:
    """Several :func:`sum_posted` of one account in one statement: for each window
    ``(side, codes, since)``, the posted amount the account was debited or credited by
    transfers with one of ``codes`` in [``since``, ``until``). A decision whose player has
    several limits reads their usage in one round trip."""
    if not windows:
        return []
    stmt = _sums_posted_statement(tuple((side, codes) for side, codes, _since in windows))
    params: dict[str, Any] = {
        "account_id": account_id,
        "since": min(since for _side, _codes, since in windows),
        "until": until,
    }
    for i, (_side, _codes, since) in enumerate(windows):
        params[f"since_{i}"] = since
    row = session.connection().execute(stmt, params).one()
    return [int(v) for v in row]


def posted_amounts(
    session: Session,
    account_id: str,
    *,
    side: str,
    codes: Sequence[str],
    since: datetime,
) -> list[int]:
    """Each posted amount an account was debited or credited by transfers with one of
    ``codes`` since ``since``, oldest first (for rules that look at single movements)."""
    column = _transfers.c.debit_account_id if side == "debit" else _transfers.c.credit_account_id
    stmt = (
        select(_transfers.c.amount)
        .where(
            column == account_id,
            _transfers.c.code.in_(list(codes)),
            _transfers.c.kind.in_((TransferKind.SINGLE.value, TransferKind.POST_PENDING.value)),
            _transfers.c.created_at >= since,
        )
        .order_by(_transfers.c.seq)
    )
    return [int(a) for a in session.execute(stmt).scalars()]


def transfers_between(
    session: Session, account_id: str, *, since: datetime, until: datetime
) -> list[Transfer]:
    """Every transfer into or out of an account made in [``since``, ``until``), oldest first
    (a day's movements on a PSP's clearing account, for reconciliation)."""
    stmt = (
        select(_transfers)
        .where(
            or_(
                _transfers.c.debit_account_id == account_id,
                _transfers.c.credit_account_id == account_id,
            ),
            _transfers.c.created_at >= since,
            _transfers.c.created_at < until,
        )
        .order_by(_transfers.c.seq)
    )
    return [_transfer_from_row(row) for row in session.execute(stmt)]


@lru_cache(maxsize=64)
def _sum_posted_statement(side: str, codes: tuple[str, ...]) -> Any:
    """Built once per side and set of codes, the codes fixed in it: an expanding ``IN`` list
    is re-rendered on every execution, and limits read usage before every bet."""
    column = _transfers.c.debit_account_id if side == "debit" else _transfers.c.credit_account_id
    return select(func.coalesce(func.sum(_transfers.c.amount), 0)).where(
        column == bindparam("account_id"),
        or_(*(_transfers.c.code == code for code in codes)) if codes else false(),
        or_(
            _transfers.c.kind == TransferKind.SINGLE.value,
            _transfers.c.kind == TransferKind.POST_PENDING.value,
        ),
        _transfers.c.created_at >= bindparam("since", type_=_transfers.c.created_at.type),
        _transfers.c.created_at < bindparam("until", type_=_transfers.c.created_at.type),
    )


@lru_cache(maxsize=64)
def _sums_posted_statement(shape: tuple[tuple[str, tuple[str, ...]], ...]) -> Any:
    """One conditional sum per window over the account's transfers on either side, built
    once per shape (the sides and codes fixed in it)."""
    when = _transfers.c.created_at.type
    sums = []
    for i, (side, codes) in enumerate(shape):
        column = (
            _transfers.c.debit_account_id if side == "debit" else _transfers.c.credit_account_id
        )
        counted = and_(
            column == bindparam("account_id"),
            or_(*(_transfers.c.code == code for code in codes)) if codes else false(),
            _transfers.c.created_at >= bindparam(f"since_{i}", type_=when),
        )
        sums.append(func.coalesce(func.sum(case((counted, _transfers.c.amount), else_=0)), 0))
    account: Any = bindparam("account_id")
    return select(*sums).where(
        or_(_transfers.c.debit_account_id == account, _transfers.c.credit_account_id == account),
        or_(
            _transfers.c.kind == TransferKind.SINGLE.value,
            _transfers.c.kind == TransferKind.POST_PENDING.value,
        ),
        _transfers.c.created_at >= bindparam("since", type_=when),
        _transfers.c.created_at < bindparam("until", type_=when),
    )


# -- transfers -------------------------------------------------------------------------------


def _transfer_from_row(row: Any) -> Transfer:
    return Transfer(
        id=row.id,
        kind=TransferKind(row.kind),
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount,
        currency=row.currency,
        pending_id=row.pending_id,
        timeout_seconds=row.timeout_seconds,
        code=row.code,
        reference=row.reference,
        created_at=row.created_at,
    )


# Enum lookups by value: TransferKind(value) costs a microsecond and a half, on a path that
# reads 100,000 rows when a market settles.
_TRANSFER_KIND = {kind.value: kind for kind in TransferKind}
_KIND_VALUE = {kind: kind.value for kind in TransferKind}
_PENDING_STATUS = {status.value: status for status in PendingStatus}


def _transfer_from_tuple(row: Sequence[Any]) -> Transfer:
    # Columns in _TRANSFER_COLUMNS order, straight from the driver.
    return Transfer(
        id=row[0],
        kind=_TRANSFER_KIND[row[1]],
        debit_account_id=row[2],
        credit_account_id=row[3],
        amount=row[4],
        currency=row[5],
        pending_id=row[6],
        timeout_seconds=row[7],
        code=row[8],
        reference=row[9],
        created_at=row[10].astimezone(UTC),
    )


def get_transfer(session: Session, transfer_id: str) -> Transfer:
    """The transfer with this id, or ``ledger.transfer_not_found``."""
    row = session.execute(select(_transfers).where(_transfers.c.id == transfer_id)).one_or_none()
    if row is None:
        raise errors.TransferNotFound(f"No transfer {transfer_id!r}.", transfer_id=transfer_id)
    return _transfer_from_row(row)


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


def _id_in(conn: Connection, column: ColumnElement[str], ids: Sequence[str]) -> ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one bind instead of one per id
    (measured: half the time of an IN list for a batch's accounts)."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("ids", list(ids), type_=postgresql.ARRAY(String)))
    return column.in_(ids)


def _psycopg(conn: Connection) -> psycopg.Connection[Any] | None:
    """The sync psycopg connection under ``conn``, or None (SQLite, the asyncio driver)."""
    driver = conn.connection.driver_connection
    return driver if isinstance(driver, psycopg.Connection) else None


def _load_transfers(conn: Connection, ids: Iterable[str]) -> dict[str, Transfer]:
    found: dict[str, Transfer] = {}
    wanted = list(set(ids))
    driver = _psycopg(conn)
    if driver is not None:
        # One statement and one binary array, whatever the number of ids: a settlement
        # resolves 100,000 holds (chunks of IN lists cost 200 statements and a regex per id
        # to quote the text array).
        if not wanted:
            return found
        with driver.cursor() as cursor:
            cursor.execute(_LOAD_TRANSFERS_POSTGRESQL, (wanted,))
            for row in cursor.fetchall():
                found[row[0]] = _transfer_from_tuple(row)
        return found
    for chunk in _chunks(sorted(wanted)):
        # .all(): one fetchall, where iterating the result fetches row by row.
        stmt = select(_transfers).where(_id_in(conn, _transfers.c.id, chunk))
        for row in conn.execute(stmt).all():
            found[row.id] = _transfer_from_row(row)
    return found


@dataclass(slots=True)
class _AccountState:
    id: str
    currency: str
    guarded: bool  # debits must not exceed credits
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    def copy(self) -> _AccountState:
        # dataclasses.replace() costs 9 us a call; this is on the per-transfer path.
        return _AccountState(
            self.id,
            self.currency,
            self.guarded,
            self.debits_pending,
            self.debits_posted,
            self.credits_pending,
            self.credits_posted,
        )


@dataclass(slots=True)
class _PendingState:
    status: PendingStatus
    expires_at: datetime | None
    resolved_by: str | None = None
    new: bool = False  # created by this batch

    def copy(self) -> _PendingState:
        # dataclasses.replace() cost a settlement of 100,000 bets a second.
        return _PendingState(self.status, self.expires_at, self.resolved_by, self.new)


# An account's state as a batch locks it, in _AccountState's field order.
_STATE_COLUMNS = (
    _accounts.c.id,
    _accounts.c.currency,
    _accounts.c.debits_must_not_exceed_credits,
    _accounts.c.debits_pending,
    _accounts.c.debits_posted,
    _accounts.c.credits_pending,
    _accounts.c.credits_posted,
)


def _lock_accounts(conn: Connection, ids: Iterable[str]) -> dict[str, _AccountState]:
    states: dict[str, _AccountState] = {}
    # Sorted, and chunks in order: every batch takes its row locks in one global order.
    for chunk in _chunks(sorted(set(ids))):
        stmt = (
            select(*_STATE_COLUMNS)
            .where(_id_in(conn, _accounts.c.id, chunk))
            .order_by(_accounts.c.id)
        )
        for row in conn.execute(stmt.with_for_update()):
            states[row[0]] = _AccountState(*row)
    return states


_LOCK_ACCOUNTS_POSTGRESQL = """
SELECT id, currency, debits_must_not_exceed_credits,
       debits_pending, debits_posted, credits_pending, credits_posted
  FROM ledger_accounts WHERE id = ANY(%b::text[]) ORDER BY id FOR UPDATE
"""
_LOAD_TRANSFERS_POSTGRESQL = f"""
SELECT {", ".join(_TRANSFER_COLUMNS)} FROM ledger_transfers WHERE id = ANY(%b::text[])
"""


def _lock_accounts_and_load_transfers(
    conn: Connection, account_ids: Iterable[str], transfer_ids: Sequence[str]
) -> tuple[dict[str, _AccountState], dict[str, Transfer]]:
    """Lock the accounts (sorted) and then read the transfers that already have these ids.

    On PostgreSQL with the sync driver both statements go in one pipeline: one round trip
    instead of three (with the transaction's BEGIN). The server runs them in order, so the
    read still happens after the locks are held.
    """
    driver = _psycopg(conn)
    if driver is None:  # SQLite, or the asyncio driver
        return _lock_accounts(conn, account_ids), _load_transfers(conn, transfer_ids)
    with driver.pipeline(), driver.cursor() as locking, driver.cursor() as reading:
        locking.execute(_LOCK_ACCOUNTS_POSTGRESQL, (sorted(set(account_ids)),))
        reading.execute(_LOAD_TRANSFERS_POSTGRESQL, (list(set(transfer_ids)),))
        states = {row[0]: _AccountState(*row) for row in locking.fetchall()}
        existing = {row[0]: _transfer_from_tuple(row) for row in reading.fetchall()}
    return states, existing


_LOAD_PENDING_STATES_POSTGRESQL = """
SELECT transfer_id, status, expires_at, resolved_by
  FROM ledger_pending_transfers WHERE transfer_id = ANY(%b::text[])
"""


def _load_pending_states(conn: Connection, ids: Iterable[str]) -> dict[str, _PendingState]:
    states: dict[str, _PendingState] = {}
    wanted = list(set(ids))
    driver = _psycopg(conn)
    if driver is not None:
        if not wanted:
            return states
        with driver.cursor() as cursor:
            cursor.execute(_LOAD_PENDING_STATES_POSTGRESQL, (wanted,))
            for transfer_id, status, expires_at, resolved_by in cursor.fetchall():
                states[transfer_id] = _PendingState(
                    _PENDING_STATUS[status],
                    expires_at.astimezone(UTC) if expires_at is not None else None,
                    resolved_by,
                )
        return states
    for chunk in _chunks(sorted(wanted)):
        stmt = select(_pending).where(_id_in(conn, _pending.c.transfer_id, chunk))
        for row in conn.execute(stmt).all():
            states[row.transfer_id] = _PendingState(
                PendingStatus(row.status), row.expires_at, row.resolved_by
            )
    return states


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_shape(t: NewTransfer, allow_system: bool) -> None:
    """Checks that need no database: id, kinds, amounts, field combinations."""
    if not is_valid_caller_id(t.id) and not (
        allow_system and isinstance(t.id, str) and t.id.startswith(SYSTEM_ID_PREFIX)
    ):
        raise errors.InvalidTransferId(f"{t.id!r} is not a valid transfer id.")
    if not isinstance(t.kind, TransferKind):
        raise errors.InvalidTransferFields(f"Unknown transfer kind {t.kind!r}.")
    if t.kind is TransferKind.EXPIRE_PENDING and not allow_system:
        raise errors.InvalidTransferFields("Only the platform expires pending transfers.")
    if t.amount is not None:
        if not _is_int(t.amount):
            raise errors.InvalidTransferFields("Amounts are integers of ledger units.")
        if t.amount <= 0:
            raise errors.AmountNotPositive(f"The amount must be positive, got {t.amount}.")
        if t.amount > MAX_AMOUNT:
            raise errors.AmountTooLarge(f"The amount must be below 2^63, got {t.amount}.")
    if not _is_int(t.timeout_seconds) or not 0 <= t.timeout_seconds <= MAX_TIMEOUT_SECONDS:
        raise errors.InvalidTransferFields("timeout_seconds must be between 0 and 2^31-1.")
    if t.timeout_seconds and t.kind is not TransferKind.PENDING:
        raise errors.InvalidTransferFields("Only pending transfers have a timeout.")
    if not isinstance(t.code, str) or len(t.code) > 40:
        raise errors.InvalidTransferFields("code is a string of at most 40 characters.")
    if not isinstance(t.reference, str) or len(t.reference) > 200:
        raise errors.InvalidTransferFields("reference is a string of at most 200 characters.")
    if t.currency is not None and not isinstance(t.currency, str):
        raise errors.InvalidTransferFields("currency is an ISO code.")
    if t.kind in RESOLVING_KINDS:
        if not isinstance(t.pending_id, str) or not t.pending_id:
            raise errors.InvalidTransferFields(f"A {t.kind.value} transfer names its pending_id.")
        if t.kind is not TransferKind.POST_PENDING and t.amount is not None:
            raise errors.InvalidTransferFields("A void releases the whole pending amount.")
    else:
        if t.pending_id is not None:
            raise errors.InvalidTransferFields("Only a post or a void names a pending_id.")
        if t.amount is None:
            raise errors.AmountNotPositive("The amount is required.")
        if not isinstance(t.debit_account_id, str) or not isinstance(t.credit_account_id, str):
            raise errors.InvalidTransferFields("Both the debit and credit account are required.")
        if t.debit_account_id == t.credit_account_id:
            raise errors.SameAccount("The debit and credit accounts must differ.")


def _same_fields(t: NewTransfer, existing: Transfer) -> bool:
    """Whether a replay asks for what the existing transfer did (so it is not a conflict)."""
    if t.kind is not existing.kind or t.code != existing.code or t.reference != existing.reference:
        return False
    if t.kind in RESOLVING_KINDS:
        return (
            t.pending_id == existing.pending_id
            and t.debit_account_id in (None, existing.debit_account_id)
            and t.credit_account_id in (None, existing.credit_account_id)
            and t.currency in (None, existing.currency)
            and t.amount in (None, existing.amount)
        )
    return (
        t.debit_account_id == existing.debit_account_id
        and t.credit_account_id == existing.credit_account_id
        and t.amount == existing.amount
        and t.currency in (None, existing.currency)
        and t.timeout_seconds == existing.timeout_seconds
    )


class _Batch:
    """One batch applied in memory against locked account state."""

    def __init__(
        self,
        now: datetime,
        accounts: dict[str, _AccountState],
        existing: dict[str, Transfer],
        pending_transfers: dict[str, Transfer],
        pending_states: dict[str, _PendingState],
    ) -> None:
        self.now = now
        self.accounts = accounts
        self.existing = existing
        self.pending_transfers = pending_transfers
        self.pending_states = pending_states
        self.created: list[Transfer] = []
        self.inserted = 0  # how many of ``created`` were already sent to the database
        self.touched_accounts: set[str] = set()
        self.touched_pending: set[str] = set()
        # Working copies for the chain being applied; merged only if the whole chain succeeds.
        self._acc: dict[str, _AccountState] = {}
        self._pst: dict[str, _PendingState] = {}
        self._new: dict[str, Transfer] = {}

    # chain bookkeeping

    def begin_chain(self) -> None:
        self._acc, self._pst, self._new = {}, {}, {}

    def commit_chain(self) -> None:
        self.accounts.update(self._acc)
        self.touched_accounts.update(self._acc)
        self.pending_states.update(self._pst)
        self.touched_pending.update(self._pst)
        for transfer in self._new.values():
            self.existing[transfer.id] = transfer
            if transfer.kind is TransferKind.PENDING:
                self.pending_transfers[transfer.id] = transfer
            self.created.append(transfer)

    def _account(self, account_id: str) -> _AccountState:
        state = self._acc.get(account_id)
        if state is None:
            base = self.accounts.get(account_id)
            if base is None:
                raise errors.AccountNotFound(
                    f"No ledger account {account_id!r}.", account_id=account_id
                )
            state = self._acc[account_id] = base.copy()
        return state

    def _find_transfer(self, transfer_id: str) -> Transfer | None:
        return self._new.get(transfer_id) or self.existing.get(transfer_id)

    def _find_pending(self, pending_id: str) -> Transfer | None:
        found = self._new.get(pending_id)
        return found if found is not None else self.pending_transfers.get(pending_id)

    def _pending_state(self, pending_id: str) -> _PendingState:
        state = self._pst.get(pending_id)
        if state is None:
            state = self._pst[pending_id] = self.pending_states[pending_id].copy()
        return state

    # applying

    def apply(self, t: NewTransfer) -> tuple[Transfer, bool]:
        """Apply one transfer to the working copies; returns (transfer, replayed)."""
        existing = self._find_transfer(t.id)
        if existing is not None:
            if _same_fields(t, existing):
                return existing, True
            raise errors.TransferIdConflict(
                f"Transfer {t.id!r} exists with different fields.", transfer_id=t.id
            )
        transfer = self._resolve_pending(t) if t.kind in RESOLVING_KINDS else self._move(t)
        self._new[t.id] = transfer
        return transfer, False

    def _move(self, t: NewTransfer) -> Transfer:
        assert t.debit_account_id
        assert t.credit_account_id
        assert t.amount is not None
        debit = self._account(t.debit_account_id)
        credit = self._account(t.credit_account_id)
        code = t.currency if t.currency is not None else debit.currency
        if not (debit.currency == credit.currency == code):
            raise errors.CurrencyMismatch(
                f"Transfer in {code} between a {debit.currency} and a {credit.currency} account."
            )
        if t.kind is TransferKind.PENDING:
            debit.debits_pending += t.amount
            credit.credits_pending += t.amount
        else:
            debit.debits_posted += t.amount
            credit.credits_posted += t.amount
        self._check(debit, credit)
        if t.kind is TransferKind.PENDING:
            self._pst[t.id] = _PendingState(
                PendingStatus.PENDING,
                self.now + timedelta(seconds=t.timeout_seconds) if t.timeout_seconds else None,
                new=True,
            )
        return Transfer(
            id=t.id,
            kind=t.kind,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=t.amount,
            currency=code,
            pending_id=None,
            timeout_seconds=t.timeout_seconds,
            code=t.code,
            reference=t.reference,
            created_at=self.now,
        )

    def _resolve_pending(self, t: NewTransfer) -> Transfer:
        assert t.pending_id is not None
        pending = self._find_pending(t.pending_id)
        if pending is None:
            found = self._find_transfer(t.pending_id)
            if found is not None:
                raise errors.NotAPendingTransfer(f"Transfer {t.pending_id!r} is not pending.")
            raise errors.PendingTransferNotFound(f"No pending transfer {t.pending_id!r}.")
        state = self._pending_state(pending.id)
        if state.status is PendingStatus.POSTED:
            raise errors.PendingAlreadyPosted(
                f"{pending.id!r} was posted by {state.resolved_by!r}."
            )
        if state.status is PendingStatus.VOIDED:
            raise errors.PendingAlreadyVoided(
                f"{pending.id!r} was voided by {state.resolved_by!r}."
            )
        if state.status is PendingStatus.EXPIRED:
            raise errors.PendingExpired(f"{pending.id!r} expired.")
        timed_out = state.expires_at is not None and state.expires_at <= self.now
        if t.kind is TransferKind.EXPIRE_PENDING:
            if not timed_out:
                raise errors.InvalidTransferFields(f"{pending.id!r} has not timed out yet.")
        elif timed_out:
            raise errors.PendingExpired(f"{pending.id!r} timed out at {state.expires_at}.")
        if (
            t.debit_account_id not in (None, pending.debit_account_id)
            or t.credit_account_id not in (None, pending.credit_account_id)
            or t.currency not in (None, pending.currency)
        ):
            raise errors.PendingFieldMismatch(
                f"The accounts or currency differ from pending transfer {pending.id!r}."
            )
        amount = pending.amount
        if t.kind is TransferKind.POST_PENDING and t.amount is not None:
            if t.amount > pending.amount:
                raise errors.PostExceedsPending(
                    f"Cannot post {t.amount} of a pending {pending.amount}."
                )
            amount = t.amount
        debit = self._account(pending.debit_account_id)
        credit = self._account(pending.credit_account_id)
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        if t.kind is TransferKind.POST_PENDING:
            debit.debits_posted += amount
            credit.credits_posted += amount
            state.status = PendingStatus.POSTED
        elif t.kind is TransferKind.VOID_PENDING:
            state.status = PendingStatus.VOIDED
        else:
            state.status = PendingStatus.EXPIRED
        state.resolved_by = t.id
        self._check(debit, credit)
        return Transfer(
            id=t.id,
            kind=t.kind,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=amount,
            currency=pending.currency,
            pending_id=pending.id,
            timeout_seconds=0,
            code=t.code,
            reference=t.reference,
            created_at=self.now,
        )

    @staticmethod
    def _check(debit: _AccountState, credit: _AccountState) -> None:
        for acc in (debit, credit):
            if (
                acc.debits_posted + acc.debits_pending > MAX_AMOUNT
                or acc.credits_posted + acc.credits_pending > MAX_AMOUNT
            ):
                raise errors.SumOverflow(f"Account {acc.id!r} would overflow.")
        if debit.guarded and debit.debits_posted + debit.debits_pending > debit.credits_posted:
            raise errors.InsufficientFunds(
                f"Account {debit.id!r} does not have enough available funds.",
                account_id=debit.id,
            )


def _chains(transfers: Sequence[NewTransfer]) -> Iterator[range]:
    start = 0
    for i, t in enumerate(transfers):
        if not t.linked:
            yield range(start, i + 1)
            start = i + 1
    if start < len(transfers):
        yield range(start, len(transfers))


@dataclass(slots=True)
class LockedAhead:
    """Accounts locked and transfers read by a caller's own read, for one later
    :func:`create_transfers` of the same unit of work (see :func:`lock_ahead`)."""

    account_ids: frozenset[str]
    transfer_ids: frozenset[str]
    account_rows: list[Any]
    transfer_rows: list[Any]
    used: bool = False


def lock_ahead(
    conn: Connection, account_ids: Iterable[str], transfer_ids: Iterable[str]
) -> list[AnySelect]:
    """The two statements that :func:`create_transfers` begins with: lock these accounts
    (sorted, ``FOR UPDATE``), then read the transfers that already have these ids. A caller
    sends them with reads of its own (``read_together``: one round trip less) and passes
    their rows as a :class:`LockedAhead` to ``create_transfers(locked=...)``. The server runs
    a pipeline's statements in order, so the transfers are still read after the locks."""
    locking = (
        select(*_STATE_COLUMNS)
        .where(one_of(conn, _accounts.c.id, account_ids, name="account_ids"))
        .order_by(_accounts.c.id)
        .with_for_update()
    )
    reading = select(*(_transfers.c[name] for name in _TRANSFER_COLUMNS)).where(
        one_of(conn, _transfers.c.id, transfer_ids, name="transfer_ids")
    )
    return [locking, reading]


def _take_locked_ahead(
    locked: LockedAhead | None, account_ids: set[str], transfer_ids: list[str]
) -> tuple[dict[str, _AccountState], dict[str, Transfer]] | None:
    """The accounts and transfers read ahead, if they cover this batch and were not used
    yet (a second batch of the unit of work must read the balances the first one wrote)."""
    wanted = set(transfer_ids)
    if (
        locked is None
        or locked.used
        or not account_ids <= locked.account_ids
        or not wanted <= locked.transfer_ids
    ):
        return None
    locked.used = True
    accounts = {row[0]: _AccountState(*row) for row in locked.account_rows if row[0] in account_ids}
    existing = {
        row[0]: _transfer_from_tuple(row) for row in locked.transfer_rows if row[0] in wanted
    }
    return accounts, existing


def create_transfers(
    session: Session,
    clock: Clock,
    transfers: Sequence[NewTransfer],
    *,
    allow_system: bool = False,
    balances: dict[str, Balance] | None = None,
    then: Callable[[list[TransferResult]], None] | None = None,
    locked: LockedAhead | None = None,
) -> list[TransferResult]:
    """Apply a batch of transfers in the caller's transaction; one result per transfer.

    A refused transfer changes nothing and carries its reason; the others of the batch still
    apply, except the rest of a linked chain, which fails with ``ledger.linked_transfer_failed``.
    A transfer whose id exists with the same fields returns the original (``replayed=True``);
    with different fields it is refused with ``ledger.transfer_id_conflict``.

    ``balances``, when given, receives the balance after the batch of every account the
    batch locked (those of its transfers that reached the database's checks): what a read in
    the same transaction would answer, without the read, since the locks hold until it ends.

    ``then``, when given, is called with the results (``balances`` filled) while the batch's
    writes are still queued: on PostgreSQL the caller's own writes made in it reach the
    server in the same round trip. It must only write (a read there waits for the whole
    pipeline); whatever it raises rolls the caller's unit of work back with the batch.

    ``locked``: the accounts locked and transfers read ahead (:func:`lock_ahead`); used if
    they cover the batch, else the batch locks and reads as usual.
    """
    now = clock.now()
    n = len(transfers)
    results: list[TransferResult | None] = [None] * n
    shape_errors: dict[int, errors.LedgerError] = {}
    for i, t in enumerate(transfers):
        try:
            _check_shape(t, allow_system)
        except errors.LedgerError as exc:
            shape_errors[i] = exc

    valid = [t for i, t in enumerate(transfers) if i not in shape_errors]
    pending_ids = {t.pending_id for t in valid if t.kind in RESOLVING_KINDS and t.pending_id}
    conn = session.connection()
    pending_transfers = {
        k: v
        for k, v in _load_transfers(conn, pending_ids).items()
        if v.kind is TransferKind.PENDING
    }
    account_ids: set[str] = set()
    for t in valid:
        if t.kind not in RESOLVING_KINDS:
            account_ids.update((t.debit_account_id or "", t.credit_account_id or ""))
    for p in pending_transfers.values():
        account_ids.update((p.debit_account_id, p.credit_account_id))
    account_ids.discard("")
    # The existing transfers are read after the locks: a concurrent batch with the same ids
    # touches the same accounts, so it has committed (and is visible) or has not started.
    ahead = _take_locked_ahead(locked, account_ids, [t.id for t in valid])
    accounts, existing = ahead or _lock_accounts_and_load_transfers(
        conn, account_ids, [t.id for t in valid]
    )
    pending_states = _load_pending_states(conn, pending_transfers)
    # Pending transfers that a non-pending row with the same id shadows are "not pending".
    existing_non_pending = _load_transfers(conn, pending_ids - pending_transfers.keys())
    existing.update(existing_non_pending)

    batch = _Batch(now, accounts, existing, pending_transfers, pending_states)
    driver = _psycopg(conn)
    with driver.pipeline() if driver is not None else nullcontext():
        _apply_chains(batch, transfers, shape_errors, results, driver)
        _write(conn, batch)
        if balances is not None:
            balances.update((state.id, Balance.of(state)) for state in batch.accounts.values())
        done = [r for r in results if r is not None]
        assert len(done) == n
        if then is not None:
            then(done)
    return done


# Transfers per streamed insert on PostgreSQL: a large batch's rows go to the server in
# pieces while the rest of the batch is applied in memory.
_STREAM_ROWS = 10_000


def _apply_chains(
    batch: _Batch,
    transfers: Sequence[NewTransfer],
    shape_errors: dict[int, errors.LedgerError],
    results: list[TransferResult | None],
    driver: psycopg.Connection[Any] | None,
) -> None:
    """Apply the batch chain by chain, in memory. On PostgreSQL (``driver``, in pipeline
    mode) the transfers of committed chains are inserted every ``_STREAM_ROWS``, without
    waiting for the server: it writes them while the next ones are applied (a settlement
    makes 133,334 transfers in one call). :func:`_write` inserts the rest; every streamed
    statement's error is raised when the pipeline ends, before ``create_transfers``
    returns, and fails the caller's unit of work."""
    for chain in _chains(transfers):
        if driver is not None and len(batch.created) - batch.inserted >= _STREAM_ROWS:
            _stream(batch, driver)
        batch.begin_chain()
        failed_at: int | None = None
        failure: errors.LedgerError | None = None
        applied: list[tuple[int, Transfer, bool]] = []
        open_chain = transfers[chain[-1]].linked
        for i in chain:
            if i in shape_errors:
                failed_at, failure = i, shape_errors[i]
                break
            try:
                transfer, replayed = batch.apply(transfers[i])
            except errors.LedgerError as exc:
                failed_at, failure = i, exc
                break
            applied.append((i, transfer, replayed))
        if open_chain and failure is None:
            failed_at = chain[-1]
            failure = errors.LinkedChainOpen("The last transfer of the batch is marked linked.")
        if failure is None:
            batch.commit_chain()
            for i, transfer, replayed in applied:
                results[i] = TransferResult(transfers[i].id, transfer, replayed=replayed)
            continue
        for i in chain:
            error = (
                failure
                if i == failed_at
                else errors.LinkedTransferFailed(
                    f"Transfer {transfers[i].id!r} was not made: its linked chain failed."
                )
            )
            results[i] = TransferResult(str(transfers[i].id), error=error)


def _stream(batch: _Batch, driver: psycopg.Connection[Any]) -> None:
    with driver.cursor() as cur:
        cur.execute(
            _INSERT_TRANSFERS_POSTGRESQL, _transfer_columns(batch.created[batch.inserted :])
        )
    batch.inserted = len(batch.created)


def _transfer_tuple(t: Transfer) -> tuple[Any, ...]:
    return (
        t.id,
        _KIND_VALUE[t.kind],
        t.debit_account_id,
        t.credit_account_id,
        t.amount,
        t.currency,
        t.pending_id,
        t.timeout_seconds,
        t.code,
        t.reference,
        t.created_at,
    )


def _write(conn: Connection, batch: _Batch) -> None:
    if not batch.created:
        return
    touched = [batch.accounts[i] for i in sorted(batch.touched_accounts)]
    if conn.dialect.name == "postgresql":
        _write_transfers_postgresql(conn, batch.created[batch.inserted :], touched)
    else:
        _write_transfers_sqlite(conn, batch.created, touched)
    new_pending = []
    resolved = []
    for pid in sorted(batch.touched_pending):
        st = batch.pending_states[pid]
        if st.new:
            new_pending.append(
                {
                    "transfer_id": pid,
                    "status": st.status.value,
                    "expires_at": st.expires_at,
                    "resolved_by": st.resolved_by,
                }
            )
        else:
            resolved.append({"b_id": pid, "b_status": st.status.value, "b_by": st.resolved_by})
    insert_rows(conn, _pending, new_pending)
    driver = _psycopg(conn)
    if resolved and driver is not None:
        # One statement for all of them (a settlement resolves 100,000 holds at once).
        with driver.cursor() as cur:
            cur.execute(
                _RESOLVE_PENDING_POSTGRESQL,
                (
                    [r["b_id"] for r in resolved],
                    [r["b_status"] for r in resolved],
                    [r["b_by"] for r in resolved],
                ),
            )
    elif resolved:
        conn.execute(
            update(_pending)
            .where(_pending.c.transfer_id == bindparam("b_id"))
            .values(status=bindparam("b_status"), resolved_by=bindparam("b_by")),
            resolved,
        )


_RESOLVE_PENDING_POSTGRESQL = """
UPDATE ledger_pending_transfers AS p SET status = v.status, resolved_by = v.resolved_by
  FROM unnest(%b::text[], %b::text[], %b::text[]) AS v(id, status, resolved_by)
 WHERE p.transfer_id = v.id
"""

_INSERT_TRANSFERS_SQLITE = (
    f"INSERT INTO ledger_transfers ({', '.join(_TRANSFER_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in _TRANSFER_COLUMNS)})"
)
_UPDATE_ACCOUNT_SQLITE = (
    "UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, "
    "credits_posted = ? WHERE id = ?"
)


def _sqlite_timestamp(value: datetime) -> str:
    # The text form SQLAlchemy's SQLite DATETIME stores and parses back (UTC, no zone).
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _write_transfers_sqlite(
    conn: Connection, created: list[Transfer], touched: list[_AccountState]
) -> None:
    """Insert transfers and update accounts with the driver's executemany.

    SQLAlchemy's per-row parameter processing cost a fifth of a batch here (measured).
    """
    stamps: dict[datetime, str] = {}  # a batch shares one timestamp: format it once
    conn.exec_driver_sql(
        _INSERT_TRANSFERS_SQLITE,
        [
            (
                *_transfer_tuple(t)[:-1],
                stamps.get(t.created_at)
                or stamps.setdefault(t.created_at, _sqlite_timestamp(t.created_at)),
            )
            for t in created
        ],
    )
    conn.exec_driver_sql(
        _UPDATE_ACCOUNT_SQLITE,
        [
            (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted, a.id)
            for a in touched
        ],
    )


# The arrays go as binary parameters (%b): the text format quotes each element through a
# regex, a fifth of the time of a batch of 100,000 transfers.
_UPDATE_ACCOUNTS_POSTGRESQL = """
UPDATE ledger_accounts AS a
   SET debits_pending = v.dp, debits_posted = v.dpo,
       credits_pending = v.cp, credits_posted = v.cpo
  FROM unnest(%b::text[], %b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[])
       AS v(id, dp, dpo, cp, cpo)
 WHERE a.id = v.id
"""


_INSERT_TRANSFERS_POSTGRESQL = f"""
INSERT INTO ledger_transfers ({", ".join(_TRANSFER_COLUMNS)})
SELECT * FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::bigint[], %b::text[],
                     %b::text[], %b::integer[], %b::text[], %b::text[], %b::timestamptz[])
"""


def _write_transfers_postgresql(
    conn: Connection, created: list[Transfer], touched: list[_AccountState]
) -> None:
    """Insert the new transfers and update every touched account: two statements, one round trip.

    Each statement takes its rows as arrays (unnest), and the sync driver sends both in one
    pipeline. Measured on the hot path against COPY plus an UPDATE (three round trips).
    """
    driver = conn.connection.driver_connection
    if isinstance(driver, psycopg.AsyncConnection):
        # Under SQLAlchemy's asyncio engine (measured in bench/ledger.py --driver async) the
        # same statements run through the greenlet bridge.
        await_only(_write_transfers_psycopg_async(driver, created, touched))
        return
    assert isinstance(driver, psycopg.Connection)
    # Inside create_transfers' own pipeline, queued there: a nested pipeline block syncs
    # with the server when it ends (a round trip in the middle of every batch).
    in_pipeline = driver.pgconn.pipeline_status != pq.PipelineStatus.OFF
    with nullcontext() if in_pipeline else driver.pipeline(), driver.cursor() as cur:
        if created:
            cur.execute(_INSERT_TRANSFERS_POSTGRESQL, _transfer_columns(created))
        cur.execute(_UPDATE_ACCOUNTS_POSTGRESQL, _account_columns(touched))


def _transfer_columns(created: Sequence[Transfer]) -> list[list[Any]]:
    """The transfers as one list per column (the arrays of an ``unnest`` insert)."""
    rows = [_transfer_tuple(t) for t in created]
    return [list(column) for column in zip(*rows, strict=True)]


def _account_columns(touched: list[_AccountState]) -> tuple[list[Any], ...]:
    return (
        [a.id for a in touched],
        [a.debits_pending for a in touched],
        [a.debits_posted for a in touched],
        [a.credits_pending for a in touched],
        [a.credits_posted for a in touched],
    )


async def _write_transfers_psycopg_async(
    driver: psycopg.AsyncConnection[Any], created: list[Transfer], touched: list[_AccountState]
) -> None:
    async with driver.cursor() as cur:
        columns = ", ".join(_TRANSFER_COLUMNS)
        async with cur.copy(f"COPY ledger_transfers ({columns}) FROM STDIN") as copy:
            for t in created:
                await copy.write_row(_transfer_tuple(t))
        await cur.execute(_UPDATE_ACCOUNTS_POSTGRESQL, _account_columns(touched))


def transfer(session: Session, clock: Clock, new: NewTransfer) -> Transfer:
    """Make one transfer in the caller's transaction, or raise why it was refused."""
    if new.linked:
        raise errors.LinkedChainOpen("A single transfer cannot be linked.")
    return create_transfers(session, clock, [new])[0].unwrap()


def expire_pending_transfers(session: Session, clock: Clock, *, limit: int = 1000) -> int:
    """Release pending transfers whose timeout has passed; returns how many were released.

    Each release is a transfer ``sys:expire:<pending id>``, so it appears on statements and a
    second run (or a concurrent one) releases nothing twice.
    """
    now = clock.now()
    ids = (
        session.execute(
            select(_pending.c.transfer_id)
            .where(_pending.c.status == PendingStatus.PENDING.value, _pending.c.expires_at <= now)
            .order_by(_pending.c.expires_at)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    batch = [
        NewTransfer(
            id=f"{SYSTEM_ID_PREFIX}expire:{pid}"[:128],
            kind=TransferKind.EXPIRE_PENDING,
            pending_id=pid,
            code="expired",
        )
        for pid in ids
    ]
    results = create_transfers(session, clock, batch, allow_system=True)
    return sum(1 for r in results if r.ok and not r.replayed)


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerViolation:
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


def verify_ledger(session: Session) -> list[LedgerViolation]:
    """Check every invariant of the ledger; an empty list means it holds.

    1. per currency, all debits equal all credits (posted and pending);
    2. every account's running sums equal the sums of its transfers;
    3. no account that must not go negative is negative;
    4. every pending transfer is resolved at most once, and its recorded state agrees;
    5. every transfer is positive and in the currency of both its accounts.
    """
    violations: list[LedgerViolation] = []
    a = _accounts

    # 2. running sums equal the transfers
    t, p = _transfers, _pending
    posted_kinds = (TransferKind.SINGLE.value, TransferKind.POST_PENDING.value)
    still_pending = and_(
        t.c.kind == TransferKind.PENDING.value, p.c.status == PendingStatus.PENDING.value
    )
    expected: dict[str, list[int]] = {}
    sums_known = True
    try:
        for side, col in (("debit", t.c.debit_account_id), ("credit", t.c.credit_account_id)):
            stmt = (
                select(
                    col,
                    func.coalesce(
                        func.sum(case((t.c.kind.in_(posted_kinds), t.c.amount), else_=0)), 0
                    ),
                    func.coalesce(func.sum(case((still_pending, t.c.amount), else_=0)), 0),
                )
                .select_from(t.outerjoin(p, p.c.transfer_id == t.c.id))
                .group_by(col)
            )
            offset = 0 if side == "debit" else 2
            for account_id, posted, pending in session.execute(stmt):
                sums = expected.setdefault(account_id, [0, 0, 0, 0])
                sums[offset], sums[offset + 1] = posted, pending
    except OperationalError as exc:
        # SQLite's SUM stops at 64 bits. No account's transfers can legitimately add up to
        # more (the ledger refuses ledger.overflow), so this is itself a violation.
        if "overflow" not in str(exc.orig):
            raise
        sums_known = False
        violations.append(
            LedgerViolation(
                "balances_match_transfers",
                "the transfers of some account add up beyond the 64-bit range",
            )
        )
    # 1. per currency, all debits equal all credits: summed here in Python, because the total
    # over many accounts may exceed 64 bits (SQLite's SUM would fail on it).
    totals: dict[str, list[int]] = {}
    for acc_row in session.execute(
        select(
            a.c.id,
            a.c.debits_posted,
            a.c.debits_pending,
            a.c.credits_posted,
            a.c.credits_pending,
            a.c.debits_must_not_exceed_credits,
            a.c.currency,
        )
    ):
        acc_id, dpo, dp, cpo, cp, guarded, cur = acc_row
        total = totals.setdefault(cur, [0, 0, 0, 0])
        total[0] += dpo
        total[1] += dp
        total[2] += cpo
        total[3] += cp
        want = expected.get(acc_id, [0, 0, 0, 0])
        if sums_known and [dpo, dp, cpo, cp] != want:
            violations.append(
                LedgerViolation(
                    "balances_match_transfers",
                    f"{acc_id}: sums (dpo={dpo}, dp={dp}, cpo={cpo}, cp={cp}) but transfers give "
                    f"(dpo={want[0]}, dp={want[1]}, cpo={want[2]}, cp={want[3]})",
                )
            )
        # 3. no guarded account negative
        if guarded and dpo + dp > cpo:
            violations.append(
                LedgerViolation(
                    "player_not_negative", f"{acc_id}: debits {dpo}+{dp} exceed credits {cpo}"
                )
            )

    for cur, (dpo, dp, cpo, cp) in sorted(totals.items()):
        if dpo != cpo:
            violations.append(
                LedgerViolation(
                    "debits_equal_credits", f"{cur}: posted debits {dpo} != posted credits {cpo}"
                )
            )
        if dp != cp:
            violations.append(
                LedgerViolation(
                    "debits_equal_credits", f"{cur}: pending debits {dp} != pending credits {cp}"
                )
            )

    # 4. pending transfers resolved at most once, state consistent
    for pid, count in session.execute(
        select(t.c.pending_id, func.count())
        .where(t.c.pending_id.is_not(None))
        .group_by(t.c.pending_id)
        .having(func.count() > 1)
    ):
        violations.append(
            LedgerViolation("pending_resolved_once", f"{pid}: resolved {count} times")
        )
    resolver = t.alias("resolver")
    target = t.alias("target")
    for rid, pid in session.execute(
        select(resolver.c.id, resolver.c.pending_id)
        .select_from(resolver.outerjoin(target, target.c.id == resolver.c.pending_id))
        .where(resolver.c.pending_id.is_not(None))
        .where(or_(target.c.id.is_(None), target.c.kind != TransferKind.PENDING.value))
    ):
        violations.append(
            LedgerViolation(
                "pending_resolved_once", f"{rid} resolves {pid}, which is not a pending transfer"
            )
        )
    status_for_kind = case(
        (resolver.c.kind == TransferKind.POST_PENDING.value, literal(PendingStatus.POSTED.value)),
        (resolver.c.kind == TransferKind.VOID_PENDING.value, literal(PendingStatus.VOIDED.value)),
        (
            resolver.c.kind == TransferKind.EXPIRE_PENDING.value,
            literal(PendingStatus.EXPIRED.value),
        ),
        else_=literal(PendingStatus.PENDING.value),
    )
    for pid, status, by, resolver_id, expected_status in session.execute(
        select(t.c.id, p.c.status, p.c.resolved_by, resolver.c.id, status_for_kind)
        .select_from(
            t.outerjoin(p, p.c.transfer_id == t.c.id).outerjoin(
                resolver, resolver.c.pending_id == t.c.id
            )
        )
        .where(t.c.kind == TransferKind.PENDING.value)
    ):
        if status is None:
            violations.append(LedgerViolation("pending_resolved_once", f"{pid}: no pending state"))
        elif status != expected_status or by != resolver_id:
            violations.append(
                LedgerViolation(
                    "pending_resolved_once",
                    f"{pid}: state {status} by {by} "
                    f"but transfers say {expected_status} by {resolver_id}",
                )
            )

    # 5. transfer shape
    debit_acc, credit_acc = a.alias("d"), a.alias("c")
    for tid, amount, cur, dcur, ccur, kind in session.execute(
        select(
            t.c.id, t.c.amount, t.c.currency, debit_acc.c.currency, credit_acc.c.currency, t.c.kind
        )
        .select_from(
            t.join(debit_acc, debit_acc.c.id == t.c.debit_account_id).join(
                credit_acc, credit_acc.c.id == t.c.credit_account_id
            )
        )
        .where(
            or_(
                t.c.amount <= 0,
                t.c.currency != debit_acc.c.currency,
                t.c.currency != credit_acc.c.currency,
            )
        )
    ):
        violations.append(
            LedgerViolation(
                "transfer_well_formed",
                f"{tid} ({kind}): amount {amount} {cur}, accounts {dcur}/{ccur}",
            )
        )
    return violations

"""What open bets hold on each selection, kept as bets open and close.

A bet is open while ``pending`` or ``accepted``. It adds its stake and what it could win beyond
it (``potential_return - stake``) to each of its selections when placed, and takes them away
when it closes (refused, settled, void, cashed out) or changes (a partial cash-out leaves a
smaller bet). The maximum stake of a new bet reads these counters: summing every open bet on a
hot selection grew with each bet. ``drift`` compares the counters with that sum (tests, and an
operator's check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from croupier.kernel.db import AnySelect, one_of, run_on_driver
from croupier.products.sportsbook.models import (
    Bet,
    BetLeg,
    BetStatus,
    Selection,
    SelectionExposure,
)

_exposure = cast(Table, SelectionExposure.__table__)
_selections = cast(Table, Selection.__table__)
OPEN = (BetStatus.PENDING.value, BetStatus.ACCEPTED.value)


def change(session: Session, deltas: Mapping[str, tuple[int, int]]) -> None:
    """Add ``(stakes, liability)`` to each selection's counters, in one statement (an upsert:
    a selection's first bet creates its row)."""
    rows = [
        {"selection_id": sid, "open_stakes": st, "open_liability": li}
        for sid, (st, li) in sorted(deltas.items())
        if st or li
    ]
    if not rows:
        return
    conn: Connection = session.connection()
    columns = [[row[n] for row in rows] for n in ("selection_id", "open_stakes", "open_liability")]
    if run_on_driver(conn, _CHANGE_POSTGRESQL, columns):  # one statement for all the rows
        return
    make = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt: Any = make(_exposure)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[_exposure.c.selection_id],
            set_={
                "open_stakes": _exposure.c.open_stakes + stmt.excluded.open_stakes,
                "open_liability": _exposure.c.open_liability + stmt.excluded.open_liability,
            },
        ),
        rows,
    )


_CHANGE_POSTGRESQL = """
INSERT INTO sb_selection_exposure AS e (selection_id, open_stakes, open_liability)
SELECT * FROM unnest(%b::varchar[], %b::bigint[], %b::bigint[])
ON CONFLICT (selection_id) DO UPDATE
   SET open_stakes = e.open_stakes + excluded.open_stakes,
       open_liability = e.open_liability + excluded.open_liability
"""


def of_bet(
    selection_ids: Iterable[str], stake: int, potential_return: int, *, sign: int
) -> dict[str, tuple[int, int]]:
    """The deltas of a bet opening (``sign=1``) or closing (``sign=-1``)."""
    return dict.fromkeys(selection_ids, (sign * stake, sign * (potential_return - stake)))


def add(into: dict[str, tuple[int, int]], deltas: Mapping[str, tuple[int, int]]) -> None:
    for sid, (st, li) in deltas.items():
        was = into.get(sid, (0, 0))
        into[sid] = (was[0] + st, was[1] + li)


def liability_query(conn: Connection, selection_ids: Iterable[str]) -> Select[str, int]:
    """The kept liability of those of ``selection_ids`` with open bets (a selection without
    a row has none)."""
    return select(_exposure.c.selection_id, _exposure.c.open_liability).where(
        one_of(conn, _exposure.c.selection_id, selection_ids, name="selection_ids")
    )


def placing_reads(conn: Connection, selection_ids: Iterable[str]) -> list[AnySelect]:
    """The reads of :func:`liability_query` for placing bets: on PostgreSQL after a lock per
    selection, held until the transaction ends, that only placing takes. Several processes
    place bets at once, each in batches; without it two batches on one selection could both
    read the liability left before either wrote its bets, and both take it. With it the
    second waits for the first to commit, and its read (a statement of its own, so a fresh
    snapshot) sees the first one's bets. Settling and cashing out only lower the counters:
    a placement that read them before is the more careful for it.

    The lock is a transaction-level advisory lock keyed by the selection's id (hashed, in
    the class :data:`PLACING_LOCKS`), taken in the keys' order: no row is written for it,
    and a new selection needs none. Send them after the ledger's lock of the stakes'
    accounts, as the bets' writes come after it too. On SQLite one writer at a time holds
    the database: the read alone."""
    read = liability_query(conn, selection_ids)
    if conn.dialect.name != "postgresql":
        return [read]
    key = func.hashtext(_selections.c.id)
    keys = (
        select(key.label("key"))
        .where(one_of(conn, _selections.c.id, selection_ids, name="selection_ids"))
        .distinct()
        .order_by(key)
        .subquery()
    )
    lock = select(func.pg_advisory_xact_lock(literal(PLACING_LOCKS), keys.c.key)).select_from(keys)
    return [lock, read]


# The class (the first key) of the advisory locks that placing bets takes on selections.
PLACING_LOCKS = 0x5B0E


def open_liability(session: Session, selection_ids: Iterable[str]) -> dict[str, int]:
    """What open bets could win beyond their stakes on each selection (0 without bets)."""
    ids = sorted(set(selection_ids))
    conn = session.connection()
    found = dict(conn.execute(liability_query(conn, ids)).all())
    return {sid: int(found.get(sid, 0)) for sid in ids}


def drift(session: Session) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """Selections whose counters differ from the sum over their open bets: (selection,
    counters, sums). Empty when they agree."""
    summed = {
        sid: (int(st), int(li))
        for sid, st, li in session.execute(
            select(
                BetLeg.selection_id,
                func.sum(Bet.stake),
                func.sum(Bet.potential_return - Bet.stake),
            )
            .join(Bet, Bet.id == BetLeg.bet_id)
            .where(Bet.status.in_(OPEN))
            .group_by(BetLeg.selection_id)
        )
    }
    kept = {
        sid: (int(st), int(li))
        for sid, st, li in session.execute(
            select(_exposure.c.selection_id, _exposure.c.open_stakes, _exposure.c.open_liability)
        )
    }
    return [
        (sid, kept.get(sid, (0, 0)), summed.get(sid, (0, 0)))
        for sid in sorted(set(summed) | set(kept))
        if kept.get(sid, (0, 0)) != summed.get(sid, (0, 0))
    ]


__all__ = [
    "OPEN",
    "PLACING_LOCKS",
    "add",
    "change",
    "drift",
    "liability_query",
    "of_bet",
    "open_liability",
    "placing_reads",
]

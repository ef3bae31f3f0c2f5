"""Reconciliation: a PSP's daily settlement report against the ledger.

Our side of a day is the ledger: every transfer on the PSP's clearing account ``psp:{name}``
made that UTC day (deposits captured, refunds, chargebacks, payouts settled), each naming its
payment. Their side is the report's rows. A row matches a movement by payment and type; what
is left over on either side, or differs in amount or state, is a mismatch, stored with the run.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.core.wallet import AccountKind, platform_account, transfers_between
from croupier.kernel.clock import Clock
from croupier.kernel.ids import new_id
from croupier.kernel.money import Money
from croupier.products.payments import errors
from croupier.products.payments.models import (
    Payment,
    ReconciliationMismatch,
    ReconciliationRun,
)

# The ledger code of each movement on a clearing account, and the report's type for it.
TYPE_OF_CODE = {
    "deposit": "payment",
    "refund": "refund",
    "chargeback": "chargeback",
    "chargeback_receivable": "chargeback",
    "refund_receivable": "refund",
    "withdrawal_settlement": "payout",
}
STATUS_OF_TYPE = {
    "payment": "captured",
    "refund": "refunded",
    "chargeback": "charged_back",
    "payout": "paid",
}
REPORT_COLUMNS = ("psp_id", "reference", "type", "status", "amount", "currency", "occurred_at")


@dataclass(frozen=True, slots=True)
class Mismatch:
    problem: str
    type: str
    payment_id: str | None
    psp_reference: str | None
    report_amount: int | None
    ledger_amount: int | None
    report_status: str | None
    ledger_status: str | None


@dataclass(frozen=True, slots=True)
class RunView:
    id: str
    psp: str
    day: str
    report_rows: int
    ledger_rows: int
    matched: int
    mismatches: tuple[Mismatch, ...]
    at: datetime


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidDate(f"{text!r} is not a date written YYYY-MM-DD.") from None


def parse_report(text: str) -> list[dict[str, str]]:
    """The report's rows; a report without the protocol's columns is refused."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not set(REPORT_COLUMNS) <= set(reader.fieldnames):
        raise errors.ReportUnavailable("The settlement report does not have the expected columns.")
    return list(reader)


def reconcile(
    session: Session,
    clock: Clock,
    *,
    psp: str,
    day: date,
    currency_codes: tuple[str, ...],
    report_text: str,
    actor: str,
) -> RunView:
    """Compare ``report_text`` (the PSP's CSV for ``day``) with the ledger and store the run."""
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    until = since + timedelta(days=1)
    ours: dict[tuple[str, str], list[int | str]] = {}  # (type, payment) -> [minor, currency]
    for code in currency_codes:
        account = platform_account(
            session, clock, kind=AccountKind.PSP_CLEARING, currency_code=code, name=f"psp:{psp}"
        )
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for t in transfers_between(session, account.id, since=since, until=until):
            kind = TYPE_OF_CODE.get(t.code)
            if kind is None or not t.reference:
                continue
            totals[(kind, t.reference)] += Money(t.amount, t.currency).to_minor_units()
        for key, minor in totals.items():
            ours[key] = [minor, code]
    rows = parse_report(report_text)
    theirs: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        theirs[(row["type"], row["reference"])] = row
    references = {
        p.id: p.psp_reference
        for p in session.scalars(
            select(Payment).where(Payment.id.in_({ref for _, ref in ours.keys() | theirs.keys()}))
        )
    }
    found: list[Mismatch] = []
    matched = 0
    for key in sorted(ours.keys() | theirs.keys()):
        kind, payment_id = key
        mine = ours.get(key)
        report = theirs.get(key)
        known = payment_id if payment_id in references else None
        if report is None:
            assert mine is not None
            found.append(
                Mismatch(
                    "missing_in_report",
                    kind,
                    known,
                    references.get(payment_id),
                    None,
                    int(mine[0]),
                    None,
                    STATUS_OF_TYPE[kind],
                )
            )
            continue
        report_amount = _int_or_none(report.get("amount"))
        if mine is None:
            found.append(
                Mismatch(
                    "missing_in_ledger",
                    kind,
                    known,
                    report.get("psp_id") or None,
                    report_amount,
                    None,
                    report.get("status"),
                    None,
                )
            )
            continue
        if report_amount != mine[0] or report.get("currency") != mine[1]:
            found.append(
                Mismatch(
                    "amount_differs",
                    kind,
                    known,
                    report.get("psp_id"),
                    report_amount,
                    int(mine[0]),
                    report.get("status"),
                    STATUS_OF_TYPE.get(kind),
                )
            )
        elif report.get("status") != STATUS_OF_TYPE.get(kind):
            found.append(
                Mismatch(
                    "status_differs",
                    kind,
                    known,
                    report.get("psp_id"),
                    report_amount,
                    int(mine[0]),
                    report.get("status"),
                    STATUS_OF_TYPE.get(kind),
                )
            )
        else:
            matched += 1
    run = ReconciliationRun(
        id=new_id("rec"),
        psp=psp,
        day=day.isoformat(),
        report_rows=len(rows),
        ledger_rows=len(ours),
        matched=matched,
        mismatches=len(found),
        actor=actor[:80],
        at=clock.now(),
    )
    session.add(run)
    session.flush()
    for m in found:
        session.add(
            ReconciliationMismatch(
                run_id=run.id,
                problem=m.problem,
                psp_reference=m.psp_reference,
                payment_id=m.payment_id,
                type=m.type,
                report_amount=m.report_amount,
                ledger_amount=m.ledger_amount,
                report_status=m.report_status,
                ledger_status=m.ledger_status,
            )
        )
    session.flush()
    return RunView(
        run.id, psp, run.day, run.report_rows, run.ledger_rows, matched, tuple(found), run.at
    )


def _int_or_none(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def list_runs(session: Session, *, psp: str | None = None, limit: int = 30) -> list[RunView]:
    """Recent reconciliation runs with their mismatches, newest first."""
    stmt = select(ReconciliationRun).order_by(ReconciliationRun.at.desc()).limit(limit)
    if psp is not None:
        stmt = stmt.where(ReconciliationRun.psp == psp)
    views = []
    for run in session.scalars(stmt):
        mismatches = tuple(
            Mismatch(
                m.problem,
                m.type,
                m.payment_id,
                m.psp_reference,
                m.report_amount,
                m.ledger_amount,
                m.report_status,
                m.ledger_status,
            )
            for m in session.scalars(
                select(ReconciliationMismatch)
                .where(ReconciliationMismatch.run_id == run.id)
                .order_by(ReconciliationMismatch.id)
            )
        )
        views.append(
            RunView(
                run.id,
                run.psp,
                run.day,
                run.report_rows,
                run.ledger_rows,
                run.matched,
                mismatches,
                run.at,
            )
        )
    return views

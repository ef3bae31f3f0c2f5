"""``croupier ledger``: verify the ledger's invariants, release timed-out pending transfers."""

from __future__ import annotations

import sys
import time

import typer
from sqlalchemy import func, select

from croupier.core.wallet.models import LedgerAccount, LedgerTransfer
from croupier.core.wallet.service import expire_pending_transfers, verify_ledger
from croupier.kernel.cli import JsonFlag, cli_database, emit

ledger_app = typer.Typer(help="The wallet ledger.", no_args_is_help=True)


@ledger_app.command("verify")
def ledger_verify(as_json: JsonFlag = False) -> None:
    """Check every ledger invariant; exit 0 if all hold, 1 with the violations listed."""
    with cli_database() as (_settings, database, _clock):
        started = time.perf_counter()
        with database.snapshot() as session:
            accounts = session.execute(select(func.count()).select_from(LedgerAccount)).scalar_one()
            transfers = session.execute(
                select(func.count()).select_from(LedgerTransfer)
            ).scalar_one()
            typer.echo(f"verifying {accounts} accounts and {transfers} transfers ...", err=True)
            violations = verify_ledger(session)
        elapsed = round(time.perf_counter() - started, 3)
        emit(
            as_json,
            {
                "ok": not violations,
                "accounts": accounts,
                "transfers": transfers,
                "seconds": elapsed,
                "violations": [{"invariant": v.invariant, "detail": v.detail} for v in violations],
            },
            "\n".join(
                [
                    "ledger OK: every invariant holds"
                    if not violations
                    else f"ledger BROKEN: {len(violations)} violations",
                    *(f"  {v}" for v in violations),
                ]
            ),
        )
        if violations:
            sys.stdout.flush()
            raise typer.Exit(1)


@ledger_app.command("expire-pending")
def ledger_expire_pending(as_json: JsonFlag = False) -> None:
    """Release every pending transfer whose timeout has passed."""
    with cli_database() as (_settings, database, clock):
        total = 0
        while True:
            with database.unit_of_work() as session:
                released = expire_pending_transfers(session, clock, limit=1000)
            total += released
            if released == 0:
                break
            typer.echo(f"released {total} ...", err=True)
        emit(as_json, {"released": total}, f"released {total} timed-out pending transfers")

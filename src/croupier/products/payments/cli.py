"""``croupier payments``: reconciliation against a PSP's settlement report, the janitor, and a
look at the PSPs configured.

    croupier payments reconcile --psp card --date 2026-11-23
    croupier payments janitor
    croupier payments psps
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from croupier.kernel.cli import JsonFlag, cli_actor, cli_database, emit
from croupier.products.payments import reconcile
from croupier.products.payments.config import load_payments_config
from croupier.products.payments.orchestration import PaymentsRuntime, janitor_pass, reconcile_psp

payments_app = typer.Typer(
    help="Payments: reconciliation, the janitor, the configured PSPs.", no_args_is_help=True
)


@payments_app.command("reconcile")
def reconcile_command(
    psp: Annotated[str, typer.Option(help="The PSP's configured name.")],
    date: Annotated[str, typer.Option(help="The settlement day, YYYY-MM-DD (UTC).")],
    as_json: JsonFlag = False,
) -> None:
    """Compare the PSP's settlement report of DATE with the ledger; list every mismatch
    (missing on either side, amount or state differs). Exit status 1 when there is one."""
    with cli_database() as (settings, database, clock):
        day = reconcile.parse_day(date)
        runtime = PaymentsRuntime.build(load_payments_config(settings.payments_config))
        try:
            typer.echo(f"fetching {psp}'s settlement report for {day} ...", err=True)
            run = reconcile_psp(database, clock, runtime, psp, day, actor=cli_actor())
        finally:
            runtime.close()
        lines = [
            f"{run.psp} {run.day}: {run.report_rows} report rows, {run.ledger_rows} ledger "
            f"movements, {run.matched} matched, {len(run.mismatches)} mismatches (run {run.id})"
        ]
        for m in run.mismatches:
            lines.append(
                f"  {m.problem:<18} {m.type:<10} payment={m.payment_id or '-'} "
                f"psp_id={m.psp_reference or '-'} report={m.report_amount} "
                f"ledger={m.ledger_amount} status={m.report_status}/{m.ledger_status}"
            )
        emit(
            as_json,
            {
                "id": run.id,
                "psp": run.psp,
                "date": run.day,
                "report_rows": run.report_rows,
                "ledger_rows": run.ledger_rows,
                "matched": run.matched,
                "mismatches": [asdict(m) for m in run.mismatches],
            },
            "\n".join(lines),
        )
        if run.mismatches:
            raise typer.Exit(1)


@payments_app.command("janitor")
def janitor_command(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Payments to look at.")] = 500,
    as_json: JsonFlag = False,
) -> None:
    """One pass of the janitor: ask PSPs about payments whose outcome is unknown or pending,
    send approved payouts no PSP took yet, expire deposits that never became final."""
    with cli_database() as (settings, database, clock):
        runtime = PaymentsRuntime.build(load_payments_config(settings.payments_config))
        try:
            looked = janitor_pass(database, clock, runtime, limit=limit)
        finally:
            runtime.close()
        emit(as_json, {"looked_at": looked}, f"looked at {looked} payment(s)")


@payments_app.command("psps")
def psps_command(as_json: JsonFlag = False) -> None:
    """The PSPs and routes of the payments configuration (secrets never shown)."""
    with cli_database() as (settings, _database, _clock):
        config = load_payments_config(settings.payments_config)
        psps = [
            {
                "name": p.name,
                "kind": p.kind,
                "url": p.url,
                "enabled": p.enabled,
                "timeout_seconds": p.timeout_seconds,
            }
            for p in config.psp
        ]
        routes = [
            {
                "method": r.method,
                "currencies": list(r.currencies),
                "countries": list(r.countries),
                "kinds": list(r.kinds),
                "psps": [
                    {"psp": t.psp, "priority": t.priority, "weight": t.weight} for t in r.psps
                ],
            }
            for r in config.route
        ]
        text = "\n".join(
            [f"{p.name:<16} {p.kind:<8} {p.url}" for p in config.psp]
            + [
                f"route {r.method} {','.join(r.currencies) or '*'} "
                f"{','.join(r.countries) or '*'}: "
                + " > ".join(f"{t.psp}(p{t.priority},w{t.weight})" for t in r.psps)
                for r in config.route
            ]
        )
        emit(as_json, {"psps": psps, "routes": routes}, text or "no PSPs configured")

"""Reconciliation of a PSP's settlement report against the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app as cli
from croupier.kernel.clock import SystemClock
from croupier.kernel.config import get_settings
from croupier.kernel.db import Database
from croupier.products.payments import errors, orchestration, reconcile
from croupier.products.payments.orchestration import PaymentsRuntime
from croupier.simulators.psp import RunningPsp
from tests.policy.policy_fixtures import player_in
from tests.products.payments.payment_fixtures import UNIT, config_file, config_for, deposit


def test_a_report_with_a_missing_an_extra_and_a_different_row_finds_exactly_those(
    db: Database,
) -> None:
    clock = SystemClock()  # the PSP's report is by its own (wall clock) day
    with RunningPsp("card") as card:
        runtime = PaymentsRuntime.build(config_for([(card, "card")]))
        try:
            player = player_in(db, clock, "MT")
            views = [deposit(db, clock, runtime, player, (10 + i) * UNIT) for i in range(4)]
            assert all(v.status == "captured" for v in views)
            dropped, changed = views[0], views[1]
            assert dropped.psp_reference
            assert changed.psp_reference
            card.edit_settlement(
                drop=[dropped.psp_reference],
                amounts={changed.psp_reference: 9999},
                extra=[
                    {
                        "psp_id": "psp_pay_ghost",
                        "reference": "pay_nobody",
                        "type": "payment",
                        "status": "captured",
                        "amount": 500,
                        "currency": "EUR",
                        "occurred_at": datetime.now(UTC).isoformat(),
                    }
                ],
            )
            today = datetime.now(UTC).date()
            run = orchestration.reconcile_psp(db, clock, runtime, "card", today, actor="test")
        finally:
            runtime.close()
    found = sorted((m.problem, m.payment_id or m.psp_reference) for m in run.mismatches)
    assert found == sorted(
        [
            ("missing_in_report", dropped.id),
            ("amount_differs", changed.id),
            ("missing_in_ledger", "psp_pay_ghost"),
        ]
    )
    assert run.matched == 2
    amount_row = next(m for m in run.mismatches if m.problem == "amount_differs")
    assert (amount_row.report_amount, amount_row.ledger_amount) == (9999, changed.amount_minor)
    with db.read_only() as s:
        stored = reconcile.list_runs(s, psp="card")
    assert [len(r.mismatches) for r in stored] == [3]


def test_the_cli_lists_the_mismatches_and_exits_1(
    db: Database, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    clock = SystemClock()
    with RunningPsp("card") as card:
        config = config_for([(card, "card")])
        runtime = PaymentsRuntime.build(config)
        try:
            player = player_in(db, clock, "MT")
            view = deposit(db, clock, runtime, player, 10 * UNIT)
        finally:
            runtime.close()
        assert view.psp_reference
        monkeypatch.setenv("CROUPIER_DATABASE_URL", db.url)
        monkeypatch.setenv("CROUPIER_PAYMENTS_CONFIG", config_file(Path(str(tmp_path)), config))
        get_settings.cache_clear()  # the command reads the settings of this test
        today = datetime.now(UTC).date().isoformat()
        clean = CliRunner().invoke(cli, ["payments", "reconcile", "--psp", "card", "--date", today])
        assert clean.exit_code == 0, clean.output
        assert "0 mismatches" in clean.output
        card.edit_settlement(drop=[view.psp_reference])
        result = CliRunner().invoke(
            cli, ["payments", "reconcile", "--psp", "card", "--date", today, "--json"]
        )
    get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert '"missing_in_report"' in result.output


def test_a_bad_date_is_a_clear_error() -> None:
    with pytest.raises(errors.InvalidDate):
        reconcile.parse_day("24/11/2026")


def test_the_daily_job_reconciles_yesterday_for_every_psp(db: Database) -> None:
    import threading

    clock = SystemClock()
    with RunningPsp("card") as card:
        runtime = PaymentsRuntime.build(config_for([(card, "card")]))
        stop = threading.Event()
        job = threading.Thread(
            target=orchestration.reconcile_loop,
            args=(db, clock, runtime),
            kwargs={"every_seconds": 0.05, "stop": stop},
        )
        job.start()
        try:
            deadline = datetime.now(UTC).timestamp() + 10
            while datetime.now(UTC).timestamp() < deadline:
                with db.read_only() as s:
                    runs = reconcile.list_runs(s, psp="card")
                if runs:
                    break
        finally:
            stop.set()
            job.join(5)
            runtime.close()
    assert runs
    yesterday = (datetime.now(UTC).date()).toordinal() - 1
    assert runs[0].day == date.fromordinal(yesterday).isoformat()
    assert runs[0].mismatches == ()

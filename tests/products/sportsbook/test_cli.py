"""``croupier sportsbook void-report`` and ``exposure-check``, against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from croupier.app.cli import app as cli
from croupier.kernel.clock import ManualClock
from croupier.kernel.config import get_settings
from croupier.kernel.db import Database
from croupier.products.sportsbook import settlement
from tests.policy.policy_fixtures import UNIT
from tests.products.sportsbook.book_fixtures import bettor, fixture
from tests.products.sportsbook.test_betting import place


@pytest.fixture
def run(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CROUPIER_DATABASE_URL", db.url)
    get_settings.cache_clear()  # the commands read this test's settings
    yield CliRunner()
    get_settings.cache_clear()


def test_the_void_report_lists_each_voided_bet_with_who_and_why(
    db: Database, clock: ManualClock, run: CliRunner
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    bet = place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    with db.unit_of_work() as s:
        settlement.void_market(
            s, clock, fx.match_odds.id, actor="operator:trader", reason="wrong line"
        )
    day = clock.now().date().isoformat()

    done = run.invoke(cli, ["sportsbook", "void-report", "--date", day, "--json"])

    assert done.exit_code == 0, done.output
    [line] = json.loads(done.output)["bets"]
    assert (line["bet_id"], line["reason"], line["voided_by"]) == (
        bet.id, "wrong line", "operator:trader"
    )  # fmt: skip
    assert (line["stake"], line["returned"]) == (10 * UNIT, 10 * UNIT)
    other_day = run.invoke(cli, ["sportsbook", "void-report", "--date", "2026-01-01"])
    assert other_day.exit_code == 0
    assert "0 voided bets" in other_day.output
    bad = run.invoke(cli, ["sportsbook", "void-report", "--date", "1/11/2026"])
    assert bad.exit_code == 2
    assert "YYYY-MM-DD" in bad.output


def test_the_exposure_check_passes_and_names_a_selection_that_drifted(
    db: Database, clock: ManualClock, run: CliRunner
) -> None:
    player = bettor(db, clock)
    fx = fixture(db, clock)
    place(db, clock, player.id, fx, "1", stake=10 * UNIT)
    assert run.invoke(cli, ["sportsbook", "exposure-check"]).exit_code == 0

    with db.engine.begin() as conn:  # as a restore without the exposure table would leave it
        conn.exec_driver_sql("UPDATE sb_selection_exposure SET open_liability = 0")
    done = run.invoke(cli, ["sportsbook", "exposure-check", "--json"])

    assert done.exit_code == 1
    [difference] = json.loads(done.output)["differences"]
    assert difference["selection_id"] == fx.sel("1")
    assert difference["kept"] == [10 * UNIT, 0]
    assert difference["open_bets"] == [10 * UNIT, 15 * UNIT]

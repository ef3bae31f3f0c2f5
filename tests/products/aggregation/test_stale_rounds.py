"""Provider rounds open longer than CROUPIER_PROVIDER_ROUND_MAX_AGE_HOURS are closed by a job,
as closed by timeout: no money moves, a later win is still paid, every closure is audited."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.audit import list_audit_entries
from croupier.products.aggregation.jobs import close_all_stale_rounds, game_control_loop
from croupier.products.aggregation.models import ProviderRound
from tests.app.test_cli import Croupier
from tests.core.players.player_fixtures import assert_problem
from tests.http_fixtures import make_client, operator_token
from tests.products.aggregation.round_fixtures import EUR, add_rounds, provider_game
from tests.products.aggregation.wallet_fixtures import UNIT, caleta_world

DAY = timedelta(hours=24)
URL = "/api/v1/backoffice/games/close-stale-rounds"


def _rounds(db) -> dict[str, tuple[str, str | None]]:
    with db.read_only() as s:
        rows = s.execute(select(ProviderRound.id, ProviderRound.status, ProviderRound.closed_by))
        return {id_: (status, closed_by) for id_, status, closed_by in rows}


def _transfers(db) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(LedgerTransfer))


def test_rounds_open_longer_than_the_age_are_closed_by_timeout_and_no_money_moves(db, clock):
    refs = provider_game(db, clock)
    now = clock.now()
    [stale] = add_rounds(
        db, refs, [(EUR, 0)], opened_at=now - 2 * DAY - timedelta(seconds=1), status="open"
    )
    [young] = add_rounds(
        db, refs, [(EUR, 0)], opened_at=now - 2 * DAY + timedelta(minutes=1), status="open"
    )
    [done] = add_rounds(db, refs, [(EUR, 2 * EUR)], opened_at=now - 5 * DAY)
    transfers = _transfers(db)

    report = close_all_stale_rounds(db, clock, max_age=2 * DAY, batch=1)
    again = close_all_stale_rounds(db, clock, max_age=2 * DAY)

    assert report.closed == [stale]
    assert again.closed == []
    assert _rounds(db) == {
        stale: ("closed", "timeout"),
        young: ("open", None),
        done: ("closed", "provider"),
    }
    assert _transfers(db) == transfers
    with db.read_only() as s:
        assert s.get(ProviderRound, stale).closed_at == now
        [entry] = list_audit_entries(s, subject_type="provider_round", subject_id=stale)
    assert (entry.action, entry.actor, entry.reason) == (
        "provider_round.closed_by_timeout",
        "system:game-control",
        "open longer than 48 hours",
    )
    assert (entry.before, entry.after["closed_by"]) == ({"status": "open"}, "timeout")


def test_a_win_that_comes_after_the_timeout_is_still_paid(db, clock):
    with caleta_world(db, clock) as world:
        assert world.bet(2 * UNIT, tx="b-1")["status"] == "RS_OK"
        clock.advance(2 * DAY + timedelta(minutes=1))
        before = world.balance()
        [closed] = close_all_stale_rounds(db, clock, max_age=2 * DAY).closed
        late_win = world.win(5 * UNIT, "b-1")
        late_bet = world.bet(UNIT, tx="b-2")

        assert late_win["status"] == "RS_OK"
        assert world.balance() == before + 5 * EUR
        assert late_bet["status"] != "RS_OK"  # no new bet joins a closed round
        assert _rounds(db)[closed] == ("closed", "timeout")


def test_operators_close_stale_rounds_with_the_configured_age(db, clock):
    refs = provider_game(db, clock)
    [stale] = add_rounds(
        db, refs, [(EUR, 0)], opened_at=clock.now() - DAY - timedelta(hours=1), status="open"
    )
    with make_client(db, clock, token=operator_token(db, clock, "finance")) as finance:
        refused = finance.post(URL)
    still_open = _rounds(db)[stale]
    admin = operator_token(db, clock, "admin")
    with make_client(db, clock, token=admin, provider_round_max_age_hours=24) as c:
        closed = c.post(URL)

    assert_problem(refused, 403, "auth.permission_denied")
    assert still_open == ("open", None)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["closed"], closed.json()["round_ids"], closed.json()["more"]) == (
        1,
        [stale],
        False,
    )
    with db.read_only() as s:
        [entry] = list_audit_entries(s, subject_type="provider_round", subject_id=stale)
    assert entry.actor.startswith("operator:")
    assert entry.reason == "open longer than 24 hours"


def test_the_server_job_closes_them_in_the_background(db, clock):
    refs = provider_game(db, clock)
    [stale] = add_rounds(db, refs, [(EUR, 0)], opened_at=clock.now() - 3 * DAY, status="open")
    stop = threading.Event()
    job = threading.Thread(
        target=game_control_loop,
        args=(db, clock),
        kwargs={"max_age": 2 * DAY, "every_seconds": 0.01, "stop": stop},
    )
    job.start()
    try:
        deadline = time.monotonic() + 10
        while _rounds(db)[stale][0] == "open" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        job.join(timeout=10)
    assert _rounds(db)[stale] == ("closed", "timeout")


def test_the_cli_closes_stale_rounds_and_says_how_many(sqlite_db, clock):
    refs = provider_game(sqlite_db, clock)
    real_now = datetime.now(UTC)  # the command runs on the platform clock, not the test's
    stale = add_rounds(sqlite_db, refs, [(EUR, 0)] * 3, opened_at=real_now - 3 * DAY, status="open")
    add_rounds(sqlite_db, refs, [(EUR, 0)], opened_at=real_now - DAY, status="open")
    croupier = Croupier(Path(sqlite_db.url.removeprefix("sqlite:///")))

    done = croupier.json("games", "close-stale-rounds")
    text = croupier("games", "close-stale-rounds", "--older-than-hours", "12")

    assert (done["closed"], sorted(done["round_ids"]), done["max_age_hours"]) == (
        3,
        sorted(stale),
        48,
    )
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("closed 1 provider rounds opened before")

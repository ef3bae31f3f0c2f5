"""Live RTP per game and per provider, actual against theoretical (GLI-19 A.6)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from croupier.core.gamecontrol import open_rtp_alerts
from croupier.kernel.audit import list_audit_entries
from croupier.products.aggregation.rtp import RtpStatus, check_rtp
from tests.app.test_cli import Croupier
from tests.core.players.player_fixtures import assert_problem, verified_player
from tests.http_fixtures import make_client, operator_token
from tests.policy.policy_fixtures import UNIT, move
from tests.products.aggregation.round_fixtures import (
    EUR,
    add_rounds,
    provider_game,
    returning,
)

URL = "/api/v1/backoffice/games/rtp"


def _check(db, clock, **kwargs):
    with db.unit_of_work() as s:
        return {(f.provider, f.game_code, f.currency): f for f in check_rtp(s, clock, **kwargs)}


def test_actual_rtp_is_won_over_staked_per_game_and_provider_in_each_currency(db, clock):
    refs = provider_game(db, clock, rtp="96")
    add_rounds(db, refs, returning(96, 1000), opened_at=clock.now())
    add_rounds(db, refs, [(EUR, 0)] * 10, opened_at=clock.now(), status="open")
    add_rounds(db, refs, [(0, 0)] * 5, opened_at=clock.now())  # rolled back: not a round
    add_rounds(db, refs, returning(50, 1000), opened_at=clock.now(), currency="GBP")

    figures = _check(db, clock)

    eur = figures["acme", "sweet-7", "EUR"]
    assert (eur.rounds, eur.staked, eur.returned) == (1010, 1010 * EUR, 960 * EUR)
    assert eur.actual_rtp == pytest.approx(960 / 1010)
    assert (eur.theoretical_rtp_low, eur.theoretical_rtp_high) == (0.96, 0.96)
    assert eur.interval_low < eur.actual_rtp < eur.interval_high
    assert eur.status is RtpStatus.OK
    assert eur.alert_raised_at is None
    gbp = figures["acme", "sweet-7", "GBP"]
    assert (gbp.actual_rtp, gbp.status) == (0.5, RtpStatus.OUTSIDE)
    assert gbp.alert_raised_at == clock.now()
    provider_eur = figures["acme", "*", "EUR"]  # the provider's games together
    assert (provider_eur.rounds, provider_eur.returned) == (1010, 960 * EUR)
    assert list(figures) == sorted(figures)


def test_an_alert_is_raised_and_audited_once_however_often_the_figures_are_read(db, clock):
    refs = provider_game(db, clock, rtp="96")
    add_rounds(db, refs, returning(80, 2000), opened_at=clock.now())

    first = _check(db, clock)["acme", "sweet-7", "EUR"]
    raised_at = clock.now()
    clock.advance(timedelta(hours=1))
    again = _check(db, clock)["acme", "sweet-7", "EUR"]
    with db.read_only() as s:
        entries = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")
        alerts = open_rtp_alerts(s)

    assert (first.status, again.status) == (RtpStatus.OUTSIDE, RtpStatus.OUTSIDE)
    assert first.interval_low > 0.8
    assert again.alert_raised_at == raised_at
    assert [e.action for e in entries] == ["gamecontrol.rtp_alert_raised"]
    assert entries[0].after["actual_rtp"] == pytest.approx(0.8)
    assert [(a.game_code, a.currency) for a in alerts] == [("*", "EUR"), ("sweet-7", "EUR")]

    # The game is back where it should be: the alert clears, once.
    add_rounds(db, refs, returning(97, 20_000), opened_at=clock.now())
    back = _check(db, clock)["acme", "sweet-7", "EUR"]
    _check(db, clock)
    with db.read_only() as s:
        entries = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")
    assert (back.status, back.alert_raised_at) == (RtpStatus.OK, None)
    assert [e.action for e in entries] == [
        "gamecontrol.rtp_alert_cleared",
        "gamecontrol.rtp_alert_raised",
    ]


def test_without_a_theoretical_rtp_nothing_is_raised(db, clock):
    refs = provider_game(db, clock, rtp=None)
    add_rounds(db, refs, returning(10, 2000), opened_at=clock.now())
    unknown = _check(db, clock)["acme", "sweet-7", "EUR"]
    provider = _check(db, clock)["acme", "*", "EUR"]

    assert (unknown.status, unknown.interval_low, unknown.theoretical_rtp_low) == (
        RtpStatus.NO_THEORETICAL,
        None,
        None,
    )
    assert unknown.actual_rtp == pytest.approx(0.1)
    assert provider.status is RtpStatus.NO_THEORETICAL
    with db.read_only() as s:
        assert open_rtp_alerts(s) == []


def test_in_house_titles_are_compared_with_their_par_sheets(db, clock):
    with verified_player(db, clock) as (client, view):
        move(db, clock, view, "deposit", 100 * UNIT)
        for n in range(30):
            played = client.post(
                "/api/v1/games/dice/rounds",
                json={"round_key": f"d{n}", "stake": UNIT, "params": {"target": 5000}},
            )
            assert played.status_code == 201, played.text
        paid = sum(r["payout"] for r in client.get("/api/v1/me/rounds?limit=200").json())

    dice = _check(db, clock, provider="croupier", min_rounds=20)["croupier", "dice", "EUR"]
    few = _check(db, clock, provider="croupier")["croupier", "dice", "EUR"]

    assert (dice.rounds, dice.staked, dice.returned) == (30, 30 * UNIT, paid)
    assert dice.theoretical_rtp_low == dice.theoretical_rtp_high == pytest.approx(0.99)
    assert dice.interval_low < 0.99 < dice.interval_high
    assert few.status is RtpStatus.TOO_FEW_ROUNDS


def test_operators_read_live_rtp_with_a_read_permission(db, clock):
    refs = provider_game(db, clock, rtp="96")
    add_rounds(db, refs, returning(96, 1000), opened_at=clock.now())
    with make_client(db, clock, token=operator_token(db, clock, "auditor")) as auditor:
        report = auditor.get(URL, params={"provider": "acme"})
    with make_client(db, clock, token=operator_token(db, clock, "finance")) as finance:
        refused = finance.get(URL)

    assert report.status_code == 200, report.text
    assert [(g["game_code"], g["status"]) for g in report.json()["games"]] == [
        ("*", "ok"),
        ("sweet-7", "ok"),
    ]
    assert_problem(refused, 403, "auth.permission_denied")


def test_the_cli_prints_the_figures_and_exits_1_while_a_game_is_outside(sqlite_db, clock):
    croupier = Croupier(Path(sqlite_db.url.removeprefix("sqlite:///")))
    empty = croupier("games", "rtp")
    refs = provider_game(sqlite_db, clock, rtp="96")
    add_rounds(sqlite_db, refs, returning(70, 1000), opened_at=clock.now())
    outside = croupier("games", "rtp", "--json")
    table = croupier("games", "rtp", "--provider", "acme")

    assert (empty.returncode, empty.stdout.strip()) == (0, "No Activity")
    assert outside.returncode == 1, outside.stderr
    games = {g["game_code"]: g for g in json.loads(outside.stdout)["games"]}
    assert (games["sweet-7"]["status"], games["sweet-7"]["actual_rtp"]) == ("outside", 0.7)
    assert table.returncode == 1
    assert "sweet-7" in table.stdout
    assert "70.00%" in table.stdout
    assert "ALERT" in table.stdout
    assert croupier.query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'gamecontrol.rtp_alert_raised'"
    ) == [(2,)]  # the game and its provider's games together, once each

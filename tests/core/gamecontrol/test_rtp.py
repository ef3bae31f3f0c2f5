"""The RTP comparison's statistics and its alerts (GLI-19 A.6): the interval comes from the
rounds' own spread, and an alert is raised once and cleared once."""

from __future__ import annotations

import math
import statistics

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from croupier.core.gamecontrol import RtpComparison, RtpSums, open_rtp_alerts, rtp_interval
from croupier.core.gamecontrol.rtp import Z_99, record_rtp_comparison
from croupier.kernel.audit import list_audit_entries
from croupier.kernel.models import AuditRecord, OutboxEvent


def _sums(rounds: list[tuple[int, int]]) -> RtpSums:
    return RtpSums(
        rounds=len(rounds),
        staked=sum(s for s, _ in rounds),
        returned=sum(r for _, r in rounds),
        staked_squares=float(sum(s * s for s, _ in rounds)),
        returned_squares=float(sum(r * r for _, r in rounds)),
        products=float(sum(s * r for s, r in rounds)),
    )


@given(st.lists(st.integers(min_value=0, max_value=50_000_000), min_size=2, max_size=200))
def test_with_equal_stakes_the_standard_error_is_the_sample_deviation_over_root_n(returns):
    stake = 1_000_000
    sums = _sums([(stake, r) for r in returns])
    expected = statistics.stdev([r / stake for r in returns]) / math.sqrt(len(returns))
    assert sums.actual == sum(returns) / (stake * len(returns))
    assert math.isclose(
        sums.standard_error, expected, rel_tol=1e-6, abs_tol=1e-6
    )  # float sums cancel


def test_the_interval_widens_a_theoretical_range_and_waits_for_enough_rounds():
    sums = _sums([(100, 0), (100, 200)] * 600)  # returns 100 %, spread 1 per unit staked
    low, high = rtp_interval(sums, (0.95, 0.97))
    half = Z_99 * sums.standard_error
    assert math.isclose(low, 0.95 - half)
    assert math.isclose(high, 0.97 + half)
    assert rtp_interval(sums, (0.95, 0.97), min_rounds=1201) is None
    assert rtp_interval(RtpSums(), (0.95, 0.95)) is None


def _compare(db, clock, actual: float) -> None:
    comparison = RtpComparison("acme", "sweet-7", "EUR", 5000, actual, 0.94, 0.98)
    with db.unit_of_work() as s:
        record_rtp_comparison(s, clock, comparison, actor="system:test")


def _audit_count(db) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(AuditRecord))


def test_an_alert_is_raised_once_while_outside_and_cleared_once_back_inside(db, clock):
    _compare(db, clock, 0.96)
    assert _audit_count(db) == 0
    _compare(db, clock, 0.91)
    _compare(db, clock, 0.90)  # still outside: nothing new
    with db.read_only() as s:
        [alert] = open_rtp_alerts(s)
        entries = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")
    assert (alert.actual_rtp, alert.interval_low, alert.rounds) == (0.91, 0.94, 5000)
    assert [e.action for e in entries] == ["gamecontrol.rtp_alert_raised"]

    _compare(db, clock, 0.95)
    _compare(db, clock, 0.95)
    with db.read_only() as s:
        assert open_rtp_alerts(s) == []
        entries = list_audit_entries(s, subject_type="game", subject_id="acme/sweet-7")
    assert [e.action for e in entries] == [
        "gamecontrol.rtp_alert_cleared",
        "gamecontrol.rtp_alert_raised",
    ]
    with db.read_only() as s:
        published = s.scalars(select(OutboxEvent.type).order_by(OutboxEvent.occurred_at)).all()
    assert sorted(published) == ["gamecontrol.rtp_alert_cleared", "gamecontrol.rtp_alert_raised"]

"""assess and record_outcome against a real database, with a controlled clock."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from croupier.policy.risk import (
    RiskDecision,
    RiskEngine,
    RiskOutcome,
    RiskRequest,
    assess,
    evaluate,
    record_outcome,
)
from croupier.policy.risk.errors import InvalidRiskRequest, RiskAttemptNotFound
from croupier.policy.risk.models import RiskAttempt, RiskDeviceSighting, RiskInstrumentSighting
from tests.policy.policy_fixtures import UNIT, player_in

_ids = itertools.count()


@pytest.fixture
def engine() -> RiskEngine:
    return RiskEngine.load(None)  # the shipped model, default thresholds


@pytest.fixture
def player(db, clock):
    return player_in(db, clock, "MT")


def request(player, amount: int = 20 * UNIT, kind: str = "deposit", **kw) -> RiskRequest:
    return RiskRequest(
        attempt_id=kw.pop("attempt_id", f"pay_{next(_ids)}"),
        player_id=player.id,
        kind=kind,
        amount=amount,
        currency="EUR",
        **kw,
    )


def scored(db, clock, engine, r: RiskRequest) -> RiskDecision:
    with db.unit_of_work() as s:
        return assess(s, clock, r, engine=engine)


def count(db, model) -> int:
    with db.read_only() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_ordinary_deposit_is_approved_and_recorded_with_its_sightings(db, clock, engine, player):
    r = request(player, device_id="dev-1", instrument_fingerprint="f" * 64, ip_country="MT")
    decision = scored(db, clock, engine, r)
    assert decision.outcome is RiskOutcome.APPROVE
    assert decision.model_version == engine.version
    assert 0 <= decision.score < 0.5
    assert len(decision.factors) <= 5
    assert decision.rules == ()
    with db.read_only() as s:
        row = s.get(RiskAttempt, r.attempt_id)
        assert (row.player_id, row.kind, row.amount, row.outcome) == (
            player.id,
            "deposit",
            20 * UNIT,
            "approve",
        )
        assert json.loads(row.decision) == decision.as_dict()
        assert row.succeeded is None
    assert count(db, RiskDeviceSighting) == 1
    assert count(db, RiskInstrumentSighting) == 1


def test_the_same_attempt_again_returns_the_recorded_decision_and_records_nothing(
    db, clock, engine, player
):
    r = request(player, device_id="dev-1")
    first = scored(db, clock, engine, r)
    clock.advance(timedelta(seconds=5))
    assert scored(db, clock, engine, r) == first
    # another process, which never saw it, gives the recorded decision too
    assert scored(db, clock, RiskEngine.load(None), r) == first
    assert count(db, RiskAttempt) == 1
    assert count(db, RiskDeviceSighting) == 1
    assert engine.features(request(player), clock.now().timestamp())["attempts_1m"] == 1


def test_the_fifth_attempt_within_a_minute_is_declined_by_the_velocity_rule(
    db, clock, engine, player
):
    decisions = []
    for _ in range(5):
        decisions.append(scored(db, clock, engine, request(player, 2 * UNIT)))
        clock.advance(timedelta(seconds=10))
    assert all("risk.velocity_1m" not in d.rules for d in decisions[:4])
    assert decisions[4].outcome is RiskOutcome.DECLINE
    assert "risk.velocity_1m" in decisions[4].rules
    with db.read_only() as s:
        outcomes = s.scalars(select(RiskAttempt.outcome).order_by(RiskAttempt.at)).all()
    assert outcomes[-1] == "decline"


def test_an_instrument_used_by_a_third_player_goes_to_review(db, clock, engine):
    players = [player_in(db, clock, "MT") for _ in range(3)]
    decisions = []
    for p in players:
        decisions.append(scored(db, clock, engine, request(p, instrument_fingerprint="stolen")))
        clock.advance(timedelta(minutes=30))
    assert "risk.shared_instrument" not in decisions[1].rules
    assert "risk.shared_instrument" in decisions[2].rules
    assert decisions[2].outcome in (RiskOutcome.REVIEW, RiskOutcome.DECLINE)


def test_five_failed_payments_in_15_minutes_decline_the_next_attempt(db, clock, engine, player):
    for _ in range(5):
        r = request(player, 10 * UNIT)
        scored(db, clock, engine, r)
        with db.unit_of_work() as s:
            record_outcome(s, clock, r.attempt_id, succeeded=False, engine=engine)
        clock.advance(timedelta(minutes=2))
    decision = scored(db, clock, engine, request(player, 10 * UNIT))
    assert "risk.repeated_failures" in decision.rules
    assert decision.outcome is RiskOutcome.DECLINE
    with db.read_only() as s:
        assert s.scalar(select(func.count()).where(RiskAttempt.succeeded.is_(False))) == 5
    clock.advance(timedelta(minutes=16))
    later = scored(db, clock, engine, request(player, 10 * UNIT))
    assert "risk.repeated_failures" not in later.rules


def test_ten_times_the_average_on_an_account_younger_than_a_day_goes_to_review(
    db, clock, engine, player
):
    scored(db, clock, engine, request(player, 10 * UNIT))
    clock.advance(timedelta(hours=2))
    decision = scored(db, clock, engine, request(player, 100 * UNIT))
    assert "risk.new_account_large_amount" in decision.rules
    assert decision.outcome in (RiskOutcome.REVIEW, RiskOutcome.DECLINE)


def test_features_come_from_the_tables_in_a_new_process(db, clock, engine, player):
    """History recorded by one engine is what a fresh engine (a restarted process) sees:
    older attempts through the player's totals, recent ones through the windows."""
    scored(db, clock, engine, request(player, 40 * UNIT, device_id="dev-a"))
    clock.advance(timedelta(days=2))
    scored(db, clock, engine, request(player, 20 * UNIT, device_id="dev-a"))
    clock.advance(timedelta(minutes=3))
    fresh = RiskEngine.load(None)
    probe = request(player, 60 * UNIT, device_id="dev-a", ip_country="GB")
    with db.read_only() as s:
        fresh.prepare(s, clock, probe)
    f = fresh.features(probe, clock.now().timestamp())
    assert (f["attempts_1m"], f["attempts_5m"], f["attempts_60m"]) == (0, 1, 1)
    assert f["amount_5m"] == 20
    assert f["previous_attempts"] == 2
    assert f["amount_vs_average"] == pytest.approx(2.0)  # 60 against (40 + 20) / 2
    assert f["account_age_days"] == pytest.approx(2.0, abs=0.01)
    assert f["device_age_days"] == pytest.approx(2.0, abs=0.01)
    assert (f["device_new_for_player"], f["device_other_players"]) == (0, 0)
    assert f["country_mismatch"] == 1  # registered in MT


def test_attempts_recorded_by_another_process_count_after_its_refresh(db, clock, player):
    here = RiskEngine.load(None)
    there = RiskEngine.load(None)
    here.refresh_seconds = 0.0  # read the others' attempts at every decision
    scored(db, clock, here, request(player))
    for _ in range(3):
        scored(db, clock, there, request(player, device_id="shared"))
    probe = request(player, device_id="shared")
    with db.read_only() as s:
        here.prepare(s, clock, probe)
    f = here.features(probe, clock.now().timestamp())
    assert f["attempts_1m"] == 4
    assert f["device_new_for_player"] == 0


def test_failures_recorded_by_another_process_count_too(db, clock, player):
    here, there = RiskEngine.load(None), RiskEngine.load(None)
    here.refresh_seconds = 0.0
    scored(db, clock, here, request(player))
    r = request(player)
    scored(db, clock, there, r)
    with db.unit_of_work() as s:
        record_outcome(s, clock, r.attempt_id, succeeded=False)  # no engine: the table only
    with db.read_only() as s:
        here.prepare(s, clock, r)
    assert here.features(request(player), clock.now().timestamp())["failures_15m"] == 1


def test_evaluate_scores_without_recording(db, clock, engine, player):
    with db.read_only() as s:
        decision = evaluate(s, clock, request(player, device_id="d"), engine=engine)
    assert decision.outcome in tuple(RiskOutcome)
    assert count(db, RiskAttempt) == 0
    assert count(db, RiskDeviceSighting) == 0


def test_a_rolled_back_unit_of_work_records_nothing(db, clock, engine, player):
    r = request(player)

    def attempt_then_fail() -> None:
        with db.unit_of_work() as s:
            assess(s, clock, r, engine=engine)
            raise RuntimeError("the payment failed to start")

    with pytest.raises(RuntimeError):
        attempt_then_fail()
    assert count(db, RiskAttempt) == 0
    again = scored(db, clock, engine, r)  # the retry is scored and recorded
    assert count(db, RiskAttempt) == 1
    assert again.outcome in tuple(RiskOutcome)


def test_an_outcome_of_an_unknown_attempt_is_refused(db, clock):
    with pytest.raises(RiskAttemptNotFound) as caught, db.unit_of_work() as s:
        record_outcome(s, clock, "pay_nope", succeeded=True)
    assert caught.value.code == "risk.attempt_not_found"


@pytest.mark.parametrize(
    ("kind", "amount"), [("bet", 10 * UNIT), ("deposit", 0), ("withdrawal", -5)]
)
def test_a_request_that_is_not_a_payment_attempt_is_refused(
    db, clock, engine, player, kind, amount
):
    with pytest.raises(InvalidRiskRequest), db.unit_of_work() as s:
        assess(s, clock, request(player, amount, kind=kind), engine=engine)
    assert count(db, RiskAttempt) == 0


def test_a_withdrawal_has_its_own_thresholds(engine):
    t = engine.thresholds
    assert t.score_outcome(0.45, is_withdrawal=True) is RiskOutcome.REVIEW
    assert t.score_outcome(0.45, is_withdrawal=False) is RiskOutcome.APPROVE

"""The feature store computes each feature from the history it holds, against a given time."""

from __future__ import annotations

import pytest

from croupier.policy.risk.features import DAY, FEATURES, F, FeatureStore, PlayerFacts

NOW = 1_800_000_000.0
FACTS = PlayerFacts(created_at=NOW - 3 * DAY, country="GB")


def features(store: FeatureStore, player: str = "p1", **kw: object) -> dict[str, float]:
    args: dict[str, object] = {
        "is_withdrawal": False,
        "amount": 50.0,
        "device_id": None,
        "instrument": None,
        "ip_country": None,
        "now": NOW,
    }
    args.update(kw)
    x = store.features(player, FACTS, **args)  # type: ignore[arg-type]
    assert len(x) == len(FEATURES)
    return dict(zip(FEATURES, x, strict=True))


def attempt(store: FeatureStore, n: int, ago: float, amount: float, **kw: object) -> None:
    store.observe_attempt(
        f"a{n}",
        str(kw.get("player", "p1")),
        is_withdrawal=bool(kw.get("withdrawal", False)),
        amount=amount,
        at=NOW - ago,
        declined=bool(kw.get("declined", False)),
    )


def test_velocity_counts_and_sums_attempts_in_each_window():
    store = FeatureStore()
    for n, (ago, amount) in enumerate(
        [
            (30, 1.0),
            (59, 2.0),
            (61, 4.0),
            (299, 8.0),
            (301, 16.0),
            (899, 32.0),
            (3599, 64.0),
            (3601, 128.0),
        ]
    ):
        attempt(store, n, ago, amount)
    f = features(store)
    assert (f["attempts_1m"], f["amount_1m"]) == (2, 3.0)
    assert (f["attempts_5m"], f["amount_5m"]) == (4, 15.0)
    assert (f["attempts_15m"], f["amount_15m"]) == (6, 63.0)
    assert (f["attempts_60m"], f["amount_60m"]) == (7, 127.0)
    assert f["previous_attempts"] == 8  # the totals keep what the windows dropped


def test_an_attempt_is_counted_once_however_often_it_is_observed():
    store = FeatureStore()
    attempt(store, 1, 10, 5.0)
    attempt(store, 1, 10, 5.0)
    assert features(store)["attempts_1m"] == 1


def test_an_attempt_arriving_late_from_another_process_is_placed_in_time_order():
    store = FeatureStore()
    attempt(store, 1, 10, 1.0)
    attempt(store, 2, 400, 2.0)  # older, arrives later
    f = features(store)
    assert (f["attempts_1m"], f["attempts_15m"]) == (1, 2)


def test_amount_against_own_average_of_the_same_kind_and_withdrawal_against_deposits():
    store = FeatureStore()
    attempt(store, 1, 5 * DAY, 20.0)
    attempt(store, 2, 4 * DAY, 40.0)
    attempt(store, 3, 3 * DAY, 500.0, declined=True)  # declined: not in the average
    attempt(store, 4, 2 * DAY, 10.0, withdrawal=True)
    assert features(store, amount=300.0)["amount_vs_average"] == pytest.approx(10.0)
    f = features(store, amount=30.0, is_withdrawal=True)
    assert f["amount_vs_average"] == pytest.approx(3.0)
    assert f["withdrawal_vs_deposited"] == pytest.approx(0.5)
    assert f["is_withdrawal"] == 1


def test_a_player_without_history_has_no_average():
    f = features(FeatureStore(), is_withdrawal=True)
    assert f["amount_vs_average"] == -1
    assert f["withdrawal_vs_deposited"] == -1
    assert f["previous_attempts"] == 0


def test_account_age_and_location_against_the_registered_address():
    store = FeatureStore()
    assert features(store)["account_age_days"] == pytest.approx(3.0)
    assert features(store, ip_country="GB")["country_mismatch"] == 0
    assert features(store, ip_country="ng")["country_mismatch"] == 1
    assert features(store, ip_country=None)["country_mismatch"] == -1


def test_device_age_and_the_players_sharing_it():
    store = FeatureStore()
    store.observe_device("d1", "p2", NOW - 2 * DAY)
    store.observe_device("d1", "p3", NOW - DAY)
    f = features(store, device_id="d1")
    assert f["device_age_days"] == pytest.approx(2.0)
    assert (f["device_other_players"], f["device_new_for_player"]) == (2, 1)
    store.observe_device("d1", "p1", NOW)
    f = features(store, device_id="d1")
    assert (f["device_other_players"], f["device_new_for_player"]) == (2, 0)
    f = features(store, device_id="never-seen")
    assert (f["device_age_days"], f["device_other_players"], f["device_new_for_player"]) == (
        0,
        0,
        1,
    )
    assert features(store)["device_new_for_player"] == -1


def test_an_instrument_shared_between_players():
    store = FeatureStore()
    for player in ("p2", "p3", "p4"):
        store.observe_instrument("card", player, NOW - 60)
    f = features(store, instrument="card")
    assert (f["instrument_other_players"], f["instrument_new_for_player"]) == (3, 1)
    assert features(store)["instrument_new_for_player"] == -1


def test_recent_failures_count_declines_and_failed_payments_of_the_last_15_minutes():
    store = FeatureStore()
    attempt(store, 1, 100, 5.0, declined=True)
    attempt(store, 2, 200, 5.0)
    store.observe_outcome("a2", "p1", succeeded=False, at=NOW - 150)
    attempt(store, 3, 300, 5.0)
    store.observe_outcome("a3", "p1", succeeded=False, at=NOW - 16 * 60)  # too long ago
    attempt(store, 4, 30, 5.0)
    store.observe_outcome("a4", "p1", succeeded=True, at=NOW - 20)
    assert features(store)["failures_15m"] == 2
    store.observe_outcome("a1", "p1", succeeded=True, at=NOW)  # approved after review
    assert features(store)["failures_15m"] == 1


def test_feature_indices_match_names():
    assert FEATURES[F["failures_15m"]] == "failures_15m"

"""The feed applied to the catalogue, over the simulator's real stream: a fixture becomes an
event with prices, a bet taken before kick-off is settled by the feed's result, dangerous
moments suspend the in-play markets, and a cancelled match voids its markets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from croupier.core.wallet import get_balance, verify_ledger
from croupier.kernel.clock import SystemClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import betting, exposure
from croupier.products.sportsbook.feed import HttpFeedClient
from croupier.products.sportsbook.feed_consumer import FeedConsumer
from croupier.products.sportsbook.models import Market, Selection, SportEvent
from croupier.simulators.feed import RunningFeed
from tests.policy.policy_fixtures import UNIT
from tests.products.sportsbook.book_fixtures import bettor


def wait_until(check: Callable[[], bool], timeout: float = 90.0) -> None:
    # Generous: the consumer prices some thirty markets per odds message and follows a whole
    # match, which a loaded CI machine makes slow; on a quiet one this takes a few seconds.
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.02)


@pytest.fixture
def clock() -> SystemClock:  # the feed's times are the wall clock's
    return SystemClock()


@pytest.fixture
def feed() -> Iterator[RunningFeed]:
    with RunningFeed(minute_ms=4, danger_rate=0.0) as running:
        yield running


def event_of(db: Database, feed_id: str) -> SportEvent | None:
    with db.read_only() as s:
        event = s.scalar(select(SportEvent).where(SportEvent.feed_id == feed_id))
        if event is not None:
            s.expunge(event)
        return event


def markets_of(db: Database, event_id: str) -> list[tuple[str, bool, str]]:
    with db.read_only() as s:
        return [
            (m.kind, m.in_play, m.status)
            for m in s.scalars(select(Market).where(Market.event_id == event_id))
        ]


def test_a_fed_match_is_priced_and_its_result_settles_a_pre_match_bet(
    db: Database, clock: SystemClock, feed: RunningFeed
) -> None:
    consumer = FeedConsumer(db, clock)
    client = HttpFeedClient(feed.url, backoff=(0.01, 0.05))
    client.start(consumer.handle)
    try:
        feed.add_match(
            event_id="derby",
            home="Home FC",
            away="Away FC",
            home_rate=1.6,
            away_rate=1.1,
            kickoff_in_ms=6000,
            minute_ms=4,
            goals=[{"minute": 5, "team": "home"}],
            danger_minutes=[40],
        )
        wait_until(
            lambda: any(
                k == "1x2" for k, _, _ in markets_of(db, getattr(event_of(db, "derby"), "id", ""))
            )
        )
        event = event_of(db, "derby")
        assert event is not None
        assert event.status == "not_started"
        with db.read_only() as s:
            home = s.scalar(
                select(Selection)
                .join(Market, Market.id == Selection.market_id)
                .where(
                    Market.event_id == event.id,
                    Market.kind == "1x2",
                    Market.in_play.is_(False),
                    Selection.code == "1",
                )
            )
            assert home is not None
            home_id, price = home.id, home.odds
        player = bettor(db, clock)
        with db.unit_of_work() as s:
            bet, _ = betting.place_bet(
                s,
                clock,
                player.id,
                betting.BetRequest("pre-1", "single", (home_id,), 10 * UNIT, {home_id: price}),
            )
        wait_until(lambda: getattr(event_of(db, "derby"), "status", "") == "ended")
        wait_until(lambda: all(status == "settled" for _, _, status in markets_of(db, event.id)))
    finally:
        client.stop()
    kinds = markets_of(db, event.id)
    assert {k for k, in_play, _ in kinds if in_play} >= {"1x2", "over_under", "btts"}
    assert {k for k, in_play, _ in kinds if not in_play} >= {"1x2", "correct_score"}
    with db.read_only() as s:
        # 1-0: the home win at the price taken.
        won = int(price_value(price) * 10 * UNIT)
        assert get_balance(s, player.cash_account_id).posted == 100 * UNIT - 10 * UNIT + won
        assert verify_ledger(s) == []
        assert exposure.drift(s) == []  # the kept exposure is the open bets' sum
    assert consumer.skipped.get("unknown_event", 0) == 0
    assert bet.status == "accepted"


def price_value(text: str) -> float:
    from fractions import Fraction

    return float(Fraction(text))


def test_a_cancelled_match_voids_its_markets(
    db: Database, clock: SystemClock, feed: RunningFeed
) -> None:
    consumer = FeedConsumer(db, clock)
    client = HttpFeedClient(feed.url, backoff=(0.01, 0.05))
    client.start(consumer.handle)
    try:
        feed.add_match(event_id="rained-off", kickoff_in_ms=60_000, minute_ms=4)
        wait_until(lambda: bool(markets_of(db, getattr(event_of(db, "rained-off"), "id", ""))))
        feed.cancel("rained-off", "waterlogged pitch")
        wait_until(lambda: getattr(event_of(db, "rained-off"), "status", "") == "cancelled")
        event = event_of(db, "rained-off")
        assert event is not None
        wait_until(lambda: all(s == "void" for _, _, s in markets_of(db, event.id)))
    finally:
        client.stop()

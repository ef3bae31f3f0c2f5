"""The feed, applied to the catalogue: fixtures become events, the feed's true probabilities
become prices (with the book's margin), dangerous moments suspend the in-play markets, the
event's status moves its markets, and results settle them.

One :class:`FeedConsumer` per process, fed by a :class:`~croupier.products.sportsbook.feed.
FeedAdapter` (``HttpFeedClient``); each message is applied in a unit of work of its own. The
client delivers each message at least once and in order per event; applying one twice changes
nothing (the event is found by the feed's id; prices and states are set, not added; a result
already settled with the same score is not settled again).

Markets priced: 1X2, draw no bet, both teams to score, over/under and Asian handicap lines
(two-way: they sum to 1) and correct score. Double chance is left out (its three selections
overlap, so the probabilities do not make one book). Pre-match markets come from the odds
before kick-off; in-play markets are opened from the first odds after kick-off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.errors import DomainError
from croupier.products.sportsbook import catalogue, pricing, settlement
from croupier.products.sportsbook.feed import (
    AnyFeedMessage,
    FixtureMessage,
    OddsMessage,
    ResultMessage,
    ResumeMessage,
    StatusMessage,
    SuspendMessage,
)
from croupier.products.sportsbook.feed import EventStatus as FeedStatus
from croupier.products.sportsbook.models import (
    EventStatus,
    Market,
    MarketResult,
    MarketStatus,
    Sport,
    SportEvent,
)

log = structlog.get_logger("croupier.sportsbook.feed")

ACTOR = "feed"
# The feed's selection names → the settlement rules' codes, per market kind.
CODES: dict[str, dict[str, str]] = {
    "1x2": {"home": "1", "draw": "X", "away": "2"},
    "draw_no_bet": {"home": "1", "away": "2"},
    "btts": {"yes": "yes", "no": "no"},
    "over_under": {"over": "over", "under": "under"},
    "asian_handicap": {"home": "home", "away": "away"},
}


def _kind_and_params(key: str) -> tuple[str, dict[str, Any]] | None:
    """Our market kind and parameters for the feed's market key, or None (not priced)."""
    if key in ("1x2", "draw_no_bet", "btts"):
        return key, {}
    if key == "correct_score":
        return "correct_score", {"max_goals": 4}
    name, _, line = key.partition(":")
    if name == "total" and line:
        return "over_under", {"line": line}
    if name == "asian_handicap" and line:
        return "asian_handicap", {"handicap": line}
    return None


def _codes(kind: str, selections: dict[str, float]) -> dict[str, str]:
    mapping = CODES.get(kind)
    if mapping is None:  # correct score: "h-a" and "other" as they are
        return {name: name for name in selections}
    return {name: mapping[name] for name in selections if name in mapping}


@dataclass
class FeedConsumer:
    """Applies feed messages to the catalogue with the book's margin and limits."""

    database: Database
    clock: Clock
    margin: Decimal = Decimal("0.05")
    method: str = "power"
    liability_limit: int = 10_000_000_000  # ledger units per selection (10,000.00 at scale 6)
    applied: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def handle(self, message: AnyFeedMessage) -> None:
        """Apply one message in a unit of work of its own."""
        with self.database.unit_of_work() as session:
            self.apply(session, message)
        self.applied += 1

    def apply(self, session: Session, message: AnyFeedMessage) -> None:
        if isinstance(message, FixtureMessage):
            self._fixture(session, message)
            return
        event = session.scalar(select(SportEvent).where(SportEvent.feed_id == message.event_id))
        if event is None:
            self.skipped["unknown_event"] = self.skipped.get("unknown_event", 0) + 1
            return
        if isinstance(message, OddsMessage):
            self._odds(session, event, message)
        elif isinstance(message, SuspendMessage):
            self._in_play_status(
                session, event, MarketStatus.OPEN, MarketStatus.SUSPENDED, message.reason
            )
        elif isinstance(message, ResumeMessage):
            self._in_play_status(
                session, event, MarketStatus.SUSPENDED, MarketStatus.OPEN, message.reason
            )
        elif isinstance(message, StatusMessage):
            self._status(session, event, message)
        elif isinstance(message, ResultMessage):
            self._result(session, event, {"home": message.score.home, "away": message.score.away})

    def _fixture(self, session: Session, message: FixtureMessage) -> None:
        if session.scalar(select(SportEvent.id).where(SportEvent.feed_id == message.event_id)):
            return
        competition = catalogue.create_competition(
            session, self.clock, sport=Sport(message.sport), name=message.competition
        )
        catalogue.create_event(
            session,
            self.clock,
            competition_id=competition,
            competitors=[message.home, message.away],
            starts_at=message.start_time,
            feed_id=message.event_id,
        )

    def _odds(self, session: Session, event: SportEvent, message: OddsMessage) -> None:
        in_play = event.status in (EventStatus.LIVE, EventStatus.SUSPENDED)
        if event.status in (EventStatus.ENDED, EventStatus.CANCELLED):
            return
        existing = {
            (m.kind, m.params): m
            for m in session.scalars(
                select(Market).where(Market.event_id == event.id, Market.in_play == in_play)
            )
        }
        for key, selections in message.markets.items():
            shape = _kind_and_params(key)
            if shape is None:
                continue
            kind, params = shape
            codes = _codes(kind, dict(selections))
            names = list(codes)
            try:
                prices = pricing.apply_margin(
                    [Decimal(repr(selections[n])) for n in names], self.margin, self.method
                )
            except DomainError as refused:  # a near-certain outcome cannot be priced
                self.skipped[refused.code] = self.skipped.get(refused.code, 0) + 1
                continue
            by_code = {codes[n]: str(price) for n, price in zip(names, prices, strict=True)}
            market = existing.get((kind, json.dumps(_normal(kind, params), sort_keys=True)))
            if market is None:
                catalogue.create_market(
                    session,
                    self.clock,
                    event_id=event.id,
                    kind=kind,
                    params=params,
                    prices=by_code,
                    in_play=in_play,
                    liability_limit=self.liability_limit,
                    margin=str(self.margin),
                    margin_method=self.method,
                )
            elif market.status in (MarketStatus.OPEN, MarketStatus.SUSPENDED):
                catalogue.set_prices(session, self.clock, market.id, by_code)
        catalogue.set_event_state(
            session,
            self.clock,
            event.id,
            EventStatus(event.status),
            minute=message.minute,
            score={"home": message.score.home, "away": message.score.away},
        )

    def _in_play_status(
        self,
        session: Session,
        event: SportEvent,
        from_: MarketStatus,
        to: MarketStatus,
        reason: str,
    ) -> None:
        for market in session.scalars(
            select(Market).where(
                Market.event_id == event.id, Market.in_play.is_(True), Market.status == from_
            )
        ):
            catalogue.set_market_status(
                session, self.clock, market.id, to, actor=ACTOR, reason=reason
            )

    def _status(self, session: Session, event: SportEvent, message: StatusMessage) -> None:
        status = EventStatus(message.status.value)
        started_at: datetime | None = message.sent_at if message.status is FeedStatus.LIVE else None
        catalogue.set_event_state(
            session, self.clock, event.id, status, minute=message.minute, started_at=started_at
        )
        if status is EventStatus.CANCELLED:
            for market in session.scalars(select(Market).where(Market.event_id == event.id)):
                if market.status not in (MarketStatus.SETTLED, MarketStatus.VOID):
                    settlement.void_market(
                        session,
                        self.clock,
                        market.id,
                        actor=ACTOR,
                        reason=message.reason or "event cancelled",
                    )

    def _result(self, session: Session, event: SportEvent, result: dict[str, int]) -> None:
        for market in session.scalars(select(Market).where(Market.event_id == event.id)):
            if market.status == MarketStatus.VOID:
                continue
            last = session.scalar(
                select(MarketResult.result)
                .where(MarketResult.market_id == market.id)
                .order_by(MarketResult.version.desc())
                .limit(1)
            )
            if last is not None and json.loads(last) == result:
                continue  # the same result again: nothing to do
            settlement.settle_market(
                session, self.clock, market.id, result, actor=ACTOR, reason="feed result"
            )


def _normal(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the catalogue stores them (the rules' own form), to find a market."""
    from croupier.products.sportsbook.markets import market_from_params

    return market_from_params(kind, params).params()

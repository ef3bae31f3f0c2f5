"""The sportsbook's catalogue: competitions, events, markets and their selections, and the
states that decide whether a bet may be taken (GLI-33: no bet after the event started on a
pre-match market, none on a suspended market).

Prices are exact decimal text (``"2.375"``); a selection's offered price is the trader's
override when one is set, else the computed one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.kernel.audit import record_event
from croupier.kernel.clock import Clock
from croupier.kernel.ids import new_id
from croupier.products.sportsbook import errors, live
from croupier.products.sportsbook import markets as market_rules
from croupier.products.sportsbook.models import (
    Competition,
    EventStatus,
    Market,
    MarketStatus,
    Selection,
    Sport,
    SportEvent,
)
from croupier.products.sportsbook.odds import Odds


@dataclass(frozen=True, slots=True)
class SelectionView:
    id: str
    code: str
    name: str
    odds: str
    probability: str | None
    overridden: bool


@dataclass(frozen=True, slots=True)
class MarketView:
    id: str
    event_id: str
    kind: str
    params: dict[str, Any]
    in_play: bool
    status: str
    liability_limit: int
    selections: tuple[SelectionView, ...]


@dataclass(frozen=True, slots=True)
class EventView:
    id: str
    competition_id: str
    sport: str
    name: str
    competitors: tuple[str, ...]
    starts_at: datetime
    status: str
    minute: int | None
    score: dict[str, Any] | None


def parse_odds(text: str) -> Fraction:
    """A stored or sent price (exact decimal odds text, ``"2.375"``, or a ratio ``"21/11"``)
    as an exact fraction; ``sportsbook.invalid_odds`` if it is not one above 1."""
    return Odds.parse(text).value


def odds_text(value: Fraction) -> str:
    """The exact text a price is stored as."""
    return str(Odds(value))


def offered(selection: Selection) -> str:
    return selection.odds_override or selection.odds


def create_competition(
    session: Session, clock: Clock, *, sport: Sport, name: str, country: str | None = None
) -> str:
    existing = session.scalar(
        select(Competition.id).where(Competition.sport == sport.value, Competition.name == name)
    )
    if existing is not None:
        return existing
    row = Competition(
        id=new_id("cmp"),
        sport=sport.value,
        name=name[:120],
        country=country,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row.id


def create_event(
    session: Session,
    clock: Clock,
    *,
    competition_id: str,
    competitors: list[str],
    starts_at: datetime,
    name: str | None = None,
    feed_id: str | None = None,
) -> EventView:
    """A fixture (two competitors: home, away) or an outright (more)."""
    competition = session.get(Competition, competition_id)
    if competition is None:
        raise errors.CompetitionNotFound()
    if len(competitors) < 2 or len(set(competitors)) != len(competitors):
        raise errors.InvalidEvent("An event has two or more different competitors.")
    now = clock.now()
    row = SportEvent(
        id=new_id("evt"),
        competition_id=competition.id,
        sport=competition.sport,
        name=(name or " v ".join(competitors))[:200],
        competitors=json.dumps(competitors),
        starts_at=starts_at,
        status=EventStatus.NOT_STARTED.value,
        feed_id=feed_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return event_view(row)


def event_view(row: SportEvent) -> EventView:
    return EventView(
        id=row.id,
        competition_id=row.competition_id,
        sport=row.sport,
        name=row.name,
        competitors=tuple(json.loads(row.competitors)),
        starts_at=row.starts_at,
        status=row.status,
        minute=row.minute,
        score=json.loads(row.score) if row.score else None,
    )


def create_market(
    session: Session,
    clock: Clock,
    *,
    event_id: str,
    kind: str,
    params: dict[str, Any],
    prices: dict[str, str],
    names: dict[str, str] | None = None,
    in_play: bool = False,
    liability_limit: int,
    margin: str = "0.05",
    margin_method: str = "power",
) -> MarketView:
    """A market of ``kind`` with its selections at ``prices`` (code → decimal text)."""
    event = session.get(SportEvent, event_id)
    if event is None:
        raise errors.EventNotFound()
    definition = market_rules.market_from_params(kind, params)
    offered_codes = set(definition.selections)
    if not prices or not set(prices) <= offered_codes or len(prices) < 2:
        raise errors.InvalidMarket(
            f"A {kind} market's selections are among {sorted(offered_codes)}; give two or more."
        )
    if not isinstance(liability_limit, int) or liability_limit <= 0:
        raise errors.InvalidMarket("The liability limit is a positive number of ledger units.")
    now = clock.now()
    market = Market(
        id=new_id("mkt"),
        event_id=event.id,
        kind=definition.kind,
        params=json.dumps(definition.params(), sort_keys=True),
        in_play=in_play,
        status=MarketStatus.OPEN.value,
        liability_limit=liability_limit,
        margin=margin,
        margin_method=margin_method,
        created_at=now,
        updated_at=now,
    )
    session.add(market)
    session.flush()
    for code, price in prices.items():
        session.add(
            Selection(
                id=new_id("sel"),
                market_id=market.id,
                code=code,
                name=(names or {}).get(code, code),
                odds=odds_text(parse_odds(price)),
                updated_at=now,
            )
        )
    session.flush()
    live.odds_changed(session, [market.id], now.isoformat())
    return market_view(session, market)


def market_view(session: Session, market: Market) -> MarketView:
    params = json.loads(market.params)
    # In the market's display order (1, X, 2; over, under; ...), not by id.
    order = {
        code: i
        for i, code in enumerate(market_rules.market_from_params(market.kind, params).selections)
    }
    selections = sorted(
        session.scalars(select(Selection).where(Selection.market_id == market.id)),
        key=lambda s: (order.get(s.code, len(order)), s.code),
    )
    return MarketView(
        id=market.id,
        event_id=market.event_id,
        kind=market.kind,
        params=params,
        in_play=market.in_play,
        status=market.status,
        liability_limit=market.liability_limit,
        selections=tuple(
            SelectionView(
                s.id, s.code, s.name, offered(s), s.probability, s.odds_override is not None
            )
            for s in selections
        ),
    )


def set_prices(session: Session, clock: Clock, market_id: str, prices: dict[str, str]) -> None:
    """New computed prices (from the feed's probabilities and the margin)."""
    now = clock.now()
    changed = False
    for selection in session.scalars(select(Selection).where(Selection.market_id == market_id)):
        if selection.code in prices:
            price = odds_text(parse_odds(prices[selection.code]))
            changed = changed or price != selection.odds
            selection.odds = price
            selection.updated_at = now
    session.flush()
    if changed:
        live.odds_changed(session, [market_id], now.isoformat())


def set_market_status(
    session: Session,
    clock: Clock,
    market_id: str,
    status: MarketStatus,
    *,
    actor: str,
    reason: str,
) -> MarketView:
    """Suspend, reopen or close a market (traders, and the feed on dangerous moments);
    audited when a person does it."""
    market = session.get(Market, market_id)
    if market is None:
        raise errors.MarketNotFound()
    if market.status in (MarketStatus.SETTLED, MarketStatus.VOID):
        raise errors.InvalidMarket("A settled market cannot change.")
    before = market.status
    market.status = status.value
    market.updated_at = clock.now()
    session.flush()
    if market.status != before:
        live.odds_changed(session, [market.id], market.updated_at.isoformat())
    if not actor.startswith("feed"):
        record_event(
            session,
            clock,
            actor=actor,
            action="sportsbook.market_status",
            subject_type="market",
            subject_id=market.id,
            before={"status": before},
            after={"status": market.status},
            reason=reason,
        )
    return market_view(session, market)


def override_price(
    session: Session,
    clock: Clock,
    selection_id: str,
    price: str | None,
    *,
    actor: str,
    reason: str,
) -> SelectionView:
    """A trader's price for a selection (None lifts it); audited with before and after."""
    selection = session.get(Selection, selection_id)
    if selection is None:
        raise errors.SelectionNotFound()
    before = offered(selection)
    selection.odds_override = None if price is None else odds_text(parse_odds(price))
    selection.updated_at = clock.now()
    session.flush()
    if offered(selection) != before:
        live.odds_changed(session, [selection.market_id], selection.updated_at.isoformat())
    record_event(
        session,
        clock,
        actor=actor,
        action="sportsbook.price_override",
        subject_type="selection",
        subject_id=selection.id,
        before={"odds": before},
        after={"odds": offered(selection)},
        reason=reason,
    )
    return SelectionView(
        selection.id,
        selection.code,
        selection.name,
        offered(selection),
        selection.probability,
        selection.odds_override is not None,
    )


def set_event_state(
    session: Session,
    clock: Clock,
    event_id: str,
    status: EventStatus,
    *,
    minute: int | None = None,
    score: dict[str, Any] | None = None,
    started_at: datetime | None = None,
) -> EventView:
    """The event's state as the feed reports it. When it goes live, its pre-match markets
    close (no bet after the start, GLI-33); suspended or ended, every market stops taking
    bets."""
    event = session.get(SportEvent, event_id)
    if event is None:
        raise errors.EventNotFound()
    if status is EventStatus.LIVE and event.started_at is None:
        event.started_at = started_at or clock.now()
    event.status = status.value
    event.minute = minute if minute is not None else event.minute
    if score is not None:
        event.score = json.dumps(score, sort_keys=True)
    event.updated_at = clock.now()
    markets = session.scalars(select(Market).where(Market.event_id == event.id))
    closed = []
    for market in markets:
        if market.status in (MarketStatus.SETTLED, MarketStatus.VOID, MarketStatus.CLOSED):
            continue
        if (status is EventStatus.LIVE and not market.in_play) or status in (
            EventStatus.ENDED,
            EventStatus.CANCELLED,
        ):
            market.status = MarketStatus.CLOSED.value
            closed.append(market.id)
    session.flush()
    live.odds_changed(session, closed, event.updated_at.isoformat())
    return event_view(event)


def list_events(
    session: Session, *, sport: Sport | None = None, limit: int = 100
) -> list[tuple[EventView, list[MarketView]]]:
    """Events not ended or cancelled, soonest first, with their markets."""
    stmt = (
        select(SportEvent)
        .where(SportEvent.status.not_in([EventStatus.ENDED.value, EventStatus.CANCELLED.value]))
        .order_by(SportEvent.starts_at, SportEvent.id)
        .limit(min(max(limit, 1), 500))
    )
    if sport is not None:
        stmt = stmt.where(SportEvent.sport == sport.value)
    out = []
    for event in session.scalars(stmt):
        markets = session.scalars(
            select(Market).where(Market.event_id == event.id).order_by(Market.id)
        )
        out.append((event_view(event), [market_view(session, m) for m in markets]))
    return out

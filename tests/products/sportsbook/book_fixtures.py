"""Helpers for sportsbook tests: a competition with fixtures and markets, funded players."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from croupier.core.players import PlayerView
from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.products.sportsbook import catalogue
from croupier.products.sportsbook.catalogue import MarketView
from croupier.products.sportsbook.models import Sport
from tests.policy.policy_fixtures import UNIT, move, player_in

_n = itertools.count()
LIABILITY = 10_000 * UNIT


@dataclass(frozen=True)
class Fixture:
    event_id: str
    starts_at: datetime
    match_odds: MarketView  # 1X2

    def sel(self, code: str) -> str:
        return next(s.id for s in self.match_odds.selections if s.code == code)

    def price(self, code: str) -> str:
        return next(s.odds for s in self.match_odds.selections if s.code == code)


def fixture(
    db: Database,
    clock: Clock,
    *,
    starts_in: timedelta = timedelta(hours=2),
    prices: tuple[str, str, str] = ("2.5", "3.2", "2.9"),
    liability: int = LIABILITY,
) -> Fixture:
    """A football fixture with a pre-match 1X2 market."""
    n = next(_n)
    with db.unit_of_work() as s:
        competition = catalogue.create_competition(s, clock, sport=Sport.FOOTBALL, name="League")
        event = catalogue.create_event(
            s, clock, competition_id=competition, competitors=[f"Home {n}", f"Away {n}"],
            starts_at=clock.now() + starts_in,
        )  # fmt: skip
        market = catalogue.create_market(
            s, clock, event_id=event.id, kind="1x2", params={},
            prices=dict(zip(("1", "X", "2"), prices, strict=True)), liability_limit=liability,
        )  # fmt: skip
    return Fixture(event.id, event.starts_at, market)


def bettor(db: Database, clock: Clock, funds: int = 100 * UNIT) -> PlayerView:
    player = player_in(db, clock, "MT")
    move(db, clock, player, "deposit", funds)
    return player

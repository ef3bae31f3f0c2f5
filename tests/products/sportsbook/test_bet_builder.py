"""The bet builder: selections of one match priced from the joint distribution of the final
score, not as the product of their prices; placed, held and settled like any bet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from croupier.core.wallet import get_balance, verify_ledger
from croupier.kernel.clock import ManualClock
from croupier.kernel.db import Database
from croupier.products.sportsbook import (
    bet_builder,
    betting,
    catalogue,
    errors,
    exposure,
    match_model,
    pricing,
    settlement,
)
from croupier.products.sportsbook.models import Sport
from tests.policy.policy_fixtures import UNIT
from tests.products.sportsbook.book_fixtures import bettor

RATES = (1.6, 1.1)


def priced(probabilities: dict[str, float], codes: dict[str, str]) -> dict[str, str]:
    names = list(codes)
    odds = pricing.apply_margin(
        [Decimal(repr(probabilities[n])) for n in names], Decimal("0.05"), "power"
    )
    return {codes[n]: str(o) for n, o in zip(names, odds, strict=True)}


def match(db: Database, clock: ManualClock) -> dict[str, dict[str, str]]:
    """A match with 1X2, over/under 2.5 and BTTS priced from the model at known rates;
    returns market kind -> code -> selection id."""
    fair = match_model.live_probabilities(match_model.MatchState(*RATES))
    with db.unit_of_work() as s:
        competition = catalogue.create_competition(s, clock, sport=Sport.FOOTBALL, name="L")
        event = catalogue.create_event(
            s,
            clock,
            competition_id=competition,
            competitors=["Home", "Away"],
            starts_at=clock.now() + timedelta(hours=1),
        )
        markets = {
            "1x2": catalogue.create_market(
                s,
                clock,
                event_id=event.id,
                kind="1x2",
                params={},
                liability_limit=10**12,
                prices=priced(fair["1x2"], {"home": "1", "draw": "X", "away": "2"}),
            ),
            "over_under": catalogue.create_market(
                s,
                clock,
                event_id=event.id,
                kind="over_under",
                params={"line": "2.5"},
                liability_limit=10**12,
                prices=priced(fair["total:2.5"], {"over": "over", "under": "under"}),
            ),
            "btts": catalogue.create_market(
                s,
                clock,
                event_id=event.id,
                kind="btts",
                params={},
                liability_limit=10**12,
                prices=priced(fair["btts"], {"yes": "yes", "no": "no"}),
            ),
        }
    return {
        k: {sel.code: sel.id for sel in m.selections} | {"_market": m.id}
        for k, m in markets.items()
    }


def test_correlated_legs_are_priced_jointly_not_as_a_product(
    db: Database, clock: ManualClock
) -> None:
    ids = match(db, clock)
    with db.read_only() as s:
        quote = bet_builder.price(s, (ids["1x2"]["1"], ids["over_under"]["over"]))
    exact = match_model.joint_probability(
        match_model.score_grid(match_model.MatchState(*RATES)),
        [match_model.Selection("1x2", "home"), match_model.Selection("total:2.5", "over")],
    )
    # The fit recovers the match well enough to price within a point of the truth.
    assert abs(float(quote.probability) - exact) < 0.01
    # Home win and over 2.5 go together: the joint price is shorter than the product.
    assert quote.odds < quote.naive_odds


def test_a_builder_bet_pays_when_every_leg_wins_and_nothing_otherwise(
    db: Database, clock: ManualClock
) -> None:
    ids = match(db, clock)
    legs = (ids["1x2"]["1"], ids["over_under"]["over"], ids["btts"]["yes"])
    with db.read_only() as s:
        quote = bet_builder.price(s, legs)
    winner, loser = bettor(db, clock), bettor(db, clock)
    with db.unit_of_work() as s:
        won, _ = betting.place_bet(
            s,
            clock,
            winner.id,
            betting.BetRequest(
                "bb-1", "bet_builder", legs, 10 * UNIT, {"bet_builder": str(quote.odds)}
            ),
        )
        lost, _ = betting.place_bet(
            s,
            clock,
            loser.id,
            betting.BetRequest(
                "bb-2",
                "bet_builder",
                (ids["1x2"]["2"], ids["over_under"]["over"]),
                10 * UNIT,
                {},
                betting.OddsPolicy.ANY,
            ),
        )
    assert won.lines == 1
    assert won.potential_return == int(quote.odds.value * 10 * UNIT)
    for kind in ("1x2", "over_under", "btts"):
        with db.unit_of_work() as s:
            settlement.settle_market(
                s, clock, ids[kind]["_market"], {"home": 2, "away": 1}, actor="operator:t"
            )
    with db.read_only() as s:
        assert get_balance(s, winner.cash_account_id).posted == 90 * UNIT + won.potential_return
        assert get_balance(s, loser.cash_account_id).posted == 90 * UNIT
        assert verify_ledger(s) == []
        assert exposure.drift(s) == []  # the kept exposure is the open bets' sum
    assert lost.status == "accepted"


def test_a_builder_needs_one_event_and_no_pushes(db: Database, clock: ManualClock) -> None:
    ids, other = match(db, clock), match(db, clock)
    with db.read_only() as s, pytest.raises(errors.InvalidBet):
        bet_builder.price(s, (ids["1x2"]["1"], other["btts"]["yes"]))
    with db.read_only() as s, pytest.raises(errors.InvalidBet):
        bet_builder.price(s, (ids["1x2"]["1"],))

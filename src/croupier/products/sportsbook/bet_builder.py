"""The bet builder: several selections of one football event in one bet, priced from the joint
distribution of the final score, never as the product of the legs' prices (the legs of one
match are correlated: "home win" and "over 2.5" win together more often than apart).

The model's state comes from the market: the expected goals of each side are fitted to the
true probabilities of the event's current 1X2 and over/under 2.5 markets (the margin removed
by the market's method), then the final-score grid from the current minute and score gives
the exact probability that every selection wins (``match_model.joint_probability``). The
offered price is that probability with the builder's margin, rounded down onto the ladder.

Selections that can push (whole or quarter lines, draw no bet) are not offered in a builder:
the joint outcome would not be a plain win or loss. A builder bet wins only if every leg
wins; a void leg voids the whole bet (refunded).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from scipy.optimize import least_squares
from sqlalchemy import select
from sqlalchemy.orm import Session

from croupier.products.sportsbook import errors, match_model, pricing
from croupier.products.sportsbook.catalogue import offered, parse_odds
from croupier.products.sportsbook.markets import OutcomeKind
from croupier.products.sportsbook.models import EventStatus, Market, Selection, SportEvent
from croupier.products.sportsbook.odds import STANDARD_LADDER, Odds

KIND = "bet_builder"
MARGIN = Fraction(1, 10)  # the builder's own margin over the joint probability
MAX_LEGS = 6
_MODEL_NAMES = {"1x2": {"1": "home", "X": "draw", "2": "away"}, "btts": {"yes": "yes", "no": "no"}}


@dataclass(frozen=True, slots=True)
class BuilderPrice:
    event_id: str
    probability: Fraction  # the joint probability (from the model; a probability, not money)
    odds: Odds
    naive_odds: Odds  # the product of the legs' prices, for comparison only


def _model_selection(market: Market, code: str) -> match_model.Selection:
    params: dict[str, Any] = json.loads(market.params)
    if market.kind in _MODEL_NAMES and code in _MODEL_NAMES[market.kind]:
        return match_model.Selection(market.kind, _MODEL_NAMES[market.kind][code])
    if market.kind == "over_under":
        line = Fraction(str(params["line"]))
        if line.denominator == 2:
            return match_model.Selection(match_model.total_market(line), code)
    if market.kind == "asian_handicap":
        line = Fraction(str(params["handicap"]))
        if line.denominator == 2:
            return match_model.Selection(match_model.handicap_market(line), code)
    raise errors.InvalidBet(
        "A bet builder takes 1X2, both teams to score, and half-line totals and handicaps."
    )


def _true(session: Session, market: Market) -> dict[str, Fraction]:
    selections = list(session.scalars(select(Selection).where(Selection.market_id == market.id)))
    prices = [Odds(parse_odds(offered(s))) for s in selections]
    true = pricing.remove_margin(prices, market.margin_method)
    return {s.code: p for s, p in zip(selections, true, strict=True)}


def implied_state(session: Session, event: SportEvent) -> match_model.MatchState:
    """The model's state fitted to the event's current 1X2 and over/under 2.5 prices."""
    in_play = event.status == EventStatus.LIVE
    markets = {
        (m.kind, m.params): m
        for m in session.scalars(
            select(Market).where(Market.event_id == event.id, Market.in_play.is_(in_play))
        )
    }
    match_odds = next((m for (k, _), m in markets.items() if k == "1x2"), None)
    totals = next(
        (m for (k, p), m in markets.items()
         if k == "over_under" and Fraction(str(json.loads(p)["line"])) == Fraction(5, 2)),
        None,
    )  # fmt: skip
    if match_odds is None or totals is None:
        raise errors.InvalidBet("The event has no 1X2 and over/under 2.5 prices to build on.")
    one_x_two, over_under = _true(session, match_odds), _true(session, totals)
    score = json.loads(event.score) if event.score else {"home": 0, "away": 0}
    minute = event.minute or 0
    targets = [float(one_x_two["1"]), float(one_x_two["2"]), float(over_under["over"])]

    def residuals(rates: Any) -> list[float]:
        state = match_model.MatchState(float(rates[0]), float(rates[1]), minute,
                                       int(score["home"]), int(score["away"]))  # fmt: skip
        fair = match_model.live_probabilities(state)
        return [fair["1x2"]["home"] - targets[0], fair["1x2"]["away"] - targets[1],
                fair[match_model.total_market(Fraction(5, 2))]["over"] - targets[2]]  # fmt: skip

    fit = least_squares(residuals, x0=[1.4, 1.1], bounds=([0.05, 0.05], [6.0, 6.0]))
    return match_model.MatchState(float(fit.x[0]), float(fit.x[1]), minute,
                                  int(score["home"]), int(score["away"]))  # fmt: skip


def price(session: Session, selection_ids: tuple[str, ...]) -> BuilderPrice:
    """The builder's price for these selections of one event."""
    if not 2 <= len(selection_ids) <= MAX_LEGS or len(set(selection_ids)) != len(selection_ids):
        raise errors.InvalidBet(f"A bet builder has 2 to {MAX_LEGS} different selections.")
    rows = session.execute(
        select(Selection, Market)
        .join(Market, Market.id == Selection.market_id)
        .where(Selection.id.in_(selection_ids))
    ).all()
    if len(rows) != len(selection_ids):
        raise errors.UnknownSelection()
    events = {market.event_id for _, market in rows}
    if len(events) != 1:
        raise errors.InvalidBet("A bet builder's selections are all of one event.")
    if len({market.id for _, market in rows}) != len(rows):
        raise errors.InvalidBet("One selection per market in a bet builder.")
    event = session.get(SportEvent, events.pop())
    assert event is not None
    if event.sport != "football":
        raise errors.InvalidBet("The bet builder prices football.")
    model = [_model_selection(market, selection.code) for selection, market in rows]
    grid = match_model.score_grid(implied_state(session, event))
    try:
        joint = match_model.joint_probability(grid, model)
    except ValueError as exc:
        raise errors.InvalidBet(str(exc)) from None
    if joint <= 0:
        raise errors.InvalidBet("These selections cannot all win.")
    probability = Fraction(joint).limit_denominator(10**9)
    loaded = probability * (1 + MARGIN)
    if loaded >= 1:
        raise errors.InvalidBet("These selections are too likely to be offered together.")
    odds = STANDARD_LADDER.round_down(Odds.from_probability(loaded))
    naive = Odds.product(Odds(parse_odds(offered(s))) for s, _ in rows)
    return BuilderPrice(event.id, probability, odds, naive)


def settle_builder(outcomes: list[OutcomeKind], stake: int, potential_return: int) -> int:
    """What a builder bet returns: its potential return if every leg won, the stake back if
    any leg is void (the bet is void), else nothing."""
    if any(o is OutcomeKind.VOID for o in outcomes):
        return stake
    if all(o is OutcomeKind.WIN for o in outcomes):
        return potential_return
    return 0

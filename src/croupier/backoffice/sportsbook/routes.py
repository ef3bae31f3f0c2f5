"""Trading for operators (``sportsbook:trade``): liability per selection, suspending and
reopening markets, price overrides, players' stake factors, results and their corrections,
voiding markets, and the daily void report. Every change is audited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from croupier.kernel.errors import InvalidRequest
from croupier.kernel.web import (
    PERMISSION_ERRORS,
    AppClock,
    DbSession,
    OperatorPrincipal,
    Permission,
    ReadSession,
    problem_responses,
    require_permission,
)
from croupier.products.sportsbook import betting, catalogue, errors, settlement
from croupier.products.sportsbook import settlement_errors as rule_errors
from croupier.products.sportsbook.models import MarketStatus
from croupier.products.sportsbook.schemas import (
    LiabilityOut,
    MarketOut,
    PriceIn,
    ReasonIn,
    ResultIn,
    SelectionOut,
    SettlementOut,
    StakeFactorIn,
    VoidLineOut,
)

router = APIRouter(prefix="/api/v1/backoffice/sportsbook", tags=["sportsbook trading (operator)"])

Trader = Annotated[
    OperatorPrincipal,
    Depends(require_permission(Permission.SPORTSBOOK_TRADE, every_brand=True)),
]


@router.get(
    "/events/{event_id}/liability",
    response_model=list[LiabilityOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def liability(event_id: str, trader: Trader, session: ReadSession) -> list[LiabilityOut]:  # noqa: ARG001
    """The book's exposure per selection of an event: stakes held and what open bets could
    win beyond them (sum per market or for the event as needed)."""
    return [LiabilityOut.of(row) for row in betting.liability(session, event_id)]


def _market_status(
    market_id: str,
    status: MarketStatus,
    body: ReasonIn,
    trader: OperatorPrincipal,
    session: DbSession,
    clock: AppClock,
) -> MarketOut:
    return MarketOut.of(
        catalogue.set_market_status(
            session, clock, market_id, status, actor=trader.actor, reason=body.reason
        )
    )


@router.post(
    "/markets/{market_id}/suspend",
    response_model=MarketOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.MarketNotFound, errors.InvalidMarket),
)
def suspend(
    market_id: str, body: ReasonIn, trader: Trader, session: DbSession, clock: AppClock
) -> MarketOut:
    """Suspend a market: it takes no bets until reopened. Audited."""
    return _market_status(market_id, MarketStatus.SUSPENDED, body, trader, session, clock)


@router.post(
    "/markets/{market_id}/resume",
    response_model=MarketOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.MarketNotFound, errors.InvalidMarket),
)
def resume(
    market_id: str, body: ReasonIn, trader: Trader, session: DbSession, clock: AppClock
) -> MarketOut:
    """Reopen a suspended market. Audited."""
    return _market_status(market_id, MarketStatus.OPEN, body, trader, session, clock)


@router.put(
    "/selections/{selection_id}/price",
    response_model=SelectionOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.SelectionNotFound, errors.InvalidOdds),
)
def override_price(
    selection_id: str, body: PriceIn, trader: Trader, session: DbSession, clock: AppClock
) -> SelectionOut:
    """Set a trader's price for a selection (``null`` lifts it). Audited with before and
    after."""
    return SelectionOut.of(
        catalogue.override_price(
            session, clock, selection_id, body.price, actor=trader.actor, reason=body.reason
        )
    )


@router.put(
    "/players/{player_id}/stake-factor",
    status_code=204,
    responses=problem_responses(*PERMISSION_ERRORS, errors.InvalidBet),
)
def stake_factor(
    player_id: str, body: StakeFactorIn, trader: Trader, session: DbSession, clock: AppClock
) -> None:
    """A player's stake factor (0.5 halves their maximum stakes; 0 stops their bets).
    Audited."""
    betting.set_stake_factor(
        session, clock, player_id, body.factor, actor=trader.actor, reason=body.reason
    )


@router.post(
    "/markets/{market_id}/result",
    response_model=SettlementOut,
    responses=problem_responses(
        *PERMISSION_ERRORS,
        errors.MarketNotFound,
        errors.InvalidMarket,
        rule_errors.InvalidResult,
    ),
)
def enter_result(
    market_id: str, body: ResultIn, trader: Trader, session: DbSession, clock: AppClock
) -> SettlementOut:
    """Enter (or correct) a market's result and settle its bets; a correction settles them
    again and moves only the difference. Audited."""
    return SettlementOut.of(
        settlement.settle_market(
            session, clock, market_id, body.result, actor=trader.actor, reason=body.reason
        )
    )


@router.post(
    "/markets/{market_id}/void",
    response_model=SettlementOut,
    responses=problem_responses(*PERMISSION_ERRORS, errors.MarketNotFound),
)
def void(
    market_id: str, body: ReasonIn, trader: Trader, session: DbSession, clock: AppClock
) -> SettlementOut:
    """Void a market: its legs count at odds 1 and singles are refunded; each bet records
    who and why. Audited."""
    return SettlementOut.of(
        settlement.void_market(session, clock, market_id, actor=trader.actor, reason=body.reason)
    )


@router.get(
    "/void-report",
    response_model=list[VoidLineOut],
    responses=problem_responses(*PERMISSION_ERRORS),
)
def void_report(
    trader: Trader,  # noqa: ARG001
    session: ReadSession,
    day: Annotated[str, Query(description="YYYY-MM-DD (UTC)")],
) -> list[VoidLineOut]:
    """The bets with a void settled that day, with who voided and why (Louisiana VI-909)."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise InvalidRequest("The day is written YYYY-MM-DD.") from None
    start = datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
    return [VoidLineOut.of(line) for line in settlement.void_report(session, start)]

"""Player endpoints of the sportsbook: the catalogue, a bet slip quote, placing a bet, the
player's bets, and cash-out."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from croupier.core.players import authenticate_session
from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.batching import UnitOfWorkBatcher
from croupier.kernel.clock import Clock
from croupier.kernel.credentials import token_digest
from croupier.kernel.db import Database
from croupier.kernel.errors import DomainError
from croupier.kernel.ratelimit import Limit
from croupier.kernel.web import (
    AppClock,
    DbSession,
    ReadSession,
    bearer_token,
    client_ip,
    problem_responses,
    rate_limit,
)
from croupier.policy.compliance import errors as policy_errors
from croupier.products.sportsbook import betting, cashout, catalogue, errors
from croupier.products.sportsbook import settlement_errors as rule_errors
from croupier.products.sportsbook.models import Sport
from croupier.products.sportsbook.schemas import (
    AutoCashOutIn,
    AutoCashOutOut,
    BetIn,
    BetOut,
    CashOutIn,
    CashOutOut,
    CashOutQuoteOut,
    EventOut,
    EventWithMarketsOut,
    MarketOut,
    QuoteIn,
    QuoteOut,
)

router = APIRouter(prefix="/api/v1/sportsbook", tags=["sportsbook"])

# A player may send this many bet slips a minute.
BETS_PER_MINUTE = Limit("sportsbook:bets", 60, 60)
SLIP_ERRORS = (
    errors.UnknownSelection,
    errors.EventStarted,
    errors.MarketNotOpen,
    errors.RelatedSelections,
    errors.InvalidBet,
    rule_errors.UnknownBetType,
    rule_errors.InvalidLegCount,
)


@router.get("/events", response_model=list[EventWithMarketsOut], responses=problem_responses())
def list_events(
    session: ReadSession,
    sport: Sport | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[EventWithMarketsOut]:
    """Events not yet over, soonest first, with their markets and prices (public)."""
    return [
        EventWithMarketsOut(event=EventOut.of(event), markets=[MarketOut.of(m) for m in markets])
        for event, markets in catalogue.list_events(session, sport=sport, limit=limit)
    ]


@router.post(
    "/quote",
    response_model=QuoteOut,
    responses=problem_responses(*SESSION_ERRORS, *SLIP_ERRORS),
)
def quote(body: QuoteIn, auth: CurrentPlayer, session: DbSession, clock: AppClock) -> QuoteOut:
    """The bet slip before placing: lines, total stake, potential return at today's prices and
    the most the player may stake per line."""
    return QuoteOut.of(
        betting.quote(
            session, clock, auth.player_id, body.kind, tuple(body.selections), body.stake_per_line
        )
    )


@router.post(
    "/bets",
    response_model=BetOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *SESSION_ERRORS,
        *SLIP_ERRORS,
        errors.OddsChanged,
        errors.StakeTooHigh,
        errors.InsufficientFunds,
        policy_errors.SelfExcluded,
        policy_errors.TimedOut,
        policy_errors.AccountNotActive,
        policy_errors.ProductNotOffered,
        policy_errors.WagerLimitExceeded,
        policy_errors.LossLimitExceeded,
    ),
)
async def place_bet(body: BetIn, request: Request, clock: AppClock) -> BetOut:
    """Place a bet. Pre-match markets take no bet once the event has started (GLI-33); a
    changed price follows ``odds_policy`` (``none``, ``higher``, ``any``); the stake is held
    until settlement. In play the bet is ``pending`` for the in-play delay, then accepted if
    its markets are still open."""
    token = bearer_token(request)
    # Who is asking (the rate limit needs the player), then the bet with the session checked
    # and its use recorded, in the group commit of the process's bets (each bet its own
    # savepoint; many share one transaction and one lock of the house account).
    await run_in_threadpool(_count_slip, request, clock, token)
    slip = betting.BetRequest(
        client_id=body.id,
        kind=body.kind,
        selections=tuple(body.selections),
        stake_per_line=body.stake_per_line,
        prices=body.prices,
        odds_policy=body.odds_policy,
    )
    registers, geolocation, ip = (
        request.app.state.registers,
        request.app.state.geolocation,
        client_ip(request),
    )

    def place(session: Session) -> betting.BetView | DomainError:
        # A refusal is answered, not raised: every refusal of place_bet comes before it writes
        # anything of the bet, so the batch needs no savepoint per bet (a bet that raises
        # anything else sends its batch back to run with them).
        try:
            player = authenticate_session(session, clock, token)
            view, _ = betting.place_bet(
                session, clock, player.player_id, slip,
                registers=registers, geolocation=geolocation, ip=ip,
            )  # fmt: skip
        except DomainError as refusal:
            return refusal
        return view

    batcher: UnitOfWorkBatcher = request.app.state.sportsbook_batcher
    placed = await asyncio.wrap_future(batcher.submit(place))
    if isinstance(placed, DomainError):
        raise placed
    return BetOut.of(placed)


class TokenPlayers:
    """Which player a session token belongs to, remembered per process (least recently used
    out beyond ``size``): a token never changes hands, so the rate limit finds its key
    without a read per bet. Whether the session is still live (not revoked, expired or idle)
    is checked again inside the bet's own unit of work. Keyed by the token's digest."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._players: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def player_of(self, database: Database, clock: Clock, token: str) -> str:
        digest = token_digest(token)
        with self._lock:
            player_id = self._players.get(digest)
            if player_id is not None:
                self._players.move_to_end(digest)
                return player_id
        with database.read_only() as session:  # an unknown or invalid token: 401 here
            player_id = authenticate_session(session, clock, token).player_id
        with self._lock:
            self._players[digest] = player_id
            if len(self._players) > self._size:
                self._players.popitem(last=False)
        return player_id


def _count_slip(request: Request, clock: Clock, token: str) -> None:
    state = request.app.state
    players: TokenPlayers = state.sportsbook_token_players
    player_id = players.player_of(state.database, clock, token)
    rate_limit(request, BETS_PER_MINUTE, player_id, what="bet slips")


@router.get("/bets", response_model=list[BetOut], responses=problem_responses(*SESSION_ERRORS))
def my_bets(
    auth: CurrentPlayer,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[BetOut]:
    """The player's bets, newest first, with their legs and what they returned (an in-play
    bet shows ``pending`` until the delay is over and a job accepts or refuses it)."""
    return [BetOut.of(v) for v in betting.list_bets(session, auth.player_id, limit=limit)]


CASH_OUT_ERRORS = (errors.BetNotFound, errors.CashOutUnavailable, errors.InvalidCashOut)


def _cash_out_margin(request: Request) -> Fraction:
    return Fraction(request.app.state.settings.sportsbook_cash_out_margin)


@router.get(
    "/bets/{bet_id}/cash-out",
    response_model=CashOutQuoteOut,
    responses=problem_responses(*SESSION_ERRORS, *CASH_OUT_ERRORS),
)
def cash_out_quote(
    bet_id: str,
    request: Request,
    auth: CurrentPlayer,
    session: ReadSession,
    fraction: Annotated[str, Query(max_length=40, description="1, or a part: 0.5, 1/3")] = "1",
) -> CashOutQuoteOut:
    """What cashing out the bet (or ``fraction`` of its stake in play) pays now, priced from
    today's prices less the cash-out margin. Refused while a market of the bet is suspended or
    closed (``sportsbook.cash_out_unavailable`` with a ``reason``)."""
    return CashOutQuoteOut.of(
        cashout.quote_for_player(
            session,
            auth.player_id,
            bet_id,
            cashout.parse_fraction(fraction),
            margin=_cash_out_margin(request),
        )
    )


@router.post(
    "/bets/{bet_id}/cash-out",
    response_model=CashOutOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*SESSION_ERRORS, *CASH_OUT_ERRORS, errors.CashOutValueChanged),
)
def cash_out(
    bet_id: str,
    body: CashOutIn,
    request: Request,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
) -> CashOutOut:
    """Cash out the bet, or ``fraction`` of its stake in play (the rest of the bet runs on),
    for the value now. Send the value you were shown as ``expected_value``: a lower value now
    is refused (409, with the new ``value``); a higher one is paid. A retry with the same
    ``id`` returns the first result."""
    view = cashout.cash_out(
        session,
        clock,
        auth.player_id,
        bet_id,
        fraction=cashout.parse_fraction(body.fraction),
        expected_value=body.expected_value,
        client_id=body.id,
        margin=_cash_out_margin(request),
    )
    return CashOutOut.of(view)


@router.put(
    "/bets/{bet_id}/auto-cash-out",
    response_model=AutoCashOutOut,
    responses=problem_responses(*SESSION_ERRORS, *CASH_OUT_ERRORS),
)
def set_auto_cash_out(
    bet_id: str, body: AutoCashOutIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> AutoCashOutOut:
    """Cash the bet out in full, automatically, as soon as its cash-out value reaches
    ``at_value`` (at most its potential return); ``null`` removes the rule."""
    return AutoCashOutOut.of(
        cashout.set_auto_cash_out(session, clock, auth.player_id, bet_id, at_value=body.at_value)
    )

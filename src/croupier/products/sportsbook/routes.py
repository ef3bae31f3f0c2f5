"""Player endpoints of the sportsbook: the catalogue, a bet slip quote, placing a bet, the
player's bets, and cash-out."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Query, Request, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from croupier.core.players import (
    AuthenticatedPlayer,
    authenticate_session,
    authenticate_sessions,
    authenticate_sessions_with,
)
from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.batching import BulkBatcher
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
from croupier.policy.compliance.geo import Geolocation
from croupier.policy.compliance.registers import Registers
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
    # and its use recorded, in the process's group commit of bets, placed set-wise.
    state = request.app.state
    players: TokenPlayers = state.sportsbook_token_players
    player_id = players.known(token)
    if player_id is not None and not state.rate_limiter.blocking:
        rate_limit(request, BETS_PER_MINUTE, player_id, what="bet slips")  # in memory: no I/O
    else:
        await run_in_threadpool(_count_slip, request, clock, token)
    call = BetCall(
        token=token,
        slip=betting.BetRequest(
            client_id=body.id,
            kind=body.kind,
            selections=tuple(body.selections),
            stake_per_line=body.stake_per_line,
            prices=body.prices,
            odds_policy=body.odds_policy,
        ),
        ip=client_ip(request),
    )
    batcher: BulkBatcher[BetCall, betting.BetView | DomainError]
    batcher = request.app.state.sportsbook_batcher
    placed = await batcher.put(call)
    if isinstance(placed, DomainError):
        raise placed
    return BetOut.of(placed)


@dataclass(frozen=True, slots=True)
class BetCall:
    """A request to place a bet, as the batcher of bets receives it."""

    token: str
    slip: betting.BetRequest
    ip: str | None


def bet_batcher(
    database: Database,
    clock: Clock,
    *,
    registers: Registers | None,
    geolocation: Geolocation | None,
    token_players: TokenPlayers | None = None,
) -> BulkBatcher[BetCall, betting.BetView | DomainError]:
    """The process's group commit of bets: each batch authenticates its requests' sessions
    and places their slips set-wise (``betting.place_bets``), in one transaction. A refusal
    is an answer, not an error.

    When ``token_players`` knows every token of the batch (its player and cash account), the
    first round's reads and the ledger's lock (``betting.round_reads``) go in the sessions'
    own round trip; ``place_bets`` uses them only where the sessions' answer agrees."""
    known = token_players or TokenPlayers()

    def handle(session: Session, calls: list[BetCall]) -> list[betting.BetView | DomainError]:
        tokens = [call.token for call in calls]
        claims = [known.claim(token) for token in tokens]
        ahead = None
        if all(claims):
            claimed = [
                betting.Slip(c.player_id, call.slip, call.ip, c.cash_account_id, c.currency)
                for call, c in zip(calls, claims, strict=True)
                if c is not None
            ]
            statements, finish = betting.round_reads(session, clock, claimed)
            auths, rows = authenticate_sessions_with(session, clock, tokens, statements)
            ahead = finish(rows)
        else:
            auths = authenticate_sessions(session, clock, tokens)
        slips = []
        for token, call, auth in zip(tokens, calls, auths, strict=True):
            if not isinstance(auth, DomainError):
                known.remember(token, auth)
                slips.append(
                    betting.Slip(
                        auth.player_id, call.slip, call.ip, auth.cash_account_id, auth.currency
                    )
                )
        placed = iter(
            betting.place_bets(
                session, clock, slips, registers=registers, geolocation=geolocation, ahead=ahead
            )
        )
        answers: list[betting.BetView | DomainError] = []
        for auth in auths:
            if isinstance(auth, DomainError):
                answers.append(auth)
            else:
                bet = next(placed)
                answers.append(bet if isinstance(bet, DomainError) else bet[0])
        return answers

    return BulkBatcher(database, "sportsbook-bets", handle)


class Claim(NamedTuple):
    """What a session token stands for that never changes: its player, the player's cash
    account and currency."""

    player_id: str
    cash_account_id: str | None
    currency: str | None


class TokenPlayers:
    """Which player a session token belongs to, remembered per process (least recently used
    out beyond ``size``): a token never changes hands, so the rate limit finds its key
    without a read per bet. Whether the session is still live (not revoked, expired or idle)
    is checked again inside the bet's own unit of work. Keyed by the token's digest."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._players: OrderedDict[str, Claim] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, token: str) -> Claim | None:
        """The token's player and cash account if remembered (no I/O)."""
        digest = token_digest(token)
        with self._lock:
            found = self._players.get(digest)
            if found is not None:
                self._players.move_to_end(digest)
            return found

    def known(self, token: str) -> str | None:
        """The token's player if remembered (no I/O)."""
        found = self.claim(token)
        return None if found is None else found.player_id

    def remember(self, token: str, auth: AuthenticatedPlayer) -> None:
        digest = token_digest(token)
        with self._lock:
            self._players[digest] = Claim(auth.player_id, auth.cash_account_id, auth.currency)
            self._players.move_to_end(digest)
            if len(self._players) > self._size:
                self._players.popitem(last=False)

    def player_of(self, database: Database, clock: Clock, token: str) -> str:
        player_id = self.known(token)
        if player_id is not None:
            return player_id
        with database.read_only() as session:  # an unknown or invalid token: 401 here
            auth = authenticate_session(session, clock, token)
        self.remember(token, auth)
        return auth.player_id


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

"""Crash endpoints: the published chains and rounds (public), bets and cash-outs (players)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.kernel.crypto import Keyring
from croupier.kernel.web import AppClock, DbSession, ViewModel, client_ip, problem_responses
from croupier.products.rgs import errors as rgs_errors
from croupier.products.rgs.crash import errors, service
from croupier.products.rgs.crash.chain import GROWTH_PER_MS, MAX_MULTIPLIER, MIN_AUTO_CASHOUT
from croupier.products.rgs.player_routes import BET_REFUSALS

router = APIRouter(prefix="/api/v1", tags=["crash"])

# A crash bet is refused as a round is, except for what only per-player rounds check.
_NOT_FOR_CRASH = (
    rgs_errors.TooFast,
    rgs_errors.TitleNotFound,
    rgs_errors.UnfinishedRound,
    errors.PlayedInSharedRounds,
)
CRASH_BET_REFUSALS = tuple(e for e in BET_REFUSALS if e not in _NOT_FOR_CRASH)

_MAX_KEY = service.BET_KEY_MAX


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


# -- chains ----------------------------------------------------------------------------------


class ChainOut(ViewModel):
    id: str
    first_round: int
    last_round: int
    length: int
    terminating_hash: str = Field(description="h_0: every revealed round hash hashes to it")
    salt: str | None = Field(description="The rounds' client seed (rounds wait until it is set)")
    created_at: datetime
    salt_set_at: datetime | None


class CrashRulesOut(BaseModel):
    chains: list[ChainOut] = Field(description="The latest rounds first")
    betting_phase_ms: int
    pause_ms: int = Field(description="From a crash to the next round's betting")
    growth_per_ms: str = Field(description="m(t) = floor(100 * e^(growth * t ms)) hundredths")
    max_multiplier: int = Field(description="Hundredths: the round ends there at the latest")
    min_auto_cashout: int = Field(description="Hundredths")


@router.get("/crash/chain", response_model=CrashRulesOut)
def show_chain(session: DbSession) -> CrashRulesOut:
    """The published hash chains (public): each chain's terminating hash `h_0` and salt, and
    the rounds it covers; round `first_round + i - 1` uses the chain's `i`-th hash, and
    `sha256` of that hash (hex text) is the previous round's hash, down to `h_0`."""
    return CrashRulesOut(
        chains=[ChainOut.of(c) for c in service.list_chains(session)],
        betting_phase_ms=int(service.BETTING_PHASE.total_seconds() * 1000),
        pause_ms=int(service.PAUSE.total_seconds() * 1000),
        growth_per_ms=str(GROWTH_PER_MS),
        max_multiplier=MAX_MULTIPLIER,
        min_auto_cashout=MIN_AUTO_CASHOUT,
    )


# -- rounds ----------------------------------------------------------------------------------


class BetsSummaryOut(ViewModel):
    count: int
    cashed_out: int
    staked: dict[str, int] = Field(description="Per currency, ledger units")
    paid: dict[str, int] = Field(description="Per currency, ledger units")


class VerificationOut(ViewModel):
    command: str
    endpoint: str


class CrashRoundOut(ViewModel):
    number: int
    phase: str = Field(description="betting, running or crashed")
    now: datetime = Field(description="The server's time of this answer")
    betting_at: datetime
    running_at: datetime = Field(description="Bets close; the multiplier starts at 1.00x")
    multiplier: int = Field(description="Hundredths, now (where it ended once crashed)")
    elapsed_ms: int | None
    chain_id: str
    chain_index: int
    terminating_hash: str
    salt: str
    bets: BetsSummaryOut
    crash_point: int | None = Field(
        description="Once crashed: hundredths, as `fair verify limbo` prints (uncapped)"
    )
    crashed_at: datetime | None
    hash: str | None = Field(description="Once crashed: the round's chain hash (server seed)")
    previous_hash: str | None = Field(description="sha256 of hash: the previous round's")
    next_betting_at: datetime | None
    verify: VerificationOut | None


@router.get(
    "/crash/rounds/current",
    response_model=CrashRoundOut,
    responses=problem_responses(errors.CrashNoChain, validated=False),
)
def current_round(session: DbSession, clock: AppClock, request: Request) -> CrashRoundOut:
    """The round now (public): its phase, the multiplier at the server's time, a summary of
    the bets; once crashed, its hash and crash point. The first request after a round's
    crash and pause opens the next one."""
    return CrashRoundOut.of(service.current_round(session, clock, _keyring(request)))


@router.get(
    "/crash/rounds/{number}",
    response_model=CrashRoundOut,
    responses=problem_responses(errors.CrashRoundNotFound),
)
def show_round(
    number: Annotated[int, Path(ge=1, le=2**62)],
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> CrashRoundOut:
    """A round (public); after its crash: its hash, crash point and how to verify them."""
    return CrashRoundOut.of(service.get_round(session, clock, _keyring(request), number))


# -- bets ------------------------------------------------------------------------------------


class BetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        max_length=_MAX_KEY, description="Your id for this bet: sending it again is safe"
    )
    stake: int = Field(strict=True, description="Ledger units of your currency")
    currency: str = Field(max_length=8)
    auto_cashout: int | None = Field(
        default=None,
        strict=True,
        description=f"Hundredths, {MIN_AUTO_CASHOUT} to {MAX_MULTIPLIER}: cash out there",
    )
    round: int | None = Field(
        default=None, strict=True, description="The round you saw taking bets (optional)"
    )


class BetOut(ViewModel):
    id: str
    key: str
    round: int
    currency: str
    stake: int
    auto_cashout: int | None
    state: str = Field(description="active, cashed_out or lost")
    cashout: int | None = Field(description="Hundredths paid per unit of stake")
    cashout_kind: str | None = Field(description="manual, auto or cap")
    payout: int
    balance_before: int
    balance_after: int
    created_at: datetime
    settled_at: datetime | None
    crash_point: int | None
    replayed: bool


@router.post(
    "/crash/bets",
    response_model=BetOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *SESSION_ERRORS,
        *CRASH_BET_REFUSALS,
        errors.CrashBettingClosed,
        errors.CrashBetExists,
        errors.CrashNoChain,
    ),
)
def place_bet(
    body: BetIn, auth: CurrentPlayer, session: DbSession, clock: AppClock, request: Request
) -> BetOut:
    """A bet on the round in its betting phase: policy decides, the stake moves. The same
    `key` again answers the same bet (`replayed`) and moves nothing."""
    view = service.place_bet(
        session,
        clock,
        _keyring(request),
        auth.player_id,
        service.BetRequest(body.key, body.stake, body.currency, body.auto_cashout, body.round),
        login_session_id=auth.session_id,
        registers=request.app.state.registers,
        geolocation=request.app.state.geolocation,
        ip=client_ip(request),
    )
    return BetOut.of(view)


@router.post(
    "/crash/bets/{bet_id}/cashout",
    response_model=BetOut,
    responses=problem_responses(*SESSION_ERRORS, errors.BetNotFound, errors.CrashNotRunning),
)
def cash_out(
    bet_id: Annotated[str, Path(max_length=40)],
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> BetOut:
    """Cash out your bet at the multiplier of the server's now, while the round runs. Asking
    again answers the cash-out made."""
    return BetOut.of(service.cash_out(session, clock, _keyring(request), auth.player_id, bet_id))


@router.get(
    "/me/crash/bets", response_model=list[BetOut], responses=problem_responses(*SESSION_ERRORS)
)
def list_bets(
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
    before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[BetOut]:
    """Your crash bets, newest first, with the balance before and after each (page with
    `before`, the last `created_at` you saw)."""
    return [
        BetOut.of(v)
        for v in service.list_bets(
            session, clock, _keyring(request), auth.player_id, before=before, limit=limit
        )
    ]


@router.get(
    "/me/crash/bets/{bet_id}",
    response_model=BetOut,
    responses=problem_responses(*SESSION_ERRORS, errors.BetNotFound),
)
def recall_bet(
    bet_id: Annotated[str, Path(max_length=40)],
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> BetOut:
    """Game recall (GLI-19 §4.14) of one of your bets."""
    return BetOut.of(service.get_bet(session, clock, _keyring(request), auth.player_id, bet_id))

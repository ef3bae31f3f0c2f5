"""Player endpoints of the in-house games: titles and their math, seeds, rounds, recall."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field

from croupier.core.gamecontrol import GameDisabled, GamingSuspended, StakeAboveGameCap
from croupier.core.players.routes import SESSION_ERRORS, CurrentPlayer
from croupier.core.wallet.errors import InsufficientFunds
from croupier.kernel.crypto import Keyring
from croupier.kernel.web import AppClock, DbSession, ViewModel, client_ip, problem_responses
from croupier.policy.compliance import errors as compliance_errors
from croupier.policy.rg.errors import RealityCheckDue
from croupier.products.rgs import autoplay, errors, service
from croupier.products.rgs.crash.errors import PlayedInSharedRounds
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.catalogue import TITLES, par_sheets, title
from croupier.products.rgs.math import ParSheet

router = APIRouter(prefix="/api/v1", tags=["in-house games"])

BET_REFUSALS = (
    errors.InvalidBet,
    PlayedInSharedRounds,
    errors.InvalidStake,
    errors.RoundKeyReused,
    errors.TooFast,
    errors.TitleNotFound,
    errors.UnfinishedRound,
    GamingSuspended,
    GameDisabled,
    StakeAboveGameCap,
    InsufficientFunds,
    compliance_errors.SelfExcluded,
    compliance_errors.TimedOut,
    compliance_errors.AccountNotActive,
    compliance_errors.VerificationRequired,
    compliance_errors.ProductNotOffered,
    compliance_errors.StakeAboveCap,
    compliance_errors.WagerLimitExceeded,
    compliance_errors.LossLimitExceeded,
    compliance_errors.SessionTimeLimitReached,
    RealityCheckDue,
)


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


# -- titles and math ---------------------------------------------------------------------------


class ParSheetOut(BaseModel):
    configuration: str
    rtp: float = Field(description="Return to player, exact (as a fraction in rtp_exact)")
    rtp_exact: str
    hit_frequency: float
    win_frequency: float = Field(description="Chance a round returns more than the stake")
    volatility: float = Field(description="Standard deviation of the return per unit stake")
    max_multiplier: float
    max_probability: float = Field(description="Chance of the top award in one round")

    @classmethod
    def of(cls, sheet: ParSheet) -> ParSheetOut:
        return cls(
            configuration=sheet.configuration,
            rtp=float(sheet.rtp),
            rtp_exact=str(sheet.rtp),
            hit_frequency=float(sheet.hit_frequency),
            win_frequency=float(sheet.win_frequency),
            volatility=sheet.volatility,
            max_multiplier=float(sheet.max_multiplier),
            max_probability=float(sheet.max_probability),
        )


class TitleOut(BaseModel):
    code: str
    name: str
    mechanic: str
    rtp_min: float
    rtp_max: float
    max_multiplier: float


class TitleMathOut(TitleOut):
    configurations: list[ParSheetOut]


def _title_out(code: str) -> TitleMathOut:
    t = title(code)
    sheets = par_sheets(code)
    return TitleMathOut(
        code=t.code,
        name=t.name,
        mechanic=t.mechanic,
        rtp_min=float(min(s.rtp for s in sheets)),
        rtp_max=float(max(s.rtp for s in sheets)),
        max_multiplier=float(max(s.max_multiplier for s in sheets)),
        configurations=[ParSheetOut.of(s) for s in sheets],
    )


@router.get("/games", response_model=list[TitleOut])
def list_titles() -> list[TitleOut]:
    """Every in-house title with its RTP range and top award (public)."""
    return [TitleOut(**_title_out(code).model_dump(exclude={"configurations"})) for code in TITLES]


@router.get(
    "/games/{code}",
    response_model=TitleMathOut,
    responses=problem_responses(errors.TitleNotFound),
)
def show_title(code: Annotated[str, Path(max_length=40)]) -> TitleMathOut:
    """A title's PAR sheet for each configuration a player can choose (public)."""
    return _title_out(code)


# -- seeds -----------------------------------------------------------------------------------


class SeedPairOut(ViewModel):
    id: str
    server_seed_hash: str = Field(description="The commitment: sha256 of the server seed")
    client_seed: str
    next_nonce: int = Field(description="The nonce of the next round (rounds played so far)")
    created_at: datetime
    revealed_at: datetime | None
    server_seed: str | None = Field(description="Only once the pair is rotated")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_seed: str | None = Field(
        default=None, description="1-64 visible ASCII characters except ':'; random if absent"
    )


class RotationOut(BaseModel):
    revealed: SeedPairOut
    active: SeedPairOut


@router.get("/me/seeds", response_model=SeedPairOut, responses=problem_responses(*SESSION_ERRORS))
def get_seeds(
    auth: CurrentPlayer, session: DbSession, clock: AppClock, request: Request
) -> SeedPairOut:
    """The seed pair in play: the commitment shown before any round, the client seed, and
    the next nonce."""
    return SeedPairOut.of(service.active_seeds(session, clock, _keyring(request), auth.player_id))


@router.post(
    "/me/seeds/rotate",
    response_model=RotationOut,
    responses=problem_responses(*SESSION_ERRORS, errors.InvalidClientSeed, errors.RoundOpen),
)
def rotate_seeds(
    body: RotateIn, auth: CurrentPlayer, session: DbSession, clock: AppClock, request: Request
) -> RotationOut:
    """Reveal the server seed in play (to verify past rounds) and start a new pair with the
    client seed given (or a random one)."""
    revealed, active = service.rotate_seeds(
        session, clock, _keyring(request), auth.player_id, body.client_seed
    )
    return RotationOut(revealed=SeedPairOut.of(revealed), active=SeedPairOut.of(active))


@router.get(
    "/me/seeds/revealed",
    response_model=list[SeedPairOut],
    responses=problem_responses(*SESSION_ERRORS),
)
def revealed_seeds(auth: CurrentPlayer, session: DbSession) -> list[SeedPairOut]:
    """Retired seed pairs with their server seeds, newest first."""
    return [SeedPairOut.of(v) for v in service.revealed_seeds(session, auth.player_id)]


# -- rounds ----------------------------------------------------------------------------------


class RoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_key: str = Field(
        max_length=64, description="Your id for this round: sending it again is safe"
    )
    stake: int = Field(strict=True, description="Ledger units of your currency")
    params: dict[str, Any] = Field(default_factory=dict, description="The title's bet")


class RoundOut(ViewModel):
    id: str
    round_key: str
    title: str
    params: dict[str, Any]
    currency: str
    stake: int
    payout: int
    multiplier: str = Field(description="Exact multiplier of the stake paid back, e.g. 99/50")
    outcome: dict[str, Any]
    state: str
    seed_pair_id: str
    server_seed_hash: str
    client_seed: str
    nonce: int
    server_seed: str | None = Field(description="Once the seed pair has been rotated")
    balance_before: int
    balance_after: int
    created_at: datetime
    actions: list[dict[str, Any]] = Field(description="A multi-step round's moves so far")
    allowed: list[str] = Field(description="The moves open now (empty once settled)")
    steps: list[dict[str, Any]] | None = Field(
        default=None, description="Recall of a settled multi-step round: the view after each move"
    )
    replayed: bool = Field(description="True when this answers a request already made")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: int = Field(strict=True, ge=0, description="How many moves the round has had")
    action: str = Field(max_length=20, description="e.g. reveal, cashout")
    args: dict[str, Any] = Field(default_factory=dict, description='e.g. {"tile": 7}')


@router.post(
    "/games/{code}/rounds",
    response_model=RoundOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*SESSION_ERRORS, *BET_REFUSALS),
)
def play_round(
    code: Annotated[str, Path(max_length=40)],
    body: RoundIn,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> RoundOut:
    """Play one round: policy, stake, provably fair outcome and win in one step. The answer
    has the seeds' commitment and the nonce, to verify once the seeds are rotated."""
    view = service.play_round(
        session,
        clock,
        _keyring(request),
        auth.player_id,
        service.RoundRequest(code, body.round_key, body.stake, body.params),
        login_session_id=auth.session_id,
        registers=request.app.state.registers,
        geolocation=request.app.state.geolocation,
        ip=client_ip(request),
    )
    return RoundOut.of(view)


@router.get(
    "/me/rounds", response_model=list[RoundOut], responses=problem_responses(*SESSION_ERRORS)
)
def list_rounds(
    auth: CurrentPlayer,
    session: DbSession,
    title_code: Annotated[str | None, Query(alias="title", max_length=40)] = None,
    before: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RoundOut]:
    """Your rounds, newest first (page with `before`, the last `created_at` you saw)."""
    return [
        RoundOut.of(v)
        for v in service.list_rounds(
            session, auth.player_id, title=title_code, before=before, limit=limit
        )
    ]


@router.get(
    "/me/rounds/{round_id}",
    response_model=RoundOut,
    responses=problem_responses(*SESSION_ERRORS, errors.RoundNotFound),
)
def recall_round(
    round_id: Annotated[str, Path(max_length=40)],
    auth: CurrentPlayer,
    session: DbSession,
    request: Request,
) -> RoundOut:
    """Game recall (GLI-19 §4.14): the round as it was played, with balances before and
    after and, for a settled multi-step round, every intermediate step; a replay, not a new
    game."""
    return RoundOut.of(service.get_round(session, auth.player_id, round_id, _keyring(request)))


@router.post(
    "/me/rounds/{round_id}/actions",
    response_model=RoundOut,
    responses=problem_responses(
        *SESSION_ERRORS,
        errors.RoundNotFound,
        errors.RoundFinished,
        errors.ActionOutOfTurn,
        errors.InvalidAction,
        StakeAboveGameCap,
    ),
)
def act(
    round_id: Annotated[str, Path(max_length=40)],
    body: ActionIn,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> RoundOut:
    """A move in your open multi-step round (mines: `reveal` with `{"tile": n}`, `cashout`).
    Send `step`, the number of moves so far: a retry of the last move answers the round as it
    is; a stale step is `rgs.action_out_of_turn`. A round open when its game was disabled
    finishes (GLI-19 §4.15); a double or a split still respects the game's stake cap."""
    return RoundOut.of(
        service.act(
            session,
            clock,
            _keyring(request),
            auth.player_id,
            round_id,
            body.step,
            Action(body.action, body.args),
        )
    )


# -- autoplay (GLI-19 §4.9.2) ------------------------------------------------------------------


class AutoplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(max_length=40, description="A single-draw title or a slot")
    stake: int = Field(strict=True, description="Ledger units of your currency, every round")
    params: dict[str, Any] = Field(default_factory=dict, description="The title's bet")
    rounds: int = Field(strict=True, description=f"1 to {autoplay.MAX_ROUNDS}")
    loss_limit: int = Field(
        strict=True, description="Stop before the net loss could pass this (ledger units)"
    )
    single_win_limit: int | None = Field(
        default=None, strict=True, description="Stop after a round that pays at least this"
    )


class AutoplayOut(ViewModel):
    id: str
    title: str
    params: dict[str, Any]
    currency: str
    stake: int
    rounds: int
    rounds_played: int
    loss_limit: int
    single_win_limit: int | None
    staked: int
    returned: int
    net: int = Field(description="returned − staked")
    state: str = Field(description="running or stopped")
    stop_reason: str | None = Field(description="player, rounds_done, loss_limit or single_win")
    created_at: datetime
    stopped_at: datetime | None


class AutoplayRoundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round_key: str = Field(
        max_length=64, description="Your id for this round: sending it again is safe"
    )


class AutoplayRoundOut(BaseModel):
    round: RoundOut
    autoplay: AutoplayOut


AUTOPLAY_REFUSALS = (
    errors.AutoplayNotAllowed,
    errors.InvalidAutoplay,
    errors.AutoplayRunning,
    errors.InvalidBet,
    errors.InvalidStake,
    errors.TitleNotFound,
)


@router.post(
    "/me/autoplay",
    response_model=AutoplayOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(*SESSION_ERRORS, *AUTOPLAY_REFUSALS),
)
def start_autoplay(
    body: AutoplayIn, auth: CurrentPlayer, session: DbSession, clock: AppClock
) -> AutoplayOut:
    """Start an autoplay: the same bet for up to `rounds` rounds, stopping before the net
    loss could pass `loss_limit`, after a round paying at least `single_win_limit`, or when
    you stop it. Not offered where your jurisdiction forbids autoplay, nor for games with
    choices within a round. Then ask for each round with `POST /me/autoplay/{id}/rounds`."""
    view = autoplay.start_autoplay(
        session,
        clock,
        auth.player_id,
        autoplay.AutoplayRequest(
            body.title, body.stake, body.params, body.rounds, body.loss_limit,
            body.single_win_limit,
        ),
    )  # fmt: skip
    return AutoplayOut.of(view)


@router.get(
    "/me/autoplay/{autoplay_id}",
    response_model=AutoplayOut,
    responses=problem_responses(*SESSION_ERRORS, errors.AutoplayNotFound),
)
def get_autoplay(
    autoplay_id: Annotated[str, Path(max_length=40)], auth: CurrentPlayer, session: DbSession
) -> AutoplayOut:
    """An autoplay of yours, with its counters and why it stopped."""
    view = autoplay.get_autoplay(session, auth.player_id, autoplay_id)
    return AutoplayOut.of(view)


@router.post(
    "/me/autoplay/{autoplay_id}/stop",
    response_model=AutoplayOut,
    responses=problem_responses(*SESSION_ERRORS, errors.AutoplayNotFound),
)
def stop_autoplay(
    autoplay_id: Annotated[str, Path(max_length=40)],
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
) -> AutoplayOut:
    """Stop your autoplay now: no further round is played."""
    view = autoplay.stop_autoplay(session, clock, auth.player_id, autoplay_id)
    return AutoplayOut.of(view)


@router.post(
    "/me/autoplay/{autoplay_id}/rounds",
    response_model=AutoplayRoundOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(
        *SESSION_ERRORS, *BET_REFUSALS, errors.AutoplayNotFound, errors.AutoplayStopped,
        errors.AutoplayNotAllowed,
    ),
)  # fmt: skip
def play_autoplay_round(
    autoplay_id: Annotated[str, Path(max_length=40)],
    body: AutoplayRoundIn,
    auth: CurrentPlayer,
    session: DbSession,
    clock: AppClock,
    request: Request,
) -> AutoplayRoundOut:
    """The autoplay's next round, with its bet: every policy check and the minimum time
    between games apply as to any round. The answer shows whether the autoplay has stopped."""
    played, view = autoplay.play_autoplay_round(
        session,
        clock,
        _keyring(request),
        auth.player_id,
        autoplay_id,
        body.round_key,
        login_session_id=auth.session_id,
        registers=request.app.state.registers,
        geolocation=request.app.state.geolocation,
        ip=client_ip(request),
    )
    return AutoplayRoundOut(round=RoundOut.of(played), autoplay=AutoplayOut.of(view))

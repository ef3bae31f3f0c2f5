"""Public provably fair verification: the endpoint and the page (PROTOCOLS.md §1).

No account needed: anyone holding a round's revealed server seed, client seed and nonce can
recompute its outcome here, as with ``croupier fair verify`` or any third-party verifier.
Limited per IP, since it is public.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from croupier.kernel.config import Settings
from croupier.kernel.ratelimit import Limit, RateLimited
from croupier.kernel.web import ViewModel, client_ip, problem_responses, rate_limit
from croupier.products.rgs.errors import InvalidClientSeed, InvalidFairParameter, InvalidServerSeed
from croupier.products.rgs.fair import commitment
from croupier.products.rgs.verification import GAMES
from croupier.products.rgs.verification import verify as verify_round

router = APIRouter(tags=["provably fair"])
_PAGE = Path(__file__).with_name("verify.html")


class FairVerificationOut(ViewModel):
    game: str
    nonce: int
    commitment: str = Field(description="sha256 of the server seed: what was shown before play")
    outcome: dict[str, Any] = Field(
        description="dice {roll}, roulette {pocket}, limbo {multiplier}, cards {cards}, "
        "deck {cards}, keno {drawn}, mines {mines}, plinko {path, slot}, wheel {segment}, "
        "slots {spins}, tower {traps}"
    )


@router.get(
    "/api/v1/fair/verify",
    response_model=FairVerificationOut,
    responses=problem_responses(
        InvalidServerSeed, InvalidClientSeed, InvalidFairParameter, RateLimited
    ),
)
def verify(
    request: Request,
    game: Annotated[str, Query(description=f"One of: {', '.join(GAMES)}")],
    server_seed: Annotated[str, Query(max_length=64)],
    client_seed: Annotated[str, Query(max_length=64)],
    nonce: Annotated[int, Query(ge=0, le=2**63 - 1)],
    count: Annotated[int | None, Query(description="cards, deck (default 52)")] = None,
    mines: Annotated[int | None, Query(description="mines (default 3)")] = None,
    rows: Annotated[int | None, Query(description="plinko rows (default 16)")] = None,
    segments: Annotated[int | None, Query(description="wheel segments (default 10)")] = None,
    title: Annotated[str | None, Query(max_length=40, description="slots: the title")] = None,
    spins: Annotated[int | None, Query(description="slots: spins to read (default 1)")] = None,
    difficulty: Annotated[
        str | None, Query(max_length=10, description="tower: difficulty (default medium)")
    ] = None,
) -> FairVerificationOut:
    """The outcome of one round from its revealed seeds, and the commitment to compare with
    the one shown before play."""
    settings: Settings = request.app.state.settings
    rate_limit(
        request,
        Limit(
            "fair_verify:ip",
            settings.rate_limit_fair_verify_per_ip,
            settings.rate_limit_window_seconds,
        ),
        client_ip(request),
        what="verifications",
    )
    outcome = verify_round(
        game,
        server_seed,
        client_seed,
        nonce,
        count=count,
        mines=mines,
        rows=rows,
        segments=segments,
        title=title,
        spins=spins,
        difficulty=difficulty,
    )
    return FairVerificationOut(
        game=game, nonce=nonce, commitment=commitment(server_seed), outcome=outcome
    )


@router.get("/fair", response_class=HTMLResponse, include_in_schema=False)
def verification_page() -> HTMLResponse:
    """A page where a player pastes the seeds of a round and sees its outcome."""
    return HTMLResponse(_PAGE.read_text(encoding="utf-8"))

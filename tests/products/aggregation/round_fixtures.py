"""Provider rounds written straight into the table, as the seamless wallet leaves them: for the
tests of what reads them (live RTP, the stale-rounds job) without playing thousands of rounds
through the wallet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from croupier.kernel.clock import Clock
from croupier.kernel.db import Database
from croupier.kernel.ids import new_id
from croupier.products.aggregation.models import GameProvider, ProviderGame, ProviderRound
from tests.policy.policy_fixtures import player_in
from tests.products.aggregation.wallet_fixtures import GAME, PROVIDER, add_caleta_provider

EUR = 1_000_000  # ledger units of one euro


@dataclass(frozen=True)
class ProviderGameRefs:
    player_id: str
    provider_id: str
    game_id: str


def provider_game(
    db: Database, clock: Clock, *, rtp: str | None = "96", add_provider: bool = True
) -> ProviderGameRefs:
    """Provider acme with its game sweet-7 (theoretical RTP ``rtp`` percent) and a Maltese
    EUR player."""
    add_caleta_provider(db, clock, add=add_provider, rtp=rtp)
    player = player_in(db, clock, "MT")
    with db.read_only() as s:
        provider_id, game_id = s.execute(
            select(GameProvider.id, ProviderGame.id)
            .join(ProviderGame, ProviderGame.provider_id == GameProvider.id)
            .where(GameProvider.name == PROVIDER, ProviderGame.code == GAME)
        ).one()
    return ProviderGameRefs(player.id, provider_id, game_id)


def add_rounds(
    db: Database,
    refs: ProviderGameRefs,
    amounts: Iterable[tuple[int, int]],
    *,
    opened_at: datetime,
    status: str = "closed",
    currency: str = "EUR",
) -> list[str]:
    """One round per (staked, won), all opened at ``opened_at``; answers their ids."""
    rows = [
        ProviderRound(
            id=new_id("prd"),
            provider_id=refs.provider_id,
            round=new_id("R"),
            player_id=refs.player_id,
            game_id=refs.game_id,
            currency=currency,
            status=status,
            staked=staked,
            won=won,
            opened_at=opened_at,
            closed_at=opened_at if status == "closed" else None,
            closed_by="provider" if status == "closed" else None,
        )
        for staked, won in amounts
    ]
    with db.unit_of_work() as s:
        s.add_all(rows)
    return [r.id for r in rows]


def returning(rtp_percent: int, rounds: int, stake: int = EUR) -> list[tuple[int, int]]:
    """``rounds`` rounds of ``stake`` that pay twice the stake or nothing, returning exactly
    ``rtp_percent`` % in all (``rounds`` a multiple of 50)."""
    winners = rounds * rtp_percent // 200
    return [(stake, 2 * stake if i < winners else 0) for i in range(rounds)]

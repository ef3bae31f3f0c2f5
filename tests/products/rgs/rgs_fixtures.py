"""Helpers for the in-house game tests."""

from __future__ import annotations

from sqlalchemy import func, select, update

from croupier.core.wallet import get_balance
from croupier.core.wallet.models import LedgerTransfer
from croupier.kernel.config import Settings
from croupier.kernel.crypto import Keyring
from croupier.products.rgs.fair import NumberStream, RoundSeeds
from croupier.products.rgs.games.catalogue import title
from croupier.products.rgs.models import RgsRound, RgsSeedPair

KEYRING = Keyring.of(Settings(env="test"))  # the development key the test app seals with
SLOT = "golden-reef"  # a slot with free spins


def money_state(db, view):
    """Balance, transfers, rounds and the seed pairs' nonces: equal means nothing moved."""
    with db.read_only() as s:
        return (
            get_balance(s, view.cash_account_id).posted,
            s.scalar(select(func.count()).select_from(LedgerTransfer)),
            s.scalar(select(func.count()).select_from(RgsRound)),
            s.scalar(select(func.sum(RgsSeedPair.next_nonce))),
        )


def active_seeds(db, client) -> tuple[str, str, str]:
    """The player's seed pair as only the server knows it (the test opens the sealed seed)."""
    pair_id = client.get("/api/v1/me/seeds").json()["id"]
    with db.read_only() as s:
        pair = s.get(RgsSeedPair, pair_id)
        return pair.id, KEYRING.open(pair.server_seed_sealed, pair.id).decode(), pair.client_seed


def free_spins_next(db, client) -> tuple[int, int]:
    """Move the player's next nonce to one whose slot spin wins free spins (as if they had
    played that many rounds); answers the nonce and the free spins won."""
    pair_id, seed, client_seed = active_seeds(db, client)
    slot = title(SLOT)
    for nonce in range(20_000):
        step = slot.replay(NumberStream(RoundSeeds(seed, client_seed, nonce)), {}, [])
        if not step.finished:
            break
    else:
        raise AssertionError("no free spins in 20,000 spins")
    with db.unit_of_work() as s:
        s.execute(update(RgsSeedPair).where(RgsSeedPair.id == pair_id).values(next_nonce=nonce))
    return nonce, step.view["free_spins_won"]

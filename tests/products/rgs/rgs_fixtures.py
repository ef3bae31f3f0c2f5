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
from tests.policy.policy_fixtures import UNIT

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


def losing_run_next(db, client, game: str, params: dict, rounds: int) -> int:
    """Move the player's next nonce to the first of ``rounds`` rounds of the single-draw
    ``game`` that all lose, so a test of a loss threshold does not hang on the luck of the
    draw."""
    pair_id, seed, client_seed = active_seeds(db, client)
    played = title(game)
    for nonce in range(20_000):
        plays = [
            played.play(NumberStream(RoundSeeds(seed, client_seed, nonce + n)), params)
            for n in range(rounds)
        ]
        if all(play.multiplier == 0 for play in plays):
            break
    else:
        raise AssertionError(f"no run of {rounds} losses in 20,000 rounds")
    with db.unit_of_work() as s:
        s.execute(update(RgsSeedPair).where(RgsSeedPair.id == pair_id).values(next_nonce=nonce))
    return nonce


def deal_with_a_double(client, prefix: str, stake: int = UNIT) -> dict:
    """A blackjack round whose first move may be a double (no natural, no dealer blackjack);
    a deal that leaves no double is played out with stands first (GLI-19 §4.16: the same
    game starts again only once the open round is finished)."""
    for n in range(40):
        round_ = client.post(
            "/api/v1/games/blackjack-classic/rounds",
            json={"round_key": f"{prefix}{n}", "stake": stake, "params": {}},
        ).json()
        if round_["state"] == "open" and "double" in round_["allowed"]:
            return round_
        while round_["state"] == "open":
            take = {"take": False} if round_["allowed"] == ["insurance"] else {}
            name = "insurance" if take else "stand"
            round_ = client.post(
                f"/api/v1/me/rounds/{round_['id']}/actions",
                json={"step": len(round_["actions"]), "action": name, "args": take},
            ).json()
    raise AssertionError("no deal with a double in 40 rounds")

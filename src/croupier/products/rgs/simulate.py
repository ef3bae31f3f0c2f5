"""Seeded simulation of a single-draw title: the check that play() pays what the math says.

Rounds are played exactly as players play them, from the provably fair stream of a fixed seed
pair with nonces 0, 1, 2, …, so a run is reproducible and any round of it can be verified
with ``croupier fair verify``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

from croupier.products.rgs.fair import NumberStream, check_client_seed, check_server_seed
from croupier.products.rgs.games.base import Params, SingleDrawTitle


@dataclass(frozen=True, slots=True)
class SimulationResult:
    rounds: int
    returned: Fraction  # total multipliers paid, per unit stake
    hits: int  # rounds that returned anything
    top_awards: int  # rounds that paid the configuration's top award

    @property
    def rtp(self) -> float:
        return float(self.returned / self.rounds)


def simulation_seeds(label: str) -> tuple[str, str]:
    """A fixed server seed and client seed derived from ``label`` (reproducible runs)."""
    return hashlib.sha256(label.encode()).hexdigest(), "simulation"


def simulate(
    title: SingleDrawTitle,
    params: Params,
    rounds: int,
    *,
    label: str = "",
    top: Fraction | None = None,
) -> SimulationResult:
    """Play ``rounds`` rounds of ``title`` with checked ``params`` from a fixed seed pair."""
    server_seed, client_seed = simulation_seeds(label or f"{title.code}:{sorted(params.items())}")
    key = check_server_seed(server_seed).encode("ascii")
    check_client_seed(client_seed)
    # Counted by the multiplier object: titles return shared constants, and hashing a
    # Fraction a million times cost more than playing the rounds.
    counts: dict[int, int] = {}
    seen: dict[int, Fraction] = {}
    play_round, stream_of = title.play, NumberStream.of_checked
    for nonce in range(rounds):
        m = play_round(stream_of(key, client_seed, nonce), params).multiplier
        i = id(m)
        if i in counts:
            counts[i] += 1
        else:
            counts[i], seen[i] = 1, m
    totals: dict[Fraction, int] = {}
    for i, n in counts.items():
        totals[seen[i]] = totals.get(seen[i], 0) + n
    hits = sum(n for m, n in totals.items() if m > 0)
    returned = sum((m * n for m, n in totals.items()), Fraction(0))
    top_awards = totals.get(top, 0) if top is not None else 0
    return SimulationResult(rounds, returned, hits, top_awards)

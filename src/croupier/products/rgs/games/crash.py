"""Crash, as a title of the catalogue: its PAR sheet, and a single round for simulation.

The round itself is shared by every player and runs over time (``products/rgs/crash``); its
mathematics are limbo's. A crash point is PROTOCOLS.md §1's limbo mapping of the round's first
number, so a bet with an auto cash-out at ``t`` (1.01x … 1,000,000x) wins exactly when limbo
with target ``t`` would, and is paid ``t``: every cash-out target returns 99 % plus at most one
number's worth (``t / (100 · 2^32)``), 99.0000 %–99.0229 %. A bet without an auto cash-out
that is never cashed out rides to the cap, 1,000,000x, the top award.

The round crashes at 1.00x, before anyone can cash out, for the numbers ``k > 99 · 2^32 / 101``:
85,048,857 of 2^32, 1.98 % (not bustabit's 1 %: §1's formula floors to hundredths, so every
quotient below 1.01 shows 1.00x).

The per-player round endpoint refuses this title (``rgs.played_in_shared_rounds``): crash is
played at ``/api/v1/crash``. ``play`` exists for the seeded simulation and the benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from croupier.products.rgs.games.limbo import Limbo

PLAY_AT: Final = "/api/v1/crash"


@dataclass(frozen=True)
class Crash(Limbo):
    """Limbo's draw and payouts with ``target`` read as the auto cash-out; ``play_at`` tells
    the round engine that the title is played in shared rounds elsewhere."""

    code: str = "crash"
    name: str = "Crash"
    mechanic: str = "crash"
    fair_game: str = "limbo"
    play_at: str = PLAY_AT


CRASH: Final = Crash()

TITLES: Final = (CRASH,)

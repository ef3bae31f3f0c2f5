"""What `croupier fair verify` and the public endpoint answer, for every game.

The mappings of PROTOCOLS.md §1 live in :mod:`.fair`; slots add croupier's slot mapping,
which needs the title's reel strips: a spin takes one stop per reel, ``pick(len(strip))`` in
reel order, and each free spin reads on from the same stream, on the title's free-spin strips.
Tower adds croupier's tower mapping (``games/tower.py``): every floor's traps, bottom floor
first, ``{"traps": [[...], ...]}`` for a ``difficulty``.
"""

from __future__ import annotations

from croupier.products.rgs.errors import InvalidFairParameter
from croupier.products.rgs.fair import FAIR_GAMES, RoundSeeds, verify_outcome
from croupier.products.rgs.games.catalogue import TITLES
from croupier.products.rgs.games.slots import SlotTitle
from croupier.products.rgs.games.tower import DEFAULT_DIFFICULTY, LEVELS, trap_tiles

GAMES = (*FAIR_GAMES, "slots", "tower")
MAX_SPINS = 1_000


def slot_titles() -> list[str]:
    return [code for code, t in TITLES.items() if isinstance(t, SlotTitle)]


def verify(
    game: str,
    server_seed: str,
    client_seed: str,
    nonce: int,
    *,
    count: int | None = None,
    mines: int | None = None,
    rows: int | None = None,
    segments: int | None = None,
    title: str | None = None,
    spins: int | None = None,
    difficulty: str | None = None,
) -> dict[str, object]:
    """The round's outcome in the published shape; slots answer ``{"spins": [[stops], ...]}``:
    the base spin's stops, then each free spin's (``spins`` counts them all, default 1); tower
    answers ``{"traps": [[tiles], ...]}`` (``difficulty`` default medium)."""
    if game == "tower":
        level = DEFAULT_DIFFICULTY if difficulty is None else difficulty
        if level not in LEVELS:
            raise InvalidFairParameter(
                f"difficulty is one of {', '.join(LEVELS)}.", parameter="difficulty"
            )
        return {"traps": trap_tiles(RoundSeeds(server_seed, client_seed, nonce).stream(), level)}
    if game != "slots":
        return verify_outcome(
            game, server_seed, client_seed, nonce,
            count=count, mines=mines, rows=rows, segments=segments,
        )  # fmt: skip
    slot = TITLES.get(title or "")
    if not isinstance(slot, SlotTitle):
        raise InvalidFairParameter(
            f"slots needs --title, one of {', '.join(slot_titles())}.", parameter="title"
        )
    wanted = 1 if spins is None else spins
    if isinstance(wanted, bool) or not isinstance(wanted, int) or not 1 <= wanted <= MAX_SPINS:
        raise InvalidFairParameter(f"spins is 1 to {MAX_SPINS}.", parameter="spins")
    stream = RoundSeeds(server_seed, client_seed, nonce).stream()
    played = []
    for n in range(wanted):
        strips = slot.reels if n == 0 else slot.feature_reels
        played.append([stream.pick(len(s)) for s in strips])
    return {"spins": played}

"""Tower: climb nine floors by picking one tile on each; a trap ends the round, and the player
may cash out after any floor.

Each floor has the same number of tiles and of traps, set by the difficulty:

==========  =====  =====  ======================  ===================
difficulty  tiles  traps  a floor is safe         top award (9 floors)
==========  =====  =====  ======================  ===================
easy        4      1      3 in 4                  13.19x
medium      3      1      2 in 3                  38.06x
hard        2      1      1 in 2                  506.88x
expert      3      2      1 in 3                  19,486.17x
master      4      3      1 in 4                  259,522.56x
==========  =====  =====  ======================  ===================

After k safe floors the round pays ``0.99 / P(k safe floors) = 0.99 · (tiles / (tiles −
traps))^k``: the house edge is taken once, on the inverse of the chance of climbing that far,
so every strategy (any tiles, cash out after any floor) returns exactly 99 %, as in mines.
Climbing the ninth floor ends the round at once at the top award (nothing is left to choose).

**Croupier's tower mapping.** Every trap of the round is read from its stream before the first
pick, floor by floor from the bottom (floor 0), so what the player picks never changes what is
read. A floor of ``N`` tiles with ``T`` traps takes the next ``T`` numbers and draws its traps
without replacement as PROTOCOLS.md §1 draws mines and keno squares, on tiles ``0 … N − 1``:
draw ``j`` takes index ``pick(N − j)`` of the tiles not yet drawn, in ascending order. The round
reads ``9 · T`` numbers in all: floor ``f``'s traps come from numbers ``f·T … f·T + T − 1``.

*Verifying.* ``croupier fair verify tower --difficulty D`` (and the public endpoint) prints
``{"traps": [[...], ...]}``, every floor's traps bottom first. On ``hard`` (one trap of two
tiles) the traps are also the path of ``croupier fair verify plinko --rows 9``.

A round is replayed from its seeds and the player's moves, so where the traps are is never
stored, nor shown, while the round is open; a finished round shows every floor's traps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import NumberStream
from croupier.products.rgs.games.base import Action, Params, Step
from croupier.products.rgs.math import Outcome

RTP: Final = Fraction(99, 100)
ZERO: Final = Fraction(0)
FLOORS: Final = 9
PICK: Final = "pick"  # {"tile": n}: the tile of the next floor up
CASHOUT: Final = "cashout"


@dataclass(frozen=True, slots=True)
class Level:
    """A difficulty: how many tiles each floor has, and how many of them are traps."""

    tiles: int
    traps: int

    @property
    def safe(self) -> Fraction:
        """The chance that one floor's pick is safe."""
        return Fraction(self.tiles - self.traps, self.tiles)


LEVELS: Final[Mapping[str, Level]] = MappingProxyType(
    {
        "easy": Level(tiles=4, traps=1),
        "medium": Level(tiles=3, traps=1),
        "hard": Level(tiles=2, traps=1),
        "expert": Level(tiles=3, traps=2),
        "master": Level(tiles=4, traps=3),
    }
)
DEFAULT_DIFFICULTY: Final = "medium"


@lru_cache(maxsize=64)
def multiplier(difficulty: str, floors: int) -> Fraction:
    """What the round pays after ``floors`` safe floors (1 before the first): one shared
    object per value."""
    if floors == 0:
        return Fraction(1)
    return RTP / LEVELS[difficulty].safe ** floors


@lru_cache(maxsize=64)
def _text(difficulty: str, floors: int) -> str:
    # A view shows two multipliers; formatting a Fraction costs more than the rest of a step.
    return str(multiplier(difficulty, floors))


def trap_tiles(stream: NumberStream, difficulty: str) -> list[list[int]]:
    """Every floor's traps, bottom floor first, each floor's in draw order (croupier's tower
    mapping, in the module's docstring)."""
    level = LEVELS[difficulty]
    tiles, draw = level.tiles, stream.pick
    floors: list[list[int]] = []
    for _ in range(FLOORS):
        remaining = list(range(tiles))
        floors.append([remaining.pop(draw(tiles - j)) for j in range(level.traps)])
    return floors


def _check_difficulty(value: object) -> str:
    if not isinstance(value, str) or value not in LEVELS:
        raise InvalidBet(f"difficulty is one of {', '.join(LEVELS)}.", parameter="difficulty")
    return value


@dataclass(frozen=True)
class Tower:
    code: str = "tower"
    name: str = "Tower"
    mechanic: str = "tower"
    fair_game: str = "tower"

    def check(self, params: Params) -> Params:
        unknown = set(params) - {"difficulty"}
        if unknown:
            raise InvalidBet(f"Unknown parameter {sorted(unknown)[0]!r}.", parameter="params")
        return {"difficulty": _check_difficulty(params.get("difficulty", DEFAULT_DIFFICULTY))}

    def replay(self, stream: NumberStream, params: Params, actions: Sequence[Action]) -> Step:
        difficulty = params["difficulty"]
        level = LEVELS[difficulty]
        traps = trap_tiles(stream, difficulty)
        picked: list[int] = []  # the safe tile of each floor climbed
        over = False
        for i, action in enumerate(actions):
            if over:
                raise InvalidAction("The round is over.", action=action.name)
            if action.name == PICK:
                if set(action.args) != {"tile"}:
                    raise InvalidAction("pick takes one argument, tile.", parameter="args")
                tile = action.args["tile"]
                if isinstance(tile, bool) or not isinstance(tile, int):
                    tile = -1
                if not 0 <= tile < level.tiles:
                    raise InvalidAction(
                        f"tile is a tile of the floor, 0 to {level.tiles - 1}.", parameter="tile"
                    )
                if tile in traps[len(picked)]:
                    if i != len(actions) - 1:
                        raise InvalidAction("The round is over.", action=actions[i + 1].name)
                    return Step(
                        finished=True,
                        view=_view(difficulty, picked, traps=traps, hit=tile),
                        multiplier=ZERO,
                    )
                picked.append(tile)
                over = len(picked) == FLOORS  # the top: nothing is left to choose
            elif action.name == CASHOUT:
                if action.args:
                    raise InvalidAction("cashout takes no arguments.", parameter="args")
                if not picked:
                    raise InvalidAction("Climb a floor before cashing out.", action=CASHOUT)
                over = True
            else:
                raise InvalidAction(
                    f"Unknown action {action.name!r}: pick or cashout.", action=action.name
                )
        if over:
            return Step(
                finished=True,
                view=_view(difficulty, picked, traps=traps),
                multiplier=multiplier(difficulty, len(picked)),
            )
        return Step(
            finished=False,
            view=_view(difficulty, picked),
            allowed=(PICK, CASHOUT) if picked else (PICK,),
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        difficulty, k = params["difficulty"], params["floors"]
        survive = LEVELS[difficulty].safe ** k
        return [Outcome(survive, multiplier(difficulty, k)), Outcome(1 - survive, ZERO)]

    def configurations(self) -> Sequence[Params]:
        # Every difficulty, with every number of floors climbed before cashing out (9: the top).
        return [{"difficulty": d, "floors": k} for d in LEVELS for k in range(1, FLOORS + 1)]


def _view(
    difficulty: str,
    picked: list[int],
    *,
    traps: list[list[int]] | None = None,
    hit: int | None = None,
) -> dict[str, Any]:
    level, k = LEVELS[difficulty], len(picked)
    view: dict[str, Any] = {
        "difficulty": difficulty,
        "tiles": level.tiles,
        "traps": level.traps,
        "floors": FLOORS,
        "floor": k,  # floors climbed: the next pick is on this floor (0 the bottom)
        "picked": list(picked),
        "multiplier": _text(difficulty, k),
    }
    if traps is None:
        view["next_multiplier"] = _text(difficulty, k + 1)
    else:
        view["trap_tiles"] = [list(floor) for floor in traps]  # as the mapping reads them
        if hit is not None:
            view["hit"] = hit
    return view

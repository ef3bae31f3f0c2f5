"""Mines: a 5×5 field hides M mines; reveal safe tiles one by one and cash out before a mine.

The mines are the first M draws of PROTOCOLS.md §1's mines mapping (tiles 0..24). After k safe
reveals the round pays ``0.99 · C(25, k) / C(25 − M, k)``: the house edge is taken once, on the
inverse of the chance of surviving k reveals, so every strategy (cash out after any k) returns
exactly 99 %. Revealing the last safe tile ends the round at once (no choice is left).
A round is replayed from its seeds and the player's actions, so where the mines are is never
stored while the round is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import comb
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import MAX_MINES, MIN_MINES, MINES_TILES, NumberStream
from croupier.products.rgs.games.base import Action, Params, Step
from croupier.products.rgs.math import Outcome

RTP: Final = Fraction(99, 100)
ZERO: Final = Fraction(0)


@lru_cache(maxsize=1024)
def multiplier(mines: int, safe_revealed: int) -> Fraction:
    """What the round pays after ``safe_revealed`` safe tiles (1 before any reveal)."""
    if safe_revealed == 0:
        return Fraction(1)
    return RTP * comb(MINES_TILES, safe_revealed) / comb(MINES_TILES - mines, safe_revealed)


def _check_mines(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MINES <= value <= MAX_MINES:
        raise InvalidBet(f"mines is {MIN_MINES} to {MAX_MINES}.", parameter="mines")
    return value


@dataclass(frozen=True)
class Mines:
    code: str = "mines"
    name: str = "Mines"
    mechanic: str = "mines"
    fair_game: str = "mines"

    def check(self, params: Params) -> Params:
        unknown = set(params) - {"mines"}
        if unknown:
            raise InvalidBet(f"Unknown parameter {sorted(unknown)[0]!r}.", parameter="params")
        return {"mines": _check_mines(params.get("mines", 3))}

    def replay(self, stream: NumberStream, params: Params, actions: Sequence[Action]) -> Step:
        m = params["mines"]
        remaining = list(range(MINES_TILES))
        field = [remaining.pop(stream.pick(MINES_TILES - i)) for i in range(m)]
        mines = set(field)
        revealed: list[int] = []
        for i, action in enumerate(actions):
            if i and _finished(revealed, m, actions[i - 1]):
                raise InvalidAction("The round is over.", action=action.name)
            if action.name == "reveal":
                tile = action.args.get("tile")
                if (
                    isinstance(tile, bool)
                    or not isinstance(tile, int)
                    or not 0 <= tile < MINES_TILES
                    or tile in revealed
                ):
                    raise InvalidAction(
                        "tile is an unrevealed tile from 0 to 24.", parameter="tile"
                    )
                if tile in mines:
                    if i != len(actions) - 1:
                        raise InvalidAction("The round is over.", action=action.name)
                    return Step(
                        finished=True,
                        view=_view(m, revealed, mine_tiles=field, hit=tile),
                        multiplier=ZERO,
                    )
                revealed.append(tile)
            elif action.name == "cashout":
                if not revealed:
                    raise InvalidAction("Reveal a tile before cashing out.", action="cashout")
                if i != len(actions) - 1:
                    raise InvalidAction("The round is over.", action=action.name)
            else:
                raise InvalidAction(
                    f"Unknown action {action.name!r}: reveal or cashout.", action=action.name
                )
        if actions and _finished(revealed, m, actions[-1]):
            return Step(
                finished=True,
                view=_view(m, revealed, mine_tiles=field),
                multiplier=multiplier(m, len(revealed)),
            )
        return Step(
            finished=False,
            view=_view(m, revealed),
            allowed=("reveal", "cashout") if revealed else ("reveal",),
        )

    def distribution(self, params: Params) -> Sequence[Outcome]:
        m, k = params["mines"], params["reveals"]
        survive = Fraction(comb(MINES_TILES - m, k), comb(MINES_TILES, k))
        return [Outcome(survive, multiplier(m, k)), Outcome(1 - survive, ZERO)]

    def configurations(self) -> Sequence[Params]:
        # Every number of mines, with every number of safe reveals before cashing out.
        return [
            {"mines": m, "reveals": k}
            for m in range(MIN_MINES, MAX_MINES + 1)
            for k in range(1, MINES_TILES - m + 1)
        ]


def _finished(revealed: list[int], mines: int, last: Action) -> bool:
    return last.name == "cashout" or len(revealed) == MINES_TILES - mines


def _view(
    mines: int, revealed: list[int], *, mine_tiles: list[int] | None = None, hit: int | None = None
) -> dict[str, Any]:
    k = len(revealed)
    view: dict[str, Any] = {
        "mines": mines,
        "revealed": list(revealed),
        "multiplier": str(multiplier(mines, k)),
    }
    if mine_tiles is None:
        view["next_multiplier"] = str(multiplier(mines, k + 1)) if k < MINES_TILES - mines else None
    else:
        view["mine_tiles"] = list(mine_tiles)  # in draw order, as `croupier fair verify` prints
        if hit is not None:
            view["hit"] = hit
    return view

"""Sic bo: three dice; bets on their total, on numbers, doubles, triples and pairs of faces.

The dice are croupier's dice mapping: three numbers of the round's stream, each
``pick(6) + 1`` (the wheel pick of PROTOCOLS.md §1 over six faces), in order; ``croupier fair
verify wheel --segments 6`` shows the first die (add one), and the round's ``dice`` list shows
all three. A round carries 1 to 20 bets, each with a ``weight`` (its share of the stake, as in
roulette); it pays ``Σ weight_i · return_i / Σ weight_i`` per unit stake.

===============  ===========================================  ==========  =================
kind             wins when                                    pays        RTP
===============  ===========================================  ==========  =================
small / big      total 4–10 / 11–17, and not a triple         1:1         35/36 (97.22 %)
total            the total is ``total`` (4–17)                 by total    86.11 %–92.59 %
single           ``face`` shows on 1, 2 or 3 dice              1:1, 2:1, 3:1  199/216 (92.13 %)
double           ``face`` shows on at least two dice           11:1        8/9 (88.89 %)
triple           all three dice show ``face``                  190:1       191/216 (88.43 %)
any_triple       all three dice are equal                      30:1        31/36 (86.11 %)
combination      both ``faces`` (two different) show           6:1         35/36 (97.22 %)
===============  ===========================================  ==========  =================

Totals pay 62:1 (4 or 17), 30:1 (5, 16), 18:1 (6, 15), 12:1 (7, 14), 8:1 (8, 13), 7:1 (9, 12)
and 6:1 (10, 11). Several payouts sit a point above a land casino's table (17 pays 62:1, not
60:1; a double 11:1, not 10:1; a combination 6:1, not 5:1): at the usual figures those bets
return under 85 %, outside the band every title here keeps (GLI-19 §4.7.1 asks 75 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import product
from typing import Any, Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import NumberStream
from croupier.products.rgs.games.base import Params, Play
from croupier.products.rgs.math import Outcome

FACES: Final = range(1, 7)
TOTAL_PAYS: Final = {
    4: 62, 17: 62, 5: 30, 16: 30, 6: 18, 15: 18, 7: 12, 14: 12,
    8: 8, 13: 8, 9: 7, 12: 7, 10: 6, 11: 6,
}  # fmt: skip
KINDS: Final = (
    "small", "big", "total", "single", "double", "triple", "any_triple", "combination",
)  # fmt: skip
MAX_BETS: Final = 20
MAX_WEIGHT: Final = 1_000
ROLLS: Final = tuple(product(FACES, repeat=3))  # 216 equally likely rolls


def _face(bet: dict[str, Any], key: str) -> int:
    value = bet.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value not in FACES:
        raise InvalidBet(f"{key} is a face from 1 to 6.", parameter="bets")
    return value


def _one_bet(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidBet("Each bet is an object with a kind.", parameter="bets")
    kind = raw.get("kind")
    weight = raw.get("weight", 1)
    if kind not in KINDS:
        raise InvalidBet(f"kind is one of {', '.join(KINDS)}.", parameter="bets")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= MAX_WEIGHT:
        raise InvalidBet(f"weight is 1 to {MAX_WEIGHT}.", parameter="bets")
    bet: dict[str, Any] = {"kind": kind, "weight": weight}
    allowed = {"kind", "weight"}
    if kind == "total":
        total = raw.get("total")
        if isinstance(total, bool) or not isinstance(total, int) or total not in TOTAL_PAYS:
            raise InvalidBet("total is 4 to 17.", parameter="bets")
        bet["total"] = total
        allowed.add("total")
    elif kind in ("single", "double", "triple"):
        bet["face"] = _face(raw, "face")
        allowed.add("face")
    elif kind == "combination":
        faces = raw.get("faces")
        if not isinstance(faces, list) or len(faces) != 2:
            raise InvalidBet("faces are two different faces.", parameter="bets")
        pair = sorted(_face({"f": f}, "f") for f in faces)
        if pair[0] == pair[1]:
            raise InvalidBet("faces are two different faces.", parameter="bets")
        bet["faces"] = pair
        allowed.add("faces")
    extra = set(raw) - allowed
    if extra:
        raise InvalidBet(f"A {kind} bet takes no {sorted(extra)[0]!r}.", parameter="bets")
    return bet


def bet_return(bet: dict[str, Any], dice: tuple[int, int, int]) -> int:
    """What a unit on ``bet`` gives back on ``dice`` (stake included; 0 when lost)."""
    kind, total, triple = bet["kind"], sum(dice), dice[0] == dice[1] == dice[2]
    if kind == "small":
        return 2 if 4 <= total <= 10 and not triple else 0
    if kind == "big":
        return 2 if 11 <= total <= 17 and not triple else 0
    if kind == "total":
        return TOTAL_PAYS[total] + 1 if total == bet["total"] else 0
    if kind == "single":
        shown = dice.count(bet["face"])
        return shown + 1 if shown else 0
    if kind == "double":
        return 12 if dice.count(bet["face"]) >= 2 else 0
    if kind == "triple":
        return 191 if triple and dice[0] == bet["face"] else 0
    if kind == "any_triple":
        return 31 if triple else 0
    a, b = bet["faces"]
    return 7 if a in dice and b in dice else 0


@lru_cache(maxsize=65_536)
def _multiplier(bets_key: str, dice: tuple[int, int, int]) -> Fraction:
    import json

    bets = json.loads(bets_key)
    weight = sum(b["weight"] for b in bets)
    return Fraction(sum(b["weight"] * bet_return(b, dice) for b in bets), weight)


def _key(params: Params) -> str:
    import json

    return json.dumps(params["bets"], sort_keys=True)


@dataclass(frozen=True)
class SicBo:
    code: str = "sic-bo"
    name: str = "Sic Bo"
    mechanic: str = "sic-bo"
    fair_game: str = "wheel"

    def check(self, params: Params) -> Params:
        extra = set(params) - {"bets"}
        if extra:
            raise InvalidBet(f"Unknown parameter {sorted(extra)[0]!r}.", parameter="params")
        bets = params.get("bets")
        if not isinstance(bets, list) or not 1 <= len(bets) <= MAX_BETS:
            raise InvalidBet(f"bets is a list of 1 to {MAX_BETS} bets.", parameter="bets")
        return {"bets": [_one_bet(b) for b in bets]}

    def play(self, stream: NumberStream, params: Params) -> Play:
        dice = (stream.pick(6) + 1, stream.pick(6) + 1, stream.pick(6) + 1)
        return Play(multiplier=_multiplier(_key(params), dice), outcome={"dice": list(dice)})

    def distribution(self, params: Params) -> Sequence[Outcome]:
        key, p = _key(params), Fraction(1, len(ROLLS))
        return [Outcome(p, _multiplier(key, roll)) for roll in ROLLS]

    def configurations(self) -> Sequence[Params]:
        singles = [{"kind": k} for k in ("small", "big", "any_triple")]
        totals = [{"kind": "total", "total": t} for t in sorted(TOTAL_PAYS)]
        faces = [{"kind": k, "face": 1} for k in ("single", "double", "triple")]
        return [
            self.check({"bets": [bet]})
            for bet in [*singles, *totals, *faces, {"kind": "combination", "faces": [1, 2]}]
        ]


TITLES: Final[tuple[SicBo, ...]] = (SicBo(),)

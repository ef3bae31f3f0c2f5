"""Weighted bets of one kind each, as baccarat and dragon tiger take them.

A round carries 1 to N bets, at most one per kind, each with a ``weight``: its share of the
round's stake. Checked here once for every title that takes bets this way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.games.base import Params

MIN_WEIGHT: Final = 1
MAX_WEIGHT: Final = 1_000
DEFAULT_WEIGHT: Final = 1


def refused(index: int, detail: str) -> InvalidBet:
    return InvalidBet(f"Bet {index + 1}: {detail}", parameter="bets", bet=index)


def check_kind_bets(params: Params, kinds: Sequence[str]) -> Params:
    """``{"bets": [{"kind", "weight"}, ...]}`` checked: 1 to ``len(kinds)`` bets, one per kind,
    weights whole numbers from 1 to 1,000 (default 1), nothing else in a bet."""
    bets = params.get("bets")
    if not isinstance(bets, list | tuple) or not 1 <= len(bets) <= len(kinds):
        raise InvalidBet(f"bets is a list of 1 to {len(kinds)} bets.", parameter="bets")
    checked = [_check_bet(bet, i, kinds) for i, bet in enumerate(bets)]
    seen: set[str] = set()
    for i, bet in enumerate(checked):
        if bet["kind"] in seen:
            raise refused(i, f"one {bet['kind']} bet per round: raise its weight instead.")
        seen.add(bet["kind"])
    return {"bets": checked}


def _check_bet(bet: object, index: int, kinds: Sequence[str]) -> dict[str, Any]:
    if not isinstance(bet, Mapping):
        raise refused(index, "a bet is an object with a kind and a weight.")
    kind = bet.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise refused(index, f"kind is one of {', '.join(kinds)}.")
    weight = bet.get("weight", DEFAULT_WEIGHT)
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise refused(index, "weight is a whole number.")
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        raise refused(index, f"weight is from {MIN_WEIGHT} to {MAX_WEIGHT}.")
    extra = set(bet) - {"kind", "weight"}
    if extra:
        raise refused(index, f"{kind} takes no {', '.join(sorted(map(str, extra)))}.")
    return {"kind": kind, "weight": weight}

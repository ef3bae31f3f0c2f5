"""Every in-house title, by code, with its PAR sheets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from croupier.products.rgs.errors import TitleNotFound
from croupier.products.rgs.games import dice, keno, limbo, plinko, roulette, wheel
from croupier.products.rgs.games.base import SingleDrawTitle
from croupier.products.rgs.math import ParSheet, par_sheet

_ALL: tuple[SingleDrawTitle, ...] = (
    dice.Dice(),
    *limbo.TITLES,
    *roulette.TITLES,
    *plinko.TITLES,
    *keno.TITLES,
    *wheel.TITLES,
)

TITLES: Mapping[str, SingleDrawTitle] = MappingProxyType({t.code: t for t in _ALL})


def title(code: str) -> SingleDrawTitle:
    found = TITLES.get(code)
    if found is None:
        raise TitleNotFound(f"No game {code!r}.", title=code)
    return found


def configuration_label(params: Mapping[str, object]) -> str:
    """A short name for a configuration: ``rows=16``; a list of bets by their kinds."""

    def short(value: object) -> str:
        if isinstance(value, list) and all(isinstance(v, dict) for v in value):
            return "+".join(str(v.get("kind", "?")) for v in value)
        if isinstance(value, list):
            return ",".join(str(v) for v in value)
        return str(value)

    return " ".join(f"{k}={short(v)}" for k, v in sorted(params.items()))


def par_sheets(code: str) -> list[ParSheet]:
    """The exact PAR sheet of every configuration a player can choose."""
    t = title(code)
    return [
        par_sheet(t.code, configuration_label(params), t.distribution(params))
        for params in t.configurations()
    ]

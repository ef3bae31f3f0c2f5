"""Every in-house title, by code, with its PAR sheets."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from typing_extensions import TypeIs

from croupier.products.rgs.errors import TitleNotFound
from croupier.products.rgs.games import (
    baccarat,
    blackjack,
    casino_war,
    dice,
    dragon_tiger,
    hilo,
    keno,
    limbo,
    mines,
    plinko,
    roulette,
    wheel,
)
from croupier.products.rgs.games.base import MultiStepTitle, SingleDrawTitle
from croupier.products.rgs.math import ParSheet, par_sheet

Title = SingleDrawTitle | MultiStepTitle

_ALL: tuple[Title, ...] = (
    dice.Dice(),
    *limbo.TITLES,
    *roulette.TITLES,
    *plinko.TITLES,
    *keno.TITLES,
    *wheel.TITLES,
    *baccarat.TITLES,
    *dragon_tiger.TITLES,
    *casino_war.TITLES,
    mines.Mines(),
    *hilo.TITLES,
    *blackjack.TITLES,
)

TITLES: Mapping[str, Title] = MappingProxyType({t.code: t for t in _ALL})


def is_multi_step(t: Title) -> TypeIs[MultiStepTitle]:
    """Played over several requests (it replays the player's actions)."""
    return hasattr(t, "replay")


def title(code: str) -> Title:
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

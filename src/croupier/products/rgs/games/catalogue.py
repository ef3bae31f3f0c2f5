"""Every in-house title, by code, with its PAR sheets."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from typing_extensions import TypeIs

from croupier.products.rgs.errors import TitleNotFound
from croupier.products.rgs.games import (
    andar_bahar,
    baccarat,
    blackjack,
    casino_war,
    crash,
    dice,
    dragon_tiger,
    hilo,
    keno,
    limbo,
    mines,
    plinko,
    red_dog,
    roulette,
    sic_bo,
    slots_titles,
    three_card_poker,
    tower,
    video_poker,
    wheel,
)
from croupier.products.rgs.games.base import MultiStepTitle, SingleDrawTitle
from croupier.products.rgs.games.slots import SlotTitle
from croupier.products.rgs.math import ParSheet, par_sheet

Title = SingleDrawTitle | MultiStepTitle

_ALL: tuple[Title, ...] = (
    dice.Dice(),
    *limbo.TITLES,
    *crash.TITLES,
    *roulette.TITLES,
    *plinko.TITLES,
    *keno.TITLES,
    *wheel.TITLES,
    *baccarat.TITLES,
    *dragon_tiger.TITLES,
    *casino_war.TITLES,
    *sic_bo.TITLES,
    mines.Mines(),
    tower.Tower(),
    *hilo.TITLES,
    *blackjack.TITLES,
    *three_card_poker.TITLES,
    *red_dog.TITLES,
    *andar_bahar.TITLES,
    *video_poker.TITLES,
    *slots_titles.TITLES,
)

TITLES: Mapping[str, Title] = MappingProxyType({t.code: t for t in _ALL})

# Titles whose open rounds can play on without the player (free spins): the only ones the
# interrupted-rounds job needs to replay (GLI-19 §4.16).
PLAYS_ON_BY_ITSELF: frozenset[str] = frozenset(
    code for code, t in TITLES.items() if isinstance(t, SlotTitle) and t.free_spins
)


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


@cache
def par_sheets(code: str) -> tuple[ParSheet, ...]:
    """The exact PAR sheet of every configuration a player can choose (computed once per
    process: a slot's takes seconds)."""
    t = title(code)
    return tuple(
        par_sheet(t.code, configuration_label(params), t.distribution(params))
        for params in t.configurations()
    )


def warm_par_sheets() -> None:
    """Compute every title's PAR sheets now (a server does this in the background at start:
    the slots' take seconds, and the first visitor of the games list should not wait)."""
    for code in TITLES:
        par_sheets(code)

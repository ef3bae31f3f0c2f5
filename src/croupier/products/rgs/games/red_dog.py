"""Red Dog (acey-deucey): will the third card fall between the first two?

Dealt from one shuffled 52-card deck (PROTOCOLS.md §1, a full shuffled deck, read through
:class:`~croupier.products.rgs.games.deck.Deck`): the first card, the second, and the third
only when the game needs it, in deck order, so the settled view's ``cards`` are the first two
or three of ``croupier fair verify deck --count 3``. Cards rank 2 (lowest) to ace (highest);
suits do not matter.

- Two cards of consecutive ranks (a 6 and a 7): a push, the stake comes back; no third card.
- A pair: the third card is dealt at once; three of a kind pays 11:1, anything else pushes.
- Otherwise the *spread* is the number of ranks strictly between the two (a 5 and a 10: 4).
  The round waits for the player: ``raise`` stakes one more unit (the view's ``units_staked``
  goes from 1 to 2, which the round service debits) or ``call`` keeps the one. Then the third
  card: strictly between the two wins, by the spread, on everything staked; equal to either or
  outside loses everything staked.

==========  ======
spread      pays
==========  ======
1           5:1
2           4:1
3           2:1
4 to 11     1:1
==========  ======

The player may raise exactly one more unit (a table lets them raise up to the original bet:
raising less is never better, since each spread's expected win is linear in the raise). A
finished step's ``multiplier`` is the round's return per original stake: a raised win on a
one-card spread returns 2 · 6 = 12, the top award with three of a kind.

Exact returns, over the 52 · 51 ordered first two cards and the 50 cards left for the third:
with one deck the third card falls inside a spread s with chance 4s/50, and matches a pair
with chance 2/50. Raising a spread s adds ``4s/50 · (pay + 1) − 1`` to the expected win per
unit, positive exactly from s = 7 (28/50 · 2 − 1 = 3/25), so the PAR strategy raises on a
spread of 7 or more (``{"raise_from": 7}``; 12 never raises). The table, per original unit,
with the RTP as returned over staked, as blackjack reports it (module :mod:`.raises`):

===================  =========================  =========================  ============
strategy             E[returned] / E[staked]    RTP                        loss per bet
===================  =========================  =========================  ============
raise from 7 (PAR)   19,052/16,575 / 261/221    19,052/19,575 = 97.3282 %  3.1554 %
                     = 1.149442 / 1.180995
never raise          15,052/16,575 / 1          15,052/16,575 = 90.8115 %  9.1885 %
===================  =========================  =========================  ============

The loss per original bet with the PAR strategy, 523/16,575 = 3.1554 %, is the house edge
published for one deck (3.155 %, falling to about 2.5 % with eight decks), and raising from 7
is the strategy Wizard of Odds gives for any number of decks. Raising from 7 also gives
the highest RTP of every threshold (from 6: 97.25 %, from 8: 96.54 %).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, RANKS, SUITS, NumberStream
from croupier.products.rgs.games.base import Action, MultiStepTitle, Params, Step
from croupier.products.rgs.games.deck import RANK_OF, Deck
from croupier.products.rgs.games.raises import RoundOutcome, per_unit_staked
from croupier.products.rgs.math import Outcome

RAISE, CALL = "raise", "call"
ACTIONS: Final = (RAISE, CALL)
PAR_RAISE_FROM: Final = 7  # raise on a spread of 7 or more
NEVER: Final = len(RANKS) - 1  # raise_from 12: no spread is that wide (11 at most)
MAX_SPREAD: Final = len(RANKS) - 2

CONSECUTIVE: Final = "consecutive"
PAIR_PUSH: Final = "pair"
THREE_OF_A_KIND: Final = "three_of_a_kind"
WIN: Final = "win"
LOSE: Final = "lose"

TRIPS_RETURNS: Final = 12  # 11:1, stake included


def pays(spread: int) -> int:
    """What a winning third card pays to one, by the spread."""
    return {1: 5, 2: 4, 3: 2}.get(spread, 1)


def spread_of(first: int, second: int) -> int | None:
    """The ranks strictly between two cards' ranks; None for a pair (0 for consecutive)."""
    if first == second:
        return None
    return abs(first - second) - 1


def between(first: int, second: int, third: int) -> bool:
    low, high = sorted((first, second))
    return low < third < high


# -- exact distribution -----------------------------------------------------------------------


@lru_cache(maxsize=16)
def round_outcomes(raise_from: int) -> tuple[RoundOutcome, ...]:
    """The exact joint distribution of (returned, staked) per original unit when the player
    raises on spreads of ``raise_from`` or more: over ranks, four cards of each."""
    deck, suits = len(CARDS), len(SUITS)
    first_two = deck * (deck - 1)
    third = deck - 2
    out: dict[tuple[int, int], Fraction] = defaultdict(Fraction)
    for first in range(len(RANKS)):
        for second in range(len(RANKS)):
            ways = suits * (suits - 1) if first == second else suits * suits
            p = Fraction(ways, first_two)
            spread = spread_of(first, second)
            if spread is None:  # a pair: two cards of its rank are left
                trips = Fraction(suits - 2, third)
                out[TRIPS_RETURNS, 1] += p * trips
                out[1, 1] += p * (1 - trips)
            elif spread == 0:
                out[1, 1] += p
            else:
                units = 2 if spread >= raise_from else 1
                win = Fraction(suits * spread, third)
                out[units * (pays(spread) + 1), units] += p * win
                out[0, units] += p * (1 - win)
    return tuple(
        RoundOutcome(p, Fraction(r), Fraction(u)) for (r, u), p in sorted(out.items()) if p
    )


# -- a round ----------------------------------------------------------------------------------


def _check_raise_from(params: Params) -> int:
    raise_from = params.get("raise_from")
    if (
        set(params) != {"raise_from"}
        or isinstance(raise_from, bool)
        or not isinstance(raise_from, int)
        or not 1 <= raise_from <= NEVER
    ):
        raise InvalidBet(
            f"A strategy is raise_from, a spread from 1 to {NEVER} ({NEVER}: never raise).",
            parameter="raise_from",
        )
    return raise_from


@dataclass(frozen=True)
class RedDog:
    code: str = "red-dog"
    name: str = "Red Dog"
    mechanic: str = "red-dog"
    fair_game: str = "deck"

    def check(self, params: Params) -> Params:
        # Nothing to choose before the deal: the raise is a move.
        if params:
            name = sorted(map(str, params))[0]
            raise InvalidBet(f"Red Dog takes no parameter, got {name!r}.", parameter=name)
        return {}

    def replay(
        self,
        stream: NumberStream,
        params: Params,  # noqa: ARG002 (the protocol's signature; Red Dog has no bet parameters)
        actions: Sequence[Action],
    ) -> Step:
        deck = Deck(stream)
        first, second = deck.deal(), deck.deal()
        spread = spread_of(RANK_OF[first], RANK_OF[second])
        view: dict[str, Any] = {"spread": spread}
        if spread is None or spread == 0:
            if actions:
                raise InvalidAction("The round is over.", action=actions[0].name)
            if spread is None:  # a pair: the third card at once
                third = deck.deal()
                result = THREE_OF_A_KIND if RANK_OF[third] == RANK_OF[first] else PAIR_PUSH
            else:
                result = CONSECUTIVE
            returned = TRIPS_RETURNS if result == THREE_OF_A_KIND else 1
            return _settled(view, deck.dealt, result, returned, units=1)
        view["pays"] = f"{pays(spread)}:1"
        if not actions:
            view.update(cards=list(deck.dealt), units_staked="1")
            return Step(finished=False, view=view, allowed=ACTIONS)
        move = actions[0]
        if move.name not in ACTIONS:
            raise InvalidAction(f"Unknown action {move.name!r}: raise or call.", action=move.name)
        if move.args:
            raise InvalidAction(
                f"{move.name} takes no arguments.", parameter=sorted(map(str, move.args))[0]
            )
        if len(actions) > 1:
            raise InvalidAction("The round is over.", action=actions[1].name)
        units = 2 if move.name == RAISE else 1
        third = deck.deal()
        won = between(RANK_OF[first], RANK_OF[second], RANK_OF[third])
        view["raised"] = move.name == RAISE
        returned = units * (pays(spread) + 1) if won else 0
        return _settled(view, deck.dealt, WIN if won else LOSE, returned, units)

    def round_outcomes(self, params: Params) -> tuple[RoundOutcome, ...]:
        """The exact joint distribution of what a round returns and stakes, per original unit,
        with the strategy ``{"raise_from": k}``."""
        return round_outcomes(_check_raise_from(params))

    def distribution(self, params: Params) -> Sequence[Outcome]:
        # Per unit staked (module raises): the raise is money staked too.
        return per_unit_staked(self.round_outcomes(params))

    def configurations(self) -> Sequence[Params]:
        return [{"raise_from": PAR_RAISE_FROM}]


_RETURNS: Final[Mapping[int, Fraction]] = {n: Fraction(n) for n in range(2 * 6 + 1)}


def _settled(
    view: dict[str, Any], dealt: list[str], result: str, returned: int, units: int
) -> Step:
    multiplier = _RETURNS[returned]
    view.update(
        cards=list(dealt),  # deck order, as `croupier fair verify deck` prints
        result=result,
        units_staked=str(units),
        multiplier=str(multiplier),
    )
    return Step(finished=True, view=view, multiplier=multiplier)


RED_DOG: Final = RedDog()

TITLES: Final[tuple[MultiStepTitle, ...]] = (RED_DOG,)

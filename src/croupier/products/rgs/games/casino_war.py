"""Casino War: the player's card against the dealer's; the higher card wins even money.

Cards come from an infinite shoe, ``CARDS[pick(52)]`` (PROTOCOLS.md §1, cards with
replacement), read in the order they are dealt: the player's card, the dealer's card, and, if
there is a war, the player's war card and the dealer's war card (``croupier fair verify cards
--count 4`` shows all four). Cards rank ace high (2 lowest); suits do not rank.

A higher card than the dealer's pays 1:1 (the stake comes back twice); a lower one loses. On a
tie the standard game asks the player to surrender (lose half) or go to war by raising a second
stake equal to the first. A round here is one stake and one request, so the player chooses
before the deal what a tie will do (``on_tie``, ``"war"`` by default):

- ``"surrender"``: half the stake comes back.
- ``"war"``: no burn cards (in an infinite shoe they change nothing), one more card each, and
  the stake rides the war *without a raise*. The standard war pays the player's win on the
  raise only and pushes the original bet, and pays a bonus equal to the original bet when the
  war ties again; without the raise that is: war won, stake back (1x); war tied, even money
  (2x); war lost, stake lost. A player cannot lose more than the one stake.

Returns, exact (a tie is 1 in 13 with replacement, a win or a loss 6 in 13 each):

- on_tie war: ``12/13 + 1/13 · (6/13 · 1 + 1/13 · 2) = 164/169`` (97.04 %);
- on_tie surrender: ``12/13 + 1/13 · 1/2 = 25/26`` (96.15 %).

Going to war is the better choice, as in the standard game. Left out: the raise itself (a
second stake inside a round, which one request with one stake cannot carry) and the tie side
bet (10:1 on a tie of the first two cards returns 11/13, 84.6 %, below the 85 % band, with
replacement).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import CARDS, RANKS, NumberStream
from croupier.products.rgs.games.base import Params, Play, SingleDrawTitle
from croupier.products.rgs.math import Outcome

ON_TIE: Final = ("war", "surrender")
DEFAULT_ON_TIE: Final = "war"

# Ace high: the order of RANKS (2 lowest, A highest).
RANK_ORDER: Final[Mapping[str, int]] = {rank: i for i, rank in enumerate(RANKS)}

WIN: Final = "win"
LOSE: Final = "lose"
SURRENDER: Final = "surrender"
WAR_WIN: Final = "war_win"
WAR_LOSE: Final = "war_lose"
WAR_TIE: Final = "war_tie"

ZERO: Final = Fraction(0)
HALF: Final = Fraction(1, 2)
PUSH: Final = Fraction(1)
EVEN_MONEY: Final = Fraction(2)
# What one unit stake returns, by result (stake included).
RETURNS: Final[Mapping[str, Fraction]] = {
    WIN: EVEN_MONEY,
    LOSE: ZERO,
    SURRENDER: HALF,
    WAR_WIN: PUSH,  # the original bet pushes: the standard war pays on the raise only
    WAR_LOSE: ZERO,
    WAR_TIE: EVEN_MONEY,  # the standard bonus of one original bet on a tie in the war
}


def compare(player: str, dealer: str) -> int:
    """1 if the player's card is higher, -1 if lower, 0 on a tie (ace high, suits unranked)."""
    p, d = RANK_ORDER[player[0]], RANK_ORDER[dealer[0]]
    return (p > d) - (p < d)


@lru_cache(maxsize=len(ON_TIE))
def _results(on_tie: str) -> Mapping[str, Fraction]:
    """The exact probability of each result, over the 13 × 13 equally likely rank pairs of the
    first two cards and, for a war, of the war cards."""
    pairs = Fraction(1, len(RANKS) ** 2)
    chances = {1: ZERO, -1: ZERO, 0: ZERO}
    for p in RANKS:
        for d in RANKS:
            chances[compare(p, d)] += pairs
    if on_tie == "surrender":
        return {WIN: chances[1], LOSE: chances[-1], SURRENDER: chances[0]}
    return {
        WIN: chances[1],
        LOSE: chances[-1],
        WAR_WIN: chances[0] * chances[1],
        WAR_LOSE: chances[0] * chances[-1],
        WAR_TIE: chances[0] * chances[0],
    }


@dataclass(frozen=True)
class CasinoWar:
    code: str = "casino-war"
    name: str = "Casino War"
    mechanic: str = "casino-war"
    fair_game: str = "cards"

    def check(self, params: Params) -> Params:
        on_tie = params.get("on_tie", DEFAULT_ON_TIE)
        if not isinstance(on_tie, str) or on_tie not in ON_TIE:
            raise InvalidBet("on_tie is 'war' or 'surrender'.", parameter="on_tie")
        # A parameter this game does not take is refused rather than ignored: the player must
        # never believe the bet carries what it does not (a raise, a tie side bet).
        extra = sorted(map(str, set(params) - {"on_tie"}))
        if extra:
            raise InvalidBet(f"Casino War takes no {extra[0]}: only on_tie.", parameter=extra[0])
        return {"on_tie": on_tie}

    def play(self, stream: NumberStream, params: Params) -> Play:
        deck = len(CARDS)
        player, dealer = CARDS[stream.pick(deck)], CARDS[stream.pick(deck)]
        outcome: dict[str, Any] = {"cards": [player, dealer], "player": player, "dealer": dealer}
        first = compare(player, dealer)
        if first:
            result = WIN if first > 0 else LOSE
        elif params["on_tie"] == "surrender":
            result = SURRENDER
        else:
            player_war, dealer_war = CARDS[stream.pick(deck)], CARDS[stream.pick(deck)]
            outcome["cards"] += [player_war, dealer_war]
            outcome["war"] = {"player": player_war, "dealer": dealer_war}
            war = compare(player_war, dealer_war)
            result = WAR_TIE if war == 0 else WAR_WIN if war > 0 else WAR_LOSE
        outcome["result"] = result
        return Play(multiplier=RETURNS[result], outcome=outcome)

    def distribution(self, params: Params) -> Sequence[Outcome]:
        return [Outcome(p, RETURNS[result]) for result, p in _results(params["on_tie"]).items()]

    def configurations(self) -> Sequence[Params]:
        return [self.check({"on_tie": on_tie}) for on_tie in ON_TIE]


CASINO_WAR: Final = CasinoWar()

TITLES: Final[tuple[SingleDrawTitle, ...]] = (CASINO_WAR,)

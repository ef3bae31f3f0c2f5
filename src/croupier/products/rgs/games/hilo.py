"""Hi-Lo: guess whether the next card is higher or lower, bank the multiplier before a miss.

Cards are dealt with replacement from the round's stream, exactly as PROTOCOLS.md §1's
``cards`` mapping (card i = ``CARDS[pick(52)]``, read in order, so ``croupier fair verify
cards`` shows the round's cards). The first card is shown when the round starts; each guess or
skip deals the next one. Ranks go 2 < 3 < … < K < A; suits do not matter, so the next rank is
one of 13, each with chance 1/13 (four cards of 52), whatever came before.

The guesses open on a card of rank r (0 for a 2 … 12 for an ace) never win for certain:

- on a 3 to a K: ``higher`` (higher or the same rank, chance (13 − r)/13) and ``lower``
  (lower or the same, chance (r + 1)/13);
- on a 2: ``higher`` (strictly higher, 12/13) and ``same`` (another 2, 1/13);
- on an ace: ``lower`` (strictly lower, 12/13) and ``same`` (another ace, 1/13).

``skip`` deals the next card with nothing staked on it (at most 52 a round); ``cashout``
banks the multiplier and is open after at least one right guess. A right guess with chance P
multiplies the *pending* multiplier (1 at the start) by 1/P; a wrong one ends the round with
nothing. The round pays ``0.99 × pending``: the house edge is taken once, on the product.

No win exceeds 1,000,000× the stake: a guess that would take the payout above that is not
open. When no guess is open on the card showing and no skip could help (none left, or the
payout is so high that even a 12/13 guess on another card would pass the cap), there is no
choice left and the round settles at once (``auto_cashout``). The cap also bounds a round:
every right guess multiplies the pending value by at least 13/12, so there are at most 172 of
them (0.99 · (13/12)^173 > 10^6), and at most 52 skips.

Why every strategy returns exactly 99 % (the PAR sheet's fixed strategies included). Let
``R_n`` be the pending multiplier after n moves, 0 once a guess has missed. A skip leaves it
unchanged; a guess with chance P, made knowing everything dealt so far, meets a next rank that
is uniform and independent of the past, so ``E[R_{n+1} | past] = P · R_n / P + (1 − P) · 0 =
R_n``. ``R`` is a martingale with ``R_0 = 1``. The round stops at a bounded time (at most
172 + 1 guesses and 52 skips), so by optional stopping ``E[R_stop] = 1``. Every ending pays
exactly ``0.99 · R_stop`` (0 after a miss; 0.99 · R at a cash-out, chosen or automatic), so
the expected payout is 0.99 whatever the player does. The win cap only removes guesses from
the menu, never changes what a guess pays, so it leaves the argument intact; and cashing out
before any guess is refused because it would pay back 0.99 of the stake for no play at all.

The bet has no parameters. The PAR sheet reports the fixed strategies "guess the likelier side
(``higher`` on an 8), never skip, cash out after k right guesses" for k = 1 … 5
(``{"cashout_after": k}``), computed exactly; each returns 99/100.

The view: ``cards`` (the codes dealt so far, the last one showing), ``multiplier`` (what a
cash-out pays now: 1 before any right guess, 0 once lost), ``guesses`` (made, the missed one
included) and ``skips``. While open, ``higher_chance``, ``lower_chance`` and ``same_chance``
(``"7/13"``) and ``higher_multiplier`` … (what the cash-out would be after that guess comes
right) for each guess open now, ``None`` for the others; once finished, ``result``:
``lost``, ``cashout`` or ``auto_cashout``. A round is replayed from its seeds and the
player's actions; only cards already dealt are shown while it is open.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Final

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import CARDS, RANKS, SUITS, NumberStream
from croupier.products.rgs.games.base import Action, MultiStepTitle, Params, Step
from croupier.products.rgs.math import Outcome

RTP: Final = Fraction(99, 100)
ZERO: Final = Fraction(0)
ONE: Final = Fraction(1)
MAX_WIN: Final = 1_000_000  # the largest payout, per unit stake
MAX_SKIPS: Final = 52  # a deck's worth a round
LOWEST: Final = 0  # a 2
HIGHEST: Final = len(RANKS) - 1  # an ace
GUESSES: Final = ("higher", "lower", "same")
MOVES: Final = (*GUESSES, "skip", "cashout")
# The likeliest guess on any card has chance 12/13 (higher on a 2, lower on an ace).
_BEST_WINNING: Final = len(RANKS) - 1
_EDGE_TIMES_13: Final = RTP.numerator * len(RANKS)
_CAP: Final = RTP.denominator * MAX_WIN
# The fixed strategies of the PAR sheet: cash out after 1 … 5 right guesses.
PAR_CASHOUTS: Final = (1, 2, 3, 4, 5)


def open_guesses(rank: int) -> tuple[str, ...]:
    """The guesses offered on a card of ``rank``: none of them wins for certain."""
    if rank == LOWEST:
        return ("higher", "same")
    if rank == HIGHEST:
        return ("lower", "same")
    return ("higher", "lower")


def wins(rank: int, guess: str, next_rank: int) -> bool:
    """Whether ``guess``, made on a card of ``rank``, is right when ``next_rank`` comes."""
    if guess == "same":
        return next_rank == rank
    if guess == "higher":
        return next_rank > rank if rank == LOWEST else next_rank >= rank
    return next_rank < rank if rank == HIGHEST else next_rank <= rank


@lru_cache(maxsize=64)
def winning_ranks(rank: int, guess: str) -> int:
    """How many of the 13 ranks make ``guess``, on a card of ``rank``, right."""
    return sum(wins(rank, guess, n) for n in range(len(RANKS)))


def chance(rank: int, guess: str) -> Fraction:
    """The chance that ``guess`` on a card of ``rank`` is right."""
    return Fraction(winning_ranks(rank, guess), len(RANKS))


@lru_cache(maxsize=16)
def likelier_guess(rank: int) -> str:
    """The PAR strategy's guess: the open guess more likely to win (``higher`` on an 8,
    where both sides have 7/13)."""
    return max(open_guesses(rank), key=lambda g: winning_ranks(rank, g))


def payout(pending: Fraction) -> Fraction:
    """What cashing out pays per unit stake: the edge once, on the pending product."""
    return RTP * pending


@dataclass
class _Round:
    """A round being replayed: the cards dealt and the moves so far.

    The pending multiplier ``13^right / odds`` is kept as two integers (``odds`` is the
    product of the winning-rank counts of the right guesses), so the cap checks of every move
    are integer comparisons: a replay runs for every move and a million times in a simulation.
    """

    cards: list[str]
    rank: int  # of the card showing
    right: int = 0  # right guesses
    power: int = 1  # 13^right
    odds: int = 1
    guesses: int = 0  # guesses made: all right while the round is open
    skips: int = 0
    result: str | None = None  # "lost", "cashout", "auto_cashout" once finished

    @property
    def pending(self) -> Fraction:
        return Fraction(self.power, self.odds)

    def _within_cap(self, winning: int) -> bool:
        # 0.99 · pending · 13 / winning ≤ MAX_WIN, in integers
        return _EDGE_TIMES_13 * self.power <= _CAP * self.odds * winning

    def guesses_open(self) -> tuple[str, ...]:
        rank = self.rank
        if self._within_cap(1):  # even a 1/13 guess stays under the cap: all are open
            return open_guesses(rank)
        return tuple(g for g in open_guesses(rank) if self._within_cap(winning_ranks(rank, g)))

    def skip_open(self) -> bool:
        # A skip is no use once no card at all would offer a guess under the cap.
        return self.skips < MAX_SKIPS and self._within_cap(_BEST_WINNING)

    def allowed(self) -> tuple[str, ...]:
        return (
            *self.guesses_open(),
            *(("skip",) if self.skip_open() else ()),
            *(("cashout",) if self.right else ()),
        )

    def deal(self, stream: NumberStream) -> None:
        index = stream.pick(len(CARDS))
        self.cards.append(CARDS[index])
        self.rank = index // len(SUITS)

    def settle_if_no_choice(self) -> None:
        if not self.guesses_open() and not self.skip_open():
            self.result = "auto_cashout"


@dataclass(frozen=True)
class HiLo:
    code: str = "hilo"
    name: str = "Hi-Lo"
    mechanic: str = "hilo"
    fair_game: str = "cards"

    def check(self, params: Params) -> Params:
        # Nothing to choose before the round: every decision is a move.
        if params:
            name = sorted(params)[0]
            raise InvalidBet(f"Hi-Lo takes no parameter, got {name!r}.", parameter=name)
        return {}

    def replay(
        self,
        stream: NumberStream,
        params: Params,  # noqa: ARG002 (the protocol's signature; Hi-Lo has no bet parameters)
        actions: Sequence[Action],
    ) -> Step:
        state = _Round(cards=[], rank=LOWEST)
        state.deal(stream)
        for action in actions:
            if state.result is not None:
                raise InvalidAction("The round is over.", action=action.name)
            if action.name not in MOVES:
                raise InvalidAction(
                    f"Unknown action {action.name!r}: {', '.join(MOVES)}.", action=action.name
                )
            if action.args:
                arg = sorted(action.args)[0]
                raise InvalidAction(f"{action.name} takes no argument.", parameter=arg)
            if action.name not in state.allowed():
                raise InvalidAction(_why_not_open(state, action.name), action=action.name)
            if action.name == "cashout":
                state.result = "cashout"
            elif action.name == "skip":
                state.deal(stream)
                state.skips += 1
                state.settle_if_no_choice()
            else:
                rank = state.rank
                state.deal(stream)
                state.guesses += 1
                if wins(rank, action.name, state.rank):
                    state.right += 1
                    state.power *= len(RANKS)
                    state.odds *= winning_ranks(rank, action.name)
                    state.settle_if_no_choice()
                else:
                    state.result = "lost"
        if state.result is None:
            return Step(finished=False, view=_view(state), allowed=state.allowed())
        paid = ZERO if state.result == "lost" else payout(state.pending)
        return Step(finished=True, view=_view(state), multiplier=paid)

    def distribution(self, params: Params) -> Sequence[Outcome]:
        """The strategy "guess the likelier side, cash out after ``cashout_after`` right
        guesses, never skip", exactly, over the 13 first ranks."""
        k = params["cashout_after"]
        won: dict[Fraction, Fraction] = defaultdict(Fraction)
        for first in range(len(RANKS)):
            for probability, pending in _survivals(first, k):
                won[payout(pending)] += probability / len(RANKS)
        lost = 1 - sum(won.values(), ZERO)
        return [*(Outcome(p, m) for m, p in won.items()), Outcome(lost, ZERO)]

    def configurations(self) -> Sequence[Params]:
        return [{"cashout_after": k} for k in PAR_CASHOUTS]


@lru_cache(maxsize=256)
def _survivals(rank: int, guesses: int) -> tuple[tuple[Fraction, Fraction], ...]:
    """From a card of ``rank``, the ways to make ``guesses`` likelier-side guesses all right:
    (probability, pending multiplier) pairs, merged by multiplier. Memoised on (rank,
    guesses left), so the 13^k paths cost 13 · k states."""
    if guesses == 0:
        return ((ONE, ONE),)
    guess = likelier_guess(rank)
    p = chance(rank, guess)
    merged: dict[Fraction, Fraction] = defaultdict(Fraction)
    for next_rank in range(len(RANKS)):
        if wins(rank, guess, next_rank):
            for probability, pending in _survivals(next_rank, guesses - 1):
                merged[pending / p] += probability / len(RANKS)
    return tuple((probability, pending) for pending, probability in merged.items())


def _why_not_open(state: _Round, move: str) -> str:
    if move == "cashout":
        return "Make a right guess before cashing out."
    if move == "skip":
        if state.skips >= MAX_SKIPS:
            return f"No skip left: at most {MAX_SKIPS} a round."
        return f"No card would offer a guess under the {MAX_WIN}x cap: guess or cash out."
    offered = open_guesses(state.rank)
    if move not in offered:
        return f"{move} is not offered on a {RANKS[state.rank]}: {', '.join(offered)}."
    return f"{move} would pay more than the {MAX_WIN}x cap."


def _view(state: _Round) -> dict[str, Any]:
    view: dict[str, Any] = {
        "cards": list(state.cards),
        "multiplier": str(
            ZERO if state.result == "lost" else payout(state.pending) if state.right else ONE
        ),
        "guesses": state.guesses,
        "skips": state.skips,
    }
    if state.result is not None:
        view["result"] = state.result
        return view
    rank, offered = state.rank, state.guesses_open()
    for guess in GUESSES:
        is_open = guess in offered
        view[f"{guess}_chance"] = str(chance(rank, guess)) if is_open else None
        view[f"{guess}_multiplier"] = (
            str(payout(state.pending / chance(rank, guess))) if is_open else None
        )
    return view


HILO: Final = HiLo()
TITLES: Final[tuple[MultiStepTitle, ...]] = (HILO,)

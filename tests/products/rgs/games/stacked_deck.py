"""A stream that deals chosen cards from the top of the deck, for tests of the titles dealt
from one shuffled deck (PROTOCOLS.md §1): each pick is the wanted card's index among the cards
not yet dealt, in CARDS order, which is how the deck mapping reads a real stream."""

from __future__ import annotations

from croupier.products.rgs.fair import CARDS


class Stacked:
    def __init__(self, cards):
        self._wanted = iter(cards)
        self._left = list(CARDS)

    def pick(self, n):
        assert n == len(self._left)
        i = self._left.index(next(self._wanted))
        self._left.pop(i)
        return i


def stacked(*cards: str) -> Stacked:
    """These cards first, then the rest of the deck in CARDS order."""
    return Stacked([*cards, *(c for c in CARDS if c not in cards)])

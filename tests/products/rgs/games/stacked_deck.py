"""A stream that deals chosen cards from the top of the deck, for tests of the titles dealt
from one shuffled deck (PROTOCOLS.md §1): each pick is the wanted card's index among the cards
not yet dealt, in CARDS order, which is how the deck mapping reads a real stream."""

from __future__ import annotations

from croupier.products.rgs.fair import CARDS


class Stacked:
    def __init__(self, cards):
        self._wanted = iter(cards)
        self._left = list(CARDS)
        self.cursor = 0  # bytes read, as NumberStream counts them

    def pick(self, n):
        assert n == len(self._left)
        i = self._left.index(next(self._wanted))
        self._left.pop(i)
        self.cursor += 4
        return i

    def numbers(self, count):
        """The numbers k whose pick(len(left)), (k · n) >> 32, deal the wanted cards in turn
        (0 once the deck is out: a reader may read past the cards it needs)."""
        out = []
        for _ in range(count):
            n = len(self._left)
            if not n:
                out.append(0)
                continue
            i = self._left.index(next(self._wanted))
            self._left.pop(i)
            out.append((i * 2**32 + n - 1) // n)
        self.cursor += 4 * count
        return tuple(out)


def stacked(*cards: str) -> Stacked:
    """These cards first, then the rest of the deck in CARDS order."""
    return Stacked([*cards, *(c for c in CARDS if c not in cards)])

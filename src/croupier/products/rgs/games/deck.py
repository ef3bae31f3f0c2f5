"""Cards dealt one at a time from the round's shuffled deck (PROTOCOLS.md §1, a full shuffled
deck), for the titles dealt from one 52-card deck without replacement.

Card i of the deck (i = 0, 1, …) is the one at index ``pick(52 − i)`` of the cards not yet
dealt, kept in ``CARDS`` order: exactly :func:`~croupier.products.rgs.fair.shuffled_deck`, read
only as far as the game needs, so the cards a round dealt are the first K of
``croupier fair verify deck --count K``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from croupier.products.rgs.fair import CARDS, SUITS, NumberStream

# A card's rank as an index 0 (a 2) … 12 (an ace): the order of RANKS, ace high.
RANK_OF: Final[Mapping[str, int]] = {card: i // len(SUITS) for i, card in enumerate(CARDS)}
SUIT_OF: Final[Mapping[str, int]] = {card: i % len(SUITS) for i, card in enumerate(CARDS)}


class Deck:
    """The round's deck, dealt from the top: ``deal()`` takes the next card off the stream."""

    __slots__ = ("_left", "_stream", "dealt")

    def __init__(self, stream: NumberStream) -> None:
        self._stream = stream
        self._left = list(CARDS)
        self.dealt: list[str] = []  # in deck order

    def deal(self) -> str:
        if not self._left:
            raise ValueError("the deck is empty")  # no title deals past 52 cards
        card = self._left.pop(self._stream.pick(len(self._left)))
        self.dealt.append(card)
        return card

    def deal_many(self, count: int) -> list[str]:
        return [self.deal() for _ in range(count)]

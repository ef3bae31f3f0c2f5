"""For tests of the titles dealt from one shuffled deck (PROTOCOLS.md §1): a stream that deals
chosen cards from the top of the deck (each pick is the wanted card's index among the cards not
yet dealt, in CARDS order, which is how the deck mapping reads a real stream), and what
`croupier fair verify deck` prints for a round."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from croupier.app.cli import app
from croupier.products.rgs.fair import CARDS, RoundSeeds


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

    def rest_of_round(self):
        """The numbers up to the end of the current 32-byte round, or a whole next round."""
        left_in_round = (32 - self.cursor % 32) // 4
        return self.numbers(left_in_round)


def stacked(*cards: str) -> Stacked:
    """These cards first, then the rest of the deck in CARDS order."""
    return Stacked([*cards, *(c for c in CARDS if c not in cards)])


def verified_deck(seeds: RoundSeeds, count: int) -> list[str]:
    """The cards ``croupier fair verify deck --count K`` prints for the round's seeds."""
    options = {
        "--server-seed": seeds.server_seed,
        "--client-seed": seeds.client_seed,
        "--nonce": str(seeds.nonce),
        "--count": str(count),
    }
    args = ["fair", "verify", "deck", *(x for pair in options.items() for x in pair), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["cards"]

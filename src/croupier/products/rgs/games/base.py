"""What every single-draw title provides, so one round engine plays them all.

A *single-draw* title settles a bet from one reading of the provably fair number stream
(dice, limbo, roulette, keno, plinko, wheel, ...). A title:

- checks a bet's parameters (``check``) and refuses bad ones with ``InvalidBet`` (a stable
  code, nothing moves);
- plays a round from a fresh :class:`~croupier.products.rgs.fair.NumberStream` (``play``),
  returning the multiplier of the stake it pays and what the player saw;
- gives its exact outcome distribution for a configuration (``distribution``), from which the
  PAR sheet is computed, and lists every configuration a player can choose
  (``configurations``), each of which must return at least 75 % (GLI-19 §4.7.1).

Money stays out of titles: the engine pays ``floor(stake · multiplier)`` ledger units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple, Protocol

from croupier.products.rgs.fair import NumberStream
from croupier.products.rgs.math import Outcome

Params = Mapping[str, Any]


class Play(NamedTuple):
    """A settled single-draw round: the multiplier of the stake paid back (0 when lost) and
    what the player saw, in the shape of PROTOCOLS.md §1 where it applies. A named tuple: a
    frozen dataclass cost a tenth of a fast title's round just to be built."""

    multiplier: Fraction
    outcome: dict[str, Any]


class SingleDrawTitle(Protocol):
    # Read-only, so that frozen dataclasses satisfy the protocol.
    @property
    def code(self) -> str:
        """Stable and URL-safe: "dice", "plinko-high", "roulette-french"."""
        ...

    @property
    def name(self) -> str:
        """Shown to players."""
        ...

    @property
    def mechanic(self) -> str:
        """ "dice", "plinko", ...: the mechanics of the issue."""
        ...

    @property
    def fair_game(self) -> str:
        """Which mapping of PROTOCOLS.md §1 it reads ("dice", "keno", ...)."""
        ...

    def check(self, params: Params) -> Params:
        """The bet's parameters, validated and normalised (defaults filled in); raises
        ``InvalidBet`` naming the parameter."""
        ...

    def play(self, stream: NumberStream, params: Params) -> Play:
        """One round, from a fresh stream, with checked parameters."""
        ...

    def distribution(self, params: Params) -> Sequence[Outcome]:
        """The exact outcome distribution of one round with these (checked) parameters."""
        ...

    def configurations(self) -> Sequence[Params]:
        """Every configuration a player can choose, checked (for the RTP floor and the PAR
        sheet). A title whose bets have many equivalent forms lists one of each kind."""
        ...


@dataclass(frozen=True, slots=True)
class Action:
    """A player's move in a multi-step round: ``reveal`` with ``{"tile": 7}``, ``cashout``."""

    name: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """Where a multi-step round stands after its actions so far.

    ``view`` is what the player may see now (never a hidden card or mine of an unfinished
    round); ``allowed`` the actions open to them. A finished step has the multiplier the round
    pays (0 when lost); an unfinished one has ``multiplier`` None.

    ``automatic`` is the move an unfinished round makes by itself because the player has no
    choice left (the next free spin): an interrupted round is completed with it (GLI-19 §4.16).
    A step that waits for a real choice (a tile, hit or stand) has none.
    """

    finished: bool
    view: dict[str, Any]
    allowed: tuple[str, ...] = ()
    multiplier: Fraction | None = None
    automatic: Action | None = None


class MultiStepTitle(Protocol):
    """A title played in several requests (mines, hi-lo, ...), kept on the server.

    The round's state is only the player's actions: ``replay`` derives everything else from
    the round's provably fair stream, so no hidden outcome (where the mines are) is stored in
    the clear while the round is open, and recall can show every intermediate step.
    """

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def mechanic(self) -> str: ...

    @property
    def fair_game(self) -> str: ...

    def check(self, params: Params) -> Params:
        """The bet's parameters, validated; ``InvalidBet`` naming the parameter."""
        ...

    def replay(self, stream: NumberStream, params: Params, actions: Sequence[Action]) -> Step:
        """The round after ``actions`` from a fresh stream; ``InvalidAction`` if the last
        action is not open at that point."""
        ...

    def distribution(self, params: Params) -> Sequence[Outcome]:
        """The exact outcome distribution of one round played with the configuration's
        fixed strategy (``params`` include it, e.g. ``{"mines": 3, "reveals": 5}``)."""
        ...

    def configurations(self) -> Sequence[Params]:
        """Every configuration and strategy whose RTP the PAR sheet reports."""
        ...

"""The seven slot titles: their reel strips and paytables, designed in-house.

Each strip is written stop 0 first, as PROTOCOLS.md §1's slot mapping reads it (the engine and
its rules are in :mod:`croupier.products.rgs.games.slots`): a reel stopped at ``s`` shows the
symbols at ``s``, ``s + 1`` and ``s + 2``, wrapping round. Paytables are in line bets
(``stake / lines``) or, for the ways title, in coins (``stake / 20``) per way; scatter pays are
multiples of the whole stake. A symbol pays for the counts listed, from reel 1 on.

========================  ======================================  ==============================
title                     mechanics                               feature
========================  ======================================  ==============================
``lucky-sevens``          3 reels, 5 lines, wild                  none: every round is one spin
``golden-reef``           5 reels, 20 lines, wild, scatter        10 free spins, wins x2, the
                                                                  base strips
``jungle-ways``           5 reels, 243 ways, wild on reels 2-4,   8 free spins on their own
                          scatter                                 strips (more wilds, no scatter)
``star-gems``             5 reels, 10 lines, wild, scatter        10 free spins, wins x3, the
                                                                  base strips
``dragons-hoard``         5 reels, 25 lines, wild on reels 2-4,   12 free spins, wins x2, on
                          scatter                                 their own strips (more
                                                                  dragons and wilds)
``nile-treasures``        5 reels, 40 lines, wilds stacked three  10 free spins, wins x2, on
                          high on reels 2-4, scatter              their own strips (twice the
                                                                  wild stacks)
``frontier-gold``         3 reels, 9 lines, wild, scatter         10 free spins, wins x2, on
                                                                  their own strips (more wilds)
========================  ======================================  ==============================

Free spins come with 3 or more scatters anywhere in the base spin and never retrigger.

Exact figures (``tests/products/rgs/games/test_slots.py`` recomputes every RTP by hand), per
round with its free spins; "trigger" is the chance of the feature, "best spin" the top award of
one base spin:

===================  =======  =======  ==========  ========  =========  ===================
title                RTP      hit      volatility  trigger   best spin  top award (a round)
===================  =======  =======  ==========  ========  =========  ===================
``lucky-sevens``     95.91 %  37.77 %  2.57        -         30x        30x
``golden-reef``      95.75 %  50.03 %  3.04        1 in 96   100.25x    2,105.25x
``jungle-ways``      95.19 %  51.40 %  2.90        1 in 102  100.4x     663.6x
``star-gems``        96.62 %  35.25 %  4.35        1 in 96   217.5x     6,630x
``dragons-hoard``    95.72 %  55.49 %  5.68        1 in 102  215.8x     5,857.4x
``nile-treasures``   96.15 %  49.81 %  4.95        1 in 117  154.25x    3,406.125x
``frontier-gold``    96.05 %  43.79 %  4.23        1 in 138  37.11x     1,335.89x
===================  =======  =======  ==========  ========  =========  ===================

The top award of a title with free spins is the best base spin that awards them followed by
the best free spin every time: possible, with a vanishing probability (the PAR sheet gives it).
"""

from __future__ import annotations

from typing import Final

from croupier.products.rgs.games.base import MultiStepTitle
from croupier.products.rgs.games.slots import SlotTitle, strip

# Rows (0 top, 1 middle, 2 bottom) a line crosses on each reel; line 1 first.
LINES_5: Final = ((1, 1, 1), (0, 0, 0), (2, 2, 2), (0, 1, 2), (2, 1, 0))
LINES_20: Final = (
    (1, 1, 1, 1, 1),
    (0, 0, 0, 0, 0),
    (2, 2, 2, 2, 2),
    (0, 1, 2, 1, 0),
    (2, 1, 0, 1, 2),
    (0, 0, 1, 2, 2),
    (2, 2, 1, 0, 0),
    (1, 0, 0, 0, 1),
    (1, 2, 2, 2, 1),
    (1, 0, 1, 2, 1),
    (1, 2, 1, 0, 1),
    (0, 1, 0, 1, 0),
    (2, 1, 2, 1, 2),
    (1, 1, 0, 1, 1),
    (1, 1, 2, 1, 1),
    (0, 1, 1, 1, 0),
    (2, 1, 1, 1, 2),
    (0, 2, 0, 2, 0),
    (2, 0, 2, 0, 2),
    (1, 0, 2, 0, 1),
)
LINES_10: Final = LINES_20[:10]
LINES_25: Final = (
    *LINES_20,
    (0, 0, 2, 0, 0),
    (2, 2, 0, 2, 2),
    (0, 2, 2, 2, 0),
    (2, 0, 0, 0, 2),
    (1, 2, 0, 2, 1),
)

LINES_40: Final = (
    *LINES_25,
    (0, 0, 1, 0, 0),
    (2, 2, 1, 2, 2),
    (0, 1, 1, 1, 2),
    (2, 1, 1, 1, 0),
    (0, 0, 0, 1, 2),
    (2, 2, 2, 1, 0),
    (0, 1, 2, 2, 2),
    (2, 1, 0, 0, 0),
    (1, 0, 0, 0, 0),
    (1, 2, 2, 2, 2),
    (0, 0, 0, 0, 1),
    (2, 2, 2, 2, 1),
    (1, 0, 1, 0, 1),
    (1, 2, 1, 2, 1),
    (0, 2, 1, 2, 0),
)
# A 3 × 3 window: the rows, the diagonals and the four chevrons.
LINES_9: Final = (*LINES_5, (0, 1, 0), (2, 1, 2), (1, 0, 1), (1, 2, 1))

LUCKY_SEVENS: Final = SlotTitle(
    code="lucky-sevens",
    name="Lucky Sevens",
    reels=(
        strip(
            "WILD BELL BAR3 BAR1 CHERRY BAR2 BELL BAR1 SEVEN BAR3 BELL CHERRY"
            " BAR2 BAR1 BELL CHERRY BAR1 BAR2 BAR3 SEVEN BELL BAR1 CHERRY BAR2"
        ),
        strip(
            "CHERRY BAR2 BELL BAR1 BAR3 CHERRY BELL BAR2 BAR1 WILD BELL SEVEN"
            " CHERRY BAR3 BAR2 BAR1 BELL BAR1 CHERRY BAR2 BAR3 BELL BAR1 SEVEN"
        ),
        strip(
            "BAR1 CHERRY BAR2 BELL SEVEN BAR1 BAR3 CHERRY BELL BAR2 BAR1 BELL"
            " CHERRY BAR1 BAR2 BAR3 SEVEN WILD BELL BAR1 CHERRY BAR2 BELL BAR3"
        ),
    ),
    pays={
        "SEVEN": {3: 100},
        "BAR3": {3: 40},
        "BAR2": {3: 20},
        "BAR1": {3: 10},
        "BELL": {3: 7},
        "CHERRY": {2: 2, 3: 8},
    },
    lines=LINES_5,
    wild="WILD",
)

GOLDEN_REEF: Final = SlotTitle(
    code="golden-reef",
    name="Golden Reef",
    reels=(
        strip(
            "WILD CRAB 10 K J TURTLE FISH Q A 10 CRAB J OCTO K"
            " Q 10 A SHELL J CRAB FISH Q K 10 J A OCTO Q"
        ),
        strip(
            "A Q OCTO 10 CRAB WILD K J A 10 FISH Q J CRAB"
            " K TURTLE OCTO 10 WILD A J Q CRAB 10 K FISH J SHELL"
        ),
        strip(
            "K FISH J A Q WILD CRAB OCTO 10 K SHELL FISH J A"
            " Q WILD CRAB 10 K FISH J OCTO A Q WILD CRAB 10 TURTLE"
        ),
        strip(
            "Q WILD CRAB 10 K TURTLE FISH J A Q CRAB 10 K OCTO"
            " FISH J WILD A TURTLE Q CRAB SHELL 10 K FISH J A OCTO"
        ),
        strip(
            "J A Q SHELL 10 OCTO CRAB J K Q A 10 FISH WILD"
            " J CRAB K Q 10 OCTO A TURTLE J Q CRAB 10 K FISH"
        ),
    ),
    pays={
        "TURTLE": {3: 40, 4: 150, 5: 750},
        "OCTO": {3: 30, 4: 100, 5: 400},
        "FISH": {3: 20, 4: 60, 5: 250},
        "CRAB": {3: 15, 4: 50, 5: 150},
        "A": {3: 10, 4: 35, 5: 120},
        "K": {3: 10, 4: 30, 5: 100},
        "Q": {3: 5, 4: 20, 5: 60},
        "J": {3: 5, 4: 15, 5: 50},
        "10": {3: 5, 4: 10, 5: 40},
    },
    lines=LINES_20,
    wild="WILD",
    scatter="SHELL",
    scatter_pays={3: 4, 4: 20, 5: 100},
    free_spins=10,
    free_multiplier=2,
)

JUNGLE_WAYS: Final = SlotTitle(
    code="jungle-ways",
    name="Jungle Ways",
    reels=(
        strip(
            "SNAKE 10 K J TIGER PARROT Q A 10 K SNAKE J APE Q"
            " 10 A K IDOL J SNAKE PARROT Q 10 K J A APE Q"
        ),
        strip(
            "A Q APE 10 SNAKE WILD K J Q A 10 PARROT J SNAKE K"
            " Q TIGER APE 10 WILD A J SNAKE Q 10 K PARROT J IDOL"
        ),
        strip(
            "K PARROT J A Q 10 SNAKE APE J K IDOL WILD PARROT 10 A"
            " Q J SNAKE K 10 PARROT APE A J WILD Q SNAKE 10 TIGER"
        ),
        strip(
            "Q WILD SNAKE 10 K J Q A PARROT 10 TIGER SNAKE J K APE"
            " Q WILD 10 A J SNAKE IDOL Q PARROT K 10 J A APE"
        ),
        strip(
            "J A Q IDOL 10 APE SNAKE K J Q A 10 K PARROT"
            " J SNAKE Q 10 APE K A TIGER J Q SNAKE 10 K PARROT"
        ),
    ),
    free_reels=(
        strip(
            "SNAKE 10 K TIGER J PARROT Q A 10 SNAKE J APE K Q"
            " PARROT 10 A TIGER J SNAKE Q K 10 PARROT J A APE Q"
        ),
        strip(
            "A WILD Q APE SNAKE 10 K PARROT TIGER J WILD A Q SNAKE 10"
            " K WILD APE PARROT J A Q TIGER SNAKE WILD 10 K PARROT J"
        ),
        strip(
            "K PARROT J A WILD Q SNAKE APE 10 K PARROT WILD J A TIGER"
            " Q SNAKE 10 WILD K PARROT J APE A Q WILD SNAKE 10 TIGER"
        ),
        strip(
            "Q WILD SNAKE 10 K TIGER PARROT J A WILD Q SNAKE 10 K APE"
            " WILD PARROT J A TIGER Q SNAKE 10 WILD K PARROT J A APE"
        ),
        strip(
            "J A Q 10 APE SNAKE J K PARROT Q TIGER A 10 J"
            " SNAKE K Q PARROT 10 APE A J Q SNAKE TIGER 10 K PARROT"
        ),
    ),
    pays={
        "TIGER": {3: 25, 4: 80, 5: 300},
        "APE": {3: 20, 4: 50, 5: 200},
        "PARROT": {3: 15, 4: 40, 5: 125},
        "SNAKE": {3: 10, 4: 25, 5: 100},
        "A": {3: 6, 4: 15, 5: 50},
        "K": {3: 6, 4: 12, 5: 40},
        "Q": {3: 5, 4: 10, 5: 30},
        "J": {3: 4, 4: 8, 5: 25},
        "10": {3: 4, 4: 6, 5: 20},
    },
    ways_bet=20,
    wild="WILD",
    scatter="IDOL",
    scatter_pays={3: 3, 4: 15, 5: 100},
    free_spins=8,
)

STAR_GEMS: Final = SlotTitle(
    code="star-gems",
    name="Star Gems",
    reels=(
        strip(
            "WILD SAPPHIRE K J A Q DIAMOND EMERALD J K SAPPHIRE Q RUBY A"
            " J K Q STAR A SAPPHIRE J EMERALD Q K J RUBY A Q"
        ),
        strip(
            "A Q RUBY SAPPHIRE K J WILD A Q J EMERALD K SAPPHIRE A"
            " Q J DIAMOND RUBY K WILD A J SAPPHIRE Q EMERALD K J STAR"
        ),
        strip(
            "K J EMERALD A Q J K SAPPHIRE RUBY A STAR EMERALD Q J"
            " K SAPPHIRE A J Q EMERALD WILD K RUBY J A Q SAPPHIRE DIAMOND"
        ),
        strip(
            "Q WILD SAPPHIRE K J A Q EMERALD J K DIAMOND SAPPHIRE A RUBY"
            " Q J WILD K A J SAPPHIRE STAR Q EMERALD K J A RUBY"
        ),
        strip(
            "J A Q STAR RUBY SAPPHIRE K J Q A J K EMERALD Q"
            " WILD SAPPHIRE A J RUBY Q K DIAMOND A J SAPPHIRE Q K EMERALD"
        ),
    ),
    pays={
        "DIAMOND": {2: 5, 3: 50, 4: 250, 5: 2000},
        "RUBY": {3: 30, 4: 100, 5: 500},
        "EMERALD": {3: 20, 4: 75, 5: 250},
        "SAPPHIRE": {3: 15, 4: 60, 5: 150},
        "A": {3: 10, 4: 30, 5: 100},
        "K": {3: 10, 4: 25, 5: 75},
        "Q": {3: 5, 4: 15, 5: 50},
        "J": {3: 5, 4: 10, 5: 40},
    },
    lines=LINES_10,
    wild="WILD",
    scatter="STAR",
    scatter_pays={3: 5, 4: 20, 5: 100},
    free_spins=10,
    free_multiplier=3,
)

DRAGONS_HOARD: Final = SlotTitle(
    code="dragons-hoard",
    name="Dragon's Hoard",
    reels=(
        strip(
            "SHIELD K J A Q DRAGON SWORD K J SHIELD Q GOLD A K"
            " J Q EGG K A SHIELD J SWORD Q K J GOLD A Q"
        ),
        strip(
            "A Q GOLD K SHIELD J Q A K WILD J SWORD Q SHIELD A"
            " K J DRAGON GOLD Q K A J SHIELD Q SWORD K J EGG"
        ),
        strip(
            "K J SWORD A Q J K SHIELD GOLD Q A EGG SWORD J K"
            " Q SHIELD A J Q SWORD WILD K GOLD J A Q SHIELD DRAGON"
        ),
        strip(
            "Q SHIELD K WILD J A Q K SWORD J DRAGON SHIELD Q A K"
            " GOLD J Q K A J SHIELD EGG SWORD Q K J A GOLD"
        ),
        strip(
            "J A Q EGG K GOLD SHIELD J Q A K J SWORD Q"
            " SHIELD A K J GOLD Q DRAGON K A J SHIELD Q K SWORD"
        ),
    ),
    free_reels=(
        strip(
            "SHIELD K J DRAGON A SWORD Q J K SHIELD GOLD A Q"
            " J K DRAGON A SHIELD J SWORD Q K J GOLD A Q"
        ),
        strip(
            "A Q GOLD SHIELD K WILD J A DRAGON Q SWORD K J SHIELD"
            " A Q GOLD K WILD J A DRAGON SHIELD Q SWORD K J"
        ),
        strip(
            "K SWORD J A Q K SHIELD GOLD J A WILD SWORD Q DRAGON"
            " K J SHIELD A Q SWORD K GOLD J A WILD Q SHIELD DRAGON"
        ),
        strip(
            "Q WILD SHIELD K J DRAGON A Q SWORD K SHIELD J A GOLD"
            " Q WILD K J DRAGON A SHIELD Q SWORD K J A GOLD"
        ),
        strip(
            "J A Q GOLD SHIELD K J A Q DRAGON J K SWORD"
            " SHIELD A Q J GOLD K A J Q SHIELD DRAGON K SWORD"
        ),
    ),
    pays={
        "DRAGON": {2: 5, 3: 100, 4: 1000, 5: 5000},
        "GOLD": {3: 50, 4: 200, 5: 1000},
        "SWORD": {3: 35, 4: 100, 5: 400},
        "SHIELD": {3: 25, 4: 75, 5: 250},
        "A": {3: 10, 4: 40, 5: 125},
        "K": {3: 10, 4: 30, 5: 100},
        "Q": {3: 10, 4: 25, 5: 75},
        "J": {3: 5, 4: 20, 5: 60},
    },
    lines=LINES_25,
    wild="WILD",
    scatter="EGG",
    scatter_pays={3: 5, 4: 25, 5: 200},
    free_spins=12,
    free_multiplier=2,
)

# Nile Treasures: 40 lines, wilds in stacks of three on reels 2-4 (six in the free spins'
# strips), which turn a whole reel wild. Symbols per reel:
#
#            base game               free spins
#            r1  r2  r3  r4  r5      r1  r2  r3  r4  r5
#   PHARAOH   1   1   1   1   1       2   1   1   1   2
#   ANUBIS    2   2   2   2   2       2   2   2   2   2
#   EYE       2   2   2   2   2       2   2   2   2   2
#   SCARAB    3   2   2   2   3       3   2   2   2   3
#   ANKH      3   3   3   3   3       3   3   3   3   3
#   A         4   3   3   3   4       4   3   3   3   4
#   K         4   4   4   4   4       4   3   3   3   4
#   Q         5   4   4   4   5       5   3   3   3   5
#   J         5   5   5   5   5       5   4   4   4   5
#   WILD      -   3   3   3   -       -   6   6   6   -
#   PYRAMID   1   1   1   1   1       -   -   -   -   -
#   stops    30  30  30  30  30      30  29  29  29  30
NILE_TREASURES: Final = SlotTitle(
    code="nile-treasures",
    name="Nile Treasures",
    reels=(
        strip(
            "K A EYE Q ANKH SCARAB J PHARAOH J K EYE Q A ANKH SCARAB ANUBIS J ANKH Q J ANUBIS A Q"
            " A J Q K SCARAB K PYRAMID"
        ),
        strip(
            "PYRAMID WILD WILD WILD J Q EYE ANUBIS K A J Q J ANKH Q ANUBIS EYE K SCARAB K PHARAOH"
            " Q SCARAB A J ANKH K J ANKH A"
        ),
        strip(
            "K EYE ANKH J Q K J SCARAB ANUBIS J Q A J SCARAB PYRAMID EYE PHARAOH WILD WILD WILD"
            " ANKH J Q A ANUBIS K A ANKH K Q"
        ),
        strip(
            "Q EYE J Q K SCARAB ANKH A K PHARAOH ANKH K J ANUBIS ANKH Q A J A EYE Q ANUBIS SCARAB"
            " WILD WILD WILD J PYRAMID K J"
        ),
        strip(
            "A K EYE ANKH Q J K ANKH A Q ANUBIS PHARAOH Q J ANKH SCARAB Q A J PYRAMID Q A K"
            " ANUBIS J K SCARAB J SCARAB EYE"
        ),
    ),
    free_reels=(
        strip(
            "SCARAB Q K ANKH J EYE Q A J A J K SCARAB ANUBIS Q J EYE ANUBIS ANKH A SCARAB ANKH Q"
            " PHARAOH K A PHARAOH K Q J"
        ),
        strip(
            "SCARAB A J ANKH J EYE SCARAB ANKH J Q K WILD WILD WILD ANKH Q J K Q EYE ANUBIS"
            " PHARAOH A K WILD WILD WILD ANUBIS A"
        ),
        strip(
            "K EYE J A J Q ANUBIS WILD WILD WILD J ANKH Q ANKH K ANUBIS PHARAOH A SCARAB EYE J"
            " WILD WILD WILD Q ANKH SCARAB K A"
        ),
        strip(
            "WILD WILD WILD J Q SCARAB J A ANKH K A J A ANUBIS ANKH Q EYE Q SCARAB ANUBIS K ANKH"
            " WILD WILD WILD K J EYE PHARAOH"
        ),
        strip(
            "ANKH SCARAB EYE ANKH J K SCARAB K Q J ANUBIS A ANKH Q J A Q PHARAOH A SCARAB J Q K Q"
            " J A ANUBIS K EYE PHARAOH"
        ),
    ),
    pays={
        "PHARAOH": {3: 50, 4: 200, 5: 500},
        "ANUBIS": {3: 30, 4: 100, 5: 300},
        "EYE": {3: 20, 4: 75, 5: 200},
        "SCARAB": {3: 15, 4: 50, 5: 150},
        "ANKH": {3: 10, 4: 40, 5: 100},
        "A": {3: 10, 4: 25, 5: 75},
        "K": {3: 5, 4: 20, 5: 50},
        "Q": {3: 5, 4: 15, 5: 40},
        "J": {3: 5, 4: 10, 5: 30},
    },
    lines=LINES_40,
    wild="WILD",
    scatter="PYRAMID",
    scatter_pays={3: 2, 4: 10, 5: 50},
    free_spins=10,
    free_multiplier=2,
)

# Frontier Gold: a classic three-reel machine with a feature. Three WANTED posters, one on each
# reel, award the free spins, played on strips with more wilds. Symbols per reel:
#
#            base game       free spins
#            r1  r2  r3      r1  r2  r3
#   NUGGET    1   1   1       1   1   1
#   BADGE     2   2   2       2   2   2
#   SHOE      3   3   3       3   3   3
#   LAMP      5   5   5       5   5   5
#   BOOT      7   7   7       7   7   7
#   CACTUS   10  10  10      10  10  10
#   WILD      1   1   1       2   3   2
#   WANTED    2   2   2       -   -   -
#   stops    31  31  31      30  31  30
FRONTIER_GOLD: Final = SlotTitle(
    code="frontier-gold",
    name="Frontier Gold",
    reels=(
        strip(
            "WILD SHOE LAMP CACTUS BOOT LAMP CACTUS NUGGET BOOT CACTUS LAMP BOOT CACTUS LAMP SHOE"
            " CACTUS LAMP SHOE WANTED BOOT BADGE CACTUS BOOT CACTUS BADGE CACTUS BOOT CACTUS BOOT"
            " CACTUS WANTED"
        ),
        strip(
            "SHOE CACTUS LAMP WANTED CACTUS LAMP NUGGET LAMP BOOT CACTUS SHOE BOOT LAMP CACTUS"
            " BOOT WANTED BADGE CACTUS BADGE CACTUS BOOT CACTUS BOOT WILD SHOE CACTUS BOOT CACTUS"
            " BOOT LAMP CACTUS"
        ),
        strip(
            "CACTUS BADGE SHOE BOOT LAMP BOOT CACTUS SHOE BOOT BADGE CACTUS LAMP CACTUS NUGGET"
            " SHOE CACTUS BOOT CACTUS BOOT WANTED CACTUS LAMP WANTED BOOT CACTUS BOOT WILD CACTUS"
            " LAMP CACTUS LAMP"
        ),
    ),
    free_reels=(
        strip(
            "CACTUS WILD CACTUS LAMP CACTUS BOOT CACTUS SHOE LAMP NUGGET CACTUS BOOT CACTUS SHOE"
            " BOOT LAMP BOOT SHOE BOOT CACTUS BADGE LAMP BOOT CACTUS LAMP CACTUS BADGE BOOT CACTUS"
            " WILD"
        ),
        strip(
            "WILD CACTUS BOOT CACTUS BOOT CACTUS BOOT LAMP BADGE BOOT LAMP SHOE CACTUS LAMP SHOE"
            " CACTUS LAMP CACTUS SHOE CACTUS BOOT CACTUS WILD CACTUS LAMP WILD CACTUS NUGGET BOOT"
            " BADGE BOOT"
        ),
        strip(
            "CACTUS BOOT CACTUS WILD CACTUS LAMP WILD BOOT SHOE LAMP BOOT BADGE CACTUS BOOT SHOE"
            " CACTUS LAMP CACTUS BOOT LAMP CACTUS BOOT CACTUS BOOT BADGE CACTUS SHOE LAMP CACTUS"
            " NUGGET"
        ),
    ),
    pays={
        "NUGGET": {3: 250},
        "BADGE": {3: 100},
        "SHOE": {3: 40},
        "LAMP": {3: 18},
        "BOOT": {3: 9},
        "CACTUS": {3: 4},
    },
    lines=LINES_9,
    wild="WILD",
    scatter="WANTED",
    scatter_pays={3: 5},
    free_spins=10,
    free_multiplier=2,
)

TITLES: Final[tuple[MultiStepTitle, ...]] = (
    LUCKY_SEVENS,
    GOLDEN_REEF,
    JUNGLE_WAYS,
    STAR_GEMS,
    DRAGONS_HOARD,
    NILE_TREASURES,
    FRONTIER_GOLD,
)

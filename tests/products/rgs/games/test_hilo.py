"""Hi-Lo: every strategy returns exactly 99 %, the cards are the published cards mapping, the
guesses open on each card never win for certain, the 1,000,000x cap settles a round with no
choice left, and a million seeded rounds of one PAR strategy land in the 99 % interval.

The reference numbers are recomputed here from the rules written out again (which ranks win a
guess), by a forward pass over (rank, multiplier) states and by brute force over every deal,
not from the title's backward recursion. ``Dealt`` stands in for the stream where a test needs
chosen cards: it deals the ranks it is given, in order, with arbitrary suits.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import (
    CARDS,
    NumberStream,
    RoundSeeds,
    cards_with_replacement,
    check_server_seed,
)
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.hilo import HILO, TITLES
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds

RTP = Fraction(99, 100)
TWO, EIGHT, ACE = 0, 6, 12
RANKS = range(13)
SIMULATED_ROUNDS = 1_000_000
FREE_MOVES = 2  # chosen at random in the any-strategy test, before it winds down


def likelier(rank: int) -> tuple[str, set[int]]:
    """The PAR strategy's guess on ``rank`` and the ranks that make it right, by hand."""
    if rank == TWO:
        return "higher", set(range(1, 13))  # strictly higher: 12 of 13
    if rank == ACE:
        return "lower", set(range(12))  # strictly lower: 12 of 13
    if rank <= EIGHT:  # higher or the same: 13 - rank ranks; 7 each way on an 8
        return "higher", set(range(rank, 13))
    return "lower", set(range(rank + 1))


class Dealt:
    """A stream that deals these ranks in order (suits at random): ``CARDS[4·rank + suit]``."""

    def __init__(self, ranks, seed=0):
        rng = random.Random(seed)
        self._indices = iter([4 * r + rng.randrange(4) for r in ranks])

    def pick(self, n):
        assert n == len(CARDS)
        return next(self._indices)


def moves(*names):
    return [Action(n) for n in names]


def replay(ranks, names):
    return HILO.replay(Dealt(ranks), {}, moves(*names))


def _climb():
    """Five "same" on 2s (13^5), then higher on a 2 / lower on an ace (13/12 each) for as long
    as a guess stays open: (ranks, moves, pending after each step)."""
    ranks, names, pending = [TWO] * 6, ["same"] * 5, [Fraction(13) ** 5]
    while RTP * pending[-1] * Fraction(13, 12) <= 1_000_000:
        names.append("higher" if ranks[-1] == TWO else "lower")
        ranks.append(ACE if ranks[-1] == TWO else TWO)
        pending.append(pending[-1] * Fraction(13, 12))
    return ranks, names, pending


CLIMB_RANKS, CLIMB_MOVES, CLIMB_PENDING = _climb()


# -- the PAR sheet ----------------------------------------------------------------------------


def forward_distribution(k: int) -> dict[Fraction, Fraction]:
    """Multiplier → probability of "likelier side, cash out after k", by a forward pass."""
    states: dict[tuple[int, Fraction], Fraction] = {
        (r, Fraction(1)): Fraction(1, 13) for r in RANKS
    }
    for _ in range(k):
        after: dict[tuple[int, Fraction], Fraction] = defaultdict(Fraction)
        for (rank, pending), p in states.items():
            _, right = likelier(rank)
            for n in right:
                after[n, pending * Fraction(13, len(right))] += p / 13
        states = after
    paid: dict[Fraction, Fraction] = defaultdict(Fraction)
    for (_, pending), p in states.items():
        paid[RTP * pending] += p
    paid[Fraction(0)] += 1 - sum(paid.values())
    return dict(paid)


def merged(outcomes) -> dict[Fraction, Fraction]:
    out: dict[Fraction, Fraction] = defaultdict(Fraction)
    for o in outcomes:
        if o.probability:
            out[o.multiplier] += o.probability
    return dict(out)


@pytest.mark.parametrize("params", HILO.configurations())
def test_every_par_strategy_returns_exactly_99_percent(params):
    k = params["cashout_after"]
    by_hand = forward_distribution(k)
    sheet = par_sheet("hilo", "", HILO.distribution(params))
    assert merged(HILO.distribution(params)) == by_hand
    assert sum(m * p for m, p in by_hand.items()) == sheet.rtp == RTP
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    # The top award: k right guesses on an 8 (7 of 13 each): k + 1 cards, the first k all 8s,
    # the last any of the 7 winners.
    assert sheet.max_multiplier == RTP * Fraction(13, 7) ** k
    assert sheet.max_probability == Fraction(7, 13 ** (k + 1)) > 0


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_par_distribution_matches_brute_force_over_every_deal(k):
    paid: dict[Fraction, Fraction] = defaultdict(Fraction)
    for deal in itertools.product(RANKS, repeat=k + 1):
        pending = Fraction(1)
        for rank, following in itertools.pairwise(deal):
            _, right = likelier(rank)
            if following not in right:
                pending = Fraction(0)
                break
            pending *= Fraction(13, len(right))
        paid[RTP * pending] += Fraction(1, 13 ** (k + 1))
    assert merged(HILO.distribution({"cashout_after": k})) == dict(paid)


def test_the_top_award_of_the_longest_strategy_is_paid_by_replay():
    step = replay([EIGHT] * 5 + [ACE], ["higher"] * 5 + ["cashout"])
    top = par_sheet("hilo", "", HILO.distribution({"cashout_after": 5})).max_multiplier
    assert step.finished
    assert step.multiplier == top == RTP * Fraction(13, 7) ** 5


def expected(ranks, played, rng, free):
    """The exact expected payout of the round from here over every deal, when the player picks
    any open move at random (skips and "same" included) until ``free`` moves are made, then
    cashes out, or guesses if nothing is won yet."""
    step = HILO.replay(Dealt(ranks, seed=len(played)), {}, played)
    if step.finished:
        return step.multiplier
    if len(played) < free:
        move = rng.choice(step.allowed)
    elif "cashout" in step.allowed:
        move = "cashout"
    else:
        move = rng.choice([m for m in step.allowed if m != "skip"])
    then = [*played, Action(move)]
    if move == "cashout":
        return expected(ranks, then, rng, free)
    return sum(expected([*ranks, n], then, rng, free) for n in RANKS) / 13


@settings(max_examples=40, deadline=None)
@given(
    first=st.sampled_from(RANKS),
    climbed=st.none() | st.integers(0, len(CLIMB_PENDING) - 1),
    rng=st.randoms(use_true_random=False),
)
def test_any_strategy_returns_exactly_99_percent_of_the_pending_multiplier(first, climbed, rng):
    # From a new round (any first card) or from a point on the way to the cap, whatever the
    # player does next returns 0.99 × the pending multiplier (1 in a new round): the
    # martingale of the module's proof. Near the cap, refused guesses and the automatic
    # cash-out keep it so.
    if climbed is None:
        ranks, played, pending = [first], [], Fraction(1)
    else:
        ranks = CLIMB_RANKS[: 6 + climbed]
        played = moves(*CLIMB_MOVES[: 5 + climbed])
        pending = CLIMB_PENDING[climbed]
    assert expected(ranks, played, rng, free=len(played) + FREE_MOVES) == RTP * pending


# -- the published mapping --------------------------------------------------------------------


def _seeds(rng):
    return RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))


def test_rounds_deal_the_published_cards_and_settle_by_the_rules():
    rng = random.Random(7)
    for _ in range(300):
        seeds = _seeds(rng)
        cards = cards_with_replacement(seeds, 12)
        ranks = [CARDS.index(c) // 4 for c in cards]
        skips, target = rng.randrange(4), rng.randint(1, 4)
        names = ["skip"] * skips
        at, pending, result = skips, Fraction(1), "cashout"
        for _ in range(target):
            guess, right = likelier(ranks[at])
            names.append(guess)
            at += 1
            if ranks[at] not in right:
                pending, result = Fraction(0), "lost"
                break
            pending *= Fraction(13, len(right))
        else:
            names.append("cashout")
        step = HILO.replay(NumberStream(seeds), {}, moves(*names))
        assert step.finished
        assert step.view["cards"] == cards[: at + 1]
        assert step.view["result"] == result
        assert step.view["skips"] == skips
        assert step.multiplier == RTP * pending


def test_an_open_round_shows_only_the_cards_dealt_its_chances_and_its_moves():
    rng = random.Random(3)
    for _ in range(100):
        seeds = _seeds(rng)
        cards = cards_with_replacement(seeds, 3)
        step = HILO.replay(NumberStream(seeds), {}, moves("skip", "skip"))
        assert not step.finished
        assert step.multiplier is None
        assert step.view["cards"] == cards  # the third card is showing, none beyond
        assert (step.view["guesses"], step.view["skips"], step.view["multiplier"]) == (0, 2, "1")
        assert "result" not in step.view
        assert "cashout" not in step.allowed  # nothing won yet
    start = replay([EIGHT], [])
    assert start.allowed == ("higher", "lower", "skip")
    assert start.view["higher_chance"] == start.view["lower_chance"] == "7/13"
    assert start.view["same_chance"] is None
    assert start.view["higher_multiplier"] == str(RTP * Fraction(13, 7))


@pytest.mark.parametrize(
    ("rank", "offered", "chances"),
    [
        (TWO, ("higher", "same"), {"higher": "12/13", "lower": None, "same": "1/13"}),
        (1, ("higher", "lower"), {"higher": "12/13", "lower": "2/13", "same": None}),
        (11, ("higher", "lower"), {"higher": "2/13", "lower": "12/13", "same": None}),
        (ACE, ("lower", "same"), {"higher": None, "lower": "12/13", "same": "1/13"}),
    ],
)
def test_no_guess_wins_for_certain(rank, offered, chances):
    step = replay([rank], [])
    assert step.allowed == (*offered, "skip")
    assert {g: step.view[f"{g}_chance"] for g in chances} == chances


@pytest.mark.parametrize(
    ("rank", "guess", "following", "won"),
    [
        (TWO, "higher", TWO, False),  # strictly higher on a 2
        (TWO, "same", TWO, True),
        (ACE, "lower", ACE, False),  # strictly lower on an ace
        (ACE, "same", ACE, True),
        (5, "higher", 5, True),  # higher or the same elsewhere
        (5, "lower", 5, True),
        (5, "higher", 4, False),
        (5, "lower", 6, False),
    ],
)
def test_a_guess_is_settled_by_rank_only(rank, guess, following, won):
    step = replay([rank, following], [guess])
    assert step.finished == (not won)
    if won:
        assert step.view["guesses"] == 1
        assert "cashout" in step.allowed
    else:
        assert (step.multiplier, step.view["result"], step.view["multiplier"]) == (0, "lost", "0")


# -- the cap and the limits -------------------------------------------------------------------


def test_a_guess_that_would_pay_more_than_the_cap_is_not_open():
    ranks, names, pending = CLIMB_RANKS, CLIMB_MOVES, CLIMB_PENDING
    after_five = replay(ranks[:6], names[:5])
    assert after_five.allowed == ("higher", "skip", "cashout")  # "same" would pay 0.99·13^6
    assert after_five.view["same_chance"] is None
    with pytest.raises(InvalidAction) as refused:
        replay(ranks[:7], [*names[:5], "same"])
    assert refused.value.extra["action"] == "same"
    # High enough that a 7/13 guess passes the cap but a 12/13 one does not: on an 8 only a
    # skip or the cash-out is left.
    n = next(i for i, p in enumerate(pending) if RTP * p * Fraction(13, 7) > 1_000_000)
    upto = names[: 5 + n]
    on_eight = replay([*ranks[: 6 + n], EIGHT], [*upto, "skip"])
    assert on_eight.allowed == ("skip", "cashout")
    assert on_eight.view["higher_chance"] is None
    with pytest.raises(InvalidAction) as refused:
        replay([*ranks[: 6 + n], EIGHT, EIGHT], [*upto, "skip", "higher"])
    assert refused.value.extra["action"] == "higher"


def test_the_round_settles_itself_when_no_guess_is_left_under_the_cap():
    ranks, names, pending = CLIMB_RANKS, CLIMB_MOVES, CLIMB_PENDING
    step = replay(ranks, names)
    assert step.finished
    assert step.view["result"] == "auto_cashout"
    assert step.multiplier == RTP * pending[-1]
    assert 1_000_000 * Fraction(12, 13) < step.multiplier <= 1_000_000
    with pytest.raises(InvalidAction):
        replay(ranks, [*names, "cashout"])  # nothing more to do: it is over


def test_at_most_52_skips_a_round():
    step = replay([5] * 53, ["skip"] * 52)
    assert step.view["skips"] == 52
    assert step.allowed == ("higher", "lower")
    with pytest.raises(InvalidAction) as refused:
        replay([5] * 54, ["skip"] * 53)
    assert refused.value.extra["action"] == "skip"


@pytest.mark.parametrize(
    ("ranks", "played", "named"),
    [
        ([5], [Action("cashout")], ("action", "cashout")),  # nothing won yet
        ([5, 5], [Action("same")], ("action", "same")),  # only on a 2 or an ace
        ([TWO, 5], [Action("lower")], ("action", "lower")),
        ([ACE, 5], [Action("higher")], ("action", "higher")),
        ([5, 5], [Action("double")], ("action", "double")),
        ([5, 5], [Action("higher", {"amount": 2})], ("parameter", "amount")),
        ([5, 4, 4], [Action("higher"), Action("higher")], ("action", "higher")),  # lost
        ([5, 6, 6], moves("higher", "cashout", "higher"), ("action", "higher")),  # cashed out
    ],
)
def test_bad_moves_are_refused_naming_the_move(ranks, played, named):
    with pytest.raises(InvalidAction) as refused:
        HILO.replay(Dealt(ranks), {}, played)
    assert refused.value.extra[named[0]] == named[1]


@pytest.mark.parametrize("params", [{"cashout_after": 3}, {"stake": 1}])
def test_bad_bets_are_refused_naming_the_parameter(params):
    with pytest.raises(InvalidBet) as refused:
        HILO.check(params)
    assert refused.value.extra["parameter"] == next(iter(params))


def test_the_title_reads_the_cards_mapping():
    assert HILO.check({}) == {}
    assert [(t.code, t.mechanic, t.fair_game) for t in TITLES] == [("hilo", "hilo", "cards")]


# -- simulation -------------------------------------------------------------------------------


def test_a_million_rounds_of_three_likelier_guesses_land_in_the_99_percent_interval():
    # The player's side: read the cards as dealt (the published mapping), guess the likelier
    # side until three are right or one is wrong, then cash out; the title replays the moves.
    sheet = par_sheet("hilo", "", HILO.distribution({"cashout_after": 3}))
    server_seed, client_seed = simulation_seeds("hilo:likelier:3")
    key = check_server_seed(server_seed).encode()
    plans = {r: (Action(likelier(r)[0]), likelier(r)[1]) for r in RANKS}
    cashout = Action("cashout")
    counts: dict[Fraction, int] = {}
    for nonce in range(SIMULATED_ROUNDS):
        deal = NumberStream.of_checked(key, client_seed, nonce)
        rank, played = deal.pick(52) // 4, []
        for _ in range(3):
            guess, right = plans[rank]
            played.append(guess)
            rank = deal.pick(52) // 4
            if rank not in right:
                break
        else:
            played.append(cashout)
        step = HILO.replay(NumberStream.of_checked(key, client_seed, nonce), {}, played)
        assert step.finished
        counts[step.multiplier] = counts.get(step.multiplier, 0) + 1
    paid = sum((m * n for m, n in counts.items()), Fraction(0))
    low, high = sheet.rtp_interval(SIMULATED_ROUNDS)
    assert low <= float(paid / SIMULATED_ROUNDS) <= high
    assert set(counts) <= {o.multiplier for o in HILO.distribution({"cashout_after": 3})}

"""Slots: every title's exact RTP recomputed by hand (symbol frequencies per reel, not the
module's enumeration), the whole-round distribution checked against brute force where it is
small, rounds that replay croupier's slot mapping (one ``pick(len(strip))`` per reel, in reel
order, free spins reading on), and a million seeded rounds per title, free spins played
through ``replay``, inside the 99 % interval."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds, check_server_seed
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.slots import (
    NTT_MAX_LENGTH,
    NTT_PRIMES,
    SlotTitle,
    Strip,
    feature_convolution,
    round_distribution,
    strip,
)
from croupier.products.rgs.games.slots_titles import (
    DRAGONS_HOARD,
    FRONTIER_GOLD,
    LUCKY_SEVENS,
    NILE_TREASURES,
    TITLES,
)
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulation_seeds

SPIN = Action("spin")
IDS = [t.code for t in TITLES]


# -- an evaluator of our own, written from the rules in the docstring ------------------------


def window(reel: Strip, stop: int) -> tuple[str, ...]:
    return tuple(reel[(stop + row) % len(reel)] for row in range(3))


def line_pay(title: SlotTitle, symbols: Sequence[str]) -> int:
    """Best win of one line, in line bets: the symbol is the first one that is not wild
    (any paying symbol when the line starts with wilds); wilds extend its run."""
    first = symbols[0]
    if first == title.scatter:
        return 0
    candidates = list(title.pays) if first == title.wild else [first]
    best = 0
    for s in candidates:
        run = 0
        for x in symbols:
            if x not in (s, title.wild):
                break
            run += 1
        best = max(best, title.pays[s].get(run, 0))
    return best


def spin_by_hand(title: SlotTitle, reels: Sequence[Strip], stops: Sequence[int]) -> tuple[int, int]:
    """What a spin pays in units (before any free-spin multiplier) and its scatters."""
    windows = [window(reel, stop) for reel, stop in zip(reels, stops, strict=True)]
    units = 0
    if title.lines:
        for line in title.lines:
            units += line_pay(title, [w[row] for w, row in zip(windows, line, strict=True)])
    else:
        for s, table in title.pays.items():
            ways, count = 1, 0
            for w in windows:
                n = sum(x in (s, title.wild) for x in w)
                if not n:
                    break
                ways, count = ways * n, count + 1
            units += table.get(count, 0) * ways
    scatters = sum(w.count(title.scatter) for w in windows) if title.scatter else 0
    units += title.scatter_pays.get(scatters, 0) * title.bet_units
    return units, scatters


def expected_spin(title: SlotTitle, reels: Sequence[Strip]) -> tuple[Fraction, Fraction]:
    """(what a spin returns per unit stake, the chance of 3+ scatters), by linearity: every
    row of a reel shows each symbol with its frequency on the strip, and reels are independent.
    """
    stake = Fraction(1, title.bet_units)
    returned = Fraction(0)
    if title.lines:
        # Every line has the same expectation: enumerate symbol tuples weighted by frequency.
        freq = [Counter(reel) for reel in reels]
        combos = 1
        for reel in reels:
            combos *= len(reel)
        total = 0
        for symbols in itertools.product(*(sorted(f) for f in freq)):
            pay = line_pay(title, symbols)
            if pay:
                weight = 1
                for f, s in zip(freq, symbols, strict=True):
                    weight *= f[s]
                total += pay * weight
        returned += Fraction(total, combos) * len(title.lines) * stake
    else:
        for s, table in title.pays.items():
            mean, none = [], []
            for reel in reels:
                counts = [
                    sum(x in (s, title.wild) for x in window(reel, i)) for i in range(len(reel))
                ]
                mean.append(Fraction(sum(counts), len(reel)))
                none.append(Fraction(counts.count(0), len(reel)))
            for count, pay in table.items():
                e = Fraction(pay)
                for r in range(count):
                    e *= mean[r]
                if count < len(reels):
                    e *= none[count]
                returned += e * stake
    # Scatters: at most one per window (asserted below), so reel r shows one with chance
    # 3 · (scatters on the strip) / stops; the count is a sum of independent Bernoullis.
    shown = [Fraction(1)]  # shown[c]: the chance of c scatters on the reels so far
    for reel in reels:
        q = Fraction(3 * reel.count(title.scatter), len(reel)) if title.scatter else Fraction(0)
        shown = [
            (shown[c] if c < len(shown) else 0) * (1 - q) + (shown[c - 1] * q if c else 0)
            for c in range(len(shown) + 1)
        ]
    returned += sum((p * title.scatter_pays.get(c, 0) for c, p in enumerate(shown)), Fraction(0))
    return returned, sum(shown[3:], Fraction(0))


def rtp_by_hand(title: SlotTitle) -> Fraction:
    base, trigger = expected_spin(title, title.reels)
    if not title.free_spins:
        return base
    free, _ = expected_spin(title, title.feature_reels)
    return base + trigger * title.free_spins * title.free_multiplier * free


# -- the math --------------------------------------------------------------------------------


# The top award of a round, as slots_titles.py documents it: the best base spin that awards
# the free spins, then the best free spin every time.
TOP_AWARDS = {
    "lucky-sevens": Fraction(30),
    "golden-reef": Fraction(8421, 4),
    "jungle-ways": Fraction(3318, 5),
    "star-gems": Fraction(6630),
    "dragons-hoard": Fraction(29_287, 5),
    # 2,045 line bets (3 pyramids and line wins), then 10 free spins of 13,420 (wins x2): every
    # line crossing three wild reels.
    "nile-treasures": Fraction(27_249, 8),
    # 63 line bets (3 posters and a lamp line), then 10 free spins of 1,196 (wins x2).
    "frontier-gold": Fraction(12_023, 9),
}


@pytest.mark.parametrize("title", TITLES, ids=IDS)
def test_every_title_returns_the_rtp_recomputed_by_hand_inside_the_band(title):
    sheet = par_sheet(title.code, "", title.distribution(title.check({})))
    assert sheet.rtp == rtp_by_hand(title)
    assert sheet.max_multiplier == TOP_AWARDS[title.code]
    assert sheet.rtp >= MIN_RTP
    assert TITLE_RTP_RANGE[0] <= sheet.rtp <= TITLE_RTP_RANGE[1]
    assert Fraction(94, 100) <= sheet.rtp <= Fraction(975, 1000)  # our slot band
    assert 0 < sheet.hit_frequency < 1
    assert sheet.max_probability > 0  # the top award can be won
    assert title.configurations() == [{}]


def test_lucky_sevens_distribution_is_every_stop_combination_counted_by_hand():
    reels = LUCKY_SEVENS.reels
    by_hand: Counter[Fraction] = Counter()
    for stops in itertools.product(*(range(len(r)) for r in reels)):
        units, _ = spin_by_hand(LUCKY_SEVENS, reels, stops)
        by_hand[Fraction(units, len(LUCKY_SEVENS.lines))] += 1
    combos = sum(by_hand.values())
    assert {o.multiplier: o.probability for o in LUCKY_SEVENS.distribution({})} == {
        m: Fraction(n, combos) for m, n in by_hand.items()
    }
    sheet = par_sheet(LUCKY_SEVENS.code, "", LUCKY_SEVENS.distribution({}))
    # One stop combination (7, 8, 15): SEVEN WILD SEVEN across the middle (100 line bets),
    # BAR3 WILD BAR3 and BAR1 WILD WILD on the diagonals (40 and 10): 150 line bets, 30x.
    assert sheet.max_multiplier == 30
    assert sheet.max_probability == Fraction(1, combos) == Fraction(by_hand[Fraction(30)], combos)


# A small title of our own, 3 reels with a scatter and 3 free spins on other strips, whose
# whole-round distribution brute force can reach: checks the enumeration and the transform.
TINY = SlotTitle(
    code="tiny",
    name="Tiny",
    reels=(
        strip("A B C A S B C A B C A B W C A B S C A B"),
        strip("B A W C B S A C B A C W B A S C B A C A"),
        strip("C B A S C A B W C A B C A S B C A B C W"),
    ),
    free_reels=(
        strip("A W B C A B C W A B C A B C A B C A B C"),
        strip("W A B C A B W C A B C A B C A W B C A B"),
        strip("A B C W A B C A B W C A B C A B C A B C"),
    ),
    pays={"A": {2: 1, 3: 5}, "B": {3: 10}, "C": {3: 20}},
    lines=((1, 1, 1), (0, 0, 0), (2, 2, 2)),
    wild="W",
    scatter="S",
    scatter_pays={3: 10},
    free_spins=3,
    free_multiplier=2,
)


def test_a_whole_round_is_the_base_spin_convolved_with_its_free_spins():
    def spins(reels):
        for stops in itertools.product(*(range(len(r)) for r in reels)):
            yield spin_by_hand(TINY, reels, stops)

    base = list(spins(TINY.reels))
    free: Counter[int] = Counter(u * TINY.free_multiplier for u, _ in spins(TINY.free_reels))
    free_combos = sum(free.values())
    feature: Counter[int] = Counter({0: 1})
    for _ in range(TINY.free_spins):
        step: Counter[int] = Counter()
        for a, n in feature.items():
            for b, m in free.items():
                step[a + b] += n * m
        feature = step
    weight = free_combos**TINY.free_spins
    rounds: Counter[int] = Counter()
    for units, scatters in base:
        if scatters >= 3:
            for extra, n in feature.items():
                rounds[units + extra] += n
        else:
            rounds[units] += weight
    total = len(base) * weight
    assert any(scatters >= 3 for _, scatters in base)
    assert {o.multiplier: o.probability for o in round_distribution(TINY)} == {
        Fraction(u, 3): Fraction(n, total) for u, n in rounds.items()
    }


@settings(max_examples=40, deadline=None)
@given(
    trigger=st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
    spin=st.lists(st.integers(0, 10**7), min_size=1, max_size=12),
    spins=st.integers(1, 6),
)
def test_the_exact_convolution_matches_schoolbook_arithmetic(trigger, spin, spins):
    expected = list(trigger)
    for _ in range(spins):
        expected = [
            sum(expected[i] * spin[k - i] for i in range(len(expected)) if 0 <= k - i < len(spin))
            for k in range(len(expected) + len(spin) - 1)
        ]
    got = feature_convolution(
        np.array(trigger, dtype=np.int64), np.array(spin, dtype=np.int64), spins
    )
    assert got == expected


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


def test_the_transform_primes_are_primes_with_primitive_roots_of_the_right_order():
    assert len({p for p, _ in NTT_PRIMES}) == len(NTT_PRIMES)
    for p, g in NTT_PRIMES:
        assert p < 2**31
        assert _is_prime(p)
        assert (p - 1) % NTT_MAX_LENGTH == 0
        factors = {2} | {q for q in range(3, 300) if _is_prime(q) and ((p - 1) >> 23) % q == 0}
        assert all(pow(g, (p - 1) // q, p) != 1 for q in factors)  # g generates the group


# -- the data --------------------------------------------------------------------------------


def test_the_titles_are_slots_with_real_strips():
    assert len({t.code for t in TITLES}) == len(TITLES) == 7
    mechanics = set()
    for title in TITLES:
        assert (title.mechanic, title.fair_game) == ("slots", "slots")
        assert len(title.reels) in (3, 5)
        for reel in (*title.reels, *title.feature_reels):
            assert 20 <= len(reel) <= 40
            # At most one scatter in any window: the hand count above relies on it.
            assert all(window(reel, s).count(title.scatter) <= 1 for s in range(len(reel)))
        mechanics.add("ways" if title.ways_bet else f"{len(title.lines)} lines")
        if title.wild:
            mechanics.add("wild")
        if any(window(r, s) == (title.wild,) * 3 for r in title.reels for s in range(len(r))):
            mechanics.add("stacked wilds")
        if title.free_spins:
            mechanics.add(f"free spins on {len(title.reels)} reels")
    assert {"ways", "wild", "20 lines", "40 lines", "9 lines", "stacked wilds"} <= mechanics
    assert {"free spins on 3 reels", "free spins on 5 reels"} <= mechanics
    assert len(set(DRAGONS_HOARD.lines)) == 25
    assert len(set(NILE_TREASURES.lines)) == 40


# The symbols per reel that slots_titles.py documents for its two newest titles: for each
# symbol, its count on reel 1, 2, ... of the base strips, then of the free spins' strips.
DOCUMENTED_COUNTS = {
    NILE_TREASURES: {
        "PHARAOH": ((1, 1, 1, 1, 1), (2, 1, 1, 1, 2)),
        "ANUBIS": ((2, 2, 2, 2, 2), (2, 2, 2, 2, 2)),
        "EYE": ((2, 2, 2, 2, 2), (2, 2, 2, 2, 2)),
        "SCARAB": ((3, 2, 2, 2, 3), (3, 2, 2, 2, 3)),
        "ANKH": ((3, 3, 3, 3, 3), (3, 3, 3, 3, 3)),
        "A": ((4, 3, 3, 3, 4), (4, 3, 3, 3, 4)),
        "K": ((4, 4, 4, 4, 4), (4, 3, 3, 3, 4)),
        "Q": ((5, 4, 4, 4, 5), (5, 3, 3, 3, 5)),
        "J": ((5, 5, 5, 5, 5), (5, 4, 4, 4, 5)),
        "WILD": ((0, 3, 3, 3, 0), (0, 6, 6, 6, 0)),
        "PYRAMID": ((1, 1, 1, 1, 1), (0, 0, 0, 0, 0)),
    },
    FRONTIER_GOLD: {
        "NUGGET": ((1, 1, 1), (1, 1, 1)),
        "BADGE": ((2, 2, 2), (2, 2, 2)),
        "SHOE": ((3, 3, 3), (3, 3, 3)),
        "LAMP": ((5, 5, 5), (5, 5, 5)),
        "BOOT": ((7, 7, 7), (7, 7, 7)),
        "CACTUS": ((10, 10, 10), (10, 10, 10)),
        "WILD": ((1, 1, 1), (2, 3, 2)),
        "WANTED": ((2, 2, 2), (0, 0, 0)),
    },
}


@pytest.mark.parametrize("title", list(DOCUMENTED_COUNTS), ids=lambda t: t.code)
def test_the_strips_hold_the_symbols_their_title_documents(title):
    documented = DOCUMENTED_COUNTS[title]
    for feature, strips in enumerate((title.reels, title.feature_reels)):
        for r, reel in enumerate(strips):
            wanted = {s: counts[feature][r] for s, counts in documented.items()}
            assert Counter(reel) == {s: n for s, n in wanted.items() if n}


# -- rounds ----------------------------------------------------------------------------------


def _numbers(seeds: RoundSeeds) -> Iterator[int]:
    stream = NumberStream(seeds)
    while True:
        yield stream.next_number()


def _seeds(rng: random.Random) -> RoundSeeds:
    return RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))


def _featured(title: SlotTitle, rng: random.Random, wanted: int) -> list[RoundSeeds]:
    found: list[RoundSeeds] = []
    while len(found) < wanted:
        seeds = _seeds(rng)
        if not title.replay(NumberStream(seeds), {}, []).finished:
            found.append(seeds)
    return found


@pytest.mark.parametrize("title", TITLES, ids=IDS)
def test_rounds_replay_the_published_slot_mapping(title):
    rng = random.Random(sum(map(ord, title.code)))
    rounds = [_seeds(rng) for _ in range(250)]
    if title.free_spins:
        rounds += _featured(title, rng, 3)
    for seeds in rounds:
        numbers = _numbers(seeds)
        actions: list[Action] = []
        paid = Fraction(0)
        reels, factor = title.reels, 1
        while True:
            # Croupier's slot mapping: stop_r = pick(len(strip_r)), reel by reel.
            stops = [(next(numbers) * len(reel)) >> 32 for reel in reels]
            units, scatters = spin_by_hand(title, reels, stops)
            paid += Fraction(units * factor, title.bet_units)
            step = title.replay(NumberStream(seeds), {}, actions)
            view = step.view
            assert view["stops"] == stops
            assert view["grid"] == [
                [reel[(stop + row) % len(reel)] for reel, stop in zip(reels, stops, strict=True)]
                for row in range(3)
            ]
            assert sum(Fraction(w["pays"]) for w in view["wins"]) == Fraction(
                units * factor, title.bet_units
            )
            assert Fraction(view["total"]) == paid
            if not actions:
                won = title.free_spins if scatters >= 3 else 0
                assert view["free_spins_won"] == won
            assert view["free_spins_left"] == view["free_spins_won"] - len(actions)
            if step.finished:
                assert step.multiplier == paid
                assert step.allowed == ()
                break
            assert step.multiplier is None
            assert step.allowed == ("spin",)
            actions.append(SPIN)
            reels, factor = title.feature_reels, title.free_multiplier


@pytest.mark.parametrize("title", TITLES, ids=IDS)
def test_wins_name_what_they_pay_for(title):
    rng = random.Random(3)
    for _ in range(100):
        view = title.replay(NumberStream(_seeds(rng)), {}, []).view
        for win in view["wins"]:
            kind = ({"line", "ways", "scatter"} & set(win)).pop()
            assert set(win) == {kind, "symbol", "count", "pays"}
            if kind == "line":
                line = title.lines[win["line"] - 1]
                symbols = [view["grid"][row][r] for r, row in enumerate(line)]
                assert line_pay(title, symbols) == Fraction(win["pays"]) * title.bet_units
                assert all(s in (win["symbol"], title.wild) for s in symbols[: win["count"]])
            elif kind == "scatter":
                assert all(view["grid"][row][r] == title.scatter for r, row in win["scatter"])


def test_a_round_without_free_spins_is_over_at_once_and_refuses_a_spin():
    rng = random.Random(4)
    seeds = _seeds(rng)
    step = LUCKY_SEVENS.replay(NumberStream(seeds), {}, [])
    assert step.finished
    assert step.view["free_spins_left"] == 0
    with pytest.raises(InvalidAction) as refused:
        LUCKY_SEVENS.replay(NumberStream(seeds), {}, [SPIN])
    assert refused.value.extra["action"] == "spin"


@pytest.mark.parametrize(
    ("moves", "key", "value"),
    [
        ([Action("collect")], "action", "collect"),
        ([Action("spin", {"lines": 5})], "parameter", "args"),
        ([SPIN, Action("gamble")], "action", "gamble"),
    ],
)
def test_bad_moves_in_free_spins_are_refused(moves, key, value):
    seeds = _featured(DRAGONS_HOARD, random.Random(8), 1)[0]
    with pytest.raises(InvalidAction) as refused:
        DRAGONS_HOARD.replay(NumberStream(seeds), {}, moves)
    assert refused.value.extra[key] == value


def test_a_spin_after_the_last_free_spin_is_refused():
    seeds = _featured(DRAGONS_HOARD, random.Random(8), 1)[0]
    spins = [SPIN] * DRAGONS_HOARD.free_spins
    assert DRAGONS_HOARD.replay(NumberStream(seeds), {}, spins).finished
    with pytest.raises(InvalidAction):
        DRAGONS_HOARD.replay(NumberStream(seeds), {}, [*spins, SPIN])


@pytest.mark.parametrize("title", TITLES, ids=IDS)
@pytest.mark.parametrize("params", [{"lines": 10}, {"stake": 5}, {"ways": 243}])
def test_bets_with_parameters_are_refused_naming_them(title, params):
    assert title.check({}) == {}
    with pytest.raises(InvalidBet) as refused:
        title.check(params)
    assert refused.value.extra["parameter"] == "params"


# -- a million rounds ------------------------------------------------------------------------


@pytest.mark.parametrize("title", TITLES, ids=IDS)
def test_a_million_rounds_with_their_free_spins_land_in_the_99_percent_interval(title):
    sheet = par_sheet(title.code, "", title.distribution({}))
    server_seed, client_seed = simulation_seeds(f"slots:{title.code}")
    key = check_server_seed(server_seed).encode()
    stream_of, replay, rounds = NumberStream.of_checked, title.replay, 1_000_000
    # Counted by the multiplier object: the title returns one shared object per value.
    counts: dict[int, int] = {}
    seen: dict[int, Fraction] = {}
    for nonce in range(rounds):
        step = replay(stream_of(key, client_seed, nonce), {}, ())
        if not step.finished:  # the feature: play every free spin
            spins = (SPIN,) * step.view["free_spins_left"]
            step = replay(stream_of(key, client_seed, nonce), {}, spins)
        m = step.multiplier
        assert m is not None
        i = id(m)
        if i in counts:
            counts[i] += 1
        else:
            counts[i], seen[i] = 1, m
    paid = sum((seen[i] * n for i, n in counts.items()), Fraction(0))
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(paid / rounds) <= high

"""Roulette (European, French, American): the table's bets, their exact returns, and rounds
played from the provably fair stream.

The reference below is drawn from the physical layout (each number at a row and a column of
the felt, bets as shapes on it) and from the payout table written out by hand, not from the
module's lists, so a shared mistake is unlikely.
"""

from __future__ import annotations

import random
from fractions import Fraction
from functools import cache
from itertools import combinations

import pytest

from croupier.products.rgs import fair
from croupier.products.rgs.errors import InvalidBet
from croupier.products.rgs.fair import RoundSeeds
from croupier.products.rgs.games import roulette
from croupier.products.rgs.math import MIN_RTP, TITLE_RTP_RANGE, par_sheet
from croupier.products.rgs.simulate import simulate

EUROPEAN, FRENCH, AMERICAN = roulette.EUROPEAN, roulette.FRENCH, roulette.AMERICAN
SINGLE_ZERO = (EUROPEAN, FRENCH)
ALL = (EUROPEAN, FRENCH, AMERICAN)

# -- an independent reference: the felt ----------------------------------------------------

REDS = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}
# kind → (numbers covered, paid "to 1")
PAY_TABLE = {
    "straight": (1, 35),
    "split": (2, 17),
    "street": (3, 11),
    "corner": (4, 8),
    "six_line": (6, 5),
    "top_line": (5, 6),
    "dozen": (12, 2),
    "column": (12, 2),
    "red": (18, 1),
    "black": (18, 1),
    "odd": (18, 1),
    "even": (18, 1),
    "low": (18, 1),
    "high": (18, 1),
}
EVEN_MONEY = {"red", "black", "odd", "even", "low", "high"}


def _seat(n: int) -> tuple[int, int]:
    """Where 1..36 sit on the felt: (row 0..11 from the zeros, column 0..2)."""
    return (n - 1) // 3, (n - 1) % 3


def _labels(title: roulette.Roulette) -> list[int | str]:
    return [*range(37), *(["00"] if title is AMERICAN else [])]


@cache
def _reference_splits(title: roulette.Roulette) -> frozenset[frozenset[int | str]]:
    splits: set[frozenset[int | str]] = set()
    for a, b in combinations(range(1, 37), 2):
        (ra, ca), (rb, cb) = _seat(a), _seat(b)
        if abs(ra - rb) + abs(ca - cb) == 1:
            splits.add(frozenset({a, b}))
    zero_splits = [{0, "00"}] if title is AMERICAN else [{0, 1}, {0, 2}, {0, 3}]
    return frozenset(splits | {frozenset(s) for s in zero_splits})


@cache
def _reference_streets(title: roulette.Roulette) -> frozenset[frozenset[int | str]]:
    rows = {frozenset(n for n in range(1, 37) if _seat(n)[0] == r) for r in range(12)}
    trios = (
        [{0, 1, 2}, {0, "00", 2}, {"00", 2, 3}]
        if title is AMERICAN
        else [
            {0, 1, 2},
            {0, 2, 3},
        ]
    )
    return frozenset(rows | {frozenset(s) for s in trios})


@cache
def _reference_corners() -> frozenset[frozenset[int | str]]:
    corners: set[frozenset[int | str]] = set()
    for quad in combinations(range(1, 37), 4):
        seats = {_seat(n) for n in quad}
        rows, cols = {r for r, _ in seats}, {c for _, c in seats}
        if len(rows) == len(cols) == 2 and max(rows) - min(rows) == max(cols) - min(cols) == 1:
            corners.add(frozenset(quad))
    return frozenset(corners)


@cache
def _reference_six_lines() -> frozenset[frozenset[int | str]]:
    return {frozenset(n for n in range(1, 37) if _seat(n)[0] in (r, r + 1)) for r in range(11)}


def _covers(bet: dict, label: int | str) -> bool:
    kind = bet["kind"]
    if kind in ("straight", "split", "street", "corner", "six_line"):
        return label in bet["numbers"]
    if kind == "top_line":
        return label in (0, "00", 1, 2, 3)
    if label in (0, "00"):
        return False
    assert isinstance(label, int)
    row, col = _seat(label)
    return {
        "dozen": lambda: row // 4 + 1 == bet.get("dozen"),
        "column": lambda: col + 1 == bet.get("column"),
        "red": lambda: label in REDS,
        "black": lambda: label not in REDS,
        "odd": lambda: label % 2 == 1,
        "even": lambda: label % 2 == 0,
        "low": lambda: label <= 18,
        "high": lambda: label >= 19,
    }[kind]()


def _reference_multiplier(title: roulette.Roulette, bets: list[dict], label: int | str) -> Fraction:
    paid = Fraction(0)
    for bet in bets:
        weight = bet.get("weight", 1)
        if _covers(bet, label):
            paid += weight * (PAY_TABLE[bet["kind"]][1] + 1)
        elif title is FRENCH and label == 0 and bet["kind"] in EVEN_MONEY:
            paid += Fraction(weight, 2)
    return paid / sum(bet.get("weight", 1) for bet in bets)


def _accepts(title: roulette.Roulette, bet: dict) -> bool:
    try:
        title.check({"bets": [bet]})
    except InvalidBet:
        return False
    return True


def _accepted(title: roulette.Roulette, kind: str, size: int) -> set[frozenset[int | str]]:
    return {
        frozenset(numbers)
        for numbers in combinations(_labels(title), size)
        if _accepts(title, {"kind": kind, "numbers": list(numbers)})
    }


def _shape_order(shape: frozenset[int | str]) -> list[str]:
    # Not the set's own order: "00" hashes differently in every process, and the random bets
    # drawn from these lists must be the same in every run.
    return sorted(f"{n:>2}" if isinstance(n, int) else n for n in shape)


def _random_bets(title: roulette.Roulette, rng: random.Random) -> list[dict]:
    inside = {
        "straight": [frozenset({n}) for n in _labels(title)],
        "split": sorted(_reference_splits(title), key=_shape_order),
        "street": sorted(_reference_streets(title), key=_shape_order),
        "corner": sorted(_reference_corners(), key=_shape_order),
        "six_line": sorted(_reference_six_lines(), key=_shape_order),
    }
    bets: list[dict] = []
    for _ in range(rng.randint(1, 20)):
        kind = rng.choice([k for k in PAY_TABLE if title is AMERICAN or k != "top_line"])
        bet: dict = {"kind": kind, "weight": rng.randint(1, 1000)}
        if kind in inside:
            bet["numbers"] = sorted(rng.choice(inside[kind]), key=str)
        elif kind in ("dozen", "column"):
            bet[kind] = rng.randint(1, 3)
        bets.append(bet)
    return bets


def _merged(outcomes) -> dict[Fraction, Fraction]:
    """Probability by multiplier, from ``Outcome``s or (multiplier, probability) pairs."""
    merged: dict[Fraction, Fraction] = {}
    for o in outcomes:
        multiplier, probability = o if isinstance(o, tuple) else (o.multiplier, o.probability)
        merged[multiplier] = merged.get(multiplier, Fraction(0)) + probability
    return merged


# -- the titles ----------------------------------------------------------------------------


def test_the_three_tables_have_stable_codes_and_read_the_roulette_mapping():
    assert [t.code for t in roulette.TITLES] == [
        "roulette-european",
        "roulette-french",
        "roulette-american",
    ]
    assert {t.fair_game for t in roulette.TITLES} == {"roulette"}
    assert {t.mechanic for t in roulette.TITLES} == {"roulette"}
    assert [t.pockets for t in roulette.TITLES] == [37, 37, 38]


# -- the layout: exactly the bets the felt allows --------------------------------------------


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_every_straight_split_and_street_on_the_felt_is_taken_and_nothing_else(title):
    assert _accepted(title, "straight", 1) == {frozenset({n}) for n in _labels(title)}
    assert _accepted(title, "split", 2) == _reference_splits(title)
    assert _accepted(title, "street", 3) == _reference_streets(title)
    assert len(_reference_splits(title)) == (58 if title is AMERICAN else 60)


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_every_corner_on_the_felt_is_taken_and_nothing_else(title):
    assert _accepted(title, "corner", 4) == _reference_corners()
    assert len(_reference_corners()) == 22


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_six_lines_are_two_neighbouring_rows(title):
    for six in _reference_six_lines():
        assert _accepts(title, {"kind": "six_line", "numbers": sorted(six)})
    # Rows that do not touch, a row and a half, and the zeros are no six line.
    for numbers in ([1, 2, 3, 7, 8, 9], [1, 2, 3, 4, 5, 7], [0, 1, 2, 3, 4, 5]):
        assert not _accepts(title, {"kind": "six_line", "numbers": numbers})
    rng = random.Random(6)
    for _ in range(2_000):
        numbers = rng.sample(range(1, 37), 6)
        assert _accepts(title, {"kind": "six_line", "numbers": numbers}) == (
            frozenset(numbers) in _reference_six_lines()
        )


def test_only_the_american_table_has_a_top_line_and_a_double_zero():
    assert _accepts(AMERICAN, {"kind": "top_line"})
    assert _accepts(AMERICAN, {"kind": "straight", "numbers": ["00"]})
    for title in SINGLE_ZERO:
        assert not _accepts(title, {"kind": "top_line"})
        assert not _accepts(title, {"kind": "straight", "numbers": ["00"]})


def test_a_checked_bet_is_normalised_in_table_order_with_a_default_weight():
    checked = AMERICAN.check({"bets": [{"kind": "street", "numbers": [2, "00", 0]}]})
    assert checked == {"bets": [{"kind": "street", "weight": 1, "numbers": [0, "00", 2]}]}
    assert AMERICAN.check(checked) == checked
    checked = EUROPEAN.check({"bets": [{"kind": "dozen", "dozen": 3, "weight": 7}]})
    assert checked == {"bets": [{"kind": "dozen", "weight": 7, "dozen": 3}]}


# -- exact returns ---------------------------------------------------------------------------


def _hand_rtp(title: roulette.Roulette, kind: str) -> Fraction:
    covered, to_one = PAY_TABLE[kind]
    if title is FRENCH and kind in EVEN_MONEY:
        # 18 pockets return the stake twice, 0 returns half of it (la partage).
        return (covered * 2 + Fraction(1, 2)) / 37
    return Fraction(covered * (to_one + 1), title.pockets)


def test_the_rtp_of_every_configuration_is_the_hand_computed_one():
    rtps = {
        (title.code, config["bets"][0]["kind"]): par_sheet(
            title.code, str(config), title.distribution(config)
        ).rtp
        for title in ALL
        for config in title.configurations()
    }
    assert rtps == {
        (title.code, kind): _hand_rtp(title, kind)
        for title in ALL
        for kind in PAY_TABLE
        if title is AMERICAN or kind != "top_line"
    }
    # The figures themselves, for the PAR sheet.
    assert {rtps["roulette-european", k] for k in PAY_TABLE if k != "top_line"} == {
        Fraction(36, 37)
    }
    assert rtps["roulette-french", "red"] == Fraction(73, 74) == 1 - Fraction(1, 74)
    assert rtps["roulette-french", "straight"] == Fraction(36, 37)
    assert rtps["roulette-american", "straight"] == Fraction(36, 38)
    # 5 pockets × 7 = 35 of 38: the top line's edge is 3/38 (7.89 %), not 2/38.
    assert rtps["roulette-american", "top_line"] == Fraction(35, 38)


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_every_configuration_returns_at_least_75_percent_and_its_top_award_can_be_won(title):
    for config in title.configurations():
        par = par_sheet(title.code, str(config), title.distribution(config))
        assert par.rtp >= MIN_RTP
        assert TITLE_RTP_RANGE[0] <= par.rtp <= TITLE_RTP_RANGE[1]
        kind = config["bets"][0]["kind"]
        assert par.max_multiplier == PAY_TABLE[kind][1] + 1
        assert par.max_probability > 0
        assert par.exact


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_every_inside_bet_on_the_felt_returns_the_tables_rtp(title):
    shapes = (
        [frozenset({n}) for n in _labels(title)]
        + list(_reference_splits(title))
        + list(_reference_streets(title))
        + list(_reference_corners())
        + list(_reference_six_lines())
    )
    kinds = {1: "straight", 2: "split", 3: "street", 4: "corner", 6: "six_line"}
    for shape in shapes:
        bet = {"kind": kinds[len(shape)], "numbers": list(shape)}
        config = title.check({"bets": [bet]})
        rtp = par_sheet(title.code, str(bet), title.distribution(config)).rtp
        assert rtp == Fraction(36, title.pockets)


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_a_bet_list_pays_the_weighted_mean_of_its_bets_returns(title):
    rng = random.Random(title.code)
    for _ in range(40):
        bets = _random_bets(title, rng)
        config = title.check({"bets": bets})
        expected = _merged(
            (_reference_multiplier(title, bets, label), Fraction(1, title.pockets))
            for label in _labels(title)
        )
        assert _merged(title.distribution(config)) == expected


def test_la_partage_gives_back_half_of_an_even_money_stake_when_zero_comes():
    bets = [{"kind": "red", "weight": 3}, {"kind": "straight", "numbers": [0], "weight": 1}]
    config = FRENCH.check({"bets": bets})
    # Pocket 0: the red bet returns 3/2, the straight on 0 returns 36; per unit of 4 staked.
    assert _merged(FRENCH.distribution(config))[(Fraction(3, 2) + 36) / 4] == Fraction(1, 37)
    european = _merged(EUROPEAN.distribution(EUROPEAN.check({"bets": bets})))
    assert european[Fraction(36, 4)] == Fraction(1, 37)


# -- rounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_play_lands_on_the_provably_fair_pocket_and_pays_the_reference(title):
    rng = random.Random(f"{title.code}:play")
    bets = _random_bets(title, rng)
    config = title.check({"bets": bets})
    seen = set()
    for _ in range(400):
        seeds = RoundSeeds(
            rng.randbytes(32).hex(), f"player-{rng.randrange(10**6)}", rng.randrange(10**9)
        )
        pocket = fair.roulette_pocket(seeds, title.pockets)
        label = "00" if pocket == 37 else pocket
        play = title.play(seeds.stream(), config)
        colour = "green" if label in (0, "00") else "red" if label in REDS else "black"
        assert play.outcome == {"pocket": label, "color": colour}
        assert play.multiplier == _reference_multiplier(title, bets, label)
        seen.add(label)
    assert len(seen) > 30


def test_a_pocket_always_pays_the_same_shared_multiplier_object():
    config = EUROPEAN.check({"bets": [{"kind": "red"}, {"kind": "straight", "numbers": [3]}]})
    seeds = RoundSeeds("ab" * 32, "shared", 1)
    first = EUROPEAN.play(seeds.stream(), config).multiplier
    again = EUROPEAN.play(seeds.stream(), EUROPEAN.check(config)).multiplier
    assert first is again


SIMULATED = {
    EUROPEAN: [{"kind": "straight", "numbers": [17]}],
    FRENCH: [
        {"kind": "red", "weight": 10},
        {"kind": "split", "numbers": [0, 3], "weight": 2},
        {"kind": "corner", "numbers": [25, 26, 28, 29], "weight": 3},
    ],
    AMERICAN: [
        {"kind": "top_line", "weight": 2},
        {"kind": "column", "column": 3, "weight": 5},
        {"kind": "straight", "numbers": ["00"], "weight": 1},
    ],
}


@pytest.mark.parametrize("title", ALL, ids=lambda t: t.code)
def test_a_million_seeded_rounds_return_what_the_par_sheet_says(title):
    config = title.check({"bets": SIMULATED[title]})
    par = par_sheet(title.code, "simulated", title.distribution(config))
    result = simulate(title, config, 1_000_000, top=par.max_multiplier)
    low, high = par.rtp_interval(1_000_000)
    assert low <= result.rtp <= high
    assert result.top_awards > 0


# -- refused bets ----------------------------------------------------------------------------

BAD_BETS = [
    pytest.param(EUROPEAN, None, id="no bets"),
    pytest.param(EUROPEAN, [], id="empty list"),
    pytest.param(EUROPEAN, [{"kind": "red"}] * 21, id="21 bets"),
    pytest.param(EUROPEAN, {"kind": "red"}, id="a bet, not a list"),
    pytest.param(EUROPEAN, ["red"], id="a bet that is not an object"),
    pytest.param(EUROPEAN, [{"kind": "basket"}], id="unknown kind"),
    pytest.param(EUROPEAN, [{"numbers": [17]}], id="no kind"),
    pytest.param(EUROPEAN, [{"kind": "top_line"}], id="top line on european"),
    pytest.param(FRENCH, [{"kind": "top_line"}], id="top line on french"),
    pytest.param(EUROPEAN, [{"kind": "red", "weight": 0}], id="weight 0"),
    pytest.param(EUROPEAN, [{"kind": "red", "weight": -3}], id="negative weight"),
    pytest.param(EUROPEAN, [{"kind": "red", "weight": 1001}], id="weight 1001"),
    pytest.param(EUROPEAN, [{"kind": "red", "weight": True}], id="weight true"),
    pytest.param(EUROPEAN, [{"kind": "red", "weight": 2.0}], id="weight float"),
    pytest.param(EUROPEAN, [{"kind": "split", "numbers": [1, 5]}], id="non-adjacent split"),
    pytest.param(EUROPEAN, [{"kind": "split", "numbers": [3, 4]}], id="split across rows"),
    pytest.param(EUROPEAN, [{"kind": "split", "numbers": [0, 4]}], id="split zero-four"),
    pytest.param(AMERICAN, [{"kind": "split", "numbers": [0, 3]}], id="american 0-3 split"),
    pytest.param(EUROPEAN, [{"kind": "split", "numbers": [17, 17]}], id="split twice 17"),
    pytest.param(EUROPEAN, [{"kind": "street", "numbers": [3, 4, 5]}], id="street across rows"),
    pytest.param(EUROPEAN, [{"kind": "corner", "numbers": [3, 4, 6, 7]}], id="corner wraps"),
    pytest.param(EUROPEAN, [{"kind": "corner", "numbers": [0, 1, 2, 3]}], id="first four"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": [37]}], id="number 37"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": [-1]}], id="number -1"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": ["00"]}], id="00 on european"),
    pytest.param(AMERICAN, [{"kind": "straight", "numbers": ["0"]}], id="text zero"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": [17.0]}], id="float number"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": [True]}], id="bool number"),
    pytest.param(EUROPEAN, [{"kind": "straight", "numbers": 17}], id="numbers not a list"),
    pytest.param(EUROPEAN, [{"kind": "straight"}], id="straight without number"),
    pytest.param(EUROPEAN, [{"kind": "split", "numbers": [17]}], id="split of one"),
    pytest.param(EUROPEAN, [{"kind": "dozen", "dozen": 4}], id="dozen 4"),
    pytest.param(EUROPEAN, [{"kind": "dozen"}], id="dozen missing"),
    pytest.param(EUROPEAN, [{"kind": "column", "column": 0}], id="column 0"),
    pytest.param(EUROPEAN, [{"kind": "column", "column": True}], id="column true"),
    pytest.param(EUROPEAN, [{"kind": "dozen", "dozen": 2.0}], id="dozen float"),
    pytest.param(EUROPEAN, [{"kind": "column", "column": "2"}], id="column text"),
    pytest.param(EUROPEAN, [{"kind": "red", "numbers": [17]}], id="numbers on a red bet"),
    pytest.param(EUROPEAN, [{"kind": "dozen", "dozen": 1, "column": 2}], id="column on dozen"),
    pytest.param(AMERICAN, [{"kind": "top_line", "numbers": [0]}], id="numbers on top line"),
]


@pytest.mark.parametrize(("title", "bets"), BAD_BETS)
def test_a_bet_the_table_does_not_take_is_refused_naming_the_bets(title, bets):
    with pytest.raises(InvalidBet) as refused:
        title.check({} if bets is None else {"bets": bets})
    assert refused.value.code == "rgs.invalid_bet"
    assert refused.value.extra["parameter"] == "bets"


def test_a_refusal_names_the_bet_at_fault():
    good = {"kind": "red"}
    with pytest.raises(InvalidBet) as refused:
        EUROPEAN.check({"bets": [good, good, {"kind": "split", "numbers": [1, 5]}]})
    assert refused.value.extra["bet"] == 2
    assert "Bet 3" in refused.value.detail

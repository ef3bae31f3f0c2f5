"""Tower: every difficulty and every cash-out floor returns exactly 99 %, the traps are
croupier's tower mapping read floor by floor from the round's bytes (recomputed here from the
HMAC, not from the title's code), nothing hidden shows while a round is open, and a million
seeded rounds of one strategy land in the 99 % interval."""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Iterator
from fractions import Fraction
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.products.rgs.errors import InvalidAction, InvalidBet
from croupier.products.rgs.fair import NumberStream, RoundSeeds, check_server_seed, plinko_drop
from croupier.products.rgs.games.base import Action
from croupier.products.rgs.games.catalogue import TITLES, is_multi_step, par_sheets
from croupier.products.rgs.games.tower import LEVELS, Tower, multiplier
from croupier.products.rgs.math import par_sheet
from croupier.products.rgs.models import RgsSeedPair
from croupier.products.rgs.simulate import simulation_seeds
from tests.core.players.player_fixtures import assert_problem
from tests.policy.policy_fixtures import UNIT
from tests.products.rgs.rgs_fixtures import KEYRING
from tests.products.rgs.rgs_fixtures import money_state as _state

TOWER = Tower()
FLOORS = 9
# tiles and traps per floor, as the rules give them
DIFFICULTIES = {
    "easy": (4, 1),
    "medium": (3, 1),
    "hard": (2, 1),
    "expert": (3, 2),
    "master": (4, 3),
}
CASHOUT = Action("cashout")


def pick(tile: object) -> Action:
    return Action("pick", {"tile": tile})


def _seeds(rng: random.Random) -> RoundSeeds:
    return RoundSeeds(rng.randbytes(32).hex(), "c", rng.randrange(10**6))


def published_traps(seeds: RoundSeeds, difficulty: str) -> list[list[int]]:
    """Croupier's tower mapping from the protocol text: the stream's 4-byte numbers, floor by
    floor from the bottom; a floor of N tiles draws its T traps without replacement, draw j
    taking index floor(k · (N − j) / 2^32) of the tiles left, in ascending order."""

    def numbers() -> Iterator[int]:
        r = 0
        while True:
            message = f"{seeds.client_seed}:{seeds.nonce}:{r}".encode()
            digest = hmac.new(seeds.server_seed.encode(), message, hashlib.sha256).digest()
            for i in range(0, 32, 4):
                yield int.from_bytes(digest[i : i + 4], "big")
            r += 1

    tiles, traps = DIFFICULTIES[difficulty]
    k = numbers()
    floors = []
    for _ in range(FLOORS):
        left = list(range(tiles))
        floors.append([left.pop(next(k) * (tiles - j) // 2**32) for j in range(traps)])
    return floors


# -- the math --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params", TOWER.configurations(), ids=lambda p: f"{p['difficulty']}-{p['floors']}"
)
def test_every_difficulty_and_cash_out_floor_returns_exactly_99_percent(params):
    d, k = params["difficulty"], params["floors"]
    tiles, traps = DIFFICULTIES[d]
    # By hand: a floor is safe when its traps miss the picked tile, C(N − 1, T) of C(N, T).
    survive = Fraction(comb(tiles - 1, traps), comb(tiles, traps)) ** k
    sheet = par_sheet("tower", "", TOWER.distribution(params))
    assert sheet.rtp == Fraction(99, 100)
    assert sheet.max_multiplier == Fraction(99, 100) / survive == multiplier(d, k)
    assert sheet.max_probability == survive > 0
    assert sheet.hit_frequency == survive


def test_the_configurations_are_every_difficulty_with_every_cash_out_floor():
    assert [(p["difficulty"], p["floors"]) for p in TOWER.configurations()] == [
        (d, k) for d in DIFFICULTIES for k in range(1, FLOORS + 1)
    ]
    assert {d: (lv.tiles, lv.traps) for d, lv in LEVELS.items()} == DIFFICULTIES


def test_the_top_awards_are_those_the_rules_document():
    documented = {
        "easy": "13.19x",
        "medium": "38.06x",
        "hard": "506.88x",
        "expert": "19,486.17x",
        "master": "259,522.56x",
    }
    for d, (tiles, traps) in DIFFICULTIES.items():
        top = Fraction(99, 100) * Fraction(tiles, tiles - traps) ** FLOORS
        assert multiplier(d, FLOORS) == top
        assert f"{float(top):,.2f}x" == documented[d]


def test_tower_is_in_the_catalogue_as_a_multi_step_title_with_its_par_sheets():
    title = TITLES["tower"]
    assert is_multi_step(title)
    assert (title.mechanic, title.fair_game) == ("tower", "tower")
    assert len(par_sheets("tower")) == len(DIFFICULTIES) * FLOORS


# -- rounds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_the_traps_are_the_published_tower_mapping_and_a_trap_ends_the_round(difficulty):
    rng = random.Random(difficulty)
    tiles, _ = DIFFICULTIES[difficulty]
    for _ in range(100):
        seeds = _seeds(rng)
        traps = published_traps(seeds, difficulty)
        climbed = rng.randrange(FLOORS)  # safe floors before the trap
        moves = [
            pick(rng.choice([t for t in range(tiles) if t not in traps[f]])) for f in range(climbed)
        ]
        hit = rng.choice(traps[climbed])
        step = TOWER.replay(NumberStream(seeds), {"difficulty": difficulty}, [*moves, pick(hit)])
        assert step.finished
        assert step.multiplier == 0
        assert step.view["trap_tiles"] == traps
        assert (step.view["hit"], step.view["floor"]) == (hit, climbed)
        assert step.view["picked"] == [m.args["tile"] for m in moves]


def test_on_hard_the_traps_are_the_path_fair_verify_plinko_prints_for_nine_rows():
    # The verification note of tower.py: one trap of two tiles per floor is pick(2) per floor.
    rng = random.Random(2)
    for _ in range(50):
        seeds = _seeds(rng)
        step = TOWER.replay(NumberStream(seeds), {"difficulty": "hard"}, [pick(0)])
        if not step.finished:
            step = TOWER.replay(NumberStream(seeds), {"difficulty": "hard"}, [pick(0), CASHOUT])
        assert [floor[0] for floor in step.view["trap_tiles"]] == list(plinko_drop(seeds, 9).path)


@settings(max_examples=150, deadline=None)
@given(
    key=st.binary(min_size=32, max_size=32),
    nonce=st.integers(0, 10**6),
    difficulty=st.sampled_from(list(DIFFICULTIES)),
    tiles=st.lists(st.integers(0, 3), max_size=FLOORS),
    cash_out=st.booleans(),
)
def test_a_round_played_move_by_move_hides_the_traps_until_it_ends_and_pays_the_multiplier(
    key, nonce, difficulty, tiles, cash_out
):
    seeds = RoundSeeds(key.hex(), "c", nonce)
    params = TOWER.check({"difficulty": difficulty})
    n, _ = DIFFICULTIES[difficulty]
    traps = published_traps(seeds, difficulty)
    moves: list[Action] = []
    step = TOWER.replay(NumberStream(seeds), params, moves)
    for tile in [t % n for t in tiles]:
        if step.finished:
            break
        assert "trap_tiles" not in step.view
        assert "hit" not in step.view
        assert step.multiplier is None
        floor = len(moves)
        assert step.view["floor"] == floor
        assert step.view["multiplier"] == str(multiplier(difficulty, floor))
        assert step.view["next_multiplier"] == str(multiplier(difficulty, floor + 1))
        assert step.allowed == (("pick", "cashout") if floor else ("pick",))
        moves.append(pick(tile))
        step = TOWER.replay(NumberStream(seeds), params, moves)
        trapped = tile in traps[floor]
        assert step.finished == (trapped or floor + 1 == FLOORS)
    if not step.finished and cash_out and moves:
        moves.append(CASHOUT)
        step = TOWER.replay(NumberStream(seeds), params, moves)
    if step.finished:
        floor = step.view["floor"]
        assert step.view["trap_tiles"] == traps
        assert step.view["picked"] == [m.args["tile"] for m in moves[:floor]]
        assert step.allowed == ()
        if "hit" in step.view:
            assert step.multiplier == 0
            assert step.view["hit"] in traps[floor]
        else:
            assert floor >= 1
            assert step.multiplier == multiplier(difficulty, floor)
    else:
        assert "trap_tiles" not in step.view
        assert step.view["floor"] == len(moves)


def test_climbing_the_ninth_floor_ends_the_round_at_the_top_award():
    rng = random.Random(9)
    for difficulty, (tiles, _) in DIFFICULTIES.items():
        seeds = _seeds(rng)
        traps = published_traps(seeds, difficulty)
        moves = [pick(next(t for t in range(tiles) if t not in floor)) for floor in traps]
        step = TOWER.replay(NumberStream(seeds), {"difficulty": difficulty}, moves)
        assert step.finished
        assert step.multiplier == multiplier(difficulty, FLOORS)
        assert step.view["floor"] == FLOORS
        assert step.view["trap_tiles"] == traps
        with pytest.raises(InvalidAction) as refused:
            TOWER.replay(NumberStream(seeds), {"difficulty": difficulty}, [*moves, CASHOUT])
        assert refused.value.extra["action"] == "cashout"


def _round_with_a_trap_on_floor_1() -> tuple[RoundSeeds, list[list[int]]]:
    # medium: a seed whose floor-0 trap is not tile 0, so pick(0) climbs and pick(trap) loses
    rng = random.Random(1)
    while True:
        seeds = _seeds(rng)
        traps = published_traps(seeds, "medium")
        if 0 not in traps[0]:
            return seeds, traps


@pytest.mark.parametrize(
    ("moves", "key", "value"),
    [
        ([CASHOUT], "action", "cashout"),  # nothing climbed yet
        ([pick(3)], "parameter", "tile"),  # medium floors have tiles 0, 1, 2
        ([pick(-1)], "parameter", "tile"),
        ([pick("1")], "parameter", "tile"),
        ([pick(True)], "parameter", "tile"),
        ([pick(1.0)], "parameter", "tile"),
        ([Action("pick")], "parameter", "args"),
        ([Action("pick", {"tile": 0, "floor": 0})], "parameter", "args"),
        ([pick(0), Action("cashout", {"now": True})], "parameter", "args"),
        ([Action("climb", {"tile": 0})], "action", "climb"),
        ([pick(0), CASHOUT, pick(1)], "action", "pick"),  # after the end
        ([pick(0), CASHOUT, CASHOUT], "action", "cashout"),
        ([pick(0), "TRAP", pick(0)], "action", "pick"),  # after a trap
    ],
)
def test_moves_that_are_not_open_are_refused_naming_what_is_wrong(moves, key, value):
    seeds, traps = _round_with_a_trap_on_floor_1()
    played = [pick(traps[1][0]) if m == "TRAP" else m for m in moves]
    with pytest.raises(InvalidAction) as refused:
        TOWER.replay(NumberStream(seeds), {"difficulty": "medium"}, played)
    assert refused.value.extra[key] == value


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"difficulty": "insane"}, "difficulty"),
        ({"difficulty": "Easy"}, "difficulty"),
        ({"difficulty": 2}, "difficulty"),
        ({"difficulty": None}, "difficulty"),
        ({"floors": 3}, "params"),
        ({"difficulty": "easy", "tiles": 4}, "params"),
    ],
)
def test_bad_bets_are_refused_naming_the_parameter(params, parameter):
    with pytest.raises(InvalidBet) as refused:
        TOWER.check(params)
    assert refused.value.extra["parameter"] == parameter


def test_a_bet_is_a_difficulty_medium_unless_chosen():
    assert TOWER.check({}) == {"difficulty": "medium"}
    for d in DIFFICULTIES:
        assert TOWER.check({"difficulty": d}) == {"difficulty": d}


# -- a million rounds ------------------------------------------------------------------------


def test_a_million_rounds_of_four_floors_then_cash_out_land_in_the_99_percent_interval():
    # Strategy: medium, pick tiles 0, 1, 2, 0 on floors 0-3 (or until a trap), cash out.
    params = {"difficulty": "medium"}
    moves = [pick(0), pick(1), pick(2), pick(0), CASHOUT]
    server_seed, client_seed = simulation_seeds("tower:medium:4")
    key = check_server_seed(server_seed).encode()
    sheet = par_sheet("tower", "", TOWER.distribution({"difficulty": "medium", "floors": 4}))
    rounds = 1_000_000
    counts: dict[Fraction, int] = {}
    for nonce in range(rounds):
        stream = NumberStream.of_checked(key, client_seed, nonce)
        # One trap of three tiles per floor: pick(3) of the floor's tiles, floor by floor.
        hit = next((f for f in range(4) if stream.pick(3) == moves[f].args["tile"]), None)
        played = moves if hit is None else moves[: hit + 1]
        m = TOWER.replay(NumberStream.of_checked(key, client_seed, nonce), params, played)
        assert m.multiplier is not None
        counts[m.multiplier] = counts.get(m.multiplier, 0) + 1
    paid = sum((m * n for m, n in counts.items()), Fraction(0))
    low, high = sheet.rtp_interval(rounds)
    assert low <= float(paid / rounds) <= high
    assert set(counts) == {Fraction(0), multiplier("medium", 4)}


# -- through the API -------------------------------------------------------------------------


def _traps(db, round_body, difficulty) -> list[list[int]]:
    """Where the traps are: the test opens the sealed seed with the development key, as only
    the server can."""
    with db.read_only() as s:
        pair = s.get(RgsSeedPair, round_body["seed_pair_id"])
        seed = KEYRING.open(pair.server_seed_sealed, pair.id).decode()
    return published_traps(
        RoundSeeds(seed, round_body["client_seed"], round_body["nonce"]), difficulty
    )


def test_two_floors_then_cash_out_through_the_api_pays_the_published_multiplier(db, clock, player):
    client, view = player
    before = _state(db, view)[0]
    opened = client.post(
        "/api/v1/games/tower/rounds",
        json={"round_key": "t1", "stake": UNIT, "params": {"difficulty": "hard"}},
    ).json()
    traps = _traps(db, opened, "hard")
    url = f"/api/v1/me/rounds/{opened['id']}/actions"
    moves = [{"step": f, "action": "pick", "args": {"tile": 1 - traps[f][0]}} for f in range(2)]
    climbed = [client.post(url, json=m).json() for m in moves]
    cashed = client.post(url, json={"step": 2, "action": "cashout"}).json()

    assert (opened["state"], opened["allowed"]) == ("open", ["pick"])
    assert all("trap_tiles" not in r["outcome"] for r in (opened, *climbed))
    assert climbed[1]["outcome"]["next_multiplier"] == str(multiplier("hard", 3))
    paid = int(UNIT * multiplier("hard", 2))  # 3.96 units
    assert (cashed["state"], cashed["payout"]) == ("settled", paid)
    assert cashed["outcome"]["trap_tiles"] == traps
    assert _state(db, view)[0] == before - UNIT + paid


def test_a_bad_difficulty_through_the_api_is_refused_and_moves_nothing(db, clock, player):
    client, view = player
    before = _state(db, view)
    refused = client.post(
        "/api/v1/games/tower/rounds",
        json={"round_key": "t2", "stake": UNIT, "params": {"difficulty": "impossible"}},
    )
    assert_problem(refused, 422, "rgs.invalid_bet")
    assert _state(db, view) == before

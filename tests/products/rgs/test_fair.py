"""Provably fair outcomes (PROTOCOLS.md §1): re-derived independently, pinned, and checked.

The reference derivations below are written the way public verifiers describe the scheme
(``struct`` words, bytes-to-float, float arithmetic, list removal), not the way the module
computes it, so a shared mistake is unlikely. The known answers were computed once and pinned:
they catch any change to the bytes a round produces, which would break every past verification.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import struct
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from croupier.kernel.errors import DomainError
from croupier.products.rgs import fair
from croupier.products.rgs.errors import (
    InvalidClientSeed,
    InvalidFairParameter,
    InvalidSeed,
    InvalidServerSeed,
)
from croupier.products.rgs.fair import RoundSeeds

SERVER_SEED = "d79883a9fe5550e2bf6f8dee84105640b61db817d6ebbb991169bb6ac52ab1c1"
CLIENT_SEED = "lucky-seed_42"

server_seeds = st.binary(min_size=32, max_size=32).map(bytes.hex)
client_seeds = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=":"),
    min_size=1,
    max_size=64,
)
nonces = st.integers(min_value=0, max_value=2**63)
round_seeds = st.builds(RoundSeeds, server_seeds, client_seeds, nonces)


# -- an independent reference, written as public verifiers describe it ------------------------


def _reference_round(server_seed: str, client_seed: str, nonce: int, r: int) -> bytes:
    key = bytes(server_seed, "ascii")
    message = bytes(client_seed + ":" + str(nonce) + ":" + str(r), "ascii")
    return hmac.HMAC(key, message, digestmod="sha256").digest()


def _reference_words(seeds: RoundSeeds, count: int) -> list[int]:
    words: list[int] = []
    r = 0
    while len(words) < count:
        digest = _reference_round(seeds.server_seed, seeds.client_seed, seeds.nonce, r)
        words.extend(struct.unpack(">8I", digest))
        r += 1
    return words[:count]


def _reference_floats(seeds: RoundSeeds, count: int) -> list[float]:
    # The industry's bytes-to-float: each of 4 bytes weighted by 256^-(i+1).
    stream = b"".join(
        _reference_round(seeds.server_seed, seeds.client_seed, seeds.nonce, r)
        for r in range((4 * count + 31) // 32)
    )
    return [
        sum(byte / 256 ** (i + 1) for i, byte in enumerate(stream[4 * j : 4 * j + 4]))
        for j in range(count)
    ]


def _reference_draw(floats: list[float], population: list[object]) -> list[object]:
    remaining = list(population)  # already in ascending order
    drawn = []
    for f in floats:
        drawn.append(remaining.pop(math.floor(f * len(remaining))))
    return drawn


# -- seeds and commitment ------------------------------------------------------------------


def test_a_new_server_seed_is_64_lower_case_hex_characters_and_never_repeats():
    seeds = {fair.new_server_seed() for _ in range(50)}
    assert len(seeds) == 50
    for seed in seeds:
        assert len(seed) == 64
        assert set(seed) <= set("0123456789abcdef")
        RoundSeeds(seed, CLIENT_SEED, 0)


def test_the_commitment_is_sha256_of_the_seed_hex_text():
    assert fair.commitment(SERVER_SEED) == hashlib.sha256(SERVER_SEED.encode()).hexdigest()
    assert (
        fair.commitment(SERVER_SEED)
        == "5c57d47263786fa0e65beeb16ec6778f38fa4d20874abab5196c75a5c8ba18a9"
    )
    # Not the hash of the 32 bytes: the scheme hashes the text the player will be shown.
    assert fair.commitment(SERVER_SEED) != hashlib.sha256(bytes.fromhex(SERVER_SEED)).hexdigest()


def test_a_default_client_seed_is_valid_and_random():
    defaults = {fair.default_client_seed() for _ in range(50)}
    assert len(defaults) == 50
    for seed in defaults:
        assert fair.check_client_seed(seed) == seed


def test_the_server_seed_stays_out_of_a_rounds_repr():
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, 3)
    assert SERVER_SEED not in repr(seeds)
    assert CLIENT_SEED in repr(seeds)


# -- the byte stream and its numbers ---------------------------------------------------------


def test_the_first_numbers_match_an_independent_hmac_derivation():
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, 0)
    stream = seeds.stream()
    numbers = [stream.next_number() for _ in range(20)]
    assert numbers == _reference_words(seeds, 20)
    floats = _reference_floats(seeds, 20)
    assert [k / 2**32 for k in numbers] == floats
    assert stream.cursor == 80


def test_the_ninth_number_is_the_first_word_of_hmac_round_one():
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, 5)
    stream = seeds.stream()
    for _ in range(8):
        stream.next_number()
    assert stream.cursor == 32
    round_one = _reference_round(SERVER_SEED, CLIENT_SEED, 5, 1)
    assert stream.next_number() == struct.unpack(">I", round_one[:4])[0]
    assert fair.round_digest(seeds, 1) == round_one


def test_a_read_that_straddles_two_rounds_takes_the_end_of_one_and_the_start_of_the_next():
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, 0)
    stream = seeds.stream()
    stream.next_bytes(30)
    round_zero = _reference_round(SERVER_SEED, CLIENT_SEED, 0, 0)
    round_one = _reference_round(SERVER_SEED, CLIENT_SEED, 0, 1)
    assert stream.next_bytes(4) == round_zero[30:] + round_one[:2]


@given(seeds=round_seeds, sizes=st.lists(st.integers(0, 70), max_size=8))
def test_reads_of_any_sizes_concatenate_to_the_hmac_rounds_in_order(seeds, sizes):
    stream = seeds.stream()
    read = b"".join(stream.next_bytes(size) for size in sizes)
    rounds = b"".join(
        _reference_round(seeds.server_seed, seeds.client_seed, seeds.nonce, r)
        for r in range(sum(sizes) // 32 + 1)
    )
    assert read == rounds[: sum(sizes)]
    assert stream.cursor == sum(sizes)


@given(seeds=round_seeds)
def test_numbers_match_the_reference_across_several_rounds(seeds):
    stream = seeds.stream()
    assert [stream.next_number() for _ in range(17)] == _reference_words(seeds, 17)


def test_pick_known_values():
    assert fair.pick(0, 37) == 0
    assert fair.pick(2**32 - 1, 37) == 36
    assert fair.pick(2**31, 2) == 1
    assert fair.pick(2**31 - 1, 2) == 0
    assert fair.pick(2**32 - 1, 2**32) == 2**32 - 1


@given(k=st.integers(0, 2**32 - 1), n=st.integers(1, 2**21))
def test_pick_agrees_with_the_published_float_formula(k, n):
    # k / 2^32 * n is exact in a double while k * n < 2^53, so the float form is a fair oracle.
    assert fair.pick(k, n) == math.floor(k / 2**32 * n)
    assert 0 <= fair.pick(k, n) < n


@given(k=st.integers(0, 2**32 - 2), n=st.integers(1, 2**32))
def test_pick_never_decreases_as_k_grows(k, n):
    assert fair.pick(k, n) <= fair.pick(k + 1, n) < n


# -- known answers (computed once, pinned) ---------------------------------------------------

# nonce → (first 10 numbers, dice, European pocket, American pocket, limbo, 6 cards,
#          keno, 3 mines, plinko 16 rows, wheel 10, wheel 50)
KNOWN_ANSWERS = {
    0: (
        [1562951846, 2896794735, 3935755547, 1672616006, 3243794860,
         303444103, 1034547325, 532042374, 2279717019, 2395351739],
        3639, 13, 13, 272,
        ["6S", "TC", "KC", "7D", "JC", "2C"],
        [15, 28, 37, 16, 31, 3, 10, 6, 22, 24],
        [9, 17, 23],
        (0, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0, 1, 0),
        3, 18,
    ),
    1: (
        [729519086, 1864401100, 879765876, 2159183845, 2497002064,
         1383080499, 3912788150, 2127766004, 4093268042, 1712275507],
        1698, 6, 6, 582,
        ["4D", "7S", "4S", "8S", "9S", "6D"],
        [7, 18, 9, 22, 25, 14, 37, 21, 39, 16],
        [4, 11, 5],
        (0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1),
        1, 8,
    ),
    7: (
        [2600752059, 810923090, 3148333819, 2032929268, 4288884531,
         317141517, 337476335, 2949233619, 231267208, 928964701],
        6055, 22, 23, 163,
        ["9C", "4H", "JS", "8D", "AC", "2C"],
        [25, 8, 30, 19, 40, 3, 4, 28, 2, 11],
        [15, 4, 18],
        (1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1),
        6, 30,
    ),
}  # fmt: skip


@pytest.mark.parametrize("nonce", sorted(KNOWN_ANSWERS))
def test_known_answers_for_a_fixed_seed_pair(nonce):
    (numbers, dice, european, american, limbo, cards, keno, mines, path, wheel10, wheel50) = (
        KNOWN_ANSWERS[nonce]
    )
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, nonce)
    stream = seeds.stream()
    assert [stream.next_number() for _ in range(10)] == numbers
    assert fair.dice_roll(seeds) == dice
    assert fair.roulette_pocket(seeds) == european
    assert fair.roulette_pocket(seeds, 38) == american
    assert fair.limbo_multiplier(seeds) == limbo
    assert fair.cards_with_replacement(seeds, 6) == cards
    assert fair.keno_draw(seeds) == keno
    assert fair.mine_tiles(seeds, 3) == mines
    assert fair.plinko_drop(seeds, 16).path == path
    assert fair.wheel_segment(seeds, 10) == wheel10
    assert fair.wheel_segment(seeds, 50) == wheel50


def test_known_full_deck_and_full_minefield():
    seeds = RoundSeeds(SERVER_SEED, CLIENT_SEED, 0)
    assert fair.shuffled_deck(seeds) == [
        "6S", "TC", "KC", "7D", "JC", "2C", "5D", "3S", "9D", "9H", "QH", "5C", "JD",
        "4C", "TD", "5S", "7C", "AS", "QC", "4D", "KD", "6H", "JS", "QS", "AC", "7H",
        "TS", "6C", "KH", "KS", "JH", "6D", "5H", "AH", "4H", "2S", "7S", "8C", "9C",
        "3H", "TH", "9S", "4S", "8D", "QD", "8H", "2H", "2D", "3C", "8S", "3D", "AD",
    ]  # fmt: skip
    assert fair.mine_tiles(seeds, 24) == [
        9, 17, 23, 8, 18, 1, 5, 3, 14, 13, 20, 7, 16, 6, 15, 4, 11, 24, 21, 2, 22, 10, 19, 12,
    ]  # fmt: skip


def test_the_card_order_is_ranks_two_to_ace_and_suits_diamonds_hearts_spades_clubs():
    assert len(fair.CARDS) == 52
    assert fair.CARDS[:5] == ("2D", "2H", "2S", "2C", "3D")
    assert fair.CARDS[32:36] == ("TD", "TH", "TS", "TC")
    assert fair.CARDS[-1] == "AC"


# -- the games against the reference -------------------------------------------------------


def test_dice_matches_the_public_verifier_formula_for_many_seed_pairs():
    # roll = floor(float * 10001) / 100, the formula third-party dice verifiers print.
    rng = random.Random(20240601)
    for _ in range(2000):
        seeds = RoundSeeds(rng.randbytes(32).hex(), rng.randbytes(rng.randint(1, 32)).hex()[:64],
                           rng.randrange(10**6))  # fmt: skip
        (f,) = _reference_floats(seeds, 1)
        roll = fair.dice_roll(seeds)
        assert roll == math.floor(f * 10001)
        assert fair.format_hundredths(roll) == f"{math.floor(f * 10001) / 100:.2f}"


@given(seeds=round_seeds)
def test_dice_roll_is_between_0_and_100_and_matches_the_float_formula(seeds):
    roll = fair.dice_roll(seeds)
    assert 0 <= roll <= 10000
    assert roll == math.floor(_reference_floats(seeds, 1)[0] * 10001)


@given(seeds=round_seeds, pockets=st.sampled_from([37, 38]))
def test_roulette_pocket_is_the_first_float_times_the_pocket_count(seeds, pockets):
    pocket = fair.roulette_pocket(seeds, pockets)
    assert 0 <= pocket < pockets
    assert pocket == math.floor(_reference_floats(seeds, 1)[0] * pockets)


@given(seeds=round_seeds)
def test_limbo_is_never_below_one_and_matches_exact_rational_arithmetic(seeds):
    multiplier = fair.limbo_multiplier(seeds)
    assert multiplier >= 100
    (k,) = _reference_words(seeds, 1)
    expected = math.floor(Fraction(99) / Fraction(k, 2**32)) if k else fair.LIMBO_MAX_MULTIPLIER
    assert multiplier == max(100, expected)


def test_limbo_known_boundaries():
    assert fair.limbo_multiplier_for(2**31) == 198  # float 0.5 → 1.98x
    assert fair.limbo_multiplier_for(2**32 - 1) == 100  # 99.00… is raised to the 1.00x floor
    assert fair.limbo_multiplier_for(1) == 99 * 2**32
    assert fair.limbo_multiplier_for(99 * 2**32 // 100) == 100
    assert fair.limbo_multiplier_for(99 * 2**32 // 101) == 101


def test_limbo_number_zero_gives_the_games_maximum():
    assert fair.limbo_multiplier_for(0) == fair.LIMBO_MAX_MULTIPLIER == 99 * 2**32
    assert fair.limbo_multiplier_for(0, max_multiplier=1_000_000) == 1_000_000


@given(k=st.integers(1, 2**32 - 2))
def test_limbo_never_rises_as_the_number_grows_and_zero_is_the_top(k):
    assert fair.limbo_multiplier_for(k) >= fair.limbo_multiplier_for(k + 1)
    assert fair.limbo_multiplier_for(0) >= fair.limbo_multiplier_for(k)


@given(seeds=round_seeds, count=st.integers(1, 20))
def test_cards_with_replacement_follow_the_float_formula(seeds, count):
    cards = fair.cards_with_replacement(seeds, count)
    floats = _reference_floats(seeds, count)
    assert cards == [fair.CARDS[math.floor(f * 52)] for f in floats]


@given(seeds=round_seeds)
def test_keno_draws_10_distinct_squares_from_1_to_40_as_the_reference_does(seeds):
    drawn = fair.keno_draw(seeds)
    assert len(drawn) == len(set(drawn)) == 10
    assert all(1 <= square <= 40 for square in drawn)
    assert drawn == _reference_draw(_reference_floats(seeds, 10), list(range(1, 41)))


@given(seeds=round_seeds, mines=st.integers(1, 24))
def test_mines_are_distinct_tiles_0_to_24_as_the_reference_draws_them(seeds, mines):
    tiles = fair.mine_tiles(seeds, mines)
    assert len(tiles) == len(set(tiles)) == mines
    assert all(0 <= tile <= 24 for tile in tiles)
    assert tiles == _reference_draw(_reference_floats(seeds, mines), list(range(25)))
    # Fewer mines on the same seeds are the first of the same draw.
    assert fair.mine_tiles(seeds, 1) == tiles[:1]


@given(seeds=round_seeds, rows=st.integers(8, 16))
def test_plinko_lands_in_the_slot_counted_by_its_right_bounces(seeds, rows):
    drop = fair.plinko_drop(seeds, rows)
    assert len(drop.path) == rows
    assert set(drop.path) <= {0, 1}
    assert 0 <= drop.slot <= rows
    assert drop.slot == drop.path.count(1)
    assert list(drop.path) == [math.floor(f * 2) for f in _reference_floats(seeds, rows)]


@given(seeds=round_seeds, segments=st.integers(2, 1000))
def test_wheel_segment_is_within_the_wheel(seeds, segments):
    segment = fair.wheel_segment(seeds, segments)
    assert 0 <= segment < segments
    assert segment == math.floor(_reference_floats(seeds, 1)[0] * segments)


@settings(max_examples=50)
@given(seeds=round_seeds, count=st.integers(1, 52))
def test_the_deck_is_a_permutation_of_52_cards_and_its_top_is_its_prefix(seeds, count):
    deck = fair.shuffled_deck(seeds)
    assert sorted(deck) == sorted(fair.CARDS)
    assert deck == _reference_draw(_reference_floats(seeds, 52), list(fair.CARDS))
    assert fair.deck_top(seeds, count) == deck[:count]


@pytest.mark.parametrize(
    ("hundredths", "text"),
    [(0, "0.00"), (5, "0.05"), (100, "1.00"), (198, "1.98"), (4123, "41.23"), (10000, "100.00")],
)
def test_hundredths_render_with_two_decimals(hundredths, text):
    assert fair.format_hundredths(hundredths) == text


# -- bad input is refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "server_seed",
    [
        SERVER_SEED.upper(),
        SERVER_SEED[:-1],
        SERVER_SEED + "0",
        "",
        "g" + SERVER_SEED[1:],
        " " + SERVER_SEED[1:],
        bytes.fromhex(SERVER_SEED),
        None,
    ],
)
def test_a_server_seed_that_is_not_64_lower_case_hex_is_refused(server_seed):
    with pytest.raises(InvalidServerSeed) as exc_info:
        RoundSeeds(server_seed, CLIENT_SEED, 0)
    assert exc_info.value.code == "rgs.invalid_server_seed"
    assert isinstance(exc_info.value, InvalidSeed)
    with pytest.raises(InvalidServerSeed):
        fair.commitment(server_seed)


@pytest.mark.parametrize(
    "client_seed",
    ["", "x" * 65, "a:b", ":", "with space", " lead", "tab\there", "é", "seed\n", "\x7f", 42],
)
def test_a_client_seed_outside_the_rules_is_refused(client_seed):
    with pytest.raises(InvalidClientSeed) as exc_info:
        RoundSeeds(SERVER_SEED, client_seed, 0)
    assert exc_info.value.code == "rgs.invalid_client_seed"


@pytest.mark.parametrize("client_seed", ["a", "x" * 64, "!~", "Lucky_Seed-2024.#1"])
def test_a_client_seed_within_the_rules_is_accepted(client_seed):
    assert RoundSeeds(SERVER_SEED, client_seed, 0).client_seed == client_seed


@pytest.mark.parametrize("nonce", [-1, 1.0, True, "0", None])
def test_a_nonce_that_is_not_a_non_negative_integer_is_refused(nonce):
    with pytest.raises(InvalidFairParameter) as exc_info:
        RoundSeeds(SERVER_SEED, CLIENT_SEED, nonce)
    assert exc_info.value.code == "rgs.invalid_fair_parameter"
    assert exc_info.value.extra == {"parameter": "nonce"}


SEEDS = RoundSeeds(SERVER_SEED, CLIENT_SEED, 0)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: fair.mine_tiles(SEEDS, 0), "mines"),
        (lambda: fair.mine_tiles(SEEDS, 25), "mines"),
        (lambda: fair.mine_tiles(SEEDS, True), "mines"),
        (lambda: fair.plinko_drop(SEEDS, 7), "rows"),
        (lambda: fair.plinko_drop(SEEDS, 17), "rows"),
        (lambda: fair.wheel_segment(SEEDS, 1), "segments"),
        (lambda: fair.wheel_segment(SEEDS, 1001), "segments"),
        (lambda: fair.roulette_pocket(SEEDS, 36), "pockets"),
        (lambda: fair.roulette_pocket(SEEDS, True), "pockets"),
        (lambda: fair.cards_with_replacement(SEEDS, 0), "count"),
        (lambda: fair.cards_with_replacement(SEEDS, 1025), "count"),
        (lambda: fair.deck_top(SEEDS, 0), "count"),
        (lambda: fair.deck_top(SEEDS, 53), "count"),
        (lambda: fair.limbo_multiplier(SEEDS, max_multiplier=99), "max_multiplier"),
        (lambda: fair.limbo_multiplier_for(2**32), "k"),
        (lambda: fair.pick(-1, 10), "k"),
        (lambda: fair.pick(2**32, 10), "k"),
        (lambda: fair.pick(5, 0), "n"),
        (lambda: fair.pick(5, 2**32 + 1), "n"),
        (lambda: fair.format_hundredths(-1), "value"),
        (lambda: fair.round_digest(SEEDS, -1), "round_index"),
        (lambda: SEEDS.stream().next_bytes(-1), "count"),
    ],
)
def test_an_out_of_range_game_parameter_is_refused_as_a_domain_error(call, parameter):
    with pytest.raises(InvalidFairParameter) as exc_info:
        call()
    assert isinstance(exc_info.value, DomainError)
    assert exc_info.value.status == 422
    assert exc_info.value.extra == {"parameter": parameter}


@settings(max_examples=200, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    reads=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=8),
)
def test_numbers_read_at_once_are_the_numbers_read_one_by_one(seed, reads):
    # The fast paths (inside an HMAC round, a whole next round) and the general one (across
    # rounds) of NumberStream.numbers all give what next_number gives, wherever they start.
    seeds = RoundSeeds(seed.hex(), "c", 7)
    at_once, one_by_one = seeds.stream(), seeds.stream()
    for count in reads:
        assert list(at_once.numbers(count)) == [one_by_one.next_number() for _ in range(count)]
        assert at_once.cursor == one_by_one.cursor


@settings(max_examples=100, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    before=st.integers(min_value=0, max_value=20),
    rounds=st.integers(min_value=1, max_value=4),
)
def test_the_rest_of_a_round_is_the_next_numbers_up_to_the_round_s_end(seed, before, rounds):
    seeds = RoundSeeds(seed.hex(), "c", 3)
    rest, one_by_one = seeds.stream(), seeds.stream()
    rest.numbers(before)
    expected = [one_by_one.next_number() for _ in range(before)]
    for _ in range(rounds):
        got = list(rest.rest_of_round())
        expected = [one_by_one.next_number() for _ in range(len(got))]
        assert got == expected
        assert 1 <= len(got) <= 8
        assert rest.cursor == one_by_one.cursor
        assert rest.cursor % 32 == 0  # it ends where an HMAC round ends

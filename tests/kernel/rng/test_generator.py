"""The generator: exactly unbiased scaling, fair shuffles, thread safety."""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from croupier.kernel.rng import Rng, default_rng
from croupier.kernel.rng.generator import CHUNK
from croupier.kernel.rng.health import STARTUP_SAMPLES

from .byte_sources import ShakeSource, StreamSource, counter


def startup_then(stream: Iterator[int]) -> Iterator[int]:
    """Good bytes for the start-up test, then the stream under study."""
    yield from os.urandom(STARTUP_SAMPLES)
    yield from stream


@pytest.mark.parametrize(
    ("n", "width", "min_entropy"),
    [(3, 1, 2), (37, 1, 2), (52, 1, 2), (10001, 2, 1)],
)
def test_every_value_of_the_draw_maps_to_each_outcome_equally_often(
    n: int, width: int, min_entropy: float
) -> None:
    # The source enumerates every value a draw of `width` bytes can take, once each, in order.
    # (A 2-byte counter repeats its zero high byte, so that case assumes H = 1.)
    source = StreamSource(startup_then(counter(width)))
    rng = Rng(source, min_entropy=min_entropy)
    space = 1 << (8 * width)
    zone = space - space % n  # the values at or above `zone` are rejected

    outcomes = Counter(rng.randbelow(n) for _ in range(zone))

    assert outcomes == dict.fromkeys(range(n), zone // n)  # exactly uniform
    assert source.served == STARTUP_SAMPLES + zone * width  # values below the zone: no redraw
    # The next call meets the rejected values zone..space-1, draws again from the start of the
    # enumeration, and returns what value 0 maps to.
    assert rng.randbelow(n) == 0
    assert source.served == STARTUP_SAMPLES + (space + 1) * width


def test_n_of_one_draws_nothing_and_nonpositive_n_is_refused() -> None:
    source = StreamSource(startup_then(counter()))
    rng = Rng(source)
    assert rng.randbelow(1) == 0
    assert source.served == 0
    with pytest.raises(ValueError, match="positive"):
        rng.randbelow(0)
    with pytest.raises(ValueError, match="positive"):
        rng.randbelow(-3)


class ScriptedRng(Rng):
    """An Rng whose randbelow answers from a script, to check what the helpers do with it."""

    def __init__(self, script: Iterator[int]) -> None:
        super().__init__(ShakeSource(b"unused"))
        self.script = script
        self.asked: list[int] = []

    def randbelow(self, n: int) -> int:
        self.asked.append(n)
        value = next(self.script)
        assert 0 <= value < n
        return value


def test_fisher_yates_turns_every_draw_sequence_into_a_different_permutation() -> None:
    # Shuffling 4 items draws randbelow(4), randbelow(3), randbelow(2): 24 equally likely
    # sequences of draws must give the 24 permutations, one each.
    permutations = []
    for draws in itertools.product(range(4), range(3), range(2)):
        rng = ScriptedRng(iter(draws))
        items = ["A", "B", "C", "D"]
        rng.shuffle(items)
        assert rng.asked == [4, 3, 2]
        permutations.append(tuple(items))
    assert sorted(permutations) == sorted(itertools.permutations("ABCD"))


def test_sample_turns_every_draw_sequence_into_a_different_selection() -> None:
    selections = []
    for draws in itertools.product(range(5), range(4)):
        rng = ScriptedRng(iter(draws))
        selections.append(tuple(rng.sample(range(5), 2)))
        assert rng.asked == [5, 4]
    assert sorted(selections) == sorted(itertools.permutations(range(5), 2))


def test_choice_sample_and_random_bytes_refuse_impossible_requests() -> None:
    rng = Rng(ShakeSource(b"requests"))
    with pytest.raises(IndexError):
        rng.choice([])
    with pytest.raises(ValueError, match="sample larger"):
        rng.sample([1, 2], 3)
    with pytest.raises(ValueError, match="negative"):
        rng.random_bytes(-1)
    assert rng.random_bytes(0) == b""
    assert rng.choice(["only"]) == "only"


def test_random_bytes_longer_than_one_chunk_come_whole() -> None:
    rng = Rng()
    size = 3 * CHUNK + 17
    data = rng.random_bytes(size)
    assert len(data) == size
    assert rng.status().samples_tested == STARTUP_SAMPLES + size


def test_concurrent_draws_are_each_tested_once() -> None:
    rng = Rng()
    per_thread, threads = 2_000, 8

    def play() -> None:
        for _ in range(per_thread):
            rng.randbelow(256)  # one byte per draw: 256 divides 2**8, so nothing is rejected

    workers = [threading.Thread(target=play) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert rng.status().samples_tested == STARTUP_SAMPLES + per_thread * threads


def test_the_process_has_one_generator_over_the_os_csprng() -> None:
    assert default_rng() is default_rng()
    assert default_rng().source_name == "os.urandom"

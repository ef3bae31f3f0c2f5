"""Generated ids: time-ordered, unique, their random part from the kernel's CSPRNG through a
per-thread pool that a forked child does not share."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from croupier.kernel import ids
from croupier.kernel.ids import new_id, random_bytes


def test_ids_are_unique_and_sort_by_creation_time() -> None:
    made = [new_id("bet") for _ in range(20_000)]  # several refills of the pool
    assert len(set(made)) == len(made)
    assert all(m.startswith("bet_") and len(m) == 30 for m in made)
    times = [m[4:14] for m in made]  # the 48-bit millisecond time, 10 characters
    assert times == sorted(times)


def test_random_bytes_come_from_os_urandom_a_pool_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    real = os.urandom

    def counted(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(ids.os, "urandom", counted)

    def draw() -> list[bytes]:  # a fresh thread: a pool of its own, empty at first
        return [random_bytes(16) for _ in range(512)]  # 8 KiB: two refills

    with ThreadPoolExecutor(1) as pool:
        drawn = pool.submit(draw).result()
    assert calls == [4096, 4096]
    assert len(set(drawn)) == len(drawn)
    assert len(random_bytes(5000)) == 5000  # more than a pool: drawn whole


def test_threads_draw_different_bytes() -> None:
    drawn: list[bytes] = []
    lock = threading.Lock()

    def draw() -> None:
        mine = [random_bytes(10) for _ in range(1000)]
        with lock:
            drawn.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(drawn)) == 4000


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_hand_out_its_parents_pooled_bytes() -> None:
    random_bytes(1)  # the pool is filled: 4,095 bytes wait in it
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next bytes, sent to the parent
        try:
            os.write(write, random_bytes(32))
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 32)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32
    assert child != random_bytes(32)  # the parent's next bytes: the child had others

"""Keep the garbage collector's full passes short in a serving process.

A serving process holds a large heap that lives as long as it does: the application, the
catalogues, the games' PAR sheets. CPython's full (oldest-generation) collection walks every
tracked object, so with that heap each one stopped every thread for ~150 ms (measured under
the sportsbook bench: 11 full passes in 40 s, the longest 156 ms). A request that arrived
during one waited for it, which made the p99 of bet placement a garbage-collection pause.

:func:`freeze_long_lived` collects once and then moves everything alive into the
collector's permanent generation (``gc.freeze``), which later passes skip: a full pass then
walks only what was allocated since. The objects frozen are the ones that stay for the
life of the process anyway; cyclic garbage made afterwards is still collected as before.
The server freezes after start-up and again when the PAR sheets are computed.

What is left to walk still took ~10-12 ms a full pass, and a full pass came every ~1.5 s
under load (every 10 middle passes, CPython's default): a batch of bets caught by one took
twice as long, which set the placement p99. Full passes now come after 100 middle passes
(:data:`FULL_PASS_AFTER`): about every 15 s under that load. Cyclic garbage that lived long
enough to reach the oldest generation waits that much longer to be freed (a few thousand
objects).
"""

from __future__ import annotations

import gc
import time

import structlog

log = structlog.get_logger(__name__)


# Middle (generation 1) passes between two full ones; CPython's default is 10.
FULL_PASS_AFTER = 100


def freeze_long_lived(what: str) -> None:
    """Collect, then freeze every object alive now out of later collections, and space the
    full passes out (logged with ``what`` was just built, how many objects are frozen and
    how long it took)."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_AFTER)
    log.info(
        "heap.frozen",
        after=what,
        frozen_objects=gc.get_freeze_count(),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )


__all__ = ["FULL_PASS_AFTER", "freeze_long_lived"]

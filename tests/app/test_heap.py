"""A serving process freezes its long-lived heap out of the collector's passes."""

from __future__ import annotations

import gc

from structlog.testing import capture_logs

from croupier.app.heap import FULL_PASS_AFTER, freeze_long_lived


def test_freezing_moves_what_is_alive_out_of_later_collections_and_spaces_full_passes() -> None:
    kept = [[i] for i in range(10_000)]  # alive when frozen
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        with capture_logs() as logs:
            freeze_long_lived("a test")
        assert gc.get_freeze_count() >= len(kept)
        # Frozen objects are in no generation: a full pass does not walk them.
        assert not any(obj is kept[0] for obj in gc.get_objects())
        (entry,) = [e for e in logs if e["event"] == "heap.frozen"]
        assert entry["after"] == "a test"
        assert entry["frozen_objects"] >= len(kept)
        assert gc.get_threshold() == (*thresholds[:2], FULL_PASS_AFTER)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert gc.get_freeze_count() == 0

"""GC tuning (issue 17): after tune() the loaded state is frozen out of the collector's walks,
pauses are measured, and a full collection re-freezes what survived it."""

from __future__ import annotations

import gc

import pytest

from emulator.core import gctune


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()
    if gctune._callback in gc.callbacks:
        gc.callbacks.remove(gctune._callback)
    gctune._state.update(installed=False, refreeze=False)


def test_tune_freezes_the_state_and_measures_pauses(restore_gc):
    state = [{"group": i, "members": {"a": [i]}} for i in range(20_000)]
    gctune.tune()
    assert gc.get_freeze_count() > 40_000          # the state is in the permanent generation
    assert gc.get_threshold()[0] == gctune.GEN0_THRESHOLD
    before = gctune.stats["collections"]
    garbage = [[i] for i in range(50_000)]         # young objects: collections happen
    del garbage
    gc.collect(0)
    assert gctune.stats["collections"] > before
    frozen = gc.get_freeze_count()
    new_state = [[i] for i in range(5_000)]      # lists: always tracked by the collector
    gc.collect()                                   # a full collection re-freezes survivors
    assert gc.get_freeze_count() >= frozen + 5_000
    assert gctune.stats["full"] >= 1 and gctune.stats["longest_ms"] > 0
    assert state and new_state


def test_refreeze_after_load_is_a_no_op_until_tuned(restore_gc):
    count = gc.get_freeze_count()
    keep = [[i] for i in range(1000)]
    gctune.refreeze_after_load()
    assert gc.get_freeze_count() == count
    assert keep

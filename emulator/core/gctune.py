"""Garbage-collector tuning for a process that holds a large, long-lived state.

CPython's full (generation 2) collection walks every tracked container. The emulator's state
is millions of such objects (groups, members, index dicts) that live until a reset, so at
large state each full collection paused every request for seconds while finding nothing to
free (README "Reliability" has the figures). The state is freed by reference counting when a
reset or load replaces it: its one kind of reference cycle, a stored message and its
conversation, is broken by MessageStore.release() when the tenant is dropped
(TenantBackend.discard).

- ``tune()`` (at start, after the scenario and state file are loaded): one full collection,
  then ``gc.freeze()``: what survives moves to the permanent generation, never walked again.
- with ``refreeze``, every full collection ends with another freeze, so the next one walks only
  what was created since: pauses follow the growth between collections, not the state's size.
- the young-generation threshold is raised so request garbage is collected in fewer, still
  short, passes.

The cost: a reference cycle that was alive when frozen and dies later is not reclaimed (frozen
objects are still freed by reference counting, which is how the state is freed).

Start-up (``python -m emulator``, ``im-emulator``): ``pause_for_start()`` turns the collector off
before the first import; ``resume_after_imports()`` (create_app, once every module is loaded,
before any scenario, state file or durable log is read) freezes what the imports made and turns
it back on; tune() then collects and freezes the loaded state as before. Loading ~75,000 module
objects otherwise ran ~115 young and one full collection, ~30 ms of a ~340 ms start, each walking
objects that live as long as the process (bench/README.md, round 4).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger("emulator.gc")

GEN0_THRESHOLD = 10_000       # CPython default 700
SLOW_PAUSE_S = 0.1            # a collection this long is logged (once per run of them)

_state = {"installed": False, "refreeze": False}
stats = {"collections": 0, "full": 0, "longest_ms": 0.0, "total_ms": 0.0}
_started = [0.0]


def _callback(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    pause = time.perf_counter() - _started[0]
    stats["collections"] += 1
    stats["total_ms"] += pause * 1000
    stats["longest_ms"] = max(stats["longest_ms"], pause * 1000)
    if info["generation"] == 2:
        stats["full"] += 1
        if _state["refreeze"]:
            gc.freeze()
    if pause >= SLOW_PAUSE_S:
        log.warning("garbage collection of generation %d paused the server", info["generation"])


def tune(refreeze: bool = True) -> None:
    """Freeze what is alive now (after a full collection) and keep measuring pauses."""
    gc.collect()
    gc.freeze()
    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, g1, g2)
    _state["refreeze"] = refreeze
    if not _state["installed"]:
        gc.callbacks.append(_callback)
        _state["installed"] = True


def pause_for_start() -> None:
    """No collections while the process imports its modules (see the module docstring)."""
    if gc.isenabled():
        gc.disable()
        _state["paused"] = True


def resume_after_imports() -> None:
    """Undo pause_for_start: freeze what the imports made, then enable. A no-op when the
    collector was not paused here (tests, an embedding application).

    No collection first: it walked the ~75,000 module objects for ~12 ms to free ~1,800 (~0.4 MB
    of import-time cycles: attrs' class builders, closures), which stay frozen instead, once.
    Freezing matters more than collecting: enabled with everything still young, the collector
    would walk all of it at the next allocation."""
    if _state.pop("paused", False):
        gc.freeze()
        gc.enable()


def refreeze_after_load() -> None:
    """After a big scenario or state load: freeze the new state too (cheap: no collection)."""
    if _state["installed"]:
        gc.freeze()

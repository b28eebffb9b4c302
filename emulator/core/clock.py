"""The emulator's clock. Signature expiry, rate-limit windows and every timestamp the emulator
writes read it, so tests can freeze or advance time through the control plane."""

from __future__ import annotations

import time


class Clock:
    def __init__(self) -> None:
        self._frozen: float | None = None
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        if self._frozen is not None:
            return self._frozen
        return time.time() + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def freeze_at(self, epoch_s: float) -> None:
        self._frozen = float(epoch_s)

    def advance(self, seconds: float) -> None:
        if self._frozen is not None:
            self._frozen += seconds
        else:
            self._offset += seconds

    def real(self) -> None:
        self._frozen = None
        self._offset = 0.0

    def describe(self) -> dict:
        mode = "frozen" if self._frozen is not None else ("offset" if self._offset else "real")
        return {"mode": mode, "now": self.now(), "offset_s": self._offset}

    # --- durable state (core/persist.py) -----------------------------------------------------
    def state(self) -> dict:
        return {"frozen": self._frozen, "offset": self._offset}

    def restore(self, state: dict) -> None:
        self._frozen = None if state.get("frozen") is None else float(state["frozen"])
        self._offset = float(state.get("offset") or 0.0)

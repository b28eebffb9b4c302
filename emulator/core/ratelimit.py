"""Per (provider, tenant, api) request-rate limiter.

Fixed one-second windows on the emulator clock: deterministic under a frozen clock, which is what
tests need ("the 201st call in the same second fails, the next second passes").
"""

from __future__ import annotations

from .clock import Clock


class RateLimiter:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._windows: dict[tuple, list] = {}   # key -> [window second, count]

    def allow(self, provider: str, tenant: str, api: str, per_second: float | None) -> bool:
        """Count one request; False when it exceeds ``per_second`` (0 or None disables)."""
        if not per_second:
            return True
        second = int(self.clock.now())
        key = (provider, tenant, api)
        win = self._windows.get(key)
        if win is None or win[0] != second:
            self._windows[key] = [second, 1]
            return True
        if win[1] >= per_second:
            return False
        win[1] += 1
        return True

    def reset(self, provider: str | None = None, tenant: str | None = None) -> None:
        if provider is None:
            self._windows.clear()
            return
        for key in [k for k in self._windows if k[0] == provider and (tenant is None or k[1] == tenant)]:
            del self._windows[key]

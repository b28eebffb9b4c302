"""A bounded memo for work that depends only on its key (verified credentials, compiled schemas)."""

from __future__ import annotations


class BoundedCache(dict):
    """A dict that forgets its oldest entry once it holds ``size`` (FIFO): clients reuse a few
    credentials, so a small bound keeps every hit while memory stays flat under churn."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key, value) -> None:
        if len(self) >= self.size:
            del self[next(iter(self))]
        self[key] = value

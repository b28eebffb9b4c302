"""The one exception type every pipeline step raises. Providers subclass it with their own table
of codes (code -> default message, HTTP status); handlers never build error bodies."""

from __future__ import annotations

from typing import ClassVar


class ProviderError(Exception):
    """An error the calling provider renders in its own envelope.

    Subclasses set ``table``: ``{code: (default message, http_status)}``. ``message`` overrides
    the default text; ``detail`` carries extra context (OpenIM errDlt, a field name, ...);
    ``http_status`` overrides the table's status (fault injection uses it).
    """

    table: ClassVar[dict[int, tuple[str, int]]] = {}
    default_status: ClassVar[int] = 200

    def __init__(self, code: int, message: str | None = None, detail: str = "",
                 http_status: int | None = None, **extra) -> None:
        default_msg, status = self.table.get(code, ("", self.default_status))
        self.code = code
        self.message = default_msg if message is None else message
        self.detail = detail
        self.http_status = status if http_status is None else http_status
        self.extra = extra
        super().__init__(f"{code} {self.message} {detail}".strip())


class ScenarioError(Exception):
    """A scenario (YAML file or control-plane body) that cannot be applied.

    ``errors`` is a list of (path, reason) pairs; path looks like ``tencent.apps[0].sdkappid``.
    """

    def __init__(self, source: str, errors: list[tuple[str, str]]) -> None:
        self.source = source
        self.errors = errors
        lines = [f"{source}: {path}: {reason}" if path else f"{source}: {reason}" for path, reason in errors]
        super().__init__("\n".join(lines))

    def as_json(self) -> dict:
        return {"error": "invalid scenario", "source": self.source,
                "details": [{"path": p, "reason": r} for p, r in self.errors]}


class SeedError(Exception):
    """Raised by a backend while applying a scenario section: ``path`` is relative to the section."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def under(self, prefix: str) -> "SeedError":
        """The same error with its path inside ``prefix`` (the key or index of an outer section)."""
        return SeedError(f"{prefix}.{self.path}" if self.path else prefix, self.reason)

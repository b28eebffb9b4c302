"""Start-up only (``python -m emulator``, ``im-emulator``): import marshmallow without compiling the
two e-mail regular expressions its validate module builds at import.

``marshmallow.validate.Email`` compiles USER_REGEX and DOMAIN_REGEX in its class body; the domain
pattern spans every Unicode letter, case-insensitively, and the two took ~23 ms of CPU at each
start, ~7% of it (bench/README.md, round 4). No emulator schema validates e-mail addresses. While
marshmallow.validate is imported here, a ``re.compile`` called from that module's own code returns
a pattern that compiles itself on first use (Email only calls ``.match`` on them); every other
caller, and every call after the import, gets ``re.compile`` itself.
"""

from __future__ import annotations

import re
import sys

_MODULE = "marshmallow.validate"


class DeferredPattern:
    """A ``re.Pattern`` made on first attribute access (``.match``, ``.pattern``, ...)."""

    __slots__ = ("_compile", "_args", "_pattern")

    def __init__(self, compile_, *args) -> None:
        self._compile = compile_
        self._args = args
        self._pattern = None

    def __getattr__(self, name: str):
        if name.startswith("__") and not hasattr(re.Pattern, name):
            raise AttributeError(name)   # ABCMeta asks every class attribute for __isabstractmethod__
        pattern = self._pattern
        if pattern is None:
            pattern = self._pattern = self._compile(*self._args)
        return getattr(pattern, name)


def import_marshmallow() -> None:
    """Import marshmallow, deferring the regular expressions compiled in marshmallow.validate's
    class bodies. A no-op once marshmallow.validate is loaded."""
    if _MODULE in sys.modules:
        return
    real = re.compile

    def compile_(pattern, flags=0):
        if sys._getframe(1).f_globals.get("__name__") == _MODULE:
            return DeferredPattern(real, pattern, flags)
        return real(pattern, flags)

    re.compile = compile_
    try:
        import marshmallow  # noqa: F401
    except Exception:   # a marshmallow that uses the patterns at import: the plain import instead
        for name in [m for m in sys.modules if m == "marshmallow" or m.startswith("marshmallow.")]:
            del sys.modules[name]
    else:
        return
    finally:
        re.compile = real
    import marshmallow  # noqa: F401,F811

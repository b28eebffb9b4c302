"""Matching and templating for golden exchanges (fixtures/exchanges/<provider>/*.yaml).

Response bodies match exactly, except for marker strings:
  <<any>> present, any value      <<absent>> key must be absent     <<int>> / <<str>> by type
  <<re:PATTERN>> str, fullmatch   <<save:NAME>> present; value saved for later steps
In requests, "{{NAME}}" is replaced by a saved value (a string that is exactly "{{NAME}}" takes
the saved value with its own type).
"""

from __future__ import annotations

import re
from typing import Any

MARK = re.compile(r"^<<(any|absent|int|str|re:.*|save:\w+)>>$", re.S)
VAR = re.compile(r"\{\{(\w+)\}\}")


def substitute(value: Any, saved: dict) -> Any:
    if isinstance(value, str):
        whole = VAR.fullmatch(value)
        if whole:
            return saved[whole.group(1)]
        return VAR.sub(lambda m: str(saved[m.group(1)]), value)
    if isinstance(value, dict):
        return {substitute(k, saved): substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    return value


def match(expected: Any, actual: Any, saved: dict, path: str = "$") -> list[str]:
    """Differences between expected (with markers) and actual, as readable lines."""
    if isinstance(expected, str):
        m = MARK.match(expected)
        if m:
            kind = m.group(1)
            if kind == "any":
                return []
            if kind == "absent":
                return [f"{path}: expected absent"]
            if kind == "int":
                ok = isinstance(actual, int) and not isinstance(actual, bool)
                return [] if ok else [f"{path}: expected an int, got {actual!r}"]
            if kind == "str":
                return [] if isinstance(actual, str) else [f"{path}: expected a string, got {actual!r}"]
            if kind.startswith("re:"):
                ok = isinstance(actual, str) and re.fullmatch(kind[3:], actual) is not None
                return [] if ok else [f"{path}: {actual!r} does not match /{kind[3:]}/"]
            saved[kind[5:]] = actual
            return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        out = []
        for key, exp in expected.items():
            if exp == "<<absent>>":
                if key in actual:
                    out.append(f"{path}.{key}: expected absent, got {actual[key]!r}")
            elif key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out.extend(match(exp, actual[key], saved, f"{path}.{key}"))
        out.extend(f"{path}.{key}: unexpected key (value {actual[key]!r})" for key in actual if key not in expected)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected a list of {len(expected)}, got {actual!r}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out.extend(match(e, a, saved, f"{path}[{i}]"))
        return out
    if type(expected) is not type(actual) and not (isinstance(expected, (int, float)) and
                                                    isinstance(actual, (int, float)) and
                                                    not isinstance(actual, bool)):
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]

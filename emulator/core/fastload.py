"""A precompiled fast path for the request schemas: same result as ``schema.load`` for valid bodies.

marshmallow's generic machinery (field lookups, error stores, ``And`` validators rebuilt per
value...) was 30-60% of the emulator's own work per request. Most route schemas use a small
subset of marshmallow: String, strict Integer, Raw, List, Nested, field validators,
``required``, ``allow_none``, ``load_default``, ``data_key`` and unknown=EXCLUDE/RAISE, without
hooks. Such a schema is compiled once, on first use, into a plain function.

The compiled function only ever accepts: the first value it is unsure about (a wrong type, a
missing required field, a validator that fails, an unknown key under RAISE...) makes it give
up, and the caller runs ``schema.load`` from the start, so every error, message and code is
marshmallow's own. Schemas using anything else are never compiled (``compile_schema`` -> None).
"""

from __future__ import annotations

from typing import Any, Callable

from marshmallow import EXCLUDE, RAISE, Schema, fields
from marshmallow.utils import missing


class GiveUp(Exception):
    """The fast path cannot vouch for this value: run marshmallow instead."""


_GIVE_UP = GiveUp()
_UNSUPPORTED = object()
_compiled: dict[int, tuple[Schema, Callable | None]] = {}


def fast_loader(schema: Schema) -> Callable[[Any], Any] | None:
    """The compiled loader of ``schema`` (cached), or None when it must always use marshmallow."""
    hit = _compiled.get(id(schema))
    if hit is None or hit[0] is not schema:
        # a schema with its own semantics (hooks, custom fields) may bring its own compiler:
        # a ``fast_compile()`` method with this module's contract (same result or GiveUp)
        own = getattr(schema, "fast_compile", None)
        hit = (schema, own() if own is not None else compile_schema(schema))
        _compiled[id(schema)] = hit
    return hit[1]


def compile_schema(schema: Schema, unknown: str | None = None) -> Callable[[Any], Any] | None:
    if schema.many or any(schema._hooks.values()):
        return None
    unknown = unknown or schema.unknown
    if unknown not in (EXCLUDE, RAISE):
        return None
    plan = []
    for attr, f in schema.load_fields.items():
        load, ctx = _compile_field(f), False
        if load is None:
            load, ctx = _compile_custom(f), True
        if load is None or (f.attribute and "." in f.attribute) or "." in attr:
            return None
        plan.append((f.data_key if f.data_key is not None else attr, f.attribute or attr, f.required,
                     f.load_default, f.allow_none, load, ctx))
    known = frozenset(p[0] for p in plan)
    raise_unknown = unknown == RAISE

    def load_schema(data: Any) -> dict:
        if type(data) is not dict:
            raise _GIVE_UP
        if raise_unknown and not known.issuperset(data):
            raise _GIVE_UP
        out: dict = {}
        for key, attr, required, default, allow_none, load, ctx in plan:
            value = data.get(key, missing)
            if value is missing:
                if required:
                    raise _GIVE_UP
                if default is not missing:
                    out[attr] = default() if callable(default) else default
            elif value is None:
                if not allow_none:
                    raise _GIVE_UP
                out[attr] = None
            else:
                out[attr] = load(value, key, data) if ctx else load(value)
        return out

    return load_schema


def exact_type(t: type) -> Callable[[Any], Any]:
    """A loader that passes values of exactly type ``t`` (no subclass: bool is not an int)."""
    def load(value):
        if type(value) is not t:
            raise _GIVE_UP
        return value
    return load


def _compile_field(f: fields.Field) -> Callable[[Any], Any] | None:
    """A function value -> loaded value (raising GiveUp), for a field already known non-None."""
    if f.pre_load or f.post_load:
        return None
    kind = type(f)
    if kind is fields.String:
        base = exact_type(str)
    elif kind is fields.Integer:
        if not f.strict or f.as_string:
            return None
        base = exact_type(int)              # strict: int only (bool and float are refused)
    elif kind is fields.Raw:
        def base(value):
            return value
    elif kind is fields.List:
        inner = _compile_item(f.inner)
        if inner is None:
            return None

        def base(value):
            if type(value) is not list:
                raise _GIVE_UP
            return [inner(v) for v in value]
    elif kind is fields.Nested:
        if f.many or not isinstance(f.schema, Schema):
            return None
        nested = compile_schema(f.schema, f.unknown)
        if nested is None:
            return None
        base = nested
    else:
        return None
    return with_validators(base, f.validators)


def with_validators(base: Callable[[Any], Any], validators) -> Callable[[Any], Any]:
    """``base`` followed by a field's validators; any failure gives up (marshmallow decides)."""
    validators = tuple(validators)
    if not validators:
        return base

    def validated(value):
        out = base(value)
        for v in validators:
            try:
                ok = v(out)
            except Exception:   # ValidationError or anything odd: marshmallow decides
                raise _GIVE_UP from None
            if ok is False:
                raise _GIVE_UP
        return out
    return validated


def _compile_item(f: fields.Field) -> Callable[[Any], Any] | None:
    """A list item: the field's checks, plus its missing/None handling (Field.deserialize)."""
    load = _compile_field(f)
    if load is None:
        return None
    allow_none = f.allow_none

    def item(value):
        if value is None:
            if not allow_none:
                raise _GIVE_UP
            return None
        return load(value)
    return item


def _compile_custom(f: fields.Field) -> Callable[[Any, str, dict], Any] | None:
    """A provider's own top-level field (a subclass that only implements ``_deserialize``):
    Field.deserialize's steps for a non-None value, calling that ``_deserialize`` as marshmallow
    does; any exception it or a validator raises means marshmallow decides."""
    kind = type(f)
    if (kind.__module__.split(".")[0] == "marshmallow" or f.pre_load or f.post_load
            or kind.deserialize is not fields.Field.deserialize
            or kind._validate is not fields.Field._validate
            or kind._validate_missing is not fields.Field._validate_missing
            or getattr(kind, "_validate_all", None) is not getattr(fields.Field, "_validate_all", None)):
        return None
    deserialize, validators = f._deserialize, tuple(f.validators)

    def custom(value, key, data):
        try:
            out = deserialize(value, key, data)
            for v in validators:
                if v(out) is False:
                    raise _GIVE_UP
        except Exception:
            raise _GIVE_UP from None
        return out
    return custom

"""The compiled fast path (core/fastload.py) for OpenIM's GoSchema bodies (schemas_base.py).

A GoSchema folds keys case-insensitively in a pre_load hook and its GoFields decode with Go's
rules, which the generic compiler does not know. This compiles them into plain functions with the
same result as ``schema.load`` for every body they accept: the key folding of ``fold_keys``, then
per field its zero for null, its load_default when absent, the strict JSON-type check of its
``decode`` and its validators. The first value they are unsure about raises GiveUp, and the
pipeline runs marshmallow from the start, so every error text stays marshmallow's own. A schema
or field that overrides anything these functions copy is never compiled (-> None).
"""

from __future__ import annotations

from typing import Any, Callable

from marshmallow import EXCLUDE, fields
from marshmallow.utils import missing

from emulator.core.fastload import GiveUp, exact_type, with_validators

from .schemas_base import (INT_RANGES, GoBool, GoField, GoInt, GoList, GoNested, GoObject,
                           GoSchema, GoString)

_GIVE_UP = GiveUp()


def compile_go_schema(schema: GoSchema) -> Callable[[Any], Any] | None:
    kind = type(schema)
    if schema.many or schema.unknown != EXCLUDE or kind.fold_keys is not GoSchema.fold_keys:
        return None
    for tag, hooks in schema._hooks.items():     # fold_keys (pre_load, not pass_many) alone
        if any(tag != "pre_load" or hook[0] != "fold_keys" or hook[1] for hook in hooks):
            return None
    if list(schema.fields) != list(schema.load_fields):
        return None
    names = frozenset(schema.fields.keys())
    lower = {n.lower(): n for n in schema.fields.keys()}    # as fold_keys builds it
    plan = []
    for attr, f in schema.load_fields.items():
        if f.data_key is not None or f.attribute is not None or "." in attr:
            return None
        load = _field(f)
        if load is None:
            return None
        plan.append((attr, f.required, f.load_default, f.zero, load))

    def load_schema(data: Any) -> dict:
        if type(data) is not dict:      # null bodies too (rare): marshmallow serves them
            raise _GIVE_UP
        folded: dict = {}
        for key, value in data.items():     # the last key naming a field sets it (fold_keys)
            if key in names:
                folded[key] = value
            elif type(key) is str:
                name = lower.get(key.lower())
                if name is not None:
                    folded[name] = value
            else:
                raise _GIVE_UP
        out: dict = {}
        for attr, required, default, zero, load in plan:
            value = folded.get(attr, missing)
            if value is missing:
                if required:
                    raise _GIVE_UP
                if default is not missing:
                    out[attr] = default() if callable(default) else default
            elif value is None:             # GoField.deserialize: null keeps the zero value
                out[attr] = zero()
            else:
                out[attr] = load(value)
        return out

    return load_schema


def _plain(f: fields.Field) -> bool:
    """The field runs GoField's own deserialize chain, without field-level hooks."""
    kind = type(f)
    return (isinstance(f, GoField) and kind.deserialize is GoField.deserialize
            and kind._deserialize is GoField._deserialize and kind._validate is fields.Field._validate
            and kind._validate_missing is fields.Field._validate_missing
            and not f.pre_load and not f.post_load)


def _decoder(f: fields.Field) -> Callable[[Any], Any] | None:
    """A function copying ``f.decode`` (value known non-None), raising GiveUp where it would fail."""
    if not isinstance(f, GoField):
        return None
    decode = type(f).decode
    if decode is GoString.decode:
        return exact_type(str)
    if decode is GoBool.decode:
        return exact_type(bool)
    if decode is GoObject.decode:
        return exact_type(dict)
    if decode is GoInt.decode:
        lo, hi = INT_RANGES[f.kind]

        def go_int(value):
            if type(value) is not int or not lo <= value <= hi:
                raise _GIVE_UP
            return value
        return go_int
    if decode is GoField.decode:
        return lambda value: value
    if decode is GoNested.decode:
        nested = compile_go_schema(f.schema_cls())
        if nested is None:
            return None

        def go_nested(value):
            if type(value) is not dict:
                raise _GIVE_UP
            return nested(value)
        return go_nested
    if decode is GoList.decode:
        inner = f.inner
        if isinstance(inner, GoNested):     # items go through the inner field's deserialize
            if not _plain(inner):
                return None
            item = _field(inner)
        else:                               # items are decoded directly: no validators
            item = _decoder(inner)
        if item is None:
            return None
        zero = inner.zero

        def go_list(value):
            if type(value) is not list:
                raise _GIVE_UP
            return [zero() if v is None else item(v) for v in value]
        return go_list
    return None


def _field(f: fields.Field) -> Callable[[Any], Any] | None:
    """A non-None value -> GoField.deserialize's result: decode, then the field's validators."""
    if not _plain(f):
        return None
    base = _decoder(f)
    if base is None:
        return None
    return with_validators(base, f.validators)

"""OpenIM's compiled GoSchema loaders (providers/openim/fastgo.py) must agree with marshmallow:
whenever one returns a value, schema.load returns the same value; otherwise it gives up.

Inputs: the JSON bodies of the golden exchanges, the mutations of tests/test_fastload.py, plus
Go's key folding (keys in other cases, a field named twice) and nested bodies' own mutations."""

from __future__ import annotations

import copy

import pytest

from emulator.core.fastload import GiveUp, fast_loader
from emulator.providers.openim.schemas_base import GoList, GoNested

from .test_fastload import ODD_VALUES, _bodies, _mutations, _routes, agree_all


def _openim():
    return {(path, api): s for (p, path, api), s in _routes().items() if p == "openim"}


def _nested_schema(f):
    if isinstance(f, GoList):
        f = f.inner
    return f.schema_cls() if isinstance(f, GoNested) else None


def _go_mutations(body: dict, schema):
    yield from _mutations(body, schema)
    yield None
    for key in list(body):
        yield {k.upper() if k == key else k: v for k, v in body.items()}
        yield {**body, key.lower(): body[key]}                  # named twice: the last one wins
        yield {key.swapcase(): 1, **body}
        yield {**body, key.swapcase(): None}
    for name, f in schema.load_fields.items():
        nested = _nested_schema(f)
        value = body.get(name)
        if nested is None or value is None:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items[:1]:
            if isinstance(item, dict):
                for sub in _mutations(item, nested):
                    yield {**body, name: [sub] if isinstance(value, list) else sub}
                    yield {**body, name: [sub, None] if isinstance(value, list) else None}
    for odd in ODD_VALUES:
        yield {**body, "pagination": copy.deepcopy(odd)}


def test_every_openim_schema_compiles():
    missing = [api for (_, api), s in _openim().items() if fast_loader(s) is None]
    assert not missing, missing


def test_openim_fast_path_agrees_with_marshmallow():
    bodies = _bodies()
    checked = answered = 0
    for (path, api), schema in _openim().items():
        for body in bodies.get(path, []) + [{}]:
            c, a = agree_all(schema, _go_mutations(body, schema), api)
            checked, answered = checked + c, answered + a
    assert checked > 5000 and answered > 1000, (checked, answered)


def test_openim_fast_path_gives_up_on_wrong_types():
    for schema in _openim().values():
        load = fast_loader(schema)
        for payload in (None, [], "x", 1, 1.5, True):
            with pytest.raises(GiveUp):
                load(payload)

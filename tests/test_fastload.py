"""The compiled schema fast path (providers/fastload.py) must agree with marshmallow: whenever it
returns a value, schema.load returns the same value; otherwise it gives up (marshmallow decides).

Inputs: every JSON body of the golden exchanges, plus mutations of each against its route's
schema (fields dropped, set to None, to values of other JSON types, unknown keys added)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from marshmallow import ValidationError

from emulator.app import PROVIDERS, load_provider_class
from emulator.core.clock import Clock
from emulator.core.fastload import GiveUp, fast_loader

EXCHANGES = Path(__file__).resolve().parent.parent / "fixtures" / "exchanges"
ODD_VALUES = [None, True, False, 0, 1, -1, 2**40, 1.5, "", "x", "0", "é" * 40, [], [1], ["a"], {},
              {"Key": "k", "Value": "v"}, [{"Key": "k", "Value": "v"}], [None], [{}]]


def _routes():
    out = {}
    for name in PROVIDERS:
        provider = load_provider_class(name)(Clock())
        for r in provider.routes():
            if r.schema is not None:
                out[(name, r.path, r.api)] = r.schema
    return out


def _bodies():
    """JSON bodies of the golden exchanges, per request path."""
    out: dict[str, list] = {}
    for f in sorted(EXCHANGES.rglob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        for step in doc.get("steps", []):
            req = step.get("request", {})
            if isinstance(req.get("json"), dict):
                out.setdefault(req["path"].split("?")[0], []).append(req["json"])
    return out


def _mutations(body: dict, schema):
    yield body
    yield {**body, "NotAField": 1, "another": None}
    for name, f in schema.load_fields.items():
        key = f.data_key or name
        if key in body:
            yield {k: v for k, v in body.items() if k != key}
        for odd in ODD_VALUES:
            yield {**body, key: copy.deepcopy(odd)}
        value = body.get(key)
        if isinstance(value, list) and value:
            for odd in ODD_VALUES[:8]:
                yield {**body, key: [*value, odd]}
            if isinstance(value[0], dict):
                for k in list(value[0]):
                    item = {kk: vv for kk, vv in value[0].items() if kk != k}
                    yield {**body, key: [item]}
                    for odd in ODD_VALUES[:10]:
                        yield {**body, key: [{**value[0], k: odd}]}
        if isinstance(value, dict):
            for k in list(value):
                for odd in ODD_VALUES[:10]:
                    yield {**body, key: {**value, k: odd}}


def _agree(schema, payload) -> bool:
    """True when the fast path answered (and agreed); False when it gave up."""
    load = fast_loader(schema)
    try:
        fast = load(copy.deepcopy(payload))
    except GiveUp:
        return False
    slow = schema.load(copy.deepcopy(payload))    # must not raise: the fast path accepted
    assert fast == slow and list(fast) == list(slow), (payload, fast, slow)
    return True


def agree_all(schema, payloads, label: str) -> tuple[int, int]:
    """(checked, answered) over ``payloads``; fails when the fast path accepts what marshmallow
    refuses, and (in _agree) when the two disagree."""
    checked = answered = 0
    for payload in payloads:
        checked += 1
        try:
            answered += _agree(schema, payload)
        except ValidationError as exc:
            pytest.fail(f"{label}: fast path accepted what marshmallow refuses: {payload!r} -> {exc.messages}")
    return checked, answered


def test_fast_path_agrees_with_marshmallow():
    routes, bodies = _routes(), _bodies()
    compiled = answered = checked = 0
    for (provider, path, api), schema in routes.items():
        if fast_loader(schema) is None:
            continue
        compiled += 1
        for body in bodies.get(path, []) + [{}]:
            c, a = agree_all(schema, _mutations(body, schema), f"{provider} {api}")
            checked, answered = checked + c, answered + a
    # Tencent's schemas use only what the fast path compiles (OpenIM's have pre_load hooks,
    # RongCloud's custom form fields: marshmallow serves those)
    tencent = [s for (p, _, _), s in routes.items() if p == "tencent"]
    assert all(fast_loader(s) is not None for s in tencent), "a Tencent schema lost its fast path"
    assert compiled >= len(tencent), (compiled, len(tencent))
    assert checked > 5000 and answered > 200, (checked, answered)


def test_non_dict_payloads_give_up():
    for schema in _routes().values():
        load = fast_loader(schema)
        if load is not None:
            for payload in (None, [], "x", 1):
                with pytest.raises(GiveUp):
                    load(payload)

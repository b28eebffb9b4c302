"""RongCloud's form schemas through the compiled fast path (core/fastload.py, custom fields):
whenever it returns a value, schema.load returns the same value; otherwise it gives up.

Inputs: the form bodies of the golden exchanges as parse_body gives them ({name: [values]}),
with mutations: a field dropped, emptied, repeated, too long, not a number, comma-joined, of
another type; unknown keys added."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emulator.core.fastload import GiveUp, fast_loader

from .test_fastload import ODD_VALUES, _routes, agree_all

EXCHANGES = Path(__file__).resolve().parent.parent / "fixtures" / "exchanges" / "rongcloud"
ODD_FORM = [[""], ["x"], ["0"], ["1"], ["-1"], ["2"], ["99999999999999999999"], ["1.5"], ["a,b,,a"],
            [" a , b "], ["x" * 65], ["x" * 2000], ["é" * 70], ["{}"], ['{"a":1}'], ["[1]"], ["{"],
            ["null"], ["a", "b"], ["1", ""], [], [","], [",".join(f"u{i}" for i in range(101))],
            [f"u{i}" for i in range(51)], ["a b"], ["ab-c"]]


def _forms() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for f in sorted(EXCHANGES.glob("*.yaml")):
        for step in yaml.safe_load(f.read_text()).get("steps", []):
            req = step.get("request", {})
            form = req.get("form")
            if isinstance(form, dict):
                body = {k: [str(x) for x in (v if isinstance(v, list) else [v])] for k, v in form.items()}
                out.setdefault(req["path"].split("?")[0], []).append(body)
    return out


def _mutations(body: dict, schema):
    yield body
    yield {**body, "NotAField": ["1"]}
    for name, f in schema.load_fields.items():
        key = f.data_key or name
        if key in body:
            yield {k: v for k, v in body.items() if k != key}
            yield {**body, key: body[key] * 2}
        for odd in ODD_FORM:
            yield {**body, key: list(odd)}
        for odd in ODD_VALUES:
            yield {**body, key: odd}


def _rongcloud():
    return {(path, api): s for (p, path, api), s in _routes().items() if p == "rongcloud"}


def test_rongcloud_fast_path_agrees_with_marshmallow():
    forms = _forms()
    checked = answered = compiled = 0
    for (path, api), schema in _rongcloud().items():
        if fast_loader(schema) is None:
            continue
        compiled += 1
        for body in forms.get(path, []) + [{}]:
            c, a = agree_all(schema, _mutations(body, schema), api)
            checked, answered = checked + c, answered + a
    assert compiled >= 30 and checked > 5000 and answered > 1000, (compiled, checked, answered)


def test_rongcloud_fast_path_gives_up_on_non_forms():
    for schema in _rongcloud().values():
        load = fast_loader(schema)
        if load is not None:
            for payload in (None, [], "x", 1):
                with pytest.raises(GiveUp):
                    load(payload)

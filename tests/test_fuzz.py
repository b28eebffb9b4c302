"""Fuzzing every emulated endpoint from the generated OpenAPI document.

Bodies come from the operation's request schema (``from_schema`` below) and from mutations
(arbitrary objects, wrong types, junk values), signed with valid admin credentials so they pass
auth and reach validation. Properties, for every request:
- no HTTP 5xx and no unhandled exception logged by the pipeline (a traceback means a bug);
- the body is JSON in the provider's own envelope;
- every provider's state invariants still hold (GET /_emulator/state/check's function).

CI runs IMEMU_FUZZ_EXAMPLES (default 10) examples per operation; `pytest --long` runs 100.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from urllib.parse import urlencode

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings, strategies as st

from emulator.app import RUNTIME, create_app
from emulator.openapi import build
from emulator.settings import Settings

ENVELOPE_KEYS = {
    "tencent": {"ActionStatus", "ErrorCode", "ErrorInfo"},
    "tencent-gateway": {"code", "message", "success", "timestamp"},
    "openim": {"errCode", "errMsg", "errDlt"},
    "rongcloud": {"code"},
}

# The prepare_exchange_request mode of each provider's support module that signs as the admin.
AUTH_MODE = {"tencent": "admin", "openim": "admin", "rongcloud": "app"}


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _resolve(schema, components):
    """Inline #/components/schemas refs (the generated schemas are not recursive)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            return _resolve(components[ref.rsplit("/", 1)[1]], components)
        return {k: _resolve(v, components) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_resolve(v, components) for v in schema]
    return schema


def _operations():
    from emulator.app import Runtime
    rt = Runtime(Settings(port=0))
    doc = build(rt.providers)
    components = doc.get("components", {}).get("schemas", {})
    ops = []
    for path, item in sorted(doc["paths"].items()):
        if path.startswith("/_emulator"):
            continue
        for method, op in item.items():
            provider = op["tags"][0]
            content = op.get("requestBody", {}).get("content", {})
            ctype, body = next(iter(content.items()), ("application/json", {"schema": {"type": "object"}}))
            ops.append(pytest.param(provider, method.upper(), path, ctype, _resolve(body["schema"], components),
                                    id=f"{provider}:{path}"))
    return ops


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.floats(allow_nan=False),
                    st.text(max_size=40))
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                    max_leaves=12)


def from_schema(schema: dict, depth: int = 0):
    """A Hypothesis strategy for the JSON Schema subset the generated document uses: objects
    with properties, type lists, string/integer bounds, arrays, enums and anyOf."""
    if "anyOf" in schema:
        return st.one_of([from_schema(s, depth) for s in schema["anyOf"]])
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return from_schema(schema["allOf"][0], depth)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type")
    if types is None:
        types = ["object"] if "properties" in schema else ["string", "integer", "boolean", "null"]
    if isinstance(types, str):
        types = [types]
    options = []
    for t in types:
        if t == "null":
            options.append(st.none())
        elif t == "boolean":
            options.append(st.booleans())
        elif t == "integer":
            options.append(st.integers(schema.get("minimum", -2**63), schema.get("maximum", 2**63 - 1)))
        elif t == "number":
            options.append(st.floats(allow_nan=False, allow_infinity=False))
        elif t == "string":
            options.append(st.text(max_size=min(schema.get("maxLength", 80), 80)))
        elif t == "array":
            items = schema.get("items") or {"type": "string"}
            options.append(st.lists(from_schema(items, depth + 1), max_size=4) if depth < 4 else st.just([]))
        elif t == "object":
            props = schema.get("properties") or {}
            if depth >= 4 or not props:
                options.append(st.just({}))
            else:
                options.append(st.fixed_dictionaries(
                    {}, optional={k: from_schema(v, depth + 1) for k, v in props.items()}))
    return st.one_of(options) if options else st.none()


def _mutate(schema):
    """Schema-shaped objects whose values are junk: right keys, wrong types and sizes."""
    props = list((schema.get("properties") or {}).keys()) or ["x"]
    return st.dictionaries(st.sampled_from(props), JUNK, max_size=len(props))


def _bodies(schema):
    return st.one_of(from_schema(schema), _mutate(schema), st.dictionaries(st.text(max_size=10), JUNK, max_size=5), JUNK)


def _form(value) -> str:
    if not isinstance(value, dict):
        return urlencode({"v": orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()})
    pairs = []
    for k, v in value.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item if isinstance(item, str) else orjson.dumps(item).decode()))
    return urlencode(pairs)


@pytest.fixture(scope="module")
def fuzz_env():
    loop = asyncio.new_event_loop()
    app = create_app(Settings(port=0, journal_size=50))

    async def start():
        c = TestClient(TestServer(app))
        await c.start_server()
        return c

    client = loop.run_until_complete(start())
    collect = _Collect()
    logging.getLogger("emulator").addHandler(collect)
    yield loop, client, app[RUNTIME], collect
    logging.getLogger("emulator").removeHandler(collect)
    loop.run_until_complete(client.close())
    loop.close()


def _examples(request) -> int:
    if request.config.getoption("--long"):
        return 100
    return int(os.environ.get("IMEMU_FUZZ_EXAMPLES", "10"))


@pytest.mark.parametrize("provider,method,path,ctype,schema", _operations())
def test_fuzz_operation(fuzz_env, request, provider, method, path, ctype, schema):
    loop, client, rt, collect = fuzz_env
    support = importlib.import_module(f"tests.{provider.split('-')[0]}_support")
    ctx: dict = {}
    envelope = "tencent-gateway" if path.startswith("/im/") else provider

    async def send(body):
        req = {"method": method, "path": path, "auth": AUTH_MODE[provider]}
        if ctype == "application/x-www-form-urlencoded":
            req["body"] = _form(body)
            req["headers"] = {"Content-Type": ctype}
        else:
            req["json"] = body
        prepared = await support.prepare_exchange_request(client, req, ctx)
        resp = await client.request(prepared["method"], prepared["path"], params=prepared.get("params"),
                                    headers=prepared.get("headers"), data=prepared.get("data"))
        return resp.status, await resp.read()

    @settings(max_examples=_examples(request), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(body=_bodies(schema))
    def run(body):
        collect.records.clear()
        status, raw = loop.run_until_complete(send(body))
        assert status < 500, (status, raw[:300])
        assert b"Traceback" not in raw
        assert not collect.records, collect.records[0].getMessage()
        parsed = orjson.loads(raw)
        assert isinstance(parsed, dict) and ENVELOPE_KEYS[envelope] <= parsed.keys(), parsed
        problems = rt.check_invariants()
        assert not any(problems.values()), problems

    run()

"""Every golden exchange under fixtures/exchanges/ as its own test case, through real HTTP."""

from __future__ import annotations

import importlib
from pathlib import Path

import orjson
import pytest
import yaml

from emulator.app import create_app
from emulator.settings import Settings, fixtures_dir
from tests.golden import match, substitute

EXCHANGES = sorted((fixtures_dir() / "exchanges").glob("*/*.yaml"))


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_every_provider_has_golden_exchanges():
    per_provider = {p: 0 for p in ("tencent", "openim", "rongcloud")}
    for path in EXCHANGES:
        per_provider[path.parent.name] = per_provider.get(path.parent.name, 0) + 1
    assert all(n >= 20 for n in per_provider.values()), per_provider


@pytest.mark.parametrize("path", EXCHANGES, ids=_id)
async def test_golden_exchange(path: Path, aiohttp_client):
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    provider = path.parent.name
    scenario = fixtures_dir() / f"{spec.get('scenario', 'default')}.yaml"
    client = await aiohttp_client(create_app(Settings(port=0, scenario=scenario)))
    prepare = importlib.import_module(f"tests.{provider}_support").prepare_exchange_request
    saved: dict = {}
    ctx: dict = {}
    for i, step in enumerate(spec["steps"]):
        req = await prepare(client, substitute(step["request"], saved), ctx)
        resp = await client.request(req["method"], req["path"], params=req.get("params"),
                                    headers=req.get("headers"), data=req.get("data"))
        raw = await resp.read()
        expected = step["response"]
        where = f"{_id(path)} step {i} ({step['request'].get('path')})"
        assert resp.status == expected.get("status", 200), f"{where}: HTTP {resp.status}: {raw[:500]!r}"
        if "body" in expected:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                pytest.fail(f"{where}: response is not JSON: {raw[:300]!r}")
            problems = match(expected["body"], body, saved)
            assert not problems, f"{where}:\n" + "\n".join(problems) + f"\nbody: {body}"

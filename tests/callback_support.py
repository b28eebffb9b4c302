"""Callback tests: a real aiohttp receiver on 127.0.0.1 (the plugin's CallbackReceiver) in the
test's own loop, and helpers to point a tenant at it and wait for deliveries."""

from __future__ import annotations

import asyncio

import pytest

from emulator.pytest_plugin import CallbackReceiver


@pytest.fixture
async def receiver(aiohttp_server):
    r = CallbackReceiver()
    server = await aiohttp_server(r.app(), host="127.0.0.1")
    r.url = str(server.make_url("/cb"))
    return r


async def configure(client, provider: str, tenant, url, **config) -> dict:
    resp = await client.put("/_emulator/callbacks/config",
                            json={"provider": provider, "tenant": str(tenant), "url": url, **config})
    body = await resp.json()
    assert resp.status == 200, body
    return body


async def deliveries(client, **query) -> list[dict]:
    resp = await client.get("/_emulator/callbacks", params={k: str(v) for k, v in query.items()})
    body = await resp.json()
    assert resp.status == 200, body
    return body["deliveries"]


async def settle(client, count: int, timeout: float = 5.0, **query) -> list[dict]:
    """Wait until ``count`` settled deliveries match the query; return them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = [r for r in await deliveries(client, **query) if r["outcome"] is not None]
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.01)

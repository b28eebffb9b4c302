"""The emulator in this process (aiohttp TestServer + TestClient) with signed provider calls,
for the measurements that need to look inside (memory, scaling, journal)."""

from __future__ import annotations

import json
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

from aiohttp.test_utils import TestClient, TestServer

from bench import clients
from emulator.app import RUNTIME, create_app
from emulator.settings import Settings


class _Untracked:
    """TestClient keeps every response it hands out until it closes, which a million-request
    memory measurement must not see: requests go through its session directly instead."""

    def __init__(self, client: TestClient) -> None:
        self._client = client

    def post(self, path: str, **kw):
        return self._client.session.post(self._client.make_url(path), **kw)


class Signed:
    """POST to a provider's real path, signed the way that provider's real clients sign."""

    def __init__(self, client: TestClient) -> None:
        self.client = _Untracked(client)
        self._tencent_query: str | None = None
        self._openim_token: str | None = None

    async def tencent(self, command: str, body: dict, service: str = "group_open_http_svc") -> dict:
        if self._tencent_query is None:
            self._tencent_query = clients.Tencent.auth("", 0)["query"]
        r = await self.client.post(f"/v4/{service}/{command}?{self._tencent_query}",
                                   data=json.dumps(body), headers={"Content-Type": "application/json"})
        return await r.json(content_type=None)

    async def openim(self, path: str, body: dict) -> dict:
        if self._openim_token is None:
            r = await self.client.post("/auth/get_admin_token", json={
                "secret": clients.OPENIM_SECRET, "userID": clients.OPENIM_ADMIN},
                headers={"operationID": "bench"})
            self._openim_token = (await r.json(content_type=None))["data"]["token"]
        r = await self.client.post(path, data=json.dumps(body), headers={
            "operationID": "bench", "token": self._openim_token, "Content-Type": "application/json"})
        return await r.json(content_type=None)

    async def rongcloud(self, path: str, form: dict) -> dict:
        r = await self.client.post(path, data=urlencode(form, doseq=True), headers=clients.rc_headers())
        return await r.json(content_type=None)


@asynccontextmanager
async def app_client(providers: list[str], doc: dict, **settings):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.json"
        path.write_text(json.dumps(doc))
        app = create_app(Settings(port=0, scenario=path, log_level="WARNING",
                                  providers=tuple(providers), **settings))
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client, app[RUNTIME], Signed(client)
    finally:
        await client.close()


def ok(provider: str, reply: dict) -> bool:
    if provider == "tencent":
        return reply.get("ActionStatus") == "OK"
    if provider == "openim":
        return reply.get("errCode") == 0
    return reply.get("code") == 200

"""core/reply.py: the prepared JSON reply writes byte for byte what web.Response writes (Date
aside), for every HTTP version, method, keep-alive choice and status a provider reply can have."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from emulator.core.reply import JsonReply, json_reply

BODY = b'{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
CORS = {"Access-Control-Allow-Origin": "*"}


def _app() -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        status = int(request.query.get("status", "200"))
        headers = CORS if "cors" in request.query else None
        close = "close" in request.query
        if request.match_info["kind"] == "fast":
            return json_reply(request, status, BODY, headers, close)
        resp = web.Response(body=BODY, status=status, content_type="application/json",
                            charset="utf-8", headers=headers)
        if close:
            resp.force_close()
        return resp

    app = web.Application()
    app.router.add_route("*", "/{kind}", handle)
    return app


async def _reply(reader, method: str) -> bytes:
    out = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    m = re.search(rb"Content-Length: (\d+)", out)
    if m and method != "HEAD":
        out += await asyncio.wait_for(reader.readexactly(int(m.group(1))), 5)
    return out


async def _exchange(port: int, head: bytes, method: str) -> bytes:
    """One reply; then either the server's close (read to EOF) or, on a connection it keeps,
    a second request answered on it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    out = await _reply(reader, method)
    if b"Connection: close" in out or out.startswith(b"HTTP/1.0") and b"keep-alive" not in out:
        out += b"<eof>" + await asyncio.wait_for(reader.read(), 5)
    else:
        writer.write(head)
        out += b"<again>" + await _reply(reader, method)
    writer.close()
    return re.sub(rb"Date: [^\r]*\r\n", b"Date: -\r\n", out)


async def test_same_bytes_as_web_response():
    runner = web.AppRunner(_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    cases = 0
    try:
        for version in ("1.1", "1.0"):
            for method in ("POST", "HEAD", "GET", "OPTIONS"):
                for query in ("", "?cors", "?close", "?close&cors", "?status=413", "?status=503&cors",
                              "?status=204", "?status=304", "?status=599"):
                    for conn in ("", "Connection: close\r\n", "Connection: keep-alive\r\n"):
                        replies = []
                        for kind in ("fast", "slow"):
                            head = (f"{method} /{kind}{query} HTTP/{version}\r\nHost: x\r\n"
                                    f"Content-Length: 2\r\n{conn}\r\n{{}}").encode()
                            replies.append(await _exchange(port, head, method))
                        assert replies[0] == replies[1], (version, method, query, conn)
                        assert replies[0].startswith(f"HTTP/{version} ".encode())
                        cases += 1
    finally:
        await runner.cleanup()
    assert cases == 216


def test_fallback_for_bodiless_statuses():
    """1xx, 204 and 304 replies carry no body: those are left to web.Response."""
    from aiohttp.test_utils import make_mocked_request
    req = make_mocked_request("POST", "/x")
    assert type(json_reply(req, 200, BODY)) is JsonReply
    for status in (204, 304):
        assert type(json_reply(req, status, BODY)) is web.Response
    reply = json_reply(req, 200, BODY, CORS)
    assert reply.body == BODY and reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Content-Length"] == str(len(BODY))


async def test_an_aiohttp_without_the_internals_gets_web_response(monkeypatch, aiohttp_client):
    # reply.supported() is asked at freeze: False means every reply is a web.Response
    from emulator.app import RUNTIME, create_app
    from emulator.core import reply as reply_mod
    from emulator.settings import Settings
    from tests.tencent_support import tencent_query

    assert reply_mod.supported()            # the aiohttp this project tests with has them
    monkeypatch.setattr(reply_mod, "supported", lambda: False)
    app = create_app(Settings(port=0))
    client = await aiohttp_client(app)
    assert app[RUNTIME].plain_replies is False
    resp = await client.post("/v4/group_open_http_svc/get_group_info", params=tencent_query(),
                             json={"GroupIdList": ["nope"]})
    assert resp.status == 200 and (await resp.json())["GroupInfo"][0]["ErrorCode"] == 10010
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"

"""Request bodies (issue 17): over the size cap, compression bombs and a Content-Encoding that
does not match the body all get the provider's own error, quickly and without memory growth."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib

import orjson
import pytest

from emulator.app import create_app
from emulator.settings import Settings
from tests.openim_support import openim_call
from tests.rongcloud_support import rc_post, rc_sign
from tests.tencent_support import tencent_query, v4_path

CAP = 200_000


@pytest.fixture
def settings() -> Settings:
    return Settings(port=0, max_body_bytes=CAP)


async def tencent_raw(client, body: bytes, encoding: str | None = None):
    headers = {"Content-Type": "application/json"}
    if encoding:
        headers["Content-Encoding"] = encoding
    resp = await client.post(v4_path("get_appid_group_list"), params=tencent_query(), data=body,
                             headers=headers)
    return resp.status, orjson.loads(await resp.read())


async def openim_raw(client, body: bytes, encoding: str | None = None):
    headers = {"Content-Encoding": encoding} if encoding else {}
    return await openim_call(client, "/auth/get_admin_token", raw=body, headers=headers)


async def rc_raw(client, body: bytes, encoding: str | None = None):
    headers = {"Content-Encoding": encoding} if encoding else {}
    return await rc_post(client, "/entrust/group/create.json", body=body, headers=headers)


def tencent_code(reply):
    return reply[0], reply[1]["ErrorCode"]


def openim_code(reply):
    return reply[0], reply[1]["errCode"]


def rc_code(reply):
    return reply[0], reply[1]["code"]


def bomb(encoding: str, size: int = 50 * 2**20) -> bytes:
    zeros = b"0" * size
    if encoding == "gzip":
        return gzip.compress(zeros, 9)
    return zlib.compress(zeros, 9)


OPENIM_TOKEN_BODY = orjson.dumps({"secret": "openIM123", "userID": "imAdmin"})
RC_BODY = b"groupId=hardening1&name=n&owner=leckie"

CASES = [  # (send, code of, the code for too large, the code for undecodable)
    (tencent_raw, tencent_code, (200, 60002), (200, 60003)),
    (openim_raw, openim_code, (200, 1001), (200, 1001)),
    (rc_raw, rc_code, (400, 1508), (400, 1002)),
]


@pytest.mark.parametrize("send,code,too_large,_", CASES, ids=["tencent", "openim", "rongcloud"])
async def test_body_over_the_cap_gets_the_provider_error(client, send, code, too_large, _):
    assert code(await send(client, b"{" + b" " * (CAP + 10) + b"}")) == too_large


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
@pytest.mark.parametrize("send,code,too_large,_", CASES, ids=["tencent", "openim", "rongcloud"])
async def test_compression_bombs_are_cut_at_the_cap(client, send, code, too_large, _, encoding):
    body = bomb(encoding)      # ~50 KB that would inflate to 50 MB
    assert len(body) < CAP
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        reply = await send(client, body, encoding)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code(reply) == too_large
    assert elapsed < 1.0
    assert peak < 8 * CAP          # never the 50 MB


@pytest.mark.parametrize("send,code,_,bad", CASES, ids=["tencent", "openim", "rongcloud"])
async def test_content_encoding_that_does_not_match_the_body_is_a_provider_error(
        client, send, code, _, bad):
    assert code(await send(client, b'{"a":1}', "gzip")) == bad
    assert code(await send(client, b'{"a":1}', "deflate")) == bad
    assert code(await send(client, b'{"a":1}', "br")) == bad          # not decoded here
    assert code(await send(client, b'{"a":1}', "compress")) == bad
    truncated = gzip.compress(b'{"a":1}' * 100)[:-12]
    assert code(await send(client, truncated, "gzip")) == bad
    trailing = gzip.compress(b'{"a":1}') + b"junk"
    assert code(await send(client, trailing, "gzip")) == bad


async def test_well_compressed_bodies_are_decoded(client):
    status, body = await openim_raw(client, gzip.compress(OPENIM_TOKEN_BODY), "gzip")
    assert status == 200 and body["errCode"] == 0 and body["data"]["token"]
    status, body = await openim_raw(client, zlib.compress(OPENIM_TOKEN_BODY), "deflate")
    assert body["errCode"] == 0
    raw = zlib.compressobj(wbits=-15)
    status, body = await openim_raw(client, raw.compress(OPENIM_TOKEN_BODY) + raw.flush(), "deflate")
    assert body["errCode"] == 0
    status, body = await rc_raw(client, gzip.compress(RC_BODY), "gzip")
    assert status == 200 and body["code"] == 200
    status, body = await tencent_raw(client, gzip.compress(b"{}"), "gzip")
    assert body["ErrorCode"] == 0


async def test_chunked_bodies_are_capped_while_streaming(client):
    async def chunks(n):
        for _ in range(n):
            yield b" " * 50_000
    resp = await client.post("/entrust/group/create.json", data=chunks(10),
                             headers={"Content-Type": "application/x-www-form-urlencoded",
                                      **rc_sign()})
    assert resp.status == 400 and (await resp.json())["code"] == 1508


async def test_control_plane_body_over_the_cap_is_a_json_413(client):
    resp = await client.post("/_emulator/scenario", data=b"x" * (CAP + 1))
    assert resp.status == 413 and (await resp.json()) == {"error": "request body too large",
                                                          "max_bytes": CAP}


async def test_gateway_body_errors_use_its_envelope(client):
    resp = await client.post("/im/group/createGroup", data=b'{"a":1}',
                             headers={"Content-Encoding": "gzip", "Content-Type": "application/json",
                                      "x-access-token": "whatever"})
    body = await resp.json()
    assert resp.status == 200 and body["code"] == 400 and body["success"] is False
    assert "Content-Encoding" in body["message"]


async def test_buffered_bodies_equal_read_ones(client):
    """body.buffered_body (a body aiohttp already holds whole) gives what read_body gives: for a
    Content-Length body, a complete chunked one, and not at all for an encoded or capped one."""
    from aiohttp.test_utils import make_mocked_request
    from aiohttp.streams import StreamReader

    from emulator.core.body import buffered_body, read_body

    class Proto:
        _reading_paused = False

        def pause_reading(self, *a, **k):
            pass

        def resume_reading(self, *a, **k):
            pass

    def request(body: bytes, headers: dict, eof: bool = True):
        payload = StreamReader(Proto(), 2 ** 16, loop=__import__("asyncio").get_running_loop())
        payload.feed_data(body)
        if eof:
            payload.feed_eof()
        return make_mocked_request("POST", "/x", headers=headers, payload=payload)

    body = b"groupId=g1&name=n&owner=leckie"
    for headers in ({"Content-Length": str(len(body))}, {"Transfer-Encoding": "chunked"}):
        assert buffered_body(request(body, headers), CAP) == body
        assert await read_body(request(body, headers), CAP) == body
    assert buffered_body(request(body, {"Content-Encoding": "gzip"}), CAP) is None
    assert buffered_body(request(body, {"Content-Encoding": " Identity "}), CAP) == body
    assert buffered_body(request(body, {}, eof=False), CAP) is None     # still arriving
    assert buffered_body(request(body, {}), len(body) - 1) is None       # over the cap: read_body refuses

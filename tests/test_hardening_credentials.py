"""Malformed credentials are auth errors in the provider's envelope, never internal errors
(issue 17): non-UTF-8 header bytes, deeply nested JSON inside a UserSig or a JWT header."""

from __future__ import annotations

import asyncio
import base64
import zlib

import orjson
import pytest

from emulator.app import create_app
from emulator.settings import Settings
from tests.openim_support import openim_call
from tests.rongcloud_support import rc_signature
from tests.tencent_support import tencent_call, tencent_query

NESTED = b"[" * 100_000 + b"]" * 100_000
# A header line holds at most 8,190 bytes: deep enough to exhaust Python's json recursion.
NESTED_HEADER = b"[" * 2_500 + b"]" * 2_500


async def raw_request(client, head: bytes, body: bytes = b"") -> tuple[int, bytes, bytes]:
    """Send bytes as they are (aiohttp's client will not put non-UTF-8 bytes in a header)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head_out, _, payload = data.partition(b"\r\n\r\n")
    return int(head_out.split(b" ", 2)[1]), head_out, payload


async def test_rongcloud_nonce_that_is_not_utf8_is_1004(client):
    ts = b"1700000000000"
    sig = rc_signature("Y1W2MeFwwwRxa0", "x", ts.decode()).encode()
    head = (b"POST /entrust/group/create.json HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nApp-Key: uwd1c0sxdlx2\r\n"
            b"Nonce: \xff\xfe\x80\r\nTimestamp: " + ts + b"\r\nSignature: " + sig + b"\r\n")
    status, headers, body = await raw_request(client, head, b"groupId=g&name=n&owner=leckie")
    assert status == 401 and b"application/json" in headers
    assert orjson.loads(body)["code"] == 1004


def _usersig(doc: bytes) -> str:
    return base64.b64encode(zlib.compress(doc)).decode().translate(str.maketrans("+/=", "*-_"))


async def test_tencent_usersig_with_deeply_nested_json_is_70003(client):
    reply = await tencent_call(client, "get_appid_group_list", {}, sig=_usersig(NESTED))
    assert reply["ErrorCode"] == 70003


async def test_tencent_usersig_zlib_bomb_is_70003(client):
    reply = await tencent_call(client, "get_appid_group_list", {}, sig=_usersig(b"{" + b" " * 5_000_000 + b"}"))
    assert reply["ErrorCode"] == 70003


async def test_openim_token_with_deeply_nested_header_is_malformed(client):
    seg = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    token = f"{seg(NESTED_HEADER)}.{seg(b'{}')}.c2ln"
    status, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": ["g"]}, token=token)
    assert status == 200 and body["errCode"] == 1503
    token = f"{seg(b'{}')}.{seg(NESTED_HEADER)}.c2ln"
    assert (await openim_call(client, "/group/get_groups_info", {"groupIDs": ["g"]}, token=token))[1][
        "errCode"] == 1503


async def test_openim_token_that_is_not_utf8_is_malformed(client):
    head = (b"POST /group/get_groups_info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"operationID: op1\r\ntoken: a\xff.b\xfe.c\r\n")
    status, _, body = await raw_request(client, head, b'{"groupIDs":["g"]}')
    assert status == 200 and orjson.loads(body)["errCode"] == 1503


async def test_tencent_query_that_is_not_utf8_is_an_auth_error(client):
    q = tencent_query()
    head = (b"POST /v4/group_open_http_svc/get_appid_group_list?sdkappid=1400000000&identifier="
            b"administrator&usersig=%FF%FE" + b"&random=1&contenttype=json HTTP/1.1\r\nHost: x\r\n")
    status, _, body = await raw_request(client, head, b"{}")
    assert status == 200 and orjson.loads(body)["ErrorCode"] in (70003, 70002)
    assert q  # the helper still signs normally


@pytest.mark.parametrize("path", [b"/_emulator/state", b"/_emulator/callbacks", b"/_emulator/tenants",
                                  b"/_emulator/presence?provider=rongcloud&tenant=uwd1c0sxdlx2"])
async def test_control_token_that_is_not_utf8_is_a_json_401(aiohttp_client, path):
    """Every control module checks the token through the one wrapper (routes.control_endpoint)."""
    client = await aiohttp_client(create_app(Settings(port=0, admin_token="s3cret")))
    head = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nX-Emulator-Token: \xff\xfe\r\n"
    status, headers, body = await raw_request(client, head)
    assert status == 401 and b"application/json" in headers
    assert orjson.loads(body)["error"] == "missing or wrong X-Emulator-Token"


def test_a_reply_echoing_non_utf8_bytes_is_still_json():
    from emulator.core.pipeline import dumps
    assert orjson.loads(dumps({"errDlt": "token=a\udcff", "k\udcfe": ["x\udc80"]})) == {
        "errDlt": "token=a\ufffd", "k\ufffd": ["x\ufffd"]}

"""Issues 10 and 14: a path no route serves is answered by the provider it belongs to, in that
provider's own envelope, and journaled as api "not_found"; --log-level DEBUG logs one line per
request. RongCloud and OpenIM share /user/ and /group/: a *.json path or RongCloud's signature
headers make it RongCloud's. The paths used here are clearly fake (real RongCloud /user/*.json
routes are being added elsewhere)."""

from __future__ import annotations

import logging

import orjson
import pytest

from tests.rongcloud_support import RC_APP_KEY, rc_post, rc_sign
from tests.tencent_support import tencent_query

RC_NOT_FOUND = {"code": 404, "errorMessage": "Endpoint not found."}
OPENIM_NOT_FOUND = {"errCode": 404, "errMsg": "404 page not found", "errDlt": ""}


async def journal(client, **q) -> list[dict]:
    resp = await client.get("/_emulator/journal", params=q)
    assert resp.status == 200
    return (await resp.json())["entries"]


# --- RongCloud -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/user/notARoute.json", "/group/foo.json", "/user/block/nope.json",
                                  "/no/such/module.json"])
async def test_signed_rongcloud_unknown_path_is_rongclouds_404(client, path):
    await client.delete("/_emulator/journal")
    status, body = await rc_post(client, path, {"userId": "u1"})
    assert (status, body) == (404, RC_NOT_FOUND)
    [entry] = await journal(client)
    assert (entry["provider"], entry["api"], entry["tenant"], entry["path"]) == \
        ("rongcloud", "not_found", RC_APP_KEY, path)
    assert entry["response"] == {"status": 404, "body": RC_NOT_FOUND}


async def test_rongcloud_unknown_path_checks_the_signature_first(client):
    status, body = await rc_post(client, "/user/notARoute.json", {"userId": "u1"}, sign=False)
    assert status == 401 and body["code"] == 1004, body
    bad = rc_sign(secret="wrong")
    status, body = await rc_post(client, "/group/foo.json", {}, sign=False, headers=bad)
    assert status == 401 and body["code"] == 1004, body
    # no body at all is fine for a path that does not exist: still the 404
    status, body = await rc_post(client, "/group/foo.json", body="")
    assert (status, body) == (404, RC_NOT_FOUND)


@pytest.mark.parametrize("prefix", ["", "RC-", "rc-"])
async def test_rongcloud_headers_make_a_path_without_json_rongclouds(client, prefix):
    headers = {"Content-Type": "application/x-www-form-urlencoded", **rc_sign(prefix=prefix)}
    resp = await client.post("/user/notARoute", data="userId=u1", headers=headers)
    assert (resp.status, await resp.json()) == (404, RC_NOT_FOUND)


async def test_rongcloud_unknown_path_in_the_official_sdk_shape(client):
    """rc-server-sdk/rongcloud send form bodies with the four headers, any method they use."""
    resp = await client.get("/group/foo.json", headers=rc_sign())
    assert (resp.status, await resp.json()) == (404, RC_NOT_FOUND)


# --- OpenIM ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/user/not_a_route", "/group/not_a_route", "/msg/send_simple_msg",
                                  "/conversation/get_all_conversations", "/friend/nope"])
async def test_openim_unknown_paths_get_openims_envelope(client, openim_admin_token, path):
    await client.delete("/_emulator/journal")
    resp = await client.post(path, json={}, headers={"operationID": "op-x", "token": openim_admin_token})
    assert (resp.status, await resp.json()) == (404, OPENIM_NOT_FOUND)
    [entry] = await journal(client)
    assert (entry["provider"], entry["api"], entry["path"]) == ("openim", "not_found", path)


async def test_openim_unknown_path_still_checks_operation_id(client):
    resp = await client.post("/user/not_a_route", json={})
    body = await resp.json()
    assert body["errCode"] == 1001 and "operationID" in body["errDlt"], body


# --- Tencent ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/v4/only_one_segment", "/v4/group_open_http_svc/create_group/extra",
                                  "/v4/"])
async def test_tencent_other_v4_paths_are_60009_in_tencents_envelope(client, path):
    await client.delete("/_emulator/journal")
    resp = await client.post(path, params=tencent_query(), data=b"{}")
    body = orjson.loads(await resp.read())
    assert resp.status == 200 and body["ActionStatus"] == "FAIL" and body["ErrorCode"] == 60009, body
    [entry] = await journal(client)
    assert (entry["provider"], entry["api"]) == ("tencent", "not_found")


async def test_tencent_unknown_and_not_emulated_commands_are_journaled(client):
    await client.delete("/_emulator/journal")
    for path in ("/v4/no_such_svc/x", "/v4/group_open_http_svc/nope", "/v4/sns/friend_add"):
        await client.post(path, params=tencent_query(), data=b"{}")
    entries = await journal(client, provider="tencent", api="not_found")
    assert [(e["path"], e["response"]["body"]["ErrorCode"]) for e in entries] == [
        ("/v4/no_such_svc/x", 60009), ("/v4/group_open_http_svc/nope", 10003),
        ("/v4/sns/friend_add", 60017)]


async def test_tencent_path_stays_tencents_even_with_rongcloud_headers(client):
    resp = await client.post("/v4/group_open_http_svc/nope", params=tencent_query(), data=b"{}",
                             headers=rc_sign())
    assert (await resp.json())["ErrorCode"] == 10003


# --- control plane and nobody's paths ---------------------------------------------------------------

@pytest.mark.parametrize("path", ["/_emulator/nope", "/_emulator/nope.json", "/api/v1/whatever"])
async def test_control_plane_and_unclaimed_paths_keep_the_json_404(client, path):
    await client.delete("/_emulator/journal")
    resp = await client.post(path, json={})
    assert resp.status == 404
    assert await resp.json() == {"error": "not found", "method": "POST", "path": path}
    assert await journal(client) == []


# --- DEBUG log line ----------------------------------------------------------------------------------

async def test_debug_logs_one_line_per_request(client, caplog):
    caplog.set_level(logging.DEBUG, logger="emulator.requests")
    await client.post("/v4/group_open_http_svc/get_appid_group_list", params=tencent_query(), data=b"{}")
    await rc_post(client, "/user/notARoute.json", {})
    await client.post("/v4/sns/friend_add", params=tencent_query(), data=b"{}")
    lines = [r.getMessage() for r in caplog.records if r.name == "emulator.requests"]
    assert len(lines) == 3, lines
    ok, rc, not_emulated = (line.split() for line in lines)
    assert ok[:6] == ["POST", "/v4/group_open_http_svc/get_appid_group_list", "tencent",
                      "group_open_http_svc/get_appid_group_list", "200", "code=-"]
    assert rc[:6] == ["POST", "/user/notARoute.json", "rongcloud", "not_found", "404", "code=404"]
    assert not_emulated[:6] == ["POST", "/v4/sns/friend_add", "tencent", "not_found", "200", "code=60017"]
    for line in (ok, rc, not_emulated):
        assert len(line) == 7 and line[6].endswith("ms") and float(line[6][:-2]) >= 0
    assert all("usersig" not in line for line in lines)   # the query (credentials) is not logged


async def test_no_request_lines_at_info(client, caplog):
    caplog.set_level(logging.INFO, logger="emulator.requests")
    await client.post("/v4/group_open_http_svc/get_appid_group_list", params=tencent_query(), data=b"{}")
    assert [r for r in caplog.records if r.name == "emulator.requests"] == []


def test_cli_log_level_debug_prints_the_request_line(tmp_path):
    """The real command line: --log-level DEBUG, one signed RongCloud call to an unknown path."""
    from tests.test_cli import Server

    s = Server(tmp_path, "--log-level", "DEBUG")
    try:
        s.wait_listening()
        assert s.rc_post("/user/notARoute.json", {"userId": "u1"}) == (404, RC_NOT_FOUND)
        s.stop()
        lines = [line for line in s.stderr().splitlines() if " emulator.requests: " in line]
        # the control plane's /_emulator/health (polled at start) is not a provider request
        assert len(lines) == 1, lines
        assert lines[0].split(" emulator.requests: ")[1].startswith(
            "POST /user/notARoute.json rongcloud not_found 404 code=404 ")
    finally:
        s.kill()
        s._stderr.close()

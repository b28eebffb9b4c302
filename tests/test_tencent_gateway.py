"""The seed-000 admin wrapper: POST /im/group/createGroup with an x-access-token JWT."""

from __future__ import annotations

import time

import orjson

from tests.tencent_support import gateway_token

SEED_TOKEN = ("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzeXNVaWQiOiJlOWNhMjNkNjhkODg0ZDRlYmIxOWQwNzg4OTcyN2RhZSIs"
              "InVzZXJJZGVudGl0eSI6MiwiZXhwIjoxNzQ3MDgxNzYzLCJ1c2VybmFtZSI6ImFkbWluIn0.NaeqryXHUXcM8u5j_l2cIjTyywLEiMHQklrPpEHy79k")
SECRET = "im-emulator-gateway-secret-for-hs256-tests"    # fixtures/default.yaml tencent.gateway.secret


async def post(client, body, token=None, raw=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["x-access-token"] = token
    resp = await client.post("/im/group/createGroup", data=raw if raw is not None else orjson.dumps(body), headers=headers)
    assert resp.status == 200
    return orjson.loads(await resp.read())


def body(**kw):
    base = {"name": "TestGroup", "type": "Public", "ownerAccount": "leckie",
            "memberInfoList": [{"Member_Account": "bob", "Role": "Admin"}]}
    base.update(kw)
    return base


async def test_valid_token_creates_the_group(client, tim):
    res = await post(client, body(), gateway_token(SECRET, exp=time.time() + 60))
    assert res["code"] == 0 and res["success"] is True and isinstance(res["timestamp"], int)
    r = res["result"]
    assert r["actionStatus"] == "OK" and r["errorCode"] == 0 and r["errorInfo"] == ""
    assert r["groupId"].startswith("@TGS#2") and r["name"] == "TestGroup"
    info = (await tim("get_group_info", {"GroupIdList": [r["groupId"]]}))["GroupInfo"][0]
    roles = {m["Member_Account"]: m["Role"] for m in info["MemberList"]}
    assert roles == {"leckie": "Owner", "bob": "Admin"}


async def test_seed_token_is_accept_listed(client):
    res = await post(client, body(groupId="seedgroup"), SEED_TOKEN)
    assert res["success"] is True and res["result"]["groupId"] == "seedgroup"


async def test_missing_or_bad_token_401(client, tim):
    for token in (None, "", "not-a-jwt", gateway_token("wrong-secret-wrong-secret-wrong-secret", exp=time.time() + 60),
                  gateway_token(SECRET, exp=time.time() - 60), gateway_token(SECRET, username="mallory")):
        res = await post(client, body(), token)
        assert res["code"] == 401 and res["success"] is False and res["result"] is None, token
    assert (await tim("get_appid_group_list", {}))["TotalCount"] == 0


async def test_tencent_failure_is_reported_in_result(client):
    res = await post(client, body(ownerAccount="ghost"), SEED_TOKEN)
    assert res["success"] is False and res["code"] == 500
    assert res["result"]["errorCode"] == 10004 and res["result"]["errorInfo"] == "invalid owner id"
    assert res["result"]["actionStatus"] == "FAIL"
    res = await post(client, body(name="x" * 31), SEED_TOKEN)
    assert res["result"]["errorCode"] == 10004
    res = await post(client, body(groupId="@TGS#bad"), SEED_TOKEN)
    assert res["result"]["errorCode"] == 10015


async def test_topic_fields_forwarded_only_for_community(client, tim):
    res = await post(client, body(type="Community", groupId="@TGS#_c", supportTopic=1, enablePermission=1,
                                  defaultPermission=2), SEED_TOKEN)
    assert res["success"] is True, res
    g = (await tim("get_group_info", {"GroupIdList": ["@TGS#_c"]}))["GroupInfo"][0]
    assert (g["SupportTopic"], g["EnablePermission"], g["DefaultPermission"]) == (1, 1, 2)


async def test_bad_body_400(client):
    res = await post(client, None, SEED_TOKEN, raw=b"[1, 2]")
    assert res["code"] == 400 and res["success"] is False
    res = await post(client, None, SEED_TOKEN, raw=b"{oops")
    assert res["code"] == 400

"""Per-tenant caps on groups (every provider) and members per group (OpenIM), issue 17: the
call over the cap gets the provider's error and changes nothing."""

from __future__ import annotations

import orjson

from tests.openim_support import openim_call
from tests.rongcloud_support import rc_post
from tests.tencent_support import tencent_call


async def tweak(client, provider: str, edit) -> None:
    st = await (await client.get("/_emulator/state")).json()
    for tenant in st[provider].values():
        edit(tenant)
    resp = await client.put("/_emulator/state", data=orjson.dumps({provider: st[provider]}))
    assert resp.status == 200, await resp.text()


async def groups_of(client, provider: str) -> int:
    st = await (await client.get("/_emulator/state")).json()
    return sum(len(t["groups"]) for t in st[provider].values())


async def test_tencent_group_cap(client):
    have = await groups_of(client, "tencent")
    await tweak(client, "tencent", lambda t: t["limits"].__setitem__("max_groups", len(t["groups"]) + 2))
    for i in range(2):
        assert (await tencent_call(client, "create_group", {"Type": "Public", "Name": f"c{i}"}))["ErrorCode"] == 0
    over = await tencent_call(client, "create_group", {"Type": "Public", "Name": "over"})
    assert over["ErrorCode"] == 10036 and "limit" in over["ErrorInfo"]
    over = await tencent_call(client, "import_group", {"Type": "Public", "Name": "over"})
    assert over["ErrorCode"] == 10036
    assert await groups_of(client, "tencent") == have + 2
    assert (await client.get("/_emulator/state/check")).status == 200


async def test_rongcloud_group_cap_on_every_creating_path(client):
    have = await groups_of(client, "rongcloud")
    await tweak(client, "rongcloud", lambda t: t["settings"].__setitem__("max_groups", len(t["groups"]) + 1))
    status, body = await rc_post(client, "/entrust/group/create.json", {"groupId": "cap1", "name": "n", "owner": "leckie"})
    assert body["code"] == 200
    status, body = await rc_post(client, "/entrust/group/create.json", {"groupId": "cap2", "name": "n", "owner": "leckie"})
    assert body["code"] == 1502
    status, body = await rc_post(client, "/group/create.json", {"userId": "leckie", "groupId": "cap3", "groupName": "n"})
    assert body["code"] == 1502
    status, body = await rc_post(client, "/group/join.json", {"userId": "leckie", "groupId": "cap4", "groupName": "n"})
    assert body["code"] == 1502
    status, body = await rc_post(client, "/group/sync.json", {"userId": "leckie", "group[cap5]": "n"})
    assert body["code"] == 1502
    # joining a group that exists is not a new group
    status, body = await rc_post(client, "/group/join.json", {"userId": "bob", "groupId": "cap1", "groupName": "n"})
    assert body["code"] == 200
    assert await groups_of(client, "rongcloud") == have + 1


async def test_openim_group_and_member_caps(client, openim_admin_token):
    tok = openim_admin_token
    have = await groups_of(client, "openim")

    def caps(t):
        t["settings"]["max_groups"] = len(t["groups"]) + 1
        t["settings"]["max_group_members"] = 3
    await tweak(client, "openim", caps)

    body = {"ownerUserID": "leckie", "memberUserIDs": ["bob", "tommy", "jared"], "adminUserIDs": [],
            "groupInfo": {"groupType": 2, "groupName": "g"}}
    _, r = await openim_call(client, "/group/create_group", body, token=tok)
    assert (r["errCode"], r["errDlt"]) == (1001, "group member count limit reached (3)")
    body["memberUserIDs"] = ["bob"]
    _, r = await openim_call(client, "/group/create_group", body, token=tok)
    assert r["errCode"] == 0
    gid = r["data"]["groupInfo"]["groupID"]
    _, r = await openim_call(client, "/group/create_group", body, token=tok)
    assert r["errCode"] == 1001 and r["errDlt"].startswith("group count limit reached")

    _, r = await openim_call(client, "/group/invite_user_to_group",
                             {"groupID": gid, "invitedUserIDs": ["tommy", "jared"], "reason": ""}, token=tok)
    assert r["errCode"] == 1001 and "member count limit" in r["errDlt"]
    _, r = await openim_call(client, "/group/invite_user_to_group",
                             {"groupID": gid, "invitedUserIDs": ["tommy"], "reason": ""}, token=tok)
    assert r["errCode"] == 0
    _, r = await openim_call(client, "/group/invite_user_to_group",
                             {"groupID": gid, "invitedUserIDs": ["jared"], "reason": ""}, token=tok)
    assert r["errCode"] == 1001
    st = await (await client.get("/_emulator/state")).json()
    group = [g for t in st["openim"].values() for g in t["groups"] if g["groupID"] == gid][0]
    assert len(group["members"]) == 3
    assert await groups_of(client, "openim") == have + 1
    assert (await client.get("/_emulator/state/check")).status == 200


async def test_caps_are_scenario_settings(client):
    async def post(doc):
        resp = await client.post("/_emulator/scenario?mode=merge", data=doc)
        return resp.status, await resp.json()
    status, body = await post("rongcloud:\n  apps:\n    - {app_key: k7, app_secret: s, max_groups: 0}\n")
    assert status == 400 and "rongcloud.apps[0].max_groups" in str(body)
    status, body = await post("openim:\n  tenants:\n    - {secret: s7, settings: {max_group_members: 0}}\n")
    assert status == 400 and "max_group_members" in str(body)
    status, _ = await post("rongcloud:\n  apps:\n    - {app_key: k8, app_secret: s, max_groups: 5}\n")
    assert status == 200
    status, _ = await post("tencent:\n  apps:\n    - {sdkappid: 1400000077, key: k, admins: [a], "
                           "limits: {max_groups: 7}}\n")
    assert status == 200
    st = await (await client.get("/_emulator/state")).json()
    assert st["rongcloud"]["k8"]["settings"]["max_groups"] == 5
    assert st["tencent"]["1400000077"]["limits"]["max_groups"] == 7

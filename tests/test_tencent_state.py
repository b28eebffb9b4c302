"""Tencent state: scenario seeding and errors, dump/load round trip, invariants."""

from __future__ import annotations

from tests.tencent_support import ADMIN, KEY, SDKAPPID


SCENARIO = {"tencent": {"apps": [{
    "sdkappid": SDKAPPID, "key": KEY, "admins": [ADMIN],
    "accounts": [{"UserID": "leckie"}, {"UserID": "bob"}, {"UserID": "tommy"}],
    "groups": [{"GroupId": "@TGS#2J4SZEAEL", "Type": "Public", "Name": "seeded", "Owner_Account": "leckie",
                "CreateTime": 1448000000, "MemberList": [{"Member_Account": "bob", "Role": "Admin"}],
                "GroupAttr": [{"key": "k", "value": "v"}]}]}]}}


async def test_scenario_seeds_groups(client, tim, runtime):
    resp = await client.post("/_emulator/scenario", json=SCENARIO)
    assert resp.status == 200, await resp.text()
    g = (await tim("get_group_info", {"GroupIdList": ["@TGS#2J4SZEAEL"]}))["GroupInfo"][0]
    assert g["CreateTime"] == 1448000000 and g["MemberNum"] == 2 and g["Owner_Account"] == "leckie"
    assert runtime.check_invariants()["tencent"] == []


async def test_bad_scenario_names_the_path(client):
    bad = {"tencent": {"apps": [{**SCENARIO["tencent"]["apps"][0],
                                 "groups": [{"GroupId": "g", "Type": "Public", "Name": "n", "Owner_Account": "ghost"}]}]}}
    resp = await client.post("/_emulator/scenario", json=bad)
    assert resp.status == 400
    details = (await resp.json())["details"]
    assert details[0]["path"] == "tencent.apps[0].groups[0].Owner_Account"
    resp = await client.post("/_emulator/scenario", json={"tencent": {"apps": [{"sdkappid": "x", "key": KEY, "admins": []}]}})
    paths = {d["path"] for d in (await resp.json())["details"]}
    assert {"tencent.apps[0].sdkappid", "tencent.apps[0].admins"} <= paths


async def test_dump_load_dump_is_stable(client, tim, runtime):
    await client.post("/_emulator/scenario", json=SCENARIO)
    gid = (await tim("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "tommy",
                                      "MemberList": [{"Member_Account": "bob", "NameCard": "B",
                                                      "AppMemberDefinedData": [{"Key": "x", "Value": "y"}]}]}))["GroupId"]
    await tim("forbid_send_msg", {"GroupId": gid, "Members_Account": ["bob"], "MuteTime": 100})
    await tim("destroy_group", {"GroupId": "@TGS#2J4SZEAEL"})
    first = runtime.dump_state("tencent")
    runtime.load_state(first, "tencent")
    assert runtime.dump_state("tencent") == first
    assert runtime.check_invariants()["tencent"] == []
    # a new group after reload gets a fresh id and sequence
    gid2 = (await tim("create_group", {"Type": "Public", "Name": "p"}))["GroupId"]
    assert gid2 != gid
    res = await tim("get_appid_group_list", {})
    assert [g["GroupId"] for g in res["GroupIdList"]] == [gid, gid2]


async def test_reset_restores_scenario(client, tim):
    await tim("create_group", {"Type": "Public", "Name": "p"})
    resp = await client.post("/_emulator/reset", json={})
    assert resp.status == 200, await resp.text()
    assert (await tim("get_appid_group_list", {}))["TotalCount"] == 0

"""Entrust (profile hosting) group lifecycle, profile, managers and group queries."""

from __future__ import annotations

import json

import pytest

from emulator.app import RUNTIME
from tests.rongcloud_support import rc_post

E = "/entrust/group"


async def make(rc, gid="g1", owner="o", users=("a", "b"), **extra):
    form = {"groupId": gid, "name": f"name-{gid}", "owner": owner, "userIds": list(users), **extra}
    return await rc(f"{E}/create.json", form)


async def members(rc, gid="g1", **kw):
    body = await rc(f"{E}/member/query.json", {"groupId": gid, "size": "100", **kw})
    return {m["userId"]: m["role"] for m in body["members"]}


def check(rc_client):
    assert rc_client.app[RUNTIME].check_invariants() == {"rongcloud": []}


async def test_create_and_profile_query(rc, rc_client):
    await make(rc, users=("a", "b", "o"), groupProfile=json.dumps({"introduction": "hi", "portraitUrl": "http://p"}),
               permissions=json.dumps({"joinPerm": 1}), groupExtProfile=json.dumps({"ext_level": "3"}))
    body = await rc(f"{E}/profile/query.json", {"groupIds": "g1,missing"})
    [p] = body["profiles"]
    assert p["groupId"] == "g1" and p["groupName"] == "name-g1" and p["owner"] == "o" and p["memberCount"] == 3
    assert json.loads(p["groupProfile"]) == {"introduction": "hi", "portraitUrl": "http://p"}
    assert json.loads(p["permissions"]) == {"joinPerm": 1, "removePerm": 0, "memInvitePerm": 0, "invitePerm": 0,
                                            "profilePerm": 0, "memProfilePerm": 0}
    assert json.loads(p["groupExtProfile"]) == {"ext_level": "3"}
    assert isinstance(p["createTime"], int)
    assert await members(rc) == {"o": 3, "a": 1, "b": 1}
    # the doc example's groupId= spelling works too
    assert len((await rc(f"{E}/profile/query.json", {"groupId": ["g1"]}))["profiles"]) == 1
    check(rc_client)


@pytest.mark.parametrize("form, code, status", [
    ({"groupId": "g1", "name": "n"}, 1002, 400),                                # owner missing
    ({"groupId": "bad id!", "name": "n", "owner": "o"}, 25430, 200),
    ({"groupId": "g" * 65, "name": "n", "owner": "o"}, 25406, 200),
    ({"groupId": "g2", "name": "", "owner": "o"}, 25423, 200),
    ({"groupId": "g2", "name": "n" * 65, "owner": "o"}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "userIds": ",".join(f"u{i}" for i in range(31))}, 1002, 400),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupProfile": "{not json"}, 1002, 400),
    ({"groupId": "g2", "name": "n", "owner": "o", "permissions": "[1"}, 1002, 400),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupExtProfile": "nope"}, 1002, 400),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupProfile": '{"introduction": "' + "i" * 513 + '"}'}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupProfile": '{"announcement": "' + "a" * 1025 + '"}'}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupProfile": '{"portraitUrl": "' + "p" * 129 + '"}'}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupProfile": '{"color": "red"}'}, 25403, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "permissions": '{"joinPerm": 4}'}, 25403, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "permissions": '{"joinPerm": "x"}'}, 25408, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "permissions": '{"nope": 1}'}, 25403, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupExtProfile": '{"level": "1"}'}, 25407, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupExtProfile": json.dumps({"ext_" + "k" * 29: "v"})}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o", "groupExtProfile": json.dumps({"ext_k": "v" * 257})}, 25406, 200),
    ({"groupId": "g2", "name": "n", "owner": "o",
      "groupExtProfile": json.dumps({f"ext_{i}": "v" for i in range(11)})}, 25406, 200),
])
async def test_create_validation(rc, rc_client, form, code, status):
    s, body = await rc_post(rc_client, f"{E}/create.json", form)
    assert (s, body["code"]) == (status, code), body
    assert isinstance(body["errorMessage"], str)
    # nothing was created
    assert (await rc(f"{E}/query.json", {}))["groups"] == []


async def test_create_duplicate_25409_and_limits(rc, rc_client):
    await make(rc)
    await rc(f"{E}/create.json", {"groupId": "g1", "name": "x", "owner": "z"}, expect=25409)
    # 30 userIds is the documented maximum
    await rc(f"{E}/create.json", {"groupId": "g30", "name": "x", "owner": "z",
                                  "userIds": [f"u{i}" for i in range(30)]})
    assert (await rc(f"{E}/profile/query.json", {"groupIds": "g30"}))["profiles"][0]["memberCount"] == 31


async def test_member_cap_25411(rc, rc_client):
    rc_client.app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"].settings.max_members = 5
    await make(rc, users=("a", "b", "c"))
    await rc(f"{E}/join.json", {"groupId": "g1", "userIds": "d,e"}, expect=25411)
    await rc(f"{E}/join.json", {"groupId": "g1", "userIds": "d"})
    await rc(f"{E}/create.json", {"groupId": "g2", "name": "x", "owner": "z",
                                  "userIds": "1,2,3,4,5"}, expect=25411)
    check(rc_client)


async def test_join_answers_group_info_and_errors(rc, rc_client):
    await make(rc)
    body = await rc(f"{E}/join.json", {"groupId": "g1", "userIds": ["c", "d"]})
    assert body["groupId"] == "g1" and body["name"] == "name-g1" and body["owner"] == "o"
    assert body["memberCount"] == 5 and json.loads(body["permissions"])["joinPerm"] == 0
    await rc(f"{E}/join.json", {"groupId": "g1", "userIds": "c,x"}, expect=25412)
    await rc(f"{E}/join.json", {"groupId": "nope", "userIds": "c"}, expect=25410)
    await rc(f"{E}/join.json", {"groupId": "g1", "userIds": [f"u{i}" for i in range(101)]}, expect=1002)
    await rc(f"{E}/profile/update.json", {"groupId": "g1", "permissions": '{"joinPerm": 3}'})
    await rc(f"{E}/join.json", {"groupId": "g1", "userIds": "z"}, expect=25414)
    assert set(await members(rc)) == {"o", "a", "b", "c", "d"}


async def test_update_profile(rc):
    await make(rc, groupExtProfile='{"ext_a": "1"}')
    await rc(f"{E}/profile/update.json", {"groupId": "g1", "groupProfile": '{"name": "renamed", "announcement": "x"}',
                                          "groupExtProfile": '{"ext_b": "2"}', "permissions": '{"removePerm": 2}'})
    p = (await rc(f"{E}/profile/query.json", {"groupIds": "g1"}))["profiles"][0]
    assert p["groupName"] == "renamed" and json.loads(p["groupProfile"]) == {"announcement": "x"}
    assert json.loads(p["groupExtProfile"]) == {"ext_a": "1", "ext_b": "2"}
    assert json.loads(p["permissions"])["removePerm"] == 2
    await rc(f"{E}/profile/update.json", {"groupId": "g1", "name": "top-level"})
    assert (await rc(f"{E}/profile/query.json", {"groupIds": "g1"}))["profiles"][0]["groupName"] == "top-level"
    await rc(f"{E}/profile/update.json", {"groupId": "g1", "groupProfile": '{"name": ""}'}, expect=25423)
    await rc(f"{E}/profile/update.json", {"groupId": "nope", "name": "x"}, expect=25410)


async def test_profile_query_limit_25422(rc):
    await rc(f"{E}/profile/query.json", {"groupIds": [f"g{i}" for i in range(51)]}, expect=25422)
    body = await rc(f"{E}/profile/query.json", {"groupIds": [f"g{i}" for i in range(50)]})
    assert body["profiles"] == []
    await rc(f"{E}/profile/query.json", {"other": "x"}, expect=1002)


async def test_quit_kick_flags(rc, rc_client):
    await make(rc, users=("a", "b", "c"))
    t = rc_client.app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"]
    await rc("/group/user/gag/add.json", {"userId": ["a", "b"], "groupId": "g1", "minute": "10"})
    await rc("/group/user/ban/whitelist/add.json", {"userId": ["a", "b"], "groupId": "g1"})
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "a", "followUserIds": "c"})
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "b", "followUserIds": "c"})
    await rc(f"{E}/quit.json", {"groupId": "g1", "userIds": "a"})  # defaults: all removed
    await rc(f"{E}/member/kick.json", {"groupId": "g1", "userIds": "b", "isDelBan": "0", "isDelWhite": "0",
                                       "isDelFollowed": "0"})
    assert set(t.gags["g1"]) == {"b"} and set(t.whitelists["g1"]) == {"b"} and set(t.groups["g1"].follows) == {"b"}
    assert await members(rc) == {"o": 3, "c": 1}
    await rc(f"{E}/quit.json", {"groupId": "g1", "userIds": "o"}, expect=25417)
    await rc(f"{E}/member/kick.json", {"groupId": "g1", "userIds": "c,o"}, expect=25417)
    await rc(f"{E}/member/kick.json", {"groupId": "g1", "userIds": "c,zz"}, expect=25418)
    await rc(f"{E}/quit.json", {"groupId": "g1", "userIds": "c", "isDelBan": "2"}, expect=1002)
    assert await members(rc) == {"o": 3, "c": 1}
    check(rc_client)


async def test_kick_all_and_dismiss(rc, rc_client):
    await make(rc, "g1", users=("a",))
    await make(rc, "g2", users=("a", "b"))
    await make(rc, "g3", owner="a")
    await rc(f"{E}/member/kick/all.json", {"userId": "a"}, expect=25417)
    await rc(f"{E}/transfer/owner.json", {"groupId": "g3", "newOwner": "o"}, expect=25418)
    await rc(f"{E}/join.json", {"groupId": "g3", "userIds": "o"})
    await rc(f"{E}/transfer/owner.json", {"groupId": "g3", "newOwner": "o"})
    await rc(f"{E}/member/kick/all.json", {"userId": "a"})
    for gid in ("g1", "g2", "g3"):
        assert "a" not in await members(rc, gid)
    await rc(f"{E}/dismiss.json", {"groupId": "g2"})
    await rc(f"{E}/dismiss.json", {"groupId": "g2"}, expect=25410)
    await rc(f"{E}/member/query.json", {"groupId": "g2"}, expect=25410)
    check(rc_client)


async def test_transfer_owner_is_quit(rc, rc_client):
    await make(rc, users=("a", "b"))
    await rc(f"{E}/manager/add.json", {"groupId": "g1", "userIds": "a"})
    await rc(f"{E}/transfer/owner.json", {"groupId": "g1", "newOwner": "a"})
    assert await members(rc) == {"o": 1, "a": 3, "b": 1}
    await rc(f"{E}/transfer/owner.json", {"groupId": "g1", "newOwner": "b", "isQuit": "1"})
    assert await members(rc) == {"o": 1, "b": 3}
    p = (await rc(f"{E}/profile/query.json", {"groupIds": "g1"}))["profiles"][0]
    assert p["owner"] == "b"
    check(rc_client)


async def test_managers(rc, rc_client):
    await make(rc, users=[f"u{i}" for i in range(12)])
    body = await rc(f"{E}/manager/add.json", {"groupId": "g1", "userIds": "u0,u1,stranger"})
    assert body == {"code": 200, "userIds": ["stranger"]}
    await rc(f"{E}/manager/add.json", {"groupId": "g1", "userIds": "o"}, expect=25425)
    s, body = await rc_post(rc_client, f"{E}/manager/add.json",
                            {"groupId": "g1", "userIds": [f"u{i}" for i in range(2, 11)]})
    assert (s, body["code"], body["managerCount"]) == (200, 25419, 2)
    await rc(f"{E}/manager/add.json", {"groupId": "g1", "userIds": [f"u{i}" for i in range(2, 10)]})
    assert len([r for r in (await members(rc)).values() if r == 2]) == 10
    await rc(f"{E}/manager/remove.json", {"groupId": "g1", "userIds": "u0,u11"}, expect=25420)
    await rc(f"{E}/manager/remove.json", {"groupId": "g1", "userIds": [f"u{i}" for i in range(11)]}, expect=1002)
    await rc(f"{E}/manager/remove.json", {"groupId": "g1", "userIds": "u0"})
    body = await rc(f"{E}/member/query.json", {"groupId": "g1", "type": "2"})
    assert body["totalCount"] == 9 and all(m["role"] == 2 for m in body["members"])
    check(rc_client)


async def test_import_legacy_group(rc, rc_client):
    await rc("/group/create.json", {"userId": ["x", "y"], "groupId": "L1", "groupName": "legacy"})
    await rc(f"{E}/join.json", {"groupId": "L1", "userIds": "z"}, expect=25429)
    await rc(f"{E}/create.json", {"groupId": "L1", "name": "n", "owner": "x"}, expect=25409)
    await rc(f"{E}/import.json", {"groupId": "L1", "name": "hosted", "owner": "x",
                                  "permissions": '{"joinPerm": 1}'})
    assert await members(rc, "L1") == {"x": 3, "y": 1}
    await rc(f"{E}/import.json", {"groupId": "L1", "name": "again", "owner": "x"}, expect=25409)
    # an id never used becomes a hosted group of its owner
    await rc(f"{E}/import.json", {"groupId": "L2", "name": "fresh", "owner": "q"})
    assert await members(rc, "L2") == {"q": 3}
    # one store: the legacy API sees the hosted group's members
    body = await rc("/group/user/query.json", {"groupId": "L1"})
    assert body["users"] == [{"id": "x"}, {"id": "y"}]
    check(rc_client)


async def test_group_query_paging(rc):
    for i in range(5):
        await make(rc, f"g{i}", users=())
    await rc("/group/create.json", {"userId": "x", "groupId": "legacy", "groupName": "l"})
    seen, token = [], ""
    while True:
        body = await rc(f"{E}/query.json", {"size": "2", **({"pageToken": token} if token else {})})
        seen += [g["groupId"] for g in body["groups"]]
        token = body["pageToken"]
        if not token:
            break
    assert seen == ["g4", "g3", "g2", "g1", "g0"]  # order 1 (default): newest first
    body = await rc(f"{E}/query.json", {"order": "0", "size": "1000"})
    assert [g["groupId"] for g in body["groups"]] == ["g0", "g1", "g2", "g3", "g4"]
    g = body["groups"][0]
    assert set(g) == {"groupId", "name", "creator", "owner", "portraitUrl", "time"}
    await rc(f"{E}/query.json", {"size": "1001"}, expect=1002)
    await rc(f"{E}/query.json", {"pageToken": "garbage!"}, expect=25432)


async def test_joined_group_query(rc):
    await make(rc, "g1", owner="u")
    await make(rc, "g2", users=("u",))
    await make(rc, "g3", users=("u", "v"))
    await rc(f"{E}/manager/add.json", {"groupId": "g3", "userIds": "u"})
    await rc(f"{E}/remarkname/set.json", {"groupId": "g2", "userId": "u", "remarkName": "my g2"})
    body = await rc("/entrust/joined/group/query.json", {"userId": "u"})
    assert body["totalCount"] == 3 and [g["groupId"] for g in body["groups"]] == ["g3", "g2", "g1"]
    g2 = body["groups"][1]
    assert g2["remarkName"] == "my g2" and g2["role"] == 1 and g2["count"] == 2 and g2["owner"] == "o"
    body = await rc("/entrust/joined/group/query.json", {"userId": "u", "role": "2"})
    assert [g["groupId"] for g in body["groups"]] == ["g3"] and body["totalCount"] == 1
    body = await rc("/entrust/joined/group/query.json", {"userId": "u", "size": "2", "order": "0"})
    assert [g["groupId"] for g in body["groups"]] == ["g1", "g2"] and body["pageToken"]
    body = await rc("/entrust/joined/group/query.json", {"userId": "u", "size": "2", "order": "0",
                                                         "pageToken": body["pageToken"]})
    assert [g["groupId"] for g in body["groups"]] == ["g3"] and body["pageToken"] == ""
    await rc("/entrust/joined/group/query.json", {"userId": "u", "size": "101"}, expect=1002)
    await rc("/entrust/joined/group/query.json", {"userId": "u", "role": "7"}, expect=1002)

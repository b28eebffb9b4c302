"""The legacy group API: membership, sync, queries, member mute, group mute, allowlist, remarks."""

from __future__ import annotations

import time

from emulator.app import RUNTIME
from tests.rongcloud_support import rc_post


def tenant(rc_client):
    return rc_client.app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"]


async def users(rc, gid):
    return [u["id"] for u in (await rc("/group/user/query.json", {"groupId": gid}))["users"]]


async def test_create_join_quit_dismiss(rc, rc_client):
    await rc("/group/create.json", {"userId": ["1", "2"], "groupId": "123", "groupName": "TestGroup"})
    await rc("/group/join.json", {"userId": "3,4", "groupId": "123", "groupName": "TestGroup"})
    assert await users(rc, "123") == ["1", "2", "3", "4"]
    await rc("/group/quit.json", {"userId": ["2", "9"], "groupId": "123"})
    await rc("/group/quit.json", {"userId": "1", "groupId": "never-created"})  # lenient
    assert await users(rc, "123") == ["1", "3", "4"]
    await rc("/group/refresh.json", {"groupId": "123", "groupName": "Renamed"})
    assert tenant(rc_client).groups["123"].name == "Renamed"
    await rc("/group/dismiss.json", {"userId": "anyone", "groupId": "123"})
    assert await users(rc, "123") == []
    assert rc_client.app[RUNTIME].check_invariants() == {"rongcloud": []}


async def test_create_up_to_1000_and_errors(rc, rc_client):
    await rc("/group/create.json", {"userId": [f"u{i}" for i in range(1000)], "groupId": "big", "groupName": "b"})
    await rc("/group/create.json", {"userId": [f"v{i}" for i in range(1001)], "groupId": "big2", "groupName": "b"},
             expect=1002)
    await rc("/group/create.json", {"userId": "a", "groupId": "g" * 65, "groupName": "b"}, expect=1005)
    s, body = await rc_post(rc_client, "/group/create.json", {"userId": "a", "groupId": "g"})
    assert (s, body["code"]) == (400, 1002)
    await rc("/group/create.json", {"groupId": "g", "groupName": "n"}, expect=1002)
    await rc("/group/refresh.json", {"groupId": "g", "groupName": "n" * 256}, expect=1005)


async def test_capacity_405(rc, rc_client):
    tenant(rc_client).settings.max_members = 3
    await rc("/group/create.json", {"userId": "a,b,c", "groupId": "g", "groupName": "n"})
    s, body = await rc_post(rc_client, "/group/join.json", {"userId": "d", "groupId": "g", "groupName": "n"})
    assert (s, body["code"]) == (405, 405)
    await rc("/group/join.json", {"userId": "a", "groupId": "g", "groupName": "n"})  # already in: fine


async def test_sync_and_user_group_query(rc, rc_client):
    await rc("/group/create.json", {"userId": "u", "groupId": "old", "groupName": "Old"})
    await rc("/group/sync.json", {"userId": "u", "group[a]": "A", "group[b]": "B"})
    body = await rc("/user/group/query.json", {"userId": "u"})
    assert body["groups"] == [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]
    assert await users(rc, "old") == []
    await rc("/group/sync.json", {"userId": "u", "group[a]": "A2"})
    assert (await rc("/user/group/query.json", {"userId": "u"}))["groups"] == [{"id": "a", "name": "A2"}]
    await rc("/group/sync.json", {"userId": "u"})  # no group[...]: every binding goes
    assert (await rc("/user/group/query.json", {"userId": "u"}))["groups"] == []
    for i in range(5):
        await rc("/group/join.json", {"userId": "p", "groupId": f"p{i}", "groupName": f"P{i}"})
    body = await rc("/user/group/query.json", {"userId": "p", "page": "2", "size": "2"})
    assert [g["id"] for g in body["groups"]] == ["p2", "p3"]
    await rc("/user/group/query.json", {"userId": "p", "size": "1001"}, expect=1002)
    await rc("/group/sync.json", {"userId": "u", "group[]": "x"}, expect=1002)
    await rc("/group/sync.json", {"userId": "u", "group[" + "g" * 65 + "]": "x"}, expect=1005)
    assert rc_client.app[RUNTIME].check_invariants() == {"rongcloud": []}


async def test_gag_expiry_on_emulator_clock(rc, rc_client):
    start = 1_700_000_000
    await rc_client.post("/_emulator/clock", json={"freeze_at": start})
    await rc("/group/create.json", {"userId": "a,b", "groupId": "g", "groupName": "n"})
    await rc("/group/user/gag/add.json", {"userId": "a", "groupId": "g", "minute": "1"})
    await rc("/group/user/gag/add.json", {"userId": "b", "groupId": "g", "minute": "43200"})
    body = await rc("/group/user/gag/list.json", {"groupId": "g"})
    expected_a = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + 60 + 8 * 3600))
    assert body["users"] == [{"time": expected_a, "userId": "a"},
                             {"time": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + 43200 * 60 + 8 * 3600)),
                              "userId": "b"}]
    await rc_client.post("/_emulator/clock", json={"advance_s": 61})
    body = await rc("/group/user/gag/list.json", {"groupId": "g"})
    assert [u["userId"] for u in body["users"]] == ["b"]
    await rc("/group/user/gag/add.json", {"userId": "a", "groupId": "g", "minute": "43201"}, expect=1002)
    await rc("/group/user/gag/add.json", {"userId": "a", "groupId": "g", "minute": "x"}, expect=1002)
    await rc("/group/user/gag/add.json", {"userId": "a", "groupId": "g"}, expect=1002)
    await rc("/group/user/gag/rollback.json", {"userId": "b", "groupId": "g"})
    assert (await rc("/group/user/gag/list.json", {"groupId": "g"}))["users"] == []
    # without groupId: every group the user is in; minute 0 = permanent
    await rc("/group/join.json", {"userId": "a", "groupId": "h", "groupName": "n"})
    await rc("/group/user/gag/add.json", {"userId": "a", "minute": "0"})
    body = await rc("/group/user/gag/list.json", {})
    assert sorted((u["groupId"], u["userId"]) for u in body["users"]) == [("g", "a"), ("h", "a")]
    await rc("/group/user/gag/rollback.json", {"userId": "a"})
    assert (await rc("/group/user/gag/list.json", {}))["users"] == []


async def test_ban_and_whitelist(rc, rc_client):
    await rc("/group/ban/add.json", {"groupId": ["g1", "g2"], "whiteUserId": "w"})
    body = await rc("/group/ban/query.json", {"groupId": "g1,g3"})
    assert body["groupinfo"] == [{"groupId": "g1", "stat": 1}, {"groupId": "g3", "stat": 0}]
    assert (await rc("/group/ban/query.json", body=""))["groupinfo"] == [{"groupId": "g1", "stat": 1},
                                                                          {"groupId": "g2", "stat": 1}]
    await rc("/group/user/ban/whitelist/add.json", {"userId": ["a", "b"], "groupId": "g1"})
    assert (await rc("/group/user/ban/whitelist/query.json", {"groupId": "g1"}))["userIds"] == ["w", "a", "b"]
    await rc("/group/user/ban/whitelist/rollback.json", {"userId": "a", "groupId": "g1"})
    assert (await rc("/group/user/ban/whitelist/query.json", {"groupId": "g1"}))["userIds"] == ["w", "b"]
    await rc("/group/ban/rollback.json", {"groupId": "g1", "isClearWhiteUser": "1"})
    assert (await rc("/group/user/ban/whitelist/query.json", {"groupId": "g1"}))["userIds"] == []
    assert (await rc("/group/ban/query.json", {}, body=""))["groupinfo"] == [{"groupId": "g2", "stat": 1}]
    await rc("/group/ban/add.json", {}, body="", expect=1003)
    await rc("/group/ban/add.json", {"other": "1"}, expect=1002)


async def test_remarks(rc):
    await rc("/group/remarks/set.json", {"userId": "u", "groupId": "g", "remark": "mine"})
    assert (await rc("/group/remarks/get.json", {"userId": "u", "groupId": "g"}))["remark"] == "mine"
    await rc("/group/remarks/del.json", {"userId": "u", "groupId": "g"})
    assert (await rc("/group/remarks/get.json", {"userId": "u", "groupId": "g"}))["remark"] == ""
    await rc("/group/remarks/set.json", {"userId": "u", "groupId": "g"}, expect=1002)
    await rc("/group/remarks/set.json", {"userId": "u", "groupId": "g", "remark": "r" * 65}, expect=1005)


async def test_legacy_quit_of_hosted_owner_refused(rc):
    await rc("/entrust/group/create.json", {"groupId": "h", "name": "n", "owner": "o", "userIds": "a"})
    await rc("/group/quit.json", {"userId": "o,a", "groupId": "h"}, expect=25417)
    await rc("/group/quit.json", {"userId": "a", "groupId": "h"})
    assert [u["id"] for u in (await rc("/group/user/query.json", {"groupId": "h"}))["users"]] == ["o"]

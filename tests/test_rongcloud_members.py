"""Entrust member APIs: paged and specific queries, member profile, remark names, follows."""

from __future__ import annotations

from emulator.app import RUNTIME

E = "/entrust/group"


async def setup(rc, n=5):
    await rc(f"{E}/create.json", {"groupId": "g1", "name": "n", "owner": "o"})
    for i in range(n):  # one join per user: distinct join order
        await rc(f"{E}/join.json", {"groupId": "g1", "userIds": f"u{i}"})


async def test_member_query_paging_orders_and_types(rc):
    await setup(rc)
    await rc(f"{E}/manager/add.json", {"groupId": "g1", "userIds": "u1,u3"})
    seen, token = [], None
    while True:
        form = {"groupId": "g1", "size": "2", **({"pageToken": token} if token else {})}
        body = await rc(f"{E}/member/query.json", form)
        assert body["totalCount"] == 6
        seen += [m["userId"] for m in body["members"]]
        token = body["pageToken"]
        if not token:
            break
    assert seen == ["u4", "u3", "u2", "u1", "u0", "o"]  # default order 1: latest join first
    body = await rc(f"{E}/member/query.json", {"groupId": "g1", "order": "0", "type": "1"})
    assert [m["userId"] for m in body["members"]] == ["u0", "u2", "u4"] and body["totalCount"] == 3
    body = await rc(f"{E}/member/query.json", {"groupId": "g1", "type": "3"})
    assert body["members"][0]["userId"] == "o" and body["members"][0]["role"] == 3
    m = body["members"][0]
    assert set(m) == {"userId", "nickname", "role", "time", "extra"}
    await rc(f"{E}/member/query.json", {"groupId": "g1", "size": "101"}, expect=1002)
    await rc(f"{E}/member/query.json", {"groupId": "g1", "type": "4"}, expect=1002)
    await rc(f"{E}/member/query.json", {"groupId": "g1", "pageToken": "bm9wZQ"}, expect=25432)


async def test_specific_query_and_member_set(rc):
    await setup(rc, 2)
    await rc(f"{E}/member/set.json", {"groupId": "g1", "userId": "u1", "nickname": "Uno", "extra": "x"})
    body = await rc(f"{E}/member/specific/query.json", {"groupId": "g1", "userIds": ["u1", "ghost", "o"]})
    assert [(m["userId"], m["nickname"], m["extra"], m["role"]) for m in body["members"]] == \
        [("u1", "Uno", "x", 1), ("o", "", "", 3)]
    await rc(f"{E}/member/set.json", {"groupId": "g1", "userId": "ghost", "nickname": "x"}, expect=25418)
    await rc(f"{E}/member/set.json", {"groupId": "g1", "userId": "u1"}, expect=1002)
    await rc(f"{E}/member/set.json", {"groupId": "g1", "userId": "u1", "nickname": "n" * 65}, expect=25406)
    await rc(f"{E}/member/set.json", {"groupId": "g1", "userId": "u1", "nickname": "n", "extra": "e" * 129},
             expect=25406)
    await rc(f"{E}/member/specific/query.json", {"groupId": "g1", "userIds": [f"u{i}" for i in range(101)]},
             expect=1002)


async def test_remark_names(rc):
    await setup(rc, 1)
    assert (await rc(f"{E}/remarkname/query.json", {"groupId": "g1", "userId": "u0"}))["remarkName"] == ""
    await rc(f"{E}/remarkname/set.json", {"groupId": "g1", "userId": "u0", "remarkName": "work"})
    await rc(f"{E}/remarkname/set.json", {"groupId": "g1", "userId": "u0", "remarkName": "family"})
    assert (await rc(f"{E}/remarkname/query.json", {"groupId": "g1", "userId": "u0"}))["remarkName"] == "family"
    # the legacy remarks API reads the same per-user group name
    assert (await rc("/group/remarks/get.json", {"groupId": "g1", "userId": "u0"}))["remark"] == "family"
    await rc(f"{E}/remarkname/delete.json", {"groupId": "g1", "userId": "u0"})
    assert (await rc(f"{E}/remarkname/query.json", {"groupId": "g1", "userId": "u0"}))["remarkName"] == ""
    await rc(f"{E}/remarkname/set.json", {"groupId": "g1", "userId": "u0", "remarkName": "r" * 65}, expect=25406)
    await rc(f"{E}/remarkname/set.json", {"groupId": "g1", "userId": "zz", "remarkName": "r"}, expect=25418)
    await rc(f"{E}/remarkname/set.json", {"groupId": "nope", "userId": "u0", "remarkName": "r"}, expect=25410)


async def test_follow_unfollow(rc, rc_client):
    await setup(rc, 3)
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "u0", "followUserIds": "u1,u2"})
    body = await rc(f"{E}/member/followed/get.json", {"groupId": "g1", "userId": "u0"})
    assert body["userId"] == "u0" and body["groupId"] == "g1"
    assert [m["userId"] for m in body["members"]] == ["u1", "u2"] and isinstance(body["members"][0]["timestamp"], int)
    await rc(f"{E}/member/unfollow.json", {"groupId": "g1", "userId": "u0", "followUserIds": ["u1"]})
    body = await rc(f"{E}/member/followed/get.json", {"groupId": "g1", "userId": "u0"})
    assert [m["userId"] for m in body["members"]] == ["u2"]
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "u0", "followUserIds": "ghost"}, expect=25418)
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "ghost", "followUserIds": "u1"}, expect=25418)
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "u0",
                                         "followUserIds": [f"x{i}" for i in range(101)]}, expect=1002)
    t = rc_client.app[RUNTIME].providers["rongcloud"].backend.tenants["uwd1c0sxdlx2"]
    t.settings.max_follows = 1
    await rc(f"{E}/member/follow.json", {"groupId": "g1", "userId": "u0", "followUserIds": "u1"}, expect=25419)

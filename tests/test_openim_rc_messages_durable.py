"""OpenIM and RongCloud messages survive a kill -9 with --data-dir: the replayed log and
snapshots rebuild the stores (seqs, group notifications, UIDs, revokes, read marks, recalls)."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.rongcloud_support import RC_APP_KEY, rc_form, rc_sign
from tests.test_durability import check_clean, procs, state_of  # noqa: F401  (procs: a fixture)

SECRET = "openIM123"


async def _openim(s, path, body, token, op):
    async with s.post(path, json=body, headers={"operationID": op, "token": token}) as r:
        return await r.json()


async def _rc(s, path, form):
    async with s.post(path, data=rc_form(form), headers={**rc_sign(), "Content-Type":
                                                         "application/x-www-form-urlencoded"}) as r:
        return await r.json()


async def test_kill9_keeps_openim_and_rongcloud_messages(procs, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    p = procs("--data-dir", str(data), "--snapshot-every", "30")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        async with s.post("/auth/get_admin_token", json={"secret": SECRET, "userID": "imAdmin"},
                          headers={"operationID": "t"}) as r:
            token = (await r.json())["data"]["token"]
        body = await _openim(s, "/group/create_group", {"ownerUserID": "leckie", "memberUserIDs": ["bob"],
                                                        "adminUserIDs": [], "groupInfo": {"groupType": 2,
                                                        "groupID": "dur"}}, token, "c")
        assert body["errCode"] == 0, body

        async def sender(k: int):
            for i in range(12):
                n = k * 100 + i
                if i % 2:
                    b = await _openim(s, "/msg/send_msg", {"sendID": "bob", "groupID": "dur", "sessionType": 3,
                                                          "contentType": 101, "content": {"content": f"g{n}"}},
                                      token, f"s{n}")
                    assert b["errCode"] == 0, b
                else:
                    b = await _rc(s, "/message/group/publish.json", {"fromUserId": f"u{k}", "toGroupId": "g1",
                                                                      "objectName": "RC:TxtMsg",
                                                                      "content": '{"content":"x"}'})
                    assert b["code"] == 200, b

        await asyncio.gather(*(sender(k) for k in range(6)))
        b = await _openim(s, "/msg/revoke_msg", {"conversationID": "sg_dur", "seq": 2, "userID": "bob"}, token, "r")
        assert b["errCode"] == 0, b
        b = await _openim(s, "/group/kick_group", {"groupID": "dur", "kickedUserIDs": ["bob"]}, token, "k")
        assert b["errCode"] == 0, b
        b = await _rc(s, "/message/private/publish.json", {"fromUserId": "a", "toUserId": "b",
                                                           "objectName": "RC:TxtMsg", "content": '{"content":"y"}'})
        uid = b["messageUIDs"][0]["messageUID"]
        b = await _rc(s, "/message/recall.json", {"fromUserId": "a", "conversationType": "1", "targetId": "b",
                                                  "messageUID": uid})
        assert b["code"] == 200
        before = await state_of(s)
        async with s.get("/_emulator/messages", params={"limit": 1000}) as r:
            listed = await r.json()
        assert listed["total"] >= 6 * 12 + 3
    p.kill9()

    p = procs("--data-dir", str(data), "--snapshot-every", "30")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        assert await state_of(s) == before
        await check_clean(s)
        async with s.get("/_emulator/messages", params={"limit": 1000}) as r:
            assert await r.json() == listed
    assert RC_APP_KEY in before["rongcloud"]

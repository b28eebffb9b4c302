"""Messages survive a kill -9 with --data-dir: the replayed log (and snapshots) rebuild the store,
group counters and unread counts exactly (sends are deterministic on the recorded clock)."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.tencent_support import KEY, tencent_call
from tests.test_durability import check_clean, procs, state_of  # noqa: F401  (procs: a fixture)


def text(t: str) -> list:
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": t}}]


async def test_kill9_keeps_messages(procs, tmp_path):  # noqa: F811
    data = tmp_path / "data"
    p = procs("--data-dir", str(data), "--snapshot-every", "40")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        async with s.post("/_emulator/scenario?mode=merge", json={"tencent": {"apps": [{
                "sdkappid": 1400000000, "key": KEY, "admins": ["administrator"], "rate_limit": 0,
                "accounts": [{"UserID": u} for u in ("leckie", "bob", "tommy")],
                "message_settings": {"group_msg_per_second": 0}}]}}) as r:
            assert r.status == 200, await r.text()
        res = await tencent_call(s, "create_group", {"Type": "Public", "Name": "d", "GroupId": "dur-msg",
                                                     "Owner_Account": "leckie",
                                                     "MemberList": [{"Member_Account": "bob"}]})
        assert res["ErrorCode"] == 0, res

        async def sender(k: int):
            for i in range(25):
                n = k * 100 + i
                if i % 3:
                    r = await tencent_call(s, "send_group_msg", {"GroupId": "dur-msg", "Random": n,
                                                                 "From_Account": "bob", "MsgBody": text(f"g{n}")})
                else:
                    r = await tencent_call(s, "openim/sendmsg", {"From_Account": "leckie", "To_Account": "tommy",
                                                                 "MsgRandom": n, "MsgBody": text(f"c{n}")})
                assert r["ErrorCode"] == 0, r

        await asyncio.gather(*(sender(k) for k in range(8)))
        r = await tencent_call(s, "group_msg_recall", {"GroupId": "dur-msg", "MsgSeqList": [{"MsgSeq": 3}]})
        assert r["RecallRetList"][0]["RetCode"] == 0
        r = await tencent_call(s, "openim/admin_set_msg_read", {"Report_Account": "tommy", "Peer_Account": "leckie"})
        assert r["ErrorCode"] == 0
        # membership changes after messages: the history (messages.rosters) must survive too
        r = await tencent_call(s, "delete_group_member", {"GroupId": "dur-msg", "MemberToDel_Account": ["bob"]})
        assert r["ErrorCode"] == 0
        r = await tencent_call(s, "add_group_member", {"GroupId": "dur-msg", "MemberList": [{"Member_Account": "tommy"}]})
        assert r["ErrorCode"] == 0
        before = await state_of(s)
        async with s.get("/_emulator/state", params={"provider": "tencent"}) as r:
            rosters = (await r.json())["tencent"]["1400000000"]["messages"]["rosters"]
        assert set(rosters["group:dur-msg"]["users"]) == {"bob", "tommy"}
        async with s.get("/_emulator/messages", params={"provider": "tencent", "limit": 1000}) as r:
            listed = await r.json()
        assert listed["total"] == 200
    p.kill9()

    p = procs("--data-dir", str(data), "--snapshot-every", "40")
    async with aiohttp.ClientSession(base_url=p.url) as s:
        assert await state_of(s) == before
        await check_clean(s)
        async with s.get("/_emulator/messages", params={"provider": "tencent", "limit": 1000}) as r:
            assert await r.json() == listed


async def test_dump_with_messages_is_its_own_app_schema(tim, client, runtime):
    """Snapshots skip AppSpec validation (tenant_from_snapshot): sound only while AppSpec().load
    returns a dump with messages, settings and a de-dup window unchanged."""
    import json

    from emulator.providers.tencent.schemas_scenario import AppSpec

    await tencent_call(client, "create_group", {"Type": "Public", "Name": "g", "GroupId": "snap",
                                                "Owner_Account": "leckie", "MemberList": [{"Member_Account": "bob"}]})
    for i in range(3):
        assert (await tim("send_group_msg", {"GroupId": "snap", "Random": i, "From_Account": "bob",
                                             "MsgBody": text(f"g{i}")}))["ErrorCode"] == 0
        assert (await tim("openim/sendmsg", {"From_Account": "leckie", "To_Account": "bob", "MsgSeq": i,
                                             "MsgRandom": i, "MsgBody": text(f"c{i}")}))["ErrorCode"] == 0
    await tim("group_msg_recall", {"GroupId": "snap", "MsgSeqList": [{"MsgSeq": 1}]})
    backend = runtime.providers["tencent"].backend
    app = backend.tenants["1400000000"]
    app.message_settings["mute_all_blocks"] = "everyone"
    dump = json.loads(json.dumps(backend.tenant_to_json(app)))
    assert dump["messages"]["recent"] and dump["message_settings"]
    assert AppSpec().load(dump) == dump
    assert backend.tenant_to_json(backend.tenant_from_snapshot(dump)) == dump

"""RongCloud message APIs (reference users-messages-callbacks 2): private/group/system publish,
recall and the hourly history log served by the emulator. Sends go through the official PyPI
``rongcloud`` SDK where it has the call (publish, history), signed headers otherwise (recall)."""

from __future__ import annotations

import asyncio
import gzip
import json
import re

import pytest

from emulator.app import RUNTIME, create_app
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET, rc_call, rc_post

UID = re.compile(r"[A-Z0-9]{4}(-[A-Z0-9]{4}){3}")
TXT = json.dumps({"content": "hello", "extra": ""})


def tenant(runtime):
    return runtime.providers["rongcloud"].backend.tenants[RC_APP_KEY]


@pytest.fixture
def runtime(rc_client):
    return rc_client.app[RUNTIME]


async def private(rc, frm="u1", to=("u2",), expect=200, **extra):
    return await rc("/message/private/publish.json", {"fromUserId": frm, "toUserId": list(to),
                                                      "objectName": "RC:TxtMsg", "content": TXT, **extra},
                    expect=expect)


async def group(rc, frm="u1", groups=("g1",), expect=200, **extra):
    return await rc("/message/group/publish.json", {"fromUserId": frm, "toGroupId": list(groups),
                                                    "objectName": "RC:TxtMsg", "content": TXT, **extra},
                    expect=expect)


async def stored(rc_client, conversation):
    resp = await rc_client.get("/_emulator/messages", params={"provider": "rongcloud", "conversation": conversation})
    return (await resp.json())["messages"]


# --- the official SDK ---------------------------------------------------------------------------------
def drive_sdk(host: str) -> dict:
    from rongcloud import RongCloud
    from rongcloud.base import RongCloudBase
    saved = RongCloudBase.api_host
    RongCloudBase.api_host = host
    try:
        m = RongCloud(RC_APP_KEY, RC_APP_SECRET).Message
        out = {"private": m.publishPrivate(fromUserId="userId1", toUserId={"userId2", "userid3"},
                                           objectName="RC:TxtMsg", content=TXT, pushContent="thisisapush",
                                           pushData='{"pushData":"hello"}', count="4", verifyBlacklist="0",
                                           isPersisted="0", isCounted="0", isIncludeSender="0").result,
               # Group_1 is never created: the SDK's own test expects 200 (reference 2.4)
               "group": m.publishGroup(fromUserId="userId", toGroupId={"Group_1", "Group_2"},
                                       objectName="RC:TxtMsg", content=TXT, pushContent="p",
                                       isPersisted="1", isCounted="1").result,
               "system": m.PublishSystem(fromUserId="userId1", toUserId={"userId2", "userid3"},
                                         objectName="RC:TxtMsg", content=TXT, isPersisted="1").result,
               "history": m.getHistory(date="2019010101").result}
        return out
    finally:
        RongCloudBase.api_host = saved


async def test_official_sdk_sends_and_history(aiohttp_server, rc_settings):
    server = await aiohttp_server(create_app(rc_settings))
    out = await asyncio.to_thread(drive_sdk, str(server.make_url("")).rstrip("/"))
    assert {k: v["code"] for k, v in out.items()} == {"private": 200, "group": 200, "system": 200, "history": 200}
    assert {e["userId"] for e in out["private"]["messageUIDs"]} == {"userId2", "userid3"}
    assert {e["groupId"] for e in out["group"]["messageUIDs"]} == {"Group_1", "Group_2"}
    assert all(UID.fullmatch(e["messageUID"]) for v in ("private", "group", "system") for e in out[v]["messageUIDs"])
    assert out["history"] == {"code": 200, "url": "", "date": "2019010101"}
    t = server.app[RUNTIME].providers["rongcloud"].backend.tenants[RC_APP_KEY]
    # isPersisted=0: delivered, not in cloud history
    assert len(t.messages.get("online:private:userId1:userId2").messages()) == 1
    assert t.messages.get("private:userId1:userId2") is None
    assert len(t.messages.get("group:Group_1").messages()) == 1
    assert len(t.messages.get("system:userId1:userid3").messages()) == 1


# --- private / system -----------------------------------------------------------------------------------
async def test_private_publish_stores_one_per_recipient(rc, rc_client, runtime):
    body = await private(rc, to=("u2", "u3"), pushContent="p")
    assert [e["userId"] for e in body["messageUIDs"]] == ["u2", "u3"]
    uids = [e["messageUID"] for e in body["messageUIDs"]]
    assert len(set(uids)) == 2 and all(UID.fullmatch(u) for u in uids)
    [m] = await stored(rc_client, "private:u1:u2")
    assert m["from"] == "u1" and m["ids"] == [uids[0]] and m["seq"] == 1
    assert m["body"]["content"] == TXT and m["body"]["toUserId"] == "u2" and m["body"]["pushContent"] == "p"
    conv = tenant(runtime).messages.get("private:u1:u3")
    assert tenant(runtime).messages.unread(conv, "u3") == 1         # isCounted defaults to 1
    await private(rc, frm="u2", to=("u1",), isCounted="0")
    assert [m["seq"] for m in await stored(rc_client, "private:u1:u2")] == [1, 2]


async def test_publish_parameter_errors(rc):
    await rc("/message/private/publish.json", {"fromUserId": "u1", "objectName": "RC:TxtMsg", "content": TXT},
             expect=1002)                                                    # toUserId missing
    await rc("/message/private/publish.json", {"fromUserId": "u1", "toUserId": "u2", "objectName": "RC:TxtMsg"},
             expect=1002)                                                    # content missing
    await private(rc, to=[f"u{i}" for i in range(1001)], expect=1002)        # > 1000 recipients
    await rc("/message/system/publish.json", {"fromUserId": "s", "toUserId": [f"u{i}" for i in range(101)],
                                              "objectName": "RC:TxtMsg", "content": TXT}, expect=1002)
    await group(rc, groups=("a", "b", "c", "d"), expect=1002)                # > 3 groups
    await private(rc, objectName="X" * 33, expect=1005)
    await private(rc, content="not json", expect=1002)                       # RC: types carry JSON
    await private(rc, objectName="App:Custom", content="not json")           # custom: any text
    await private(rc, isPersisted="maybe", expect=1002)
    await group(rc, groups=("g1", "g2"), toUserId=["u2"], expect=1002)      # directed: one group


async def test_verify_blacklist_and_deactivated(rc, rc_client):
    await rc("/user/blacklist/add.json", {"userId": "u2", "blackUserId": "u1"})
    body = await private(rc, to=("u2", "u3"))                 # Server API ignores blocklists by default
    assert [e["userId"] for e in body["messageUIDs"]] == ["u2", "u3"]
    body = await private(rc, to=("u2", "u3"), verifyBlacklist="1")
    assert [e["userId"] for e in body["messageUIDs"]] == ["u3"]
    await rc("/user/whitelist/add.json", {"userId": "u3", "whiteUserId": "u9"})
    body = await private(rc, to=("u3",), verifyBlacklist="true")
    assert body["messageUIDs"] == []
    await rc("/user/deactivate.json", {"userId": "u4"})
    body = await private(rc, to=("u4", "u5"))
    assert [e["userId"] for e in body["messageUIDs"]] == ["u5"]
    assert len(await stored(rc_client, "private:u1:u2")) == 1


async def test_banned_sender_setting(rc, runtime):
    await rc("/user/block.json", {"userId": "u1", "minute": "10"})
    await private(rc)                                         # default: accepted (UNKNOWN, 1.7)
    tenant(runtime).settings.banned_sender_code = 1002
    await private(rc, expect=1002)
    await private(rc, frm="u2", to=("u1",))                   # messages *to* a banned user are kept


async def test_system_publish(rc, rc_client):
    body = await rc("/message/system/publish.json", {"fromUserId": "sys", "toUserId": ["u1"],
                                                     "objectName": "RC:TxtMsg", "content": TXT})
    [m] = await stored(rc_client, "system:sys:u1")
    assert m["ids"] == [body["messageUIDs"][0]["messageUID"]] and m["kind"] == "system"


# --- group ------------------------------------------------------------------------------------------------
async def test_group_publish_server_api_rules(rc, rc_client, runtime):
    await rc("/group/create.json", {"userId": ["u2", "u3"], "groupId": "g1", "groupName": "G"})
    await group(rc)                                           # u1 is no member: allowed (2.4)
    await rc("/group/ban/add.json", {"groupId": "g1"})
    await group(rc, frm="u2")                                 # whole-group mute does not apply
    await rc("/group/user/gag/add.json", {"groupId": "g1", "userId": "u3", "minute": "10"})
    await group(rc, frm="u3")                                 # per-member gag: default does not apply
    tenant(runtime).settings.gag_applies_to_server_api = True
    await group(rc, frm="u3", expect=22408)
    await group(rc, groups=("never",))                        # never created: 200 (PY3 tests)
    tenant(runtime).settings.unknown_group_code = 25410
    await group(rc, groups=("g1", "never"), expect=25410)
    assert [m["from"] for m in await stored(rc_client, "group:g1")] == ["u1", "u2", "u3"]
    assert len(await stored(rc_client, "group:never")) == 1


async def test_directed_group_message_not_in_history(rc, rc_client):
    body = await group(rc, toUserId=["u2", "u3"])
    assert [e["groupId"] for e in body["messageUIDs"]] == ["g1"]
    assert await stored(rc_client, "group:g1") == []
    [m] = await stored(rc_client, "online:group:g1")
    assert m["to"] == ["u2", "u3"]
    resp = await rc_client.get("/_emulator/messages", params={"provider": "rongcloud", "user": "u2"})
    assert (await resp.json())["total"] == 0    # u2 is in no group and no one-to-one conversation


# --- recall ---------------------------------------------------------------------------------------------------
async def test_recall(rc, rc_client):
    uid = (await private(rc))["messageUIDs"][0]["messageUID"]
    form = {"fromUserId": "u1", "conversationType": "1", "targetId": "u2", "messageUID": uid,
            "sentTime": "1700000000000", "isAdmin": "0", "isDelete": "0", "extra": ""}
    await rc("/message/recall.json", form)
    rows = await stored(rc_client, "private:u1:u2")
    assert rows[0]["recalled"] is True and rows[1]["body"]["objectName"] == "RC:RcCmd"
    assert json.loads(rows[1]["body"]["content"])["messageUId"] == uid
    # someone else's message, or a made-up UID: 200 with only the command stored (2.9)
    uid2 = (await private(rc, frm="u2", to=("u1",)))["messageUIDs"][0]["messageUID"]
    await rc("/message/recall.json", {**form, "messageUID": uid2})
    await rc("/message/recall.json", {**form, "messageUID": "5FGT-7VA9-G4DD-4V5P"})
    rows = await stored(rc_client, "private:u1:u2")
    assert [r["recalled"] for r in rows] == [True, False, False, False, False]
    await rc("/message/recall.json", {**form, "conversationType": "2"}, expect=1002)
    await rc("/message/recall.json", {k: v for k, v in form.items() if k != "messageUID"}, expect=1002)


async def test_recall_group_is_delete_and_strict_setting(rc, rc_client, runtime):
    uid = (await group(rc))["messageUIDs"][0]["messageUID"]
    await rc("/message/recall.json", {"fromUserId": "u1", "conversationType": "3", "targetId": "g1",
                                      "messageUID": uid, "isDelete": "1"})
    rows = await stored(rc_client, "group:g1")
    assert rows[0]["recalled"] and rows[0]["deleted"]
    tenant(runtime).settings.recall_unknown_code = 1002
    await rc("/message/recall.json", {"fromUserId": "u1", "conversationType": "3", "targetId": "g1",
                                      "messageUID": "AAAA-BBBB-CCCC-DDDD"}, expect=1002)


# --- history -------------------------------------------------------------------------------------------------
async def test_history_file_served_from_the_store(rc, rc_client, runtime):
    await rc_client.post("/_emulator/clock", json={"freeze_at": 1735693200.0})   # 2025-01-01 01:00 UTC = 09:00 +8
    uid = (await private(rc))["messageUIDs"][0]["messageUID"]
    await group(rc, frm="u3")
    await private(rc, isPersisted="0")                      # not in cloud history: not in the log
    body = await rc("/message/history.json", {"date": "2025010109"})
    assert body == {"code": 200, "url": "", "date": "2025010109"}      # the hour is not over yet
    await rc_client.post("/_emulator/clock", json={"advance_s": 3600})
    body = await rc("/message/history.json", {"date": "2025010109"})
    url = body["url"]
    assert url.startswith(str(rc_client.make_url("/_emulator/rongcloud/history/"))) and ".gz?sign=" in url
    resp = await rc_client.get(url[url.index("/_emulator"):])
    assert resp.status == 200 and resp.content_type == "application/gzip"
    rows = [json.loads(line) for line in gzip.decompress(await resp.read()).splitlines()]
    assert [(r["fromUserId"], r["targetType"], r["targetId"]) for r in rows] == [("u1", 1, "u2"), ("u3", 3, "g1")]
    assert rows[0]["msgUID"] == uid and rows[0]["classname"] == "RC:TxtMsg" and rows[0]["content"] == TXT
    assert rows[0]["dateTime"] == "2025-01-01 09:00:00.000" and rows[1]["GroupId"] == "g1"
    assert (await rc("/message/history.json", {"date": "2025010108"}))["url"] == ""
    bad = await rc_client.get(url[url.index("/_emulator"):].replace("sign=", "sign=0"))
    assert bad.status == 404
    await rc("/message/history.json", {"date": "2025-01-01"}, expect=1002)
    await rc_client.post("/_emulator/clock", json={"advance_s": 72 * 3600})
    assert (await rc("/message/history.json", {"date": "2025010109"}))["url"] == ""     # kept 3 days
    tenant(runtime).settings.history_service = False
    status, body = await rc_post(rc_client, "/message/history.json", {"date": "2025010109"})
    assert (status, body["code"]) == (430, 1009)


async def test_history_delete_removes_the_hours_log(rc, rc_client, runtime, aiohttp_server, rc_settings):
    """/message/history/delete.json (2.10): the hour's file goes (history.json answers url "" as
    for an hour without data, the old link 404s), the stored messages stay; other hours keep
    theirs; date is checked as history.json checks it; the official SDK's call works."""
    await rc_client.post("/_emulator/clock", json={"freeze_at": 1735693200.0})   # 2025-01-01 09:00 +8
    await private(rc)
    await rc_client.post("/_emulator/clock", json={"advance_s": 3600})
    await group(rc, frm="u3")                                                    # in the 10:00 hour
    await rc("/message/history/delete.json", {"date": "2025010110"})             # not over yet: no file
    await rc_client.post("/_emulator/clock", json={"advance_s": 3600})
    url = (await rc("/message/history.json", {"date": "2025010109"}))["url"]
    assert url and (await rc("/message/history.json", {"date": "2025010110"}))["url"]
    assert await rc("/message/history/delete.json", {"date": "2025010109"}) == {"code": 200}
    assert await rc("/message/history.json", {"date": "2025010109"}) == {"code": 200, "url": "", "date": "2025010109"}
    assert (await rc_client.get(url[url.index("/_emulator"):])).status == 404
    assert (await rc("/message/history.json", {"date": "2025010110"}))["url"]   # another hour: kept
    assert len(await stored(rc_client, "private:u1:u2")) == 1                    # messages stay
    assert await rc("/message/history/delete.json", {"date": "2025010109"}) == {"code": 200}   # again: 200
    for bad in ("2025-01-01", "20250101", "2025013209"):
        await rc("/message/history/delete.json", {"date": bad}, expect=1002)
    for form in ({}, {"date": ""}, {"other": "1"}):     # exactly what history.json answers
        assert (await rc_post(rc_client, "/message/history/delete.json", form)
                == await rc_post(rc_client, "/message/history.json", form))
    dump = await (await rc_client.get("/_emulator/state", params={"provider": "rongcloud"})).json()
    assert dump["rongcloud"][RC_APP_KEY]["history_deleted"] == [int(1735693200)]
    assert (await rc_client.put("/_emulator/state", json=dump)).status == 200
    assert (await rc("/message/history.json", {"date": "2025010109"}))["url"] == ""
    assert (await rc_client.get("/_emulator/state/check")).status == 200
    tenant(runtime).settings.history_service = False
    status, body = await rc_post(rc_client, "/message/history/delete.json", {"date": "2025010110"})
    assert (status, body["code"]) == (430, 1009)
    tenant(runtime).settings.history_service = True
    # the official SDK's deleteMessage
    from rongcloud import RongCloud
    from rongcloud.base import RongCloudBase
    saved = RongCloudBase.api_host
    RongCloudBase.api_host = str(rc_client.make_url("")).rstrip("/")
    try:
        result = await asyncio.to_thread(
            lambda: RongCloud(RC_APP_KEY, RC_APP_SECRET).Message.deleteMessage(date="2025010110").result)
    finally:
        RongCloudBase.api_host = saved
    assert result == {"code": 200}
    assert (await rc("/message/history.json", {"date": "2025010110"}))["url"] == ""


# --- state ------------------------------------------------------------------------------------------------------
async def test_dump_load_check_reset(rc, rc_client):
    await private(rc)
    uid = (await group(rc))["messageUIDs"][0]["messageUID"]
    dump = await (await rc_client.get("/_emulator/state", params={"provider": "rongcloud"})).json()
    assert (await rc_client.put("/_emulator/state", json=dump)).status == 200
    assert await (await rc_client.get("/_emulator/state", params={"provider": "rongcloud"})).json() == dump
    assert (await rc_client.get("/_emulator/state/check")).status == 200
    # after the load, recall still finds the message by its UID, and new UIDs continue the sequence
    await rc("/message/recall.json", {"fromUserId": "u1", "conversationType": "3", "targetId": "g1", "messageUID": uid})
    assert (await stored(rc_client, "group:g1"))[0]["recalled"] is True
    body = await private(rc)
    assert body["messageUIDs"][0]["messageUID"] not in json.dumps(dump)
    await rc_client.post("/_emulator/reset")
    assert await stored(rc_client, "private:u1:u2") == []


async def test_inbox_of_a_group_member_from_join_time(rc, rc_client):
    await group(rc, frm="u9")                                   # before u2 joins: not in u2's inbox
    await rc_client.post("/_emulator/clock", json={"advance_s": 5})
    await rc("/group/join.json", {"userId": "u2", "groupId": "g1", "groupName": "G"})
    await group(rc, frm="u9")
    await group(rc, frm="u9", toUserId=["u3"])                  # directed to someone else
    await private(rc, frm="u5", to=("u2",))
    resp = await rc_client.get("/_emulator/messages", params={"provider": "rongcloud", "user": "u2"})
    rows = (await resp.json())["messages"]
    assert [(r["conversation"], r["seq"]) for r in rows] == [("group:g1", 2), ("private:u2:u5", 1)]


def test_message_uid_fast_path_matches_dashed_id():
    """dashed_id (cached HMAC states, base32 table), which uid_at uses, gives exactly the ids of
    its definition (base32 of the first 10 bytes of the one-shot HMAC _digest), for every kind
    and for short and over-64-byte app secrets (HMAC hashes those first)."""
    import base64
    from types import SimpleNamespace

    from emulator.providers.rongcloud import models_messages as ops
    from emulator.providers.rongcloud.models_users import _digest, dashed_id

    def defined(t, kind, n):
        text = base64.b32encode(_digest(t, kind, n)[:10]).decode()
        return f"{text[:4]}-{text[4:8]}-{text[8:12]}-{text[12:]}"
    for secret in (RC_APP_SECRET, "s", "k" * 64, "long" * 40, "密钥"):
        t = SimpleNamespace(app_secret=secret)
        for n in (1, 2, 31, 1024, 99_999, 10**15):
            assert ops.uid_at(t, n) == defined(t, "message", n)
            assert dashed_id(t, "operate", n) == defined(t, "operate", n)
            assert UID.fullmatch(ops.uid_at(t, n))

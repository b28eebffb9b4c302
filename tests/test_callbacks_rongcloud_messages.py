"""RongCloud message callbacks for Server API sends (rongcloud-users-messages-callbacks.md §3.1-§3.3,
§4): message routing only with the "route Server-API messages" switch (default off); the
pre-messaging callback only with the "filter Server-API messages" switch, 3 s, one try, delivered
on failure, its reply blocking (pass 0) or replacing fields. The receiver checks the signature
sha1(secret + nonce + timestamp) itself."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse

from tests.callback_support import configure, deliveries, settle
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET, rc_call

TXT = json.dumps({"content": "hello", "extra": ""})
ROUTE, PRE = "messageRoute", "preMessaging"


def check_signature(query: dict, app_key_in_query: bool = True) -> None:
    expected = hashlib.sha1((RC_APP_SECRET + query["nonce"] + query["timestamp"]).encode()).hexdigest()
    assert query["signature"] == expected and query["signTimestamp"] == query["timestamp"]
    assert abs(int(query["timestamp"]) - time.time() * 1000) < 60_000
    assert ("appKey" in query) == app_key_in_query
    if app_key_in_query:
        assert query["appKey"] == RC_APP_KEY


async def setup(client, receiver, **config):
    await configure(client, "rongcloud", RC_APP_KEY, None, urls={
        ROUTE: receiver.url + "/" + ROUTE, PRE: receiver.url + "/" + PRE}, **config)


async def private(client, to=("u2",), expect=200, **extra):
    return await rc_call(client, "/message/private/publish.json", {
        "fromUserId": "u1", "toUserId": list(to), "objectName": "RC:TxtMsg", "content": TXT, **extra}, expect=expect)


async def stored(client, conversation):
    resp = await client.get("/_emulator/messages", params={"provider": "rongcloud", "conversation": conversation})
    return (await resp.json())["messages"]


async def test_server_api_messages_not_routed_by_default(client, receiver):
    await setup(client, receiver)
    await private(client)
    await rc_call(client, "/message/group/publish.json", {"fromUserId": "u1", "toGroupId": ["g1"],
                                                          "objectName": "RC:TxtMsg", "content": TXT})
    assert await deliveries(client) == [] and receiver.received == []
    assert len(await stored(client, "private:u1:u2")) == 1


async def test_routing_with_the_switch(client, receiver):
    await setup(client, receiver, route_server_api_messages=True)
    body = await private(client, to=("u2", "u3"))
    uids = [m["messageUID"] for m in body["messageUIDs"]]
    await rc_call(client, "/message/group/publish.json", {"fromUserId": "u1", "toGroupId": ["g1"], "toUserId": ["u4", "u5"],
                                                          "objectName": "RC:TxtMsg", "content": TXT})
    rows = await settle(client, 3, command=ROUTE)
    assert len(rows) == 3 and len(receiver.received) == 3
    for r in receiver.received:
        check_signature(r["query"])
        assert r["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    a, b, g = (r["body"] for r in receiver.received)
    assert (a["fromUserId"], a["toUserId"], a["objectName"], a["content"], a["channelType"], a["msgUID"]) == (
        "u1", "u2", "RC:TxtMsg", TXT, "PERSON", uids[0])
    assert b["toUserId"] == "u3" and b["msgUID"] == uids[1] and a["source"] == "Server"
    assert a["msgTimestamp"].isdigit() and a["sensitiveType"] == "0"
    assert (g["toUserId"], g["channelType"]) == ("g1", "GROUP")
    # groupUserIds is a repeated form key (§3.2)
    forms = [urllib.parse.parse_qs(r["body"]) for r in await deliveries(client, command=ROUTE)]
    [form] = [f for f in forms if f["channelType"] == ["GROUP"]]
    assert form["groupUserIds"] == ["u4", "u5"]


async def test_pre_messaging_off_for_server_api_by_default(client, receiver):
    await setup(client, receiver)
    receiver.refuse(PRE)
    await private(client)
    assert receiver.received == [] and len(await stored(client, "private:u1:u2")) == 1


async def test_pre_messaging_body_block_and_replace(client, receiver):
    await setup(client, receiver, pre_messaging_server_api=True, route_server_api_messages=True)
    receiver.override(PRE, replaceContent=json.dumps({"content": "***"}), replacePushContent="pp")
    body = await private(client, pushContent="p")
    uid = body["messageUIDs"][0]["messageUID"]
    [m] = await stored(client, "private:u1:u2")
    assert m["body"]["content"] == json.dumps({"content": "***"}) and m["body"]["pushContent"] == "pp"
    pre = receiver.received[0]
    check_signature(pre["query"], app_key_in_query=False)
    assert pre["command"] == PRE and pre["headers"]["Content-Type"].startswith("application/x-www-form-urlencoded")
    f = pre["body"]
    assert (f["appKey"], f["fromUserId"], f["targetId"], f["msgType"], f["content"], f["channelType"],
            f["messageId"], f["os"], f["pushContent"]) == (RC_APP_KEY, "u1", "u2", "RC:TxtMsg", TXT, "PERSON",
                                                           uid, "Server", "p")
    [route] = await settle(client, 1, command=ROUTE)
    assert route["body"] and receiver.received[-1]["body"]["content"] == json.dumps({"content": "***"})

    # pass 0 blocks: answered 200 (the check follows the API reply), nothing stored, nothing routed
    receiver.refuse(PRE, message="no ads")
    await private(client)
    assert len(await stored(client, "private:u1:u2")) == 1
    pre_rows = await deliveries(client, command=PRE)
    assert sorted(r["outcome"] for r in pre_rows) == ["delivered", "refused"]
    assert len(await deliveries(client, command=ROUTE)) == 1
    # a tenant that wants the sender to hear of it names a code
    await setup(client, receiver, pre_messaging_server_api=True, pre_messaging_reject_code=1008)
    body = await private(client, expect=1008)
    assert len(await stored(client, "private:u1:u2")) == 1


async def test_pre_messaging_group_and_rules(client, receiver):
    await setup(client, receiver, pre_messaging_server_api=True, pre_messaging_object_names=["RC:ImgMsg"])
    await rc_call(client, "/message/group/publish.json", {"fromUserId": "u1", "toGroupId": ["g1"],
                                                          "objectName": "RC:TxtMsg", "content": TXT})
    assert receiver.received == []                     # no rule matches RC:TxtMsg
    await setup(client, receiver, pre_messaging_server_api=True)
    receiver.refuse(PRE)
    await rc_call(client, "/message/group/publish.json", {"fromUserId": "u1", "toGroupId": ["g1", "g2"],
                                                          "objectName": "RC:TxtMsg", "content": TXT})
    assert [r["body"]["targetId"] for r in receiver.received] == ["g1", "g2"]
    assert receiver.received[0]["body"]["channelType"] == "GROUP"
    assert len(await stored(client, "group:g1")) == 1 and await stored(client, "group:g2") == []


async def test_pre_messaging_timeout_and_failure_deliver(client, receiver):
    await setup(client, receiver, pre_messaging_server_api=True, timeout_ms=150)
    receiver.reply(PRE, delay=0.5)
    await private(client)
    [row] = await deliveries(client, command=PRE)
    assert row["outcome"] == "timed out"
    receiver.reply(PRE, "<html>oops</html>", status=500)
    await private(client)
    assert len(await stored(client, "private:u1:u2")) == 2      # delivered both times
    # one try only (§3.1): two sends, two attempts
    assert len(await deliveries(client, command=PRE)) == 2
    await configure(client, "rongcloud", RC_APP_KEY, "http://127.0.0.1:9/down", pre_messaging_server_api=True)
    await private(client)
    assert len(await stored(client, "private:u1:u2")) == 3

"""RongCloud profile-hosting group sync callbacks (rongcloud-users-messages-callbacks.md §3.1,
§3.6, §3.7, §4): signed in the query with sha1(secret + nonce + timestamp), checked here with
the documented formula; eventType 1-8 from the entrust Server APIs; import fires nothing; 5 s
timeout and 2 retries."""

from __future__ import annotations

import hashlib
import json
import time

from tests.callback_support import configure, deliveries, settle
from tests.rongcloud_support import RC_APP_KEY, RC_APP_SECRET, rc_call

E = "/entrust/group"


def check_signature(query: dict) -> None:
    expected = hashlib.sha1((RC_APP_SECRET + query["nonce"] + query["timestamp"]).encode()).hexdigest()
    assert query["signature"] == expected
    assert query["appKey"] == RC_APP_KEY and query["signTimestamp"] == query["timestamp"]
    assert abs(int(query["timestamp"]) - time.time() * 1000) < 60_000


async def setup(client, receiver, **config):
    await configure(client, "rongcloud", RC_APP_KEY, None, urls={
        "groupOperationSync": receiver.url + "/groupOperationSync",
        "groupInfoSync": receiver.url + "/groupInfoSync"}, **config)


def test_documented_test_vector():
    # §3.1: secret Y1W2MeFwwwRxa0, nonce 14314, timestamp 1408710653491
    assert hashlib.sha1(b"Y1W2MeFwwwRxa0" + b"14314" + b"1408710653491").hexdigest() == \
        "dd11a264276f438b045b3b236a2741ddc89d48df"
    from emulator.providers.rongcloud.callbacks import signature
    assert signature("Y1W2MeFwwwRxa0", "14314", "1408710653491") == "dd11a264276f438b045b3b236a2741ddc89d48df"


async def test_every_group_operation_event(client, receiver):
    await setup(client, receiver)
    await rc_call(client, f"{E}/create.json", {"groupId": "g1", "name": "G", "owner": "o", "userIds": ["a", "b"]})
    await rc_call(client, f"{E}/join.json", {"groupId": "g1", "userIds": ["c", "d", "e"]})
    await rc_call(client, f"{E}/member/kick.json", {"groupId": "g1", "userIds": ["a"]})
    await rc_call(client, f"{E}/quit.json", {"groupId": "g1", "userIds": ["b"]})
    await rc_call(client, f"{E}/manager/add.json", {"groupId": "g1", "userIds": ["c"]})
    await rc_call(client, f"{E}/manager/remove.json", {"groupId": "g1", "userIds": ["c"]})
    await rc_call(client, f"{E}/transfer/owner.json", {"groupId": "g1", "newOwner": "d"})
    await rc_call(client, f"{E}/member/kick/all.json", {"userId": "e"})
    await rc_call(client, f"{E}/dismiss.json", {"groupId": "g1"})
    await rc_call(client, f"{E}/import.json", {"groupId": "legacy", "name": "L", "owner": "o"})    # fires nothing (§4)
    rows = await settle(client, 9, command="groupOperationSync")
    events = [(r["body"][0]["eventType"], r["body"][0].get("userIds")) for r in rows]
    assert events == [(1, ["o", "a", "b"]), (2, ["c", "d", "e"]), (3, ["a"]), (4, ["b"]), (6, ["c"]),
                      (7, ["c"]), (8, ["d"]), (3, ["e"]), (5, None)]
    assert len(receiver.received) == 9
    for r in receiver.received:
        check_signature(r["query"])
        assert r["headers"]["Content-Type"].startswith("application/json")
        item = r["body"][0]
        assert item["groupId"] == "g1" and isinstance(item["time"], int) and "optUserId" not in item


async def test_profile_update_sync_and_envelope(client, receiver):
    await setup(client, receiver, group_sync_envelope="profiles")
    await rc_call(client, f"{E}/create.json", {"groupId": "g1", "name": "G", "owner": "o"})
    await rc_call(client, f"{E}/profile/update.json", {
        "groupId": "g1", "groupProfile": json.dumps({"name": "New", "introduction": "hi"})})
    row = (await settle(client, 1, command="groupInfoSync"))[0]
    item = row["body"]["profiles"][0]
    assert (item["groupId"], item["groupName"], item["groupProfile"]["introduction"]) == ("g1", "New", "hi")
    assert "joinPerm" in item["permissions"]


async def test_retries_then_dropped(client, receiver):
    await setup(client, receiver)
    receiver.reply("groupOperationSync", "busy", status=503)
    await rc_call(client, f"{E}/create.json", {"groupId": "g1", "name": "G", "owner": "o"})
    rows = await settle(client, 3, command="groupOperationSync")
    assert [(r["attempt"], r["outcome"], r["reply_status"]) for r in rows] == [
        (1, "retried", 503), (2, "retried", 503), (3, "failed", 503)]
    assert len(receiver.received) == 3
    assert await deliveries(client, command="groupOperationSync", outcome="failed")


async def test_online_status_from_presence(client, receiver):
    await configure(client, "rongcloud", RC_APP_KEY, receiver.url + "/userOnlineStatus",
                    commands=["userOnlineStatus"])
    for online in (True, False):
        resp = await client.post("/_emulator/presence", json={
            "provider": "rongcloud", "tenant": RC_APP_KEY, "user": "u1", "platform": "iOS", "online": online})
        assert resp.status == 200, await resp.text()
    await rc_call(client, "/user/getToken.json", {"userId": "u2", "name": "n"})
    await client.post("/_emulator/presence", json={
        "provider": "rongcloud", "tenant": RC_APP_KEY, "user": "u2", "platform": "Android", "online": True})
    await rc_call(client, "/user/block.json", {"userId": "u2", "minute": "10"})     # the Server API takes u2 offline
    rows = await settle(client, 4, command="userOnlineStatus")
    events = [(r["body"][0]["userid"], r["body"][0]["status"], r["body"][0]["os"]) for r in rows]
    assert events == [("u1", "0", "iOS"), ("u1", "1", "iOS"), ("u2", "0", "Android"), ("u2", "1", "Android")]
    for r in receiver.received:
        check_signature(r["query"])
        assert isinstance(r["body"][0]["time"], int)

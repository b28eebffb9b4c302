"""The invariant "no group message from a non-member unless imported or sent as admin where the
provider allows it" (core/membership.py, MessageStore.check), on all three providers through the
real HTTP stack: membership history follows joins and leaves, dumps carry it, a loaded state with
a forged message from a non-member is reported by /_emulator/state/check, old dumps without the
history are accepted, and the history stays bounded under churn."""

from __future__ import annotations

import copy

import pytest

from emulator.core.errors import SeedError
from emulator.core.membership import SWEEP_MIN, Roster
from emulator.core.messages import AS_ADMIN, IMPORTED, MessageStore
from tests.openim_support import create_group, get_admin_token, openim_call
from tests.rongcloud_support import rc_call
from tests.test_messages_tencent import gsend, group, ok, text
from tests.tencent_support import set_clock, tim  # noqa: F401 (fixture)

T0 = 1_760_000_000
TENCENT = "1400000000"


async def check(client) -> list[str]:
    body = await (await client.get("/_emulator/state/check")).json()
    return [p for problems in body["problems"].values() for p in problems]


async def state(client, provider: str) -> dict:
    return await (await client.get("/_emulator/state", params={"provider": provider})).json()


async def put(client, dump: dict) -> None:
    resp = await client.put("/_emulator/state", json=dump)
    assert resp.status == 200, await resp.text()


def forge(conv: dict, sender: str, flags: int = 0) -> None:
    """Append a message from ``sender`` to a dumped conversation, at its next seq."""
    last = conv["messages"][-1]
    conv["messages"].append({**copy.deepcopy(last), "seq": last["seq"] + 1, "n": last["n"] + 1000,
                             "from": sender, "flags": flags, "key": None})


def conv_of(dump: dict, provider: str, tenant: str, cid: str) -> dict:
    [conv] = [c for c in dump[provider][tenant]["messages"]["conversations"] if c["id"] == cid]
    return conv


# --- the history itself -----------------------------------------------------------------------------------
def test_roster_epochs_and_member_at():
    r = Roster(1)
    r.join("a", 1, 1)            # a member from the start: no entry, the member list says so
    assert r.users == {} and r.member_at("a", 3, {"a"}) and not r.member_at("a", 3, ())
    r.leave("a", 4, 1)           # member for seqs 1-3
    r.join("a", 6, 1)            # and from 6 on
    assert [s for s in range(1, 9) if r.member_at("a", s, {"a"})] == [1, 2, 3, 6, 7, 8]
    assert r.users["a"] == [1, 4, 6] and r.problems({"a"}) == []
    assert r.problems(()) == ["a's membership is open but not in the member list"]
    r.leave("a", 6, 1)           # left again before any message: that epoch is not kept
    assert r.users["a"] == [1, 4] and r.problems(()) == []
    r.join("a", 4, 1)            # re-join where the last epoch ended: it goes on
    assert r.users["a"] == [1] and r.member_at("a", 5, {"a"})
    assert not r.member_at("b", 1, ())
    r.join("b", 3, 1)
    r.leave("b", 3, 1)           # joined and left with no message between: nothing kept
    assert "b" not in r.users


def test_churn_without_messages_costs_nothing():
    store = MessageStore()
    store.join("g", ["a"])
    for _ in range(1000):
        store.join("g", ["b"])
        store.leave("g", ["b"])
    assert store.roster("g").users == {}
    store.append(store.conversation("g", "group"), "a", {}, 0.0)
    for _ in range(1000):
        store.join("g", ["b"])
        store.leave("g", ["b"])
    assert store.roster("g").users == {}


def test_history_bounded_under_churn_with_messages():
    """Join, send, leave, over and over, with a cap of 50 messages: epochs that end before the
    first retained seq are swept, so the history stays within the documented bound."""
    store = MessageStore(cap=50)
    conv = store.conversation("g", "group")
    store.join("g", ["owner"])
    sizes = []
    for i in range(5000):
        user = f"u{i % 200}"
        store.join("g", [user])
        store.append(conv, user, {"n": i}, float(i))
        store.leave("g", [user])
        sizes.append(store.roster("g").size())
    assert store.check(lambda cid: {"owner"}) == []
    # one closed epoch (two boundaries) per retained message and per message dropped since the
    # last sweep (at most SWEEP_MIN here); the owner, a member from the start, costs nothing
    assert max(sizes[1000:]) <= 2 * (50 + SWEEP_MIN)
    assert min(sizes[1000:]) <= 2 * 50
    assert store.dropped == 5000 - 50


def test_check_reports_a_non_member_message():
    store = MessageStore()
    conv = store.conversation("g", "group")
    store.join("g", ["a", "b"])
    store.append(conv, "a", {}, 0.0)
    store.leave("g", ["a"])
    assert store.check(lambda cid: {"b"}) == []
    store.append(conv, "a", {}, 1.0)                  # after leaving
    store.append(conv, "x", {}, 2.0, flags=IMPORTED)  # imported: allowed
    store.append(conv, "y", {}, 3.0, flags=AS_ADMIN)  # admin/system: allowed
    store.append(conv, "b", {}, 4.0)
    assert store.check(lambda cid: {"b"}) == ["conversation g: seq 2 from non-member a (not a member at that seq)"]
    assert "conversation g: seq 5 from non-member b (not a member at that seq)" in store.check(lambda cid: ())


def test_dump_round_trip_and_bad_history_refused():
    store = MessageStore()
    conv = store.conversation("g", "group")
    store.join("g", ["a", "b"])
    store.append(conv, "a", {}, 0.0)
    store.leave("g", ["b"])
    dump = store.dump()
    assert dump["rosters"] == {"g": {"since": 1, "users": {"b": [1, 2]}}}
    assert MessageStore.from_json(dump).dump() == dump
    for bad in ({"since": 0, "users": {}}, {"since": 1, "users": {"a": [2, 2]}}, {"since": 1, "users": {"a": []}},
                {"since": 1, "users": {"a": ["1"]}}, []):
        with pytest.raises(SeedError):
            MessageStore.from_json({**dump, "rosters": {"g": bad}})


# --- Tencent ----------------------------------------------------------------------------------------------
async def test_tencent_history_follows_members(client, tim):  # noqa: F811
    await set_clock(client, freeze_at=T0)
    gid = await group(tim)
    assert (await gsend(tim, gid, From_Account="bob"))["ErrorCode"] == 0
    await ok(tim, "delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob"]})
    assert (await gsend(tim, gid))["ErrorCode"] == 0                       # the app admin: allowed
    await set_clock(client, freeze_at=T0 + 100)
    res = await ok(tim, "import_group_msg", {"GroupId": gid, "MsgList": [          # imported: allowed
        {"From_Account": "bob", "SendTime": T0 + 50, "Random": 7, "MsgBody": text("old")}]})
    assert res["ImportMsgResult"][0]["Result"] == 0
    await ok(tim, "add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "bob"}]})
    assert (await gsend(tim, gid, From_Account="bob"))["ErrorCode"] == 0
    assert await check(client) == []
    dump = await state(client, "tencent")
    roster = dump["tencent"][TENCENT]["messages"]["rosters"][f"group:{gid}"]
    assert roster["users"]["bob"] == [1, 2, 4]     # member for seq 1, and from 4 on
    # a message from bob at a seq where he was no member, loaded from a dump: reported
    await put(client, copy.deepcopy(dump))
    assert await check(client) == []
    bad = copy.deepcopy(dump)
    conv = conv_of(bad, "tencent", TENCENT, f"group:{gid}")
    conv["messages"][1]["from"] = "bob"            # seq 2: the admin's message, now "from bob"
    conv["messages"][1]["flags"] = 0
    await put(client, bad)
    assert any(f"group:{gid}: seq 2 from non-member bob" in p for p in await check(client))
    # the same message flagged as an admin send is allowed
    conv["messages"][1]["flags"] = AS_ADMIN
    await put(client, bad)
    assert await check(client) == []


async def test_tencent_non_member_send_where_allowed(client, tim, runtime):  # noqa: F811
    gid = await group(tim)
    assert (await gsend(tim, gid, From_Account="jared"))["ErrorCode"] == 10007
    runtime.providers["tencent"].backend.tenants[TENCENT].message_settings["group_non_member_send"] = "allow"
    assert (await gsend(tim, gid, From_Account="jared"))["ErrorCode"] == 0
    [msg] = [m for m in (await state(client, "tencent"))["tencent"][TENCENT]["messages"]["conversations"]
             if m["id"] == f"group:{gid}"][0]["messages"]
    assert msg["from"] == "jared" and msg["flags"] & AS_ADMIN
    assert await check(client) == []


async def test_tencent_old_dump_without_history(client, tim):  # noqa: F811
    """A dump made before the history existed: current members count from now on and the
    messages already stored are taken as allowed (README)."""
    gid = await group(tim)
    await gsend(tim, gid, From_Account="bob")
    await ok(tim, "delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob"]})
    dump = await state(client, "tencent")
    del dump["tencent"][TENCENT]["messages"]["rosters"]
    conv_of(dump, "tencent", TENCENT, f"group:{gid}")["messages"][0]["flags"] = 0
    await put(client, dump)
    assert await check(client) == []
    again = await state(client, "tencent")
    roster = again["tencent"][TENCENT]["messages"]["rosters"][f"group:{gid}"]
    assert roster == {"since": 2, "users": {}}        # leckie and tommy: members from seq 2


async def test_tencent_missed_membership_change_is_reported(client, runtime, tim):  # noqa: F811
    """What a provider path that changed members without telling the history would cause."""
    gid = await group(tim)
    await gsend(tim, gid, From_Account="bob")
    app = runtime.providers["tencent"].backend.tenants[TENCENT]
    await ok(tim, "delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob"]})
    roster = app.messages.roster(f"group:{gid}")
    saved = roster.users.pop("bob")                 # the leave never recorded: bob was "never" a member
    assert any("seq 1 from non-member bob" in p for p in await check(client))
    roster.users["bob"] = saved
    await ok(tim, "add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "bob"}]})
    assert await check(client) == []
    del app.groups[gid].members["bob"]              # a removal that skipped the history
    assert any("bob's membership is open but not in the member list" in p for p in await check(client))


# --- OpenIM ---------------------------------------------------------------------------------------------
async def test_openim_history_and_forged_message(client):
    token = await get_admin_token(client)
    gid = await create_group(client, token, owner="leckie", members=("bob",), admins=("tommy",))

    async def send(sender, ct=101):
        body = {"sendID": sender, "groupID": gid, "sessionType": 3, "contentType": ct,
                "content": {"content": "hi"}}
        _, resp = await openim_call(client, "/msg/send_msg", body, token=token)
        return resp["errCode"]

    assert await send("bob") == 0
    _, resp = await openim_call(client, "/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"]},
                                token=token)
    assert resp["errCode"] == 0
    assert await send("bob") == 1203                   # no longer a member
    assert await send("imAdmin") == 0                  # the app admin needs no membership
    assert await check(client) == []
    dump = await state(client, "openim")
    [tid] = [k for k, v in dump["openim"].items() if any(g["groupID"] == gid for g in v["groups"])]
    assert dump["openim"][tid]["messages"]["rosters"][f"sg_{gid}"]["users"]["bob"][0] == 1
    conv = conv_of(dump, "openim", tid, f"sg_{gid}")
    forge(conv, "bob")
    await put(client, dump)
    assert any(f"sg_{gid}" in p and "from non-member bob" in p for p in await check(client))
    conv["messages"][-1]["flags"] = AS_ADMIN
    await put(client, dump)
    assert await check(client) == []


# --- RongCloud ---------------------------------------------------------------------------------------------
async def test_rongcloud_server_api_sends_need_no_membership(client):
    await rc_call(client, "/group/create.json", {"userId": ["u1", "u2"], "groupId": "gm", "groupName": "g"})
    await rc_call(client, "/message/group/publish.json", {"fromUserId": "stranger", "toGroupId": ["gm"],
                                                          "objectName": "RC:TxtMsg", "content": '{"content":"x"}'})
    await rc_call(client, "/group/quit.json", {"userId": ["u2"], "groupId": "gm"})
    assert await check(client) == []
    dump = await state(client, "rongcloud")
    [tid] = list(dump["rongcloud"])
    assert dump["rongcloud"][tid]["messages"]["rosters"]["group:gm"] == {"since": 1, "users": {"u2": [1, 2]}}
    conv = conv_of(dump, "rongcloud", tid, "group:gm")
    assert conv["messages"][0]["flags"] & AS_ADMIN
    conv["messages"][0]["flags"] = 0                   # as if a client had sent it without being a member
    await put(client, dump)
    assert any("group:gm: seq 1 from non-member stranger" in p for p in await check(client))


# --- unread counts (checked for every provider) -------------------------------------------------------
async def test_unread_counts_checked(client, runtime, tim):  # noqa: F811
    """Tencent keeps group unread on the member (<= the group's message count); one-to-one and
    the other providers keep [read_seq, unread] marks in the store (unread <= messages after
    read_seq): a broken count is reported, a dump carrying one is refused."""
    gid = await group(tim)
    await gsend(tim, gid)
    app = runtime.providers["tencent"].backend.tenants[TENCENT]
    app.groups[gid].members["bob"].UnreadMsgNum = 5
    assert any(f"group {gid}: bob has 5 unread of 1" in p for p in await check(client))
    app.groups[gid].members["bob"].UnreadMsgNum = 1
    await rc_call(client, "/message/private/publish.json", {"fromUserId": "u1", "toUserId": ["u2"],
                                                            "objectName": "RC:TxtMsg", "content": '{"content":"x"}'})
    rt = next(iter(runtime.providers["rongcloud"].backend.tenants.values()))
    mark = rt.messages.get("private:u1:u2").marks["u2"]
    assert mark == [0, 1]
    mark[1] = 3
    assert any("u2 has 3 unread after seq 0 of 1" in p for p in await check(client))
    dump = await state(client, "rongcloud")
    mark[1] = 1
    assert (await client.put("/_emulator/state", json=dump)).status == 400
    assert await check(client) == []


async def test_dump_with_broken_history_refused(client, tim):  # noqa: F811
    gid = await group(tim)
    await gsend(tim, gid)
    dump = await state(client, "tencent")
    dump["tencent"][TENCENT]["messages"]["rosters"][f"group:{gid}"]["users"]["bob"] = [3, 2]
    resp = await client.put("/_emulator/state", json=dump)
    assert resp.status == 400 and "strictly increasing" in await resp.text()
    assert await check(client) == []


async def test_scenario_seeds_with_and_without_history(client):
    """A scenario may carry ``messages.rosters`` (the dump's shape): its messages are then checked
    against it; without it, seeded messages predate the history and are taken as they are."""
    def scenario(rosters=None):
        messages = {"conversations": [{"id": "group:seeded", "kind": "group", "messages": [
            {"from": "bob", "time": 1.0, "body": {"MsgBody": text("a")}},
            {"from": "tommy", "time": 2.0, "body": {"MsgBody": text("b")}}]}]}
        if rosters is not None:
            messages["rosters"] = rosters
        return {"tencent": {"apps": [{
            "sdkappid": 1400000009, "key": "k" * 16, "admins": ["administrator"],
            "accounts": [{"UserID": u} for u in ("leckie", "bob", "tommy")],
            "groups": [{"GroupId": "seeded", "Type": "Public", "Name": "s", "Owner_Account": "leckie",
                        "MemberList": [{"Member_Account": "leckie", "Role": "Owner"},
                                       {"Member_Account": "bob"}]}],
            "messages": messages}]}}

    resp = await client.post("/_emulator/scenario?mode=merge", json=scenario())
    assert resp.status == 200, await resp.text()
    assert await check(client) == []
    dump = await state(client, "tencent")
    assert dump["tencent"]["1400000009"]["messages"]["rosters"]["group:seeded"] == {"since": 3, "users": {}}
    resp = await client.post("/_emulator/scenario?mode=merge", json=scenario({"group:seeded": {"since": 1}}))
    assert resp.status == 200, await resp.text()
    assert any("group:seeded: seq 2 from non-member tommy" in p for p in await check(client))
    resp = await client.post("/_emulator/scenario?mode=merge",
                             json=scenario({"group:seeded": {"since": 1, "users": {"bob": [1, 1]}}}))
    assert resp.status == 400 and "rosters" in await resp.text()

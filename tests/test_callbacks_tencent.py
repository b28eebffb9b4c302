"""Tencent third-party callbacks (tencent-messages-users-callbacks.md §13): a real receiver on
127.0.0.1 checks the query and the Sign itself; every group callback fires on the REST command the
reference names, before-callbacks refuse/allow, failures follow the console policy."""

from __future__ import annotations

import hashlib
import time

from tests.callback_support import configure, deliveries, settle
from tests.tencent_support import ADMIN, SDKAPPID

TOKEN = "xxxxyyyy"


def check_sign(query: dict) -> None:
    """§13.3, computed here: Sign = hex sha256(token + RequestTime), RequestTime in seconds."""
    assert query["Sign"] == hashlib.sha256((TOKEN + query["RequestTime"]).encode()).hexdigest()
    assert abs(int(query["RequestTime"]) - time.time()) < 60


async def setup(client, receiver, **config):
    await configure(client, "tencent", SDKAPPID, receiver.url, token=TOKEN, **config)


async def group(tim, **body) -> str:
    body = {"Type": "Public", "Name": "g", **body}
    res = await tim("create_group", body)
    assert res["ErrorCode"] == 0, res
    return res["GroupId"]


async def test_create_group_before_and_after_with_signed_query(client, tim, receiver):
    await setup(client, receiver)
    gid = await group(tim, Owner_Account="leckie", MemberList=[{"Member_Account": "bob"}])
    await settle(client, 1, command="Group.CallbackAfterCreateGroup")
    assert receiver.commands() == ["Group.CallbackBeforeCreateGroup", "Group.CallbackAfterCreateGroup"]
    before, after = receiver.received
    for r in receiver.received:
        q = r["query"]
        assert (q["SdkAppid"], q["contenttype"], q["OptPlatform"]) == (str(SDKAPPID), "json", "RESTAPI")
        assert q["CallbackCommand"] == r["body"]["CallbackCommand"] and "ClientIP" in q
        check_sign(q)
        assert isinstance(r["body"]["EventTime"], int)
    assert before["body"] == {**before["body"], "Operator_Account": ADMIN, "Owner_Account": "leckie",
                              "Type": "Public", "Name": "g", "MemberList": [{"Member_Account": "bob"}]}
    assert after["body"]["GroupId"] == gid and after["body"]["MemberList"] == [{"Member_Account": "bob"}]
    rows = await deliveries(client, provider="tencent")
    assert [r["outcome"] for r in rows] == ["delivered", "delivered"]
    assert rows[0]["kind"] == "before" and rows[0]["latency_ms"] is not None


async def test_before_create_refusal_changes_nothing(client, tim, receiver, runtime):
    await setup(client, receiver)
    receiver.refuse("Group.CallbackBeforeCreateGroup", 1)
    res = await tim("create_group", {"Type": "Public", "Name": "g", "GroupId": "refused"})
    assert res["ErrorCode"] == 10016
    assert "refused" not in runtime.providers["tencent"].backend.tenants[str(SDKAPPID)].groups
    receiver.refuse("Group.CallbackBeforeCreateGroup", 10150, "custom no")
    res = await tim("create_group", {"Type": "Public", "Name": "g", "GroupId": "refused"})
    assert (res["ErrorCode"], res["ErrorInfo"]) == (10150, "custom no")
    rows = await settle(client, 2, provider="tencent")
    assert [r["outcome"] for r in rows] == ["refused", "refused"]
    assert "Group.CallbackAfterCreateGroup" not in receiver.commands()


async def test_before_timeout_passes_by_default_or_refuses_80003(client, tim, receiver):
    await setup(client, receiver, timeout_ms=100)
    receiver.reply("Group.CallbackBeforeCreateGroup", delay=0.5)
    assert (await tim("create_group", {"Type": "Public", "Name": "a"}))["ErrorCode"] == 0
    await setup(client, receiver, timeout_ms=100, before_failure="refuse")
    assert (await tim("create_group", {"Type": "Public", "Name": "b"}))["ErrorCode"] == 80003
    receiver.reply("Group.CallbackBeforeCreateGroup", "not json")
    assert (await tim("create_group", {"Type": "Public", "Name": "c"}))["ErrorCode"] == 80003
    outcomes = [r["outcome"] for r in await deliveries(client, command="Group.CallbackBeforeCreateGroup")]
    assert outcomes == ["timed out", "refused", "refused"]


async def test_group_race_during_before_hook_fails_whole(client, tim, receiver, aiohttp_client):
    """The wait happens before any change; the apply step re-plans, so a group id taken while
    the before-hook was out fails the request (10021) instead of overwriting."""
    import asyncio
    await setup(client, receiver)
    receiver.reply("Group.CallbackBeforeCreateGroup", delay=0.3)
    slow = asyncio.create_task(tim("create_group", {"Type": "Public", "Name": "slow", "GroupId": "same"}))
    await asyncio.sleep(0.05)
    await configure(client, "tencent", SDKAPPID, None)            # the second create goes straight through
    assert (await tim("create_group", {"Type": "Public", "Name": "fast", "GroupId": "same"}))["ErrorCode"] == 0
    res = await slow
    assert res["ErrorCode"] in (10021, 10025)


async def test_member_callbacks_invite_refused_members_and_full(client, tim, receiver, runtime):
    await setup(client, receiver)
    gid = await group(tim, Owner_Account="leckie", MaxMemberCount=3)
    receiver.override("Group.CallbackBeforeInviteJoinGroup", RefusedMembers_Account=["tommy"])
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [
        {"Member_Account": "bob"}, {"Member_Account": "tommy"}]})
    assert res["MemberList"] == [{"Member_Account": "bob", "Result": 1}, {"Member_Account": "tommy", "Result": 0}]
    g = runtime.providers["tencent"].backend.tenants[str(SDKAPPID)].groups[gid]
    assert set(g.members) == {"leckie", "bob"}
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "jared"}]})
    assert res["ErrorCode"] == 0
    full = await settle(client, 1, command="Group.CallbackAfterGroupFull")
    # a full group refuses more and fires AfterGroupFull again (§13.5)
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "tommy"}]})
    assert res["ErrorCode"] == 10014
    full = await settle(client, 2, command="Group.CallbackAfterGroupFull")
    assert [r["body"]["GroupId"] for r in full] == [gid, gid]
    joins = await settle(client, 2, command="Group.CallbackAfterNewMemberJoin")
    assert joins[0]["body"]["NewMemberList"] == [{"Member_Account": "bob"}]
    assert joins[0]["body"]["JoinType"] == "Invited" and joins[0]["body"]["Operator_Account"] == ADMIN
    invite = (await deliveries(client, command="Group.CallbackBeforeInviteJoinGroup"))[0]
    assert invite["body"]["DestinationMembers"] == [{"Member_Account": "bob"}, {"Member_Account": "tommy"}]
    receiver.refuse("Group.CallbackBeforeInviteJoinGroup", 1)
    await tim("delete_group_member", {"GroupId": gid, "MemberToDel_Account": ["bob"]})
    res = await tim("add_group_member", {"GroupId": gid, "MemberList": [{"Member_Account": "tommy"}]})
    assert res["ErrorCode"] == 10016 and "tommy" not in g.members
    exit_ = (await settle(client, 1, command="Group.CallbackAfterMemberExit"))[0]["body"]
    assert (exit_["ExitType"], exit_["ExitMemberList"]) == ("Kicked", [{"Member_Account": "bob"}])


async def test_info_changed_and_destroyed(client, tim, receiver):
    await setup(client, receiver)
    gid = await group(tim, Owner_Account="leckie", Name="old")
    await tim("modify_group_base_info", {"GroupId": gid, "Name": "old", "MaxMemberNum": 100})
    await tim("modify_group_base_info", {"GroupId": gid, "Name": "new", "Notification": "n"})
    await tim("destroy_group", {"GroupId": gid})
    changed = await settle(client, 1, command="Group.CallbackAfterGroupInfoChanged")
    destroyed = await settle(client, 1, command="Group.CallbackAfterGroupDestroyed")
    assert len(changed) == 1    # the first modify changed none of the four fields
    body = changed[0]["body"]
    assert (body["Name"], body["Notification"], "Introduction" in body) == ("new", "n", False)
    assert destroyed[0]["body"]["MemberList"] == [{"Member_Account": "leckie"}]
    assert destroyed[0]["body"]["Owner_Account"] == "leckie" and destroyed[0]["body"]["Name"] == "new"


async def test_no_url_still_recorded_and_import_fires_nothing(client, tim):
    await configure(client, "tencent", SDKAPPID, None, commands=["Group.CallbackAfterCreateGroup"])
    await group(tim)
    await tim("import_group", {"Type": "Public", "Name": "imp"})
    rows = await settle(client, 1, provider="tencent")
    assert [(r["command"], r["outcome"], r["url"]) for r in rows] == [
        ("Group.CallbackAfterCreateGroup", "not sent: no url", None)]


async def test_unconfigured_sends_nothing(client, tim):
    await group(tim)
    assert await deliveries(client) == []


async def test_portrait_set_and_state_change(client, tim, receiver):
    await setup(client, receiver, commands=["Profile.CallbackPortraitSet", "State.StateChange"])
    res = await tim("profile/portrait_set", {"From_Account": "bob", "ProfileItem": [
        {"Tag": "Tag_Profile_IM_Nick", "Value": "Bobby"}]})
    assert res["ErrorCode"] == 0, res
    resp = await client.post("/_emulator/presence", json={"provider": "tencent", "tenant": str(SDKAPPID),
                                                         "user": "bob", "platform": "iPhone", "online": True})
    assert resp.status == 200, await resp.text()
    assert (await tim("im_open_login_svc/kick", {"UserID": "bob"}))["ErrorCode"] == 0
    portrait = (await settle(client, 1, command="Profile.CallbackPortraitSet"))[0]
    assert portrait["body"]["ProfileItem"] == [{"Tag": "Tag_Profile_IM_Nick", "Value": "Bobby"}]
    assert (portrait["body"]["From_Account"], portrait["body"]["Operator_Account"]) == ("bob", ADMIN)
    states = await settle(client, 2, command="State.StateChange")
    assert [r["body"]["Info"] for r in states] == [
        {"Action": "Login", "To_Account": "bob", "Reason": "Register"},
        {"Action": "Logout", "To_Account": "bob", "Reason": "Unregister"}]
    # §13.2: State.StateChange writes IOS in capitals
    got = [r["query"]["OptPlatform"] for r in receiver.received if r["command"] == "State.StateChange"]
    assert got == ["IOS", "IOS"]
    for r in receiver.received:
        check_sign(r["query"])


def test_documented_sign_vector():
    # §13.3: token xxxxyyyy, RequestTime 1669872112
    from emulator.providers.tencent.callbacks import sign
    expected = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061"
    assert hashlib.sha256(b"xxxxyyyy1669872112").hexdigest() == expected
    assert sign("xxxxyyyy", "1669872112") == expected

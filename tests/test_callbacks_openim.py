"""OpenIM webhooks (openim-users-messages-webhooks.md §4): POST <url>/<callbackCommand> with the
operationID header; only actionCode 0 + nextCode 1 refuses; network errors 90004, non-JSON 90007;
overrides applied where the server applies them; hooks fire for admin-token REST calls."""

from __future__ import annotations

import hashlib

import pytest

from tests.callback_support import configure, deliveries, settle
from tests.openim_support import SECRET, openim_call, openim_settings

TENANT = "default"


@pytest.fixture
def settings():
    return openim_settings()


async def setup(client, receiver, *keys, **config):
    hooks = {k: {"enable": True} for k in keys}
    await configure(client, "openim", TENANT, receiver.url, hooks=hooks, **config)


async def create(client, token, members=("bob",), **info):
    status, body = await openim_call(client, "/group/create_group", {
        "ownerUserID": "leckie", "memberUserIDs": list(members), "adminUserIDs": ["tommy"],
        "groupInfo": {"groupType": 2, "groupName": "n", **info}}, token=token, operation_id="op-create")
    return body


async def test_create_group_hooks_in_order_with_operation_id(client, openim_admin_token, receiver, runtime):
    await setup(client, receiver, "beforeCreateGroup", "beforeMemberJoinGroup", "afterCreateGroup")
    tenant = runtime.providers["openim"].backend.tenants[TENANT]
    seq = tenant.id_seq
    body = await create(client, openim_admin_token)
    assert body["errCode"] == 0, body
    gid = body["data"]["groupInfo"]["groupID"]
    await settle(client, 1, command="callbackAfterCreateGroupCommand")
    assert receiver.commands() == ["callbackBeforeCreateGroupCommand", "callbackBeforeMembersJoinGroupCommand",
                                   "callbackAfterCreateGroupCommand"]
    for r in receiver.received:
        assert r["path"] == "/cb/" + r["command"] and r["headers"]["operationID"] == "op-create"
        assert r["body"]["callbackCommand"] == r["command"]
    before, join, after = (r["body"] for r in receiver.received)
    assert before["operationID"] == "op-create" and before["groupID"] == "" and before["groupName"] == "n"
    assert before["initMemberList"] == [{"userID": "leckie", "roleLevel": 100}, {"userID": "tommy", "roleLevel": 60},
                                        {"userID": "bob", "roleLevel": 20}]
    assert join["groupID"] == gid and [m["userID"] for m in join["memberList"]] == ["leckie", "tommy", "bob"]
    assert after["groupID"] == gid and after["initMemberList"][-1] == {"userID": "imAdmin", "roleLevel": 20}
    # the probe before beforeMemberJoinGroup did not use up a generated id: one id, as without hooks
    assert gid == str(int(hashlib.md5(f"{SECRET}:{seq + 1}".encode()).hexdigest()[:8], 16))


async def test_before_create_overrides_and_member_overrides(client, openim_admin_token, receiver, runtime):
    await setup(client, receiver, "beforeCreateGroup", "beforeMemberJoinGroup")
    receiver.override("callbackBeforeCreateGroupCommand", groupID="chosen", groupName="renamed", ex="x")
    receiver.override("callbackBeforeMembersJoinGroupCommand", memberCallbackList=[
        {"userID": "bob", "nickname": "Bobby", "roleLevel": 60}, {"userID": "ghost", "nickname": "no"}])
    body = await create(client, openim_admin_token)
    info = body["data"]["groupInfo"]
    assert (info["groupID"], info["groupName"], info["ex"]) == ("chosen", "renamed", "x")
    m = runtime.providers["openim"].backend.tenants[TENANT].groups["chosen"].members["bob"]
    assert (m.nickname, m.roleLevel) == ("Bobby", 60)


async def test_refusal_network_error_and_non_json(client, openim_admin_token, receiver, runtime):
    await setup(client, receiver, "beforeCreateGroup", timeout_ms=150)
    groups = runtime.providers["openim"].backend.tenants[TENANT].groups
    receiver.refuse("callbackBeforeCreateGroupCommand", 5001, "not today")
    body = await create(client, openim_admin_token)
    assert (body["errCode"], body["errMsg"], body["errDlt"]) == (5001, "not today", "not today")
    receiver.reply("callbackBeforeCreateGroupCommand", {"actionCode": 1, "nextCode": 1, "errCode": 5001})
    assert (await create(client, openim_admin_token, groupID="g1"))["errCode"] == 0   # actionCode != 0 continues
    receiver.reply("callbackBeforeCreateGroupCommand", "<html>404</html>", status=404)
    body = await create(client, openim_admin_token, groupID="g2")
    assert body["errCode"] == 90007
    receiver.reply("callbackBeforeCreateGroupCommand", delay=0.5)
    body = await create(client, openim_admin_token, groupID="g3")
    assert body["errCode"] == 90004 and "post url=" in body["errDlt"]
    assert set(groups) == {"g1"}
    outcomes = [r["outcome"] for r in await settle(client, 4, command="callbackBeforeCreateGroupCommand")]
    assert outcomes == ["refused", "delivered", "refused", "refused"]


async def test_failed_continue_only_when_honoured(client, openim_admin_token, receiver):
    hooks = {"beforeCreateGroup": {"enable": True, "failedContinue": True}}
    await configure(client, "openim", TENANT, receiver.url, hooks=hooks, timeout_ms=100)
    receiver.reply("callbackBeforeCreateGroupCommand", delay=0.4)
    assert (await create(client, openim_admin_token))["errCode"] == 90004
    await configure(client, "openim", TENANT, receiver.url, hooks=hooks, timeout_ms=100,
                    honour_failed_continue=True)
    assert (await create(client, openim_admin_token))["errCode"] == 0


async def test_member_and_group_after_hooks(client, openim_admin_token, receiver):
    t = openim_admin_token
    await setup(client, receiver, "afterKickGroupMember", "afterQuitGroup", "afterTransferGroupOwner",
                "afterDismissGroup", "beforeSetGroupInfoEx", "afterSetGroupInfoEx", "beforeInviteUserToGroup",
                "beforeSetGroupMemberInfo", "afterSetGroupMemberInfo")
    gid = (await create(client, t, members=("bob", "jared")))["data"]["groupInfo"]["groupID"]
    receiver.override("callbackBeforeSetGroupInfoExCommand", groupID=gid, groupName="fromHook")
    _, body = await openim_call(client, "/group/set_group_info_ex", {"groupID": gid, "groupName": "mine"}, token=t)
    assert body["errCode"] == 0
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=t)
    assert body["data"]["groupInfos"][0]["groupName"] == "fromHook"
    receiver.refuse("callbackBeforeInviteJoinGroupCommand", 6000, "no invites")
    _, body = await openim_call(client, "/group/invite_user_to_group",
                                {"groupID": gid, "invitedUserIDs": ["imAdmin"]}, token=t)
    assert body["errCode"] == 6000
    receiver.override("callbackBeforeSetGroupMemberInfoCommand", nickName="hooked")
    _, body = await openim_call(client, "/group/set_group_member_info", {"members": [
        {"groupID": gid, "userID": "bob", "nickname": "b"}, {"groupID": gid, "userID": "tommy", "ex": "e"}]}, token=t)
    assert body["errCode"] == 0
    _, body = await openim_call(client, "/group/get_group_members_info", {"groupID": gid, "userIDs": ["bob", "tommy"]},
                                token=t)
    assert [m["nickname"] for m in body["data"]["members"]] == ["hooked", "hooked"]
    for path, req in [("/group/kick_group", {"groupID": gid, "kickedUserIDs": ["bob"], "reason": "r"}),
                      ("/group/quit_group", {"groupID": gid, "userID": "tommy"}),
                      ("/group/transfer_group", {"groupID": gid, "oldOwnerUserID": "leckie",
                                                 "newOwnerUserID": "jared"}),
                      ("/group/dismiss_group", {"groupID": gid, "deleteMember": False})]:
        _, body = await openim_call(client, path, req, token=t)
        assert body["errCode"] == 0, (path, body)
    rows = await settle(client, 7, kind="after")
    bodies = {r["command"]: r["body"] for r in rows}
    assert bodies["callbackAfterKickGroupCommand"]["kickedUserIDs"] == ["bob"]
    assert bodies["callbackAfterQuitGroupCommand"] == {"callbackCommand": "callbackAfterQuitGroupCommand",
                                                       "groupID": gid, "userID": "tommy"}
    assert bodies["callbackAfterTransferGroupOwnerCommand"]["newOwnerUserID"] == "jared"
    assert bodies["callbackAfterDisMissGroupCommand"]["groupType"] == "\x02"
    assert bodies["callbackAfterSetGroupInfoExCommand"]["groupName"] == "fromHook"
    assert [r["body"]["userID"] for r in rows if r["command"] == "callbackAfterSetGroupMemberInfoCommand"] == \
        ["bob", "tommy"]
    befores = await deliveries(client, command="callbackBeforeSetGroupMemberInfoCommand")
    assert [r["body"]["userID"] for r in befores] == ["bob", "tommy"]


async def test_join_group_direct_and_user_hooks(client, openim_admin_token, receiver, runtime):
    t = openim_admin_token
    await setup(client, receiver, "beforeApplyJoinGroup", "beforeMemberJoinGroup", "afterJoinGroup",
                "beforeUserRegister", "afterUserRegister", "beforeUpdateUserInfoEx", "afterUpdateUserInfoEx")
    gid = (await create(client, t, needVerification=2))["data"]["groupInfo"]["groupID"]
    _, body = await openim_call(client, "/group/join_group", {"groupID": gid, "inviterUserID": "jared",
                                                              "joinSource": 3, "reqMessage": "hi"}, token=t)
    assert body["errCode"] == 0
    receiver.override("callbackBeforeUserRegisterCommand", users=[{"userID": "swapped", "nickname": "S"}])
    _, body = await openim_call(client, "/user/user_register", {"users": [{"userID": "asked", "nickname": "A"}]},
                                token=t)
    assert body["errCode"] == 0
    users = runtime.providers["openim"].backend.tenants[TENANT].users
    assert "swapped" in users and "asked" not in users
    receiver.override("callbackBeforeUpdateUserInfoExCommand", nickName="N2", faceURL="f")
    _, body = await openim_call(client, "/user/update_user_info_ex", {"userInfo": {"userID": "bob", "nickname": "N1"}},
                                token=t)
    assert body["errCode"] == 0
    assert (users["bob"].nickname, users["bob"].faceURL) == ("N2", "")   # faceURL was not in the request
    await settle(client, 3, kind="after")
    cmds = receiver.commands()
    assert cmds.index("callbackBeforeJoinGroupCommand") < cmds.index("callbackAfterJoinGroupCommand")
    join = next(r["body"] for r in receiver.received if r["command"] == "callbackBeforeJoinGroupCommand")
    assert (join["groupType"], join["applyID"], join["reqMessage"]) == ("\x02", "jared", "hi")
    assert "callbackAfterUserRegisterCommand" in cmds and "callbackAfterUpdateUserInfoExCommand" in cmds


async def test_update_user_info_hooks(client, openim_admin_token, receiver, runtime):
    await setup(client, receiver, "beforeUpdateUserInfo", "afterUpdateUserInfo")
    receiver.override("callbackBeforeUpdateUserInfoCommand", faceURL="http://f")
    _, body = await openim_call(client, "/user/update_user_info",
                                {"userInfo": {"userID": "bob", "nickname": "B"}}, token=openim_admin_token)
    assert body["errCode"] == 0, body
    u = runtime.providers["openim"].backend.tenants[TENANT].users["bob"]
    assert (u.nickname, u.faceURL) == ("B", "http://f")
    after = (await settle(client, 1, command="callbackAfterUpdateUserInfoCommand"))[0]["body"]
    assert (after["userID"], after["nickName"], after["ex"]) == ("bob", "B", "")
    before = (await deliveries(client, command="callbackBeforeUpdateUserInfoCommand"))[0]["body"]
    assert before["ex"] is None


async def test_set_group_info_hooks_replace_fields(client, openim_admin_token, receiver):
    t = openim_admin_token
    await setup(client, receiver, "beforeSetGroupInfo", "afterSetGroupInfo")
    gid = (await create(client, t))["data"]["groupInfo"]["groupID"]
    # §4.6: groupID, groupName, faceURL and introduction are always taken from the reply
    receiver.override("callbackBeforeSetGroupInfoCommand", groupID=gid, groupName="hooked", ex="e2")
    _, body = await openim_call(client, "/group/set_group_info", {"groupInfoForSet": {
        "groupID": gid, "groupName": "mine", "introduction": "intro"}}, token=t)
    assert body["errCode"] == 0, body
    _, body = await openim_call(client, "/group/get_groups_info", {"groupIDs": [gid]}, token=t)
    info = body["data"]["groupInfos"][0]
    assert (info["groupName"], info["introduction"], info["ex"]) == ("hooked", "", "e2")
    before = (await deliveries(client, command="callbackBeforeSetGroupInfoCommand"))[0]["body"]
    assert (before["operationID"], before["groupName"], before["introduction"]) == ("", "mine", "intro")
    after = (await settle(client, 1, command="callbackAfterSetGroupInfoCommand"))[0]["body"]
    assert after["groupName"] == "hooked"
    receiver.override("callbackBeforeSetGroupInfoCommand")      # no groupID in the reply: 1004
    _, body = await openim_call(client, "/group/set_group_info", {"groupInfoForSet": {
        "groupID": gid, "groupName": "x"}}, token=t)
    assert body["errCode"] == 1004
